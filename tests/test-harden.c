/*
 * test-harden: harden_process() leaves the process with no core dumps, as the
 * kernel reports it (getrlimit, prctl(PR_GET_DUMPABLE)), and a child inherits
 * the limit.
 */
#include "config.h"

#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include "base/harden.h"
#include "tap.h"

int main(void)
{
	struct err e = ERR_INIT;
	struct rlimit rl, raise_to;
	pid_t pid;
	int st = 0;

	is_int(harden_process(&e), 0, "harden_process succeeds");
	is_str(e.msg, "", "and sets no message");
	ok(getrlimit(RLIMIT_CORE, &rl) == 0, "getrlimit(RLIMIT_CORE)");
	is_int((long long)rl.rlim_cur, 0, "core file size soft limit is 0");
	is_int((long long)rl.rlim_max, 0, "core file size hard limit is 0");
	raise_to.rlim_cur = raise_to.rlim_max = RLIM_INFINITY;
	ok(setrlimit(RLIMIT_CORE, &raise_to) != 0, "the limit cannot be raised again");
#if defined(HAVE_SYS_PRCTL_H) && defined(PR_GET_DUMPABLE)
	is_int(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0, "the process is not dumpable");
#else
	ok(1, "# SKIP no prctl(PR_GET_DUMPABLE) here");
#endif
	/* A child (a credential helper, git) inherits the limit. */
	pid = fork();
	if (pid == 0) {
		struct rlimit c;

		_exit(getrlimit(RLIMIT_CORE, &c) == 0 && c.rlim_cur == 0 && c.rlim_max == 0 ? 0
											    : 1);
	}
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "a child process has a core limit of 0 too");
	is_int(harden_process(&e), 0, "calling it twice is fine");
	return tap_done();
}
