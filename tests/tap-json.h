/*
 * tap-json.h: J(), JSON test data written inline, for the C unit tests that
 * use jansson: any JSON value, NULL for NULL (an absent value). Bad JSON in a
 * test is a bail-out, not a failed case.
 */
#ifndef TAP_JSON_H
#define TAP_JSON_H

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

__attribute__((unused, noinline)) static json_t *J(const char *text)
{
	json_error_t je;
	json_t *v;

	if (!text) /* an absent value */
		return NULL;
	v = json_loads(text, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (!v) {
		printf("Bail out! bad test JSON: %s (line %d)\n", je.text, je.line);
		exit(1);
	}
	return v;
}

#endif
