#include "config.h"

#include "base/harden.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

int harden_process(struct err *e)
{
	struct rlimit none = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &none) != 0)
		return err_set(e, ERR_FAIL, "cannot turn core dumps off (RLIMIT_CORE): %s",
			       strerror(errno));
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_SET_DUMPABLE)
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
		return err_set(e, ERR_FAIL, "cannot mark the process not dumpable: %s",
			       strerror(errno));
#endif
	return 0;
}
