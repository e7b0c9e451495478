#include "config.h"

#include "base/money.h"

#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"

/* Normalise a decimal: no sign '+', no leading zeros, no trailing fractional zeros. Caller frees; NULL if not a decimal. */
static char *money_norm(const json_t *v)
{
	const char *s, *p;
	char *d, *dot;
	size_t n;

	if (json_is_integer(v))
		return xasprintf("%lld", (long long)json_integer_value(v));
	if (!json_is_string(v))
		return NULL;
	s = json_string_value(v);
	if (*s == '+')
		s++;
	p = s;
	if (*p == '-')
		p++;
	if (!*p)
		return NULL;
	for (; *p; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			return NULL;
	if (*s == '-') {
		d = xstrdup(s);
	} else {
		while (s[0] == '0' && s[1] && s[1] != '.')
			s++;
		d = xstrdup(s);
	}
	if ((dot = strchr(d, '.'))) {
		n = strlen(d);
		while (n > 0 && d[n - 1] == '0')
			d[--n] = '\0';
		if (n > 0 && d[n - 1] == '.')
			d[--n] = '\0';
	}
	return d;
}

bool money_equal(const json_t *a, const json_t *b)
{
	char *x = money_norm(a), *y = money_norm(b);
	bool eq = x && y && strcmp(x, y) == 0;

	free(x);
	free(y);
	return eq;
}
