#include "config.h"

#include "base/syntax.h"

#include <string.h>

#include "base/errcode.h"

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int syntax_date(const char *s, char out[11])
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int i, y, m, d;

	out[0] = '\0';
	if (!s)
		return ERR_INVALID;
	for (i = 0; i < 10; i++) {
		if (i == 4 || i == 7) {
			if (s[i] != '-')
				return ERR_INVALID;
		} else if (s[i] < '0' || s[i] > '9') {
			return ERR_INVALID;
		}
	}
	if (s[10] != '\0' && s[10] != 'T')
		return ERR_INVALID;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1 || m < 1 || m > 12 || d < 1)
		return ERR_INVALID;
	if (d > mdays[m - 1] + (m == 2 && is_leap(y)))
		return ERR_INVALID;
	memcpy(out, s, 10);
	out[10] = '\0';
	return 0;
}

bool syntax_currency_valid(const char *s)
{
	return s && strlen(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' &&
	       s[2] >= 'A' && s[2] <= 'Z';
}

bool syntax_amount_valid(const char *s)
{
	const char *p = s;

	if (!s || !(*p >= '0' && *p <= '9'))
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == '\0' && p - s <= 32;
}

/*
 * A pragmatic address check, not RFC 5322: one '@', a local part of 1..64
 * printable characters without spaces, quotes or brackets and without
 * leading, trailing or doubled dots, and a domain of at least two dot
 * separated labels of letters, digits, '-' or UTF-8 (IDN), none starting or
 * ending with '-'.
 */
bool syntax_email_valid(const char *s)
{
	const char *at, *p, *label;
	size_t len;

	if (!s)
		return false;
	len = strlen(s);
	at = strchr(s, '@');
	if (len < 3 || len > 254 || !at || strchr(at + 1, '@') || at == s || at - s > 64)
		return false;
	if (s[0] == '.' || at[-1] == '.')
		return false;
	for (p = s; p < at; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c == 0x7f || strchr("\"(),:;<>[\\]", c))
			return false;
		if (c == '.' && p[1] == '.')
			return false;
	}
	label = at + 1;
	if (!strchr(label, '.'))
		return false;
	for (p = label;; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '.' || c == '\0') {
			if (p == label || label[0] == '-' || p[-1] == '-' || p - label > 63)
				return false;
			if (c == '\0')
				break;
			label = p + 1;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c >= 0x80))
			return false;
	}
	return true;
}

#define ID_MAX 128

bool syntax_id_valid(const char *s)
{
	const char *p;

	if (!s || !*s || *s == '.' || strlen(s) > ID_MAX)
		return false;
	for (p = s; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_'))
			return false;
	}
	return true;
}

int syntax_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
