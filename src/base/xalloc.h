/*
 * xalloc: allocation that cannot fail. On exhaustion the process prints a
 * message and exits 1: a batch job has nothing sensible to do without memory,
 * and the staging repo is only ever changed through atomic renames, so an exit
 * here loses nothing already committed.
 */
#ifndef XALLOC_H
#define XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);		  /* caller frees */
void *xcalloc(size_t nmemb, size_t size); /* caller frees */
void *xrealloc(void *p, size_t n);	  /* caller frees the result */
char *xstrdup(const char *s);		  /* caller frees */
char *xstrndup(const char *s, size_t n);  /* caller frees */
char *xasprintf(const char *fmt, ...)	  /* caller frees */
	__attribute__((format(printf, 1, 2)));

#endif
