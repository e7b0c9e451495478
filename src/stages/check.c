#include "config.h"

#include "stages/check.h"

#include <string.h>

#include <jansson.h>

#include "apis/ashby.h"
#include "apis/http.h"
#include "apis/humaans.h"
#include "base/jsonutil.h"
#include "store/pipeline.h"

/*
 * Every extract reads candidates and applications, offers (the start date is
 * required), jobs, the organisation's departments, locations and users, and
 * the custom field definitions (so mappings can be added without a new full
 * extract): all five modules are needed whatever the pipeline maps.
 */
const char *const check_ashby_modules[] = {
	"Candidates", "Jobs", "Offers", "Organization", "Hiring Process Metadata", NULL
};

/* A cheap read per module, for keys that cannot read their own scopes. */
static const struct {
	const char *module;
	const char *endpoint;
} ashby_probes[] = {
	{ "Candidates", "application.list" },
	{ "Jobs", "jobPosting.list" },
	{ "Offers", "offer.list" },
	{ "Organization", "department.list" },
	{ "Hiring Process Metadata", "customField.list" },
};

#define HUMAANS_GRANT_HINT \
	"in Humaans, create an API token (Settings, API access) that includes the scope '%s'"

void check_humaans_scopes(const struct pipeline *p, const char **out)
{
	size_t n = 0;

	out[n++] = "private:read";  /* new hires and personal emails (duplicate detection) */
	out[n++] = "private:write"; /* create new hires, custom values */
	if (p->fields[PF_SALARY].enabled) {
		out[n++] = "compensations:read";
		out[n++] = "compensations:write";
	}
	if (p->offer_letter) {
		out[n++] = "documents:read";
		out[n++] = "documents:write";
	}
	out[n] = NULL;
}

static const char *module_scope(const char *module)
{
	const struct ashby_endpoint *ep;

	for (ep = ashby_endpoints; ep->name; ep++)
		if (strcmp(ep->module, module) == 0)
			return ep->scope;
	return NULL;
}

static bool has_string(const json_t *array, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach (array, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

static void report_missing_module(struct buf *report, const char *module, int *missing)
{
	buf_addf(report,
		 "  MISSING  Ashby module %s: in Ashby, Admin > Integrations > API keys > "
		 "the key > tick Read on %s\n",
		 module, module);
	(*missing)++;
}

/* Keys without API Keys read: one limit-1 call per module. */
static int ashby_probe(struct http_client *c, struct buf *report, int *missing, struct err *e)
{
	size_t i;
	int rc;

	buf_adds(report, "  note     the key cannot read its own scopes (API Keys module): "
			 "probing each module\n");
	for (i = 0; i < sizeof(ashby_probes) / sizeof(ashby_probes[0]); i++) {
		json_t *params = json_object(), *results = NULL;
		const struct ashby_endpoint *ep = ashby_endpoint_find(ashby_probes[i].endpoint);

		if (ep && ep->paginated)
			json_object_set_new(params, "limit", json_integer(1));
		rc = ashby_call(c, ashby_probes[i].endpoint, params, NULL, &results, e);
		json_decref(params);
		json_decref(results);
		if (rc == ERR_PERMISSION) {
			err_clear(e);
			report_missing_module(report, ashby_probes[i].module, missing);
		} else if (rc < 0) {
			return rc;
		} else {
			buf_addf(report, "  ok       Ashby module %s\n", ashby_probes[i].module);
		}
	}
	return 0;
}

static int check_ashby(struct http_client *c, struct buf *report, int *missing, struct err *e)
{
	json_t *info = NULL, *scopes;
	const char *title;
	size_t i;
	int rc;

	rc = ashby_call(c, "apiKey.info", NULL, NULL, &info, e);
	if (rc == ERR_PERMISSION) {
		err_clear(e);
		buf_adds(report, "ashby:\n");
		return ashby_probe(c, report, missing, e);
	}
	if (rc < 0)
		return rc;
	title = json_get_str(info, "title");
	buf_addf(report, "ashby: key '%s'\n", title ? title : "(untitled)");
	scopes = json_get_arr(info, "scopes");
	if (!scopes) {
		json_decref(info);
		buf_adds(report, "  note     apiKey.info lists no scopes: probing each module\n");
		return ashby_probe(c, report, missing, e);
	}
	for (i = 0; check_ashby_modules[i]; i++) {
		const char *scope = module_scope(check_ashby_modules[i]);

		if (scope && has_string(scopes, scope))
			buf_addf(report, "  ok       Ashby module %s (%s)\n",
				 check_ashby_modules[i], scope);
		else
			report_missing_module(report, check_ashby_modules[i], missing);
	}
	json_decref(info);
	return 0;
}

static int check_humaans(struct http_client *c, const struct pipeline *p, struct buf *report,
			 int *missing, struct err *e)
{
	const char *need[8];
	json_t *me = NULL, *scopes = NULL;
	const char *first, *last;
	bool probed = false;
	size_t i;
	int rc;

	rc = humaans_get(c, "/me", &me, e);
	if (rc < 0)
		return rc;
	first = json_get_str(me, "firstName");
	last = json_get_str(me, "lastName");
	buf_addf(report, "humaans: token of %s %s\n", first ? first : "?", last ? last : "?");
	json_decref(me);

	rc = humaans_token_scopes(c, &scopes, &probed, e);
	if (rc < 0)
		return rc;
	check_humaans_scopes(p, need);
	for (i = 0; need[i]; i++) {
		bool write = strstr(need[i], ":write") != NULL;

		if (has_string(scopes, need[i])) {
			buf_addf(report, "  ok       Humaans scope %s\n", need[i]);
		} else if (probed && write) {
			buf_addf(report,
				 "  unknown  Humaans scope %s: the token's write scopes cannot "
				 "be read safely; apply will say if it is missing\n",
				 need[i]);
		} else {
			buf_addf(report, "  MISSING  Humaans scope %s: " HUMAANS_GRANT_HINT "\n",
				 need[i], need[i]);
			(*missing)++;
		}
	}
	json_decref(scopes);
	return 0;
}

int check_credentials(struct http_client *ashby, struct http_client *humaans,
		      const struct pipeline *p, struct buf *report, int *missing, struct err *e)
{
	int rc;

	*missing = 0;
	rc = check_ashby(ashby, report, missing, e);
	if (rc < 0)
		return err_prefix(e, "checking the Ashby key");
	rc = check_humaans(humaans, p, report, missing, e);
	if (rc < 0)
		return err_prefix(e, "checking the Humaans token");
	buf_adds(report,
		 "reminder: hires on confidential jobs and private candidate fields stay "
		 "invisible unless the Ashby key's two toggles for them are on (the API does not "
		 "show them)\n");
	return 0;
}
