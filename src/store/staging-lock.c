/*
 * staging-lock: the exclusive lock of a staging repo (.git/ashby2humaans.lock,
 * flock plus the holder's pid written inside).
 */
#define _DEFAULT_SOURCE /* flock(2): POSIX has only fcntl locks, which fork and close lose */
#include "config.h"

#include "store/staging-int.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/xalloc.h"

#define LOCK_NAME "ashby2humaans.lock"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The holder's pid, or 0 when it has not written it yet (it may be just starting). */
static long lock_holder(int fd)
{
	char text[32];
	int tries;

	for (tries = 0; tries < 100; tries++) {
		ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
		long pid;
		char *end;

		if (n > 0) {
			text[n] = '\0';
			pid = strtol(text, &end, 10);
			if (pid > 0 && end != text)
				return pid;
		}
		sleep_ms(10);
	}
	return 0;
}

/* The lock taken within `wait_ms` milliseconds: 0, or -1 with errno. */
static int lock_within(int fd, long wait_ms)
{
	struct timespec t0, now;
	bool said = false;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		long waited;

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if ((errno != EWOULDBLOCK && errno != EAGAIN) || wait_ms <= 0)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited = (long)(now.tv_sec - t0.tv_sec) * 1000 +
			 (now.tv_nsec - t0.tv_nsec) / 1000000L;
		if (waited >= wait_ms) {
			errno = EWOULDBLOCK;
			return -1;
		}
		if (!said && wait_ms >= 5000) {
			log_info("the staging repo is locked by another ashby2humaans run: waiting "
				 "up to %ld s",
				 wait_ms / 1000);
			said = true;
		}
		sleep_ms(wait_ms - waited < 100 ? wait_ms - waited : 100);
	}
}

int staging_lock(struct staging *s, long wait_ms, struct err *e)
{
	char *path = xasprintf("%s" LOCK_NAME, git_repository_path(s->repo));
	char pid[32];
	int fd, rc = 0, n;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = err_set(e, ERR_IO, "cannot open the lock of staging repo '%s': %s", s->name,
			     strerror(errno));
		goto out;
	}
	if (lock_within(fd, wait_ms) < 0) {
		long holder;

		if (errno != EWOULDBLOCK && errno != EAGAIN) {
			rc = err_set(e, ERR_IO, "cannot lock staging repo '%s': %s", s->name,
				     strerror(errno));
			goto out;
		}
		holder = lock_holder(fd);
		if (holder)
			rc = err_set(e, ERR_LOCKED,
				     "staging repo '%s' is locked by pid %ld (another "
				     "ashby2humaans run)",
				     s->name, holder);
		else
			rc = err_set(e, ERR_LOCKED,
				     "staging repo '%s' is locked by another ashby2humaans run",
				     s->name);
		goto out;
	}
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
		rc = err_set(e, ERR_IO, "cannot write the lock of staging repo '%s': %s", s->name,
			     strerror(errno));
		goto out;
	}
	s->lock_fd = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

/* Opening */
