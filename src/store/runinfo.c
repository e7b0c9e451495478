#include "config.h"

#include "store/runinfo.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "store/staging.h"
#include "base/xalloc.h"

struct find {
	const char *want; /* NULL: the first (newest) */
	struct runinfo *out;
	bool found;
};

static int find_one(void *ctx, const char *run_id, const char *message, const char *commit_hex)
{
	struct find *f = ctx;

	if (f->want && strcmp(f->want, run_id) != 0)
		return 0;
	snprintf(f->out->id, sizeof(f->out->id), "%s", run_id);
	snprintf(f->out->commit, sizeof(f->out->commit), "%s", commit_hex);
	f->out->message = xstrdup(message ? message : "");
	f->found = true;
	return 1;
}

int runinfo_find(struct staging *s, const char *arg, struct runinfo *out, struct err *e)
{
	struct find f = { NULL, out, false };
	int rc;

	memset(out, 0, sizeof(*out));
	if (strcmp(arg, "latest") != 0)
		f.want = strncmp(arg, "run/", 4) == 0 ? arg + 4 : arg;
	rc = staging_list_runs(s, find_one, &f, e);
	if (rc < 0)
		return rc;
	if (!f.found) {
		if (!f.want)
			return err_set(e, ERR_NOTFOUND, "no runs yet in the staging repo");
		return err_set(e, ERR_NOTFOUND,
			       "no run '%s' in the staging repo (see 'ashby2humaans log')", arg);
	}
	return 0;
}

void runinfo_release(struct runinfo *ri)
{
	free(ri->message);
	ri->message = NULL;
}

/* "Hires-Extracted" -> "hiresExtracted", "Plan-Run-Id" -> "planRunId". */
static char *key_camel(const char *key, size_t n)
{
	char *out = xmalloc(n + 1);
	size_t i, j = 0;
	bool up = false;

	for (i = 0; i < n; i++) {
		if (key[i] == '-') {
			up = true;
			continue;
		}
		if (up && j > 0)
			out[j] = (char)toupper((unsigned char)key[i]);
		else
			out[j] = (char)tolower((unsigned char)key[i]);
		j++;
		up = false;
	}
	out[j] = '\0';
	return out;
}

static bool all_digits(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 18)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static json_t *value_json(const char *key, const char *value)
{
	char *end;
	double d;

	if (strcmp(key, "Duration") == 0) {
		d = strtod(value, &end);
		if (end != value && *end == '\0')
			return json_real(d);
	}
	if (all_digits(value))
		return json_integer((json_int_t)strtoll(value, NULL, 10));
	return json_string(value);
}

json_t *runinfo_fields(const char *message)
{
	json_t *obj = json_object();
	const char *line, *nl, *colon;
	struct buf key = BUF_INIT, val = BUF_INIT;
	bool first = true;

	if (!obj)
		return NULL;
	for (line = message; line && *line; line = nl ? nl + 1 : NULL) {
		size_t n, k;

		nl = strchr(line, '\n');
		n = nl ? (size_t)(nl - line) : strlen(line);
		if (first) {
			buf_reset(&val);
			buf_add(&val, line, n);
			json_object_set_new(obj, "subject", json_string(val.data));
			first = false;
			continue;
		}
		colon = memchr(line, ':', n);
		if (!colon || colon == line)
			continue;
		for (k = 0; line + k < colon; k++)
			if (!isalnum((unsigned char)line[k]) && line[k] != '-')
				break;
		if (line + k != colon)
			continue;
		buf_reset(&key);
		buf_add(&key, line, k);
		buf_reset(&val);
		colon++;
		while (colon < line + n && *colon == ' ')
			colon++;
		buf_add(&val, colon, (size_t)(line + n - colon));
		{
			char *name = key_camel(key.data, key.len);
			json_t *v = value_json(key.data, val.data);

			/* A value that is not UTF-8 is dropped rather than failing the listing. */
			if (v)
				json_object_set_new(obj, name, v);
			free(name);
		}
	}
	buf_release(&key);
	buf_release(&val);
	return obj;
}
