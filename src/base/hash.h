/*
 * hash: SHA-256 through libcrypto's EVP interface, as lower-case hex.
 */
#ifndef HASH_H
#define HASH_H

#include <stddef.h>

/* Write the SHA-256 of `len` bytes at `data` as 64 hex digits and a NUL into `out`. */
void sha256_hex(const void *data, size_t len, char out[65]);

/* Incremental SHA-256, for data read a chunk at a time. */
struct sha256_ctx;
struct sha256_ctx *sha256_begin(void); /* caller ends with sha256_end() */
void sha256_add(struct sha256_ctx *c, const void *data, size_t len);
void sha256_end(struct sha256_ctx *c, char out[65]); /* writes the hex digest, frees `c` */

#endif
