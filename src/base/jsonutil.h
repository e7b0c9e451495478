/*
 * jsonutil: small typed getters over jansson, so modules do not repeat
 * type checks. All returned pointers are borrowed from the object and valid
 * while it is alive.
 */
#ifndef JSONUTIL_H
#define JSONUTIL_H

#include <jansson.h>
#include <stdbool.h>

/* The string at `key`, or NULL when absent, null or not a string. */
const char *json_get_str(const json_t *obj, const char *key);
/* The object / array at `key`, or NULL when absent or of another type. */
json_t *json_get_obj(const json_t *obj, const char *key);
json_t *json_get_arr(const json_t *obj, const char *key);
/* Follow a dotted path of object keys ("address.postalAddress.addressLocality"). */
json_t *json_get_path(const json_t *obj, const char *path);
/* The bool at `key`, or `dflt`. */
bool json_get_bool(const json_t *obj, const char *key, bool dflt);
/* Set `key` to a new string (copied) when `value` is not NULL; returns 0 or -1. */
int json_set_str(json_t *obj, const char *key, const char *value);
/* Find the element of an array of objects whose string `key` equals `value` (borrowed), or NULL. */
json_t *json_array_find(const json_t *array, const char *key, const char *value);

#endif
