/*
 * money: amounts of money compared as decimals. Humaans answers amounts as
 * strings with two decimals ("85000.00") where the plan sends what Ashby
 * gave ("85000"); both sides may also be JSON integers. Pure: no I/O.
 */
#ifndef MONEY_H
#define MONEY_H

#include <jansson.h>
#include <stdbool.h>

/*
 * Whether two amounts are the same decimal ("85000" equals "85000.00" and
 * the integer 85000). Strings of digits with an optional sign and point, or
 * integers; anything else (a real, a non-number) equals nothing.
 */
bool money_equal(const json_t *a, const json_t *b);

#endif
