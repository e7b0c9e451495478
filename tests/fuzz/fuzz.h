/*
 * fuzz.h: what every libFuzzer target in tests/fuzz/ shares. Each target is
 * one file defining LLVMFuzzerTestOneInput(); tests/fuzz/fuzz.sh builds them
 * with clang -fsanitize=fuzzer,address,undefined against the core library
 * (compiled with the same sanitizers) and runs them over their seed corpora
 * in tests/fuzz/corpus/<target>/.
 *
 * A target checks the contract of what it calls as well as surviving it:
 * FUZZ_CHECK() aborts (a crash libFuzzer keeps) when a promise is broken.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                                    \
	do {                                                                                \
		if (!(cond)) {                                                              \
			fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__, \
				#cond);                                                     \
			abort();                                                            \
		}                                                                           \
	} while (0)

/* Messages go to e->msg; the log stays quiet so the fuzzer runs at full speed. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_setup(LOG_QUIET, false);
	return 0;
}

#endif
