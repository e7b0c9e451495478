/*
 * harden: process-wide protections set once at start-up, before the
 * credentials are read from the environment.
 *
 * A core dump of this process would hold the Ashby API key and the Humaans
 * token (and the personal data being moved). harden_process() sets the core
 * file size limit, soft and hard, to 0 and, on Linux, marks the process not
 * dumpable (PR_SET_DUMPABLE 0), which also keeps other processes of the same
 * user from reading its memory through ptrace or /proc/<pid>/mem.
 */
#ifndef HARDEN_H
#define HARDEN_H

#include "base/err.h"

/* Turn core dumps off for this process and its children. ERR_FAIL when the kernel refuses. */
int harden_process(struct err *e);

#endif
