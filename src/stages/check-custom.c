/*
 * check: the mapped custom fields against both systems' own definitions.
 * A Humaans custom field's section and type come from Humaans
 * (/custom-fields), never from a list of our own; an Ashby field's type from
 * Ashby (customField.list).
 */
#include "config.h"

#include "stages/check.h"

#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "apis/ashby.h"
#include "apis/http.h"
#include "apis/humaans.h"
#include "base/jsonutil.h"
#include "stages/transform.h"
#include "store/pipeline.h"

/* Whether a Humaans custom field of type `htype` takes the value transform makes of `type`. */
static int humaans_takes(const char *htype, enum pipeline_type type)
{
	static const struct {
		const char *htype;
		unsigned types; /* 1 << enum pipeline_type */
	} takes[] = {
		{ "text", 1u << PT_TEXT | 1u << PT_SELECT | 1u << PT_CURRENCY },
		{ "number", 1u << PT_NUMBER },
		{ "date", 1u << PT_DATE },
		{ "boolean", 1u << PT_BOOLEAN },
		{ "select", 1u << PT_SELECT },
		{ "multiSelect", 1u << PT_MULTISELECT },
	};
	size_t i;

	for (i = 0; htype && i < sizeof(takes) / sizeof(takes[0]); i++)
		if (strcmp(takes[i].htype, htype) == 0)
			return (takes[i].types >> type) & 1u;
	return -1; /* a type the tool does not know */
}

/* The Humaans field named `name` (case ignored, as plan resolves it); *n how many are. */
static const json_t *humaans_field(const json_t *fields, const char *name, size_t *n)
{
	const json_t *found = NULL;
	json_t *el;
	size_t i;

	*n = 0;
	json_array_foreach (fields, i, el) {
		const char *fname = json_get_str(el, "name");

		if (fname && strcasecmp(fname, name) == 0) {
			found = found ? found : el;
			(*n)++;
		}
	}
	return found;
}

/* The Ashby definition a mapping reads (by id, else by title on its object), or NULL. */
static const json_t *ashby_field(const json_t *defs, const struct pipeline_custom *pc)
{
	const char *obj = pipeline_object_name(pc->object);
	json_t *el;
	size_t i;

	json_array_foreach (defs, i, el) {
		const char *t = json_get_str(el, "objectType");

		if (t && strcmp(t, obj) != 0)
			continue;
		if (pc->source_id ? json_get_str(el, "id") &&
					    !strcmp(json_get_str(el, "id"), pc->source_id)
				  : json_get_str(el, "title") &&
					    !strcmp(json_get_str(el, "title"), pc->source_title))
			return el;
	}
	return NULL;
}

static int collect_page(void *ctx, json_t *results, struct err *e)
{
	(void)e;
	json_array_extend(ctx, results);
	return 0;
}

/* One mapping to a Humaans custom field: a line, and 1 when it is a problem. */
static int check_one(const struct pipeline *p, size_t i, const json_t *hfields, const json_t *adefs,
		     struct buf *r)
{
	const struct pipeline_custom *pc = &p->custom[i];
	const char *src = pc->source_id ? pc->source_id : pc->source_title;
	const char *ptype = pipeline_type_name(pc->type), *atype = NULL, *htype, *hsection;
	const json_t *hf, *af = NULL;
	size_t n;
	int takes;

	if (adefs) {
		af = ashby_field(adefs, pc);
		if (!af) {
			buf_addf(r,
				 "  PROBLEM  customFields[%zu].from: Ashby has no %s custom field "
				 "'%s': "
				 "create it in Ashby (Admin > Custom fields) or correct the name\n",
				 i, pipeline_object_name(pc->object), src);
			return 1;
		}
		atype = json_get_str(af, "fieldType");
		if (!transform_type_applies(pc->type, atype)) {
			buf_addf(r,
				 "  PROBLEM  customFields[%zu]: Ashby field '%s' is of type %s, "
				 "which "
				 "cannot be read as %s: change customFields[%zu].type\n",
				 i, src, atype, ptype, i);
			return 1;
		}
	}
	hf = humaans_field(hfields, pc->target, &n);
	if (!hf) {
		buf_addf(
			r,
			"  PROBLEM  customFields[%zu].to: Humaans has no custom field '%s': create "
			"it in Humaans (Settings > Custom fields, a %s field) or correct the name "
			"in pipeline.json\n",
			i, pc->target, ptype);
		return 1;
	}
	if (n > 1) {
		buf_addf(r,
			 "  PROBLEM  customFields[%zu].to: Humaans has %zu custom fields named "
			 "'%s': "
			 "rename all but one in Humaans\n",
			 i, n, pc->target);
		return 1;
	}
	htype = json_get_str(hf, "type");
	hsection = json_get_str(hf, "section");
	if (pc->section && (!hsection || strcmp(pc->section, hsection) != 0)) {
		buf_addf(r,
			 "  PROBLEM  customFields[%zu].to.section: pipeline.json says '%s' but "
			 "Humaans keeps '%s' in section '%s': correct the section (or leave it "
			 "out)\n",
			 i, pc->section, pc->target, hsection ? hsection : "(none)");
		return 1;
	}
	takes = humaans_takes(htype, pc->type);
	if (takes == 0) {
		buf_addf(
			r,
			"  PROBLEM  customFields[%zu]: Humaans field '%s' is a %s field and cannot "
			"take Ashby field '%s' (%s%ssent as %s): map an Ashby field of a "
			"matching type, or change the Humaans field's type\n",
			i, pc->target, htype, src, atype ? atype : "", atype ? ", " : "", ptype);
		return 1;
	}
	buf_addf(r, "  %s Humaans custom field '%s' (%s, %s)%s from Ashby '%s' as %s\n",
		 takes < 0 ? "note    " : "ok      ", pc->target, hsection ? hsection : "?",
		 htype ? htype : "?",
		 takes < 0 ? ": a type the tool does not know, values sent" : "", src, ptype);
	return 0;
}

int check_custom_fields(struct http_client *ashby, struct http_client *humaans,
			const struct pipeline *p, struct buf *report, int *problems, struct err *e)
{
	json_t *hfields = NULL, *adefs = NULL;
	size_t i, mapped = 0;
	int rc = 0;

	*problems = 0;
	for (i = 0; i < p->ncustom; i++)
		mapped += !p->custom[i].to_person;
	if (!mapped)
		return 0;
	buf_adds(report, "custom fields:\n");
	if ((rc = humaans_list_all(humaans, "/custom-fields", NULL, &hfields, e)) < 0)
		goto out;
	adefs = json_array();
	rc = ashby_list(ashby, "customField.list", NULL, NULL, collect_page, adefs, NULL, NULL, e);
	if (rc == ERR_PERMISSION) { /* reported above with the modules */
		err_clear(e);
		json_decref(adefs);
		adefs = NULL;
		rc = 0;
	}
	if (rc < 0)
		goto out;
	for (i = 0; i < p->ncustom; i++)
		if (!p->custom[i].to_person)
			*problems += check_one(p, i, hfields, adefs, report);
out:
	json_decref(hfields);
	json_decref(adefs);
	return rc;
}
