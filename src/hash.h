/*
 * hash: SHA-256 through libcrypto's EVP interface, as lower-case hex.
 */
#ifndef HASH_H
#define HASH_H

#include <stddef.h>

/* Write the SHA-256 of `len` bytes at `data` as 64 hex digits and a NUL into `out`. */
void sha256_hex(const void *data, size_t len, char out[65]);

#endif
