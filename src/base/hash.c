#include "config.h"

#include "base/hash.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

static void to_hex(const unsigned char *md, unsigned int mdlen, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned int i;

	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

/*
 * libcrypto fails only when it cannot allocate or SHA-256 is unavailable:
 * nothing a caller could do, so treat it like exhaustion.
 */
static void crypto_fail(void)
{
	fputs("ashby2humaans: libcrypto could not compute SHA-256\n", stderr);
	exit(1);
}

void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		crypto_fail();
	to_hex(md, mdlen, out);
}

struct sha256_ctx *sha256_begin(void)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (!c || !EVP_DigestInit_ex(c, EVP_sha256(), NULL))
		crypto_fail();
	return (struct sha256_ctx *)c;
}

void sha256_add(struct sha256_ctx *c, const void *data, size_t len)
{
	if (len && !EVP_DigestUpdate((EVP_MD_CTX *)c, data, len))
		crypto_fail();
}

void sha256_end(struct sha256_ctx *c, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_DigestFinal_ex((EVP_MD_CTX *)c, md, &mdlen) || mdlen != 32)
		crypto_fail();
	EVP_MD_CTX_free((EVP_MD_CTX *)c);
	to_hex(md, mdlen, out);
}
