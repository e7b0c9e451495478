/*
 * check: what the configured pipeline needs from Ashby and Humaans, and
 * whether the credentials grant it.
 *
 * Ashby: `apiKey.info` lists the key's scopes; when the key itself lacks API
 * Keys read, one `limit: 1` call per module shows which answer
 * missing_endpoint_permission. Humaans: `/me` proves the token, `/token-info`
 * (or probing reads) gives its scopes. Every missing permission is named with
 * where to grant it, in the integration's own words.
 *
 * Used by `check` (report on stdout) and by `run` before it extracts (report
 * on stderr, run stops when something is missing).
 */
#ifndef CHECK_H
#define CHECK_H

#include "base/buf.h"
#include "base/err.h"

struct http_client;
struct pipeline;

/*
 * Ask both APIs and append a human report (one finding per line) to
 * `report`. *missing receives the number of missing permissions (0: all
 * granted). Returns 0 when both APIs answered (whatever they granted), or a
 * negative code when one could not be asked (network, rejected credentials:
 * the message says which). `ashby` and `humaans` are borrowed.
 */
int check_credentials(struct http_client *ashby, struct http_client *humaans,
		      const struct pipeline *p, struct buf *report, int *missing, struct err *e);

/*
 * The pipeline's mappings to Humaans custom fields against both systems' own
 * definitions (check-custom.c): the Ashby field exists and reads as the
 * declared type (customField.list); the Humaans field exists by name, once,
 * in the section the pipeline names if it names one, and its Humaans type can
 * take the value (/custom-fields: sections and types are Humaans', never a
 * list of ours). One line per mapping appended to `report`, each problem with
 * what to do; *problems counts them. Call it once the credentials pass.
 */
int check_custom_fields(struct http_client *ashby, struct http_client *humaans,
			const struct pipeline *p, struct buf *report, int *problems, struct err *e);

/* The Ashby modules every extract reads (NULL-terminated, static). */
extern const char *const check_ashby_modules[];

/*
 * The Humaans scopes the pipeline needs, NULL-terminated, into `out` (at
 * least 7 slots). Pure; exposed for tests.
 */
void check_humaans_scopes(const struct pipeline *p, const char **out);

#endif
