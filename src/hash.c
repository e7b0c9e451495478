#include "config.h"

#include "hash.h"

#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>

void sha256_hex(const void *data, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned int i;

	/*
	 * EVP_Digest fails only when libcrypto cannot allocate or SHA-256 is
	 * unavailable: nothing a caller could do, so treat it like exhaustion.
	 */
	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32) {
		fputs("ashby2humaans: libcrypto could not compute SHA-256\n", stderr);
		exit(1);
	}
	for (i = 0; i < mdlen; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}
