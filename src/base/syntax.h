/*
 * syntax: the plain value formats the tool accepts from Ashby and from a
 * reviewer (overrides.csv): calendar dates, e-mail addresses, ISO 4217
 * currency codes, decimal amounts, record ids and hex digits. Pure: no I/O, no allocation.
 */
#ifndef SYNTAX_H
#define SYNTAX_H

#include <stdbool.h>

/*
 * The calendar date at the start of an ISO-8601 date or date-time
 * ("2026-03-02", "2026-03-02T10:00:00Z"), validated (leap years too) and
 * copied to `out`; ERR_INVALID otherwise (out is then "").
 */
int syntax_date(const char *s, char out[11]);
/* A pragmatic e-mail address check (not RFC 5322); NULL is not an address. */
bool syntax_email_valid(const char *s);
/* Three upper-case letters (an ISO 4217 code such as GBP). */
bool syntax_currency_valid(const char *s);
/*
 * An API record id safe as a file name and a JSON key: 1 to 128 bytes of
 * [A-Za-z0-9._-], not starting with '.'.
 */
bool syntax_id_valid(const char *s);
/* The value of one hexadecimal digit (either case), or -1. */
int syntax_hex_digit(int c);
/* A plain decimal amount ("85000", "85000.50"): digits, an optional point and digits, at most 32 bytes. */
bool syntax_amount_valid(const char *s);

#endif
