#include "config.h"

#include "store/pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "base/buf.h"
#include "base/xalloc.h"

/* The default table: target, the Ashby source it reads, and whether Humaans requires it. */
static const struct {
	const char *name;
	const char *source;
	bool required;
} field_table[PF__COUNT] = {
	[PF_START_DATE] = { "employmentStartDate", "offer.startDate", true },
	[PF_FIRST_NAME] = { "firstName", "candidate.name.first", true },
	[PF_MIDDLE_NAME] = { "middleName", "candidate.name.middle", false },
	[PF_LAST_NAME] = { "lastName", "candidate.name.last", true },
	[PF_PERSONAL_EMAIL] = { "personalEmail", "candidate.personalEmail", true },
	[PF_PERSONAL_PHONE] = { "personalPhoneNumber", "candidate.personalPhone", false },
	[PF_JOB_TITLE] = { "jobTitle", "job.title", true },
	[PF_DEPARTMENT] = { "department", "department.name", false },
	[PF_REPORTING_TO] = { "reportingTo", "hiringManager.email", false },
	[PF_LOCATION] = { "location", "location", false },
	[PF_SALARY] = { "salary", "offer.salary", false },
};

static const char *const type_names[] = {
	[PT_TEXT] = "text",	    [PT_NUMBER] = "number", [PT_DATE] = "date",
	[PT_BOOLEAN] = "boolean",   [PT_SELECT] = "select", [PT_MULTISELECT] = "multiSelect",
	[PT_CURRENCY] = "currency",
};

static const char *const object_names[] = {
	[PO_CANDIDATE] = "Candidate",
	[PO_APPLICATION] = "Application",
	[PO_JOB] = "Job",
	[PO_OFFER] = "Offer",
};

static const char *const periods[] = { "annual", "monthly", "hourly", NULL };

/* Writable text fields of a Humaans person that the default table does not fill. */
const char *const pipeline_person_targets[] = { "preferredName",     "email",
						"phoneNumber",	     "remoteCity",
						"remoteCountryCode", NULL };

const char *pipeline_field_name(enum pipeline_field f)
{
	return (unsigned)f < PF__COUNT ? field_table[f].name : "?";
}

const char *pipeline_field_source(enum pipeline_field f)
{
	return (unsigned)f < PF__COUNT ? field_table[f].source : "?";
}

const char *pipeline_type_name(enum pipeline_type t)
{
	return (unsigned)t <= PT_CURRENCY ? type_names[t] : "?";
}

const char *pipeline_object_name(enum pipeline_object o)
{
	return (unsigned)o <= PO_OFFER ? object_names[o] : "?";
}

const char *pipeline_sha256_hex(const struct pipeline *p)
{
	return p->sha256;
}

/* Context for messages: the file name and the dotted path of the key at hand. */
struct pctx {
	const char *what;
	struct err *e;
};

__attribute__((format(printf, 3, 4))) static int bad(struct pctx *c, const char *path,
						     const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path && *path)
		return err_set(c->e, ERR_INVALID, "%s: %s: %s", c->what, path, msg);
	return err_set(c->e, ERR_INVALID, "%s: %s", c->what, msg);
}

/* "a, b, c or d" */
static void list_words(struct buf *b, const char *const *words, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i)
			buf_adds(b, i + 1 == n ? " or " : ", ");
		buf_adds(b, words[i]);
	}
}

static size_t count_words(const char *const *words)
{
	size_t n = 0;

	while (words[n])
		n++;
	return n;
}

static int index_of(const char *const *words, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (words[i] && strcmp(words[i], s) == 0)
			return (int)i;
	return -1;
}

static int check_keys(struct pctx *c, const char *path, const json_t *obj,
		      const char *const *allowed)
{
	const char *key;
	json_t *v;
	size_t n = count_words(allowed);

	json_object_foreach ((json_t *)obj, key, v) {
		if (index_of(allowed, n, key) < 0) {
			struct buf b = BUF_INIT;
			int rc;

			list_words(&b, allowed, n);
			rc = bad(c, "", "%s%s%s: unknown key (expected %s)", path, *path ? "." : "",
				 key, b.data);
			buf_release(&b);
			return rc;
		}
	}
	return 0;
}

static int get_bool(struct pctx *c, const char *path, const json_t *obj, const char *key, bool dflt,
		    bool *out)
{
	json_t *v = json_object_get(obj, key);

	*out = dflt;
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return bad(c, "", "%s.%s: expected true or false", path, key);
	*out = json_is_true(v);
	return 0;
}

/* A non-empty string at key, or `dflt` when absent (NULL dflt: required). Copied into *out. */
static int get_str(struct pctx *c, const char *path, const json_t *obj, const char *key,
		   const char *dflt, char **out)
{
	json_t *v = json_object_get(obj, key);
	const char *s;

	*out = NULL;
	if (!v) {
		if (!dflt)
			return bad(c, "", "%s%s%s: missing", path, *path ? "." : "", key);
		*out = xstrdup(dflt);
		return 0;
	}
	s = json_string_value(v);
	if (!json_is_string(v) || !*s)
		return bad(c, "", "%s%s%s: expected a non-empty string", path, *path ? "." : "",
			   key);
	*out = xstrdup(s);
	return 0;
}

static int parse_field(struct pctx *c, struct pipeline *p, enum pipeline_field f, const json_t *v)
{
	static const char *const keys[] = { "from", "enabled", "required", NULL };
	static const char *const salary_keys[] = { "from", "enabled", "required", "period", NULL };
	const char *name = field_table[f].name;
	char path[64];
	json_t *from;
	bool enabled, required;
	int rc;

	snprintf(path, sizeof(path), "fields.%s", name);
	if (!json_is_object(v))
		return bad(c, path, "expected an object");
	if ((rc = check_keys(c, path, v, f == PF_SALARY ? salary_keys : keys)) < 0)
		return rc;
	from = json_object_get(v, "from");
	if (from &&
	    (!json_is_string(from) || strcmp(json_string_value(from), field_table[f].source) != 0))
		return bad(c, "", "%s.from: unknown Ashby source '%s' (%s reads '%s')", path,
			   json_is_string(from) ? json_string_value(from) : "(not a string)", name,
			   field_table[f].source);
	if ((rc = get_bool(c, path, v, "enabled", true, &enabled)) < 0 ||
	    (rc = get_bool(c, path, v, "required", field_table[f].required, &required)) < 0)
		return rc;
	if (field_table[f].required && !enabled)
		return bad(c, "", "%s.enabled: %s is required and cannot be switched off", path,
			   name);
	if (field_table[f].required && !required)
		return bad(c, "",
			   "%s.required: %s is required by Humaans and cannot be made optional",
			   path, name);
	if (required && !enabled)
		return bad(c, path, "%s cannot be both required and switched off", name);
	p->fields[f].enabled = enabled;
	p->fields[f].required = required;
	if (f == PF_SALARY) {
		free(p->salary_period);
		if ((rc = get_str(c, path, v, "period", "annual", &p->salary_period)) < 0)
			return rc;
		if (index_of(periods, count_words(periods), p->salary_period) < 0)
			return bad(c, "",
				   "%s.period: unknown period '%s' (expected annual, monthly or "
				   "hourly)",
				   path, p->salary_period);
	}
	return 0;
}

static int parse_fields(struct pctx *c, struct pipeline *p, const json_t *fields)
{
	const char *key;
	json_t *v;
	int rc;

	if (!json_is_object(fields))
		return bad(c, "fields", "expected an object");
	json_object_foreach ((json_t *)fields, key, v) {
		int f;

		for (f = 0; f < PF__COUNT; f++)
			if (strcmp(field_table[f].name, key) == 0)
				break;
		if (f == PF__COUNT) {
			struct buf b = BUF_INIT;
			const char *names[PF__COUNT];
			int i;

			for (i = 0; i < PF__COUNT; i++)
				names[i] = field_table[i].name;
			list_words(&b, names, PF__COUNT);
			rc = bad(c, "",
				 "fields.%s: unknown Humaans target '%s' (expected %s; map other "
				 "fields under customFields)",
				 key, key, b.data);
			buf_release(&b);
			return rc;
		}
		if ((rc = parse_field(c, p, (enum pipeline_field)f, v)) < 0)
			return rc;
	}
	return 0;
}

/* {"title": ...} or {"id": ...}, exactly one. */
static int parse_source_ref(struct pctx *c, const char *path, const json_t *v, char **id,
			    char **title)
{
	bool has_id = json_object_get(v, "id") != NULL;
	bool has_title = json_object_get(v, "title") != NULL;
	int rc;

	if (has_id == has_title)
		return bad(c, path,
			   has_id ? "give 'title' or 'id', not both"
				  : "name the Ashby custom field by 'title' or 'id'");
	if (has_id)
		rc = get_str(c, path, v, "id", NULL, id);
	else
		rc = get_str(c, path, v, "title", NULL, title);
	return rc;
}

static int parse_custom(struct pctx *c, struct pipeline *p, size_t i, const json_t *v)
{
	static const char *const keys[] = { "from", "to", "type", "required", NULL };
	static const char *const from_keys[] = { "object", "title", "id", NULL };
	static const char *const to_keys[] = { "customField", "section", "personField", NULL };
	struct pipeline_custom *pc = &p->custom[i];
	char path[64], sub[80];
	json_t *from, *to, *type;
	char *s = NULL;
	int rc, k;

	snprintf(path, sizeof(path), "customFields[%zu]", i);
	if (!json_is_object(v))
		return bad(c, path, "expected an object");
	if ((rc = check_keys(c, path, v, keys)) < 0)
		return rc;

	from = json_object_get(v, "from");
	snprintf(sub, sizeof(sub), "%s.from", path);
	if (!json_is_object(from))
		return bad(c, sub, from ? "expected an object" : "missing");
	if ((rc = check_keys(c, sub, from, from_keys)) < 0 ||
	    (rc = get_str(c, sub, from, "object", NULL, &s)) < 0)
		goto out;
	k = index_of(object_names, 4, s);
	if (k < 0) {
		rc = bad(c, "",
			 "%s.object: unknown Ashby object '%s' (expected Candidate, Application, "
			 "Job or Offer)",
			 sub, s);
		goto out;
	}
	pc->object = (enum pipeline_object)k;
	if ((rc = parse_source_ref(c, sub, from, &pc->source_id, &pc->source_title)) < 0)
		goto out;

	to = json_object_get(v, "to");
	snprintf(sub, sizeof(sub), "%s.to", path);
	if (!json_is_object(to)) {
		rc = bad(c, sub, to ? "expected an object" : "missing");
		goto out;
	}
	if ((rc = check_keys(c, sub, to, to_keys)) < 0)
		goto out;
	if (json_object_get(to, "personField")) {
		if (json_object_get(to, "customField")) {
			rc = bad(c, sub, "give 'customField' or 'personField', not both");
			goto out;
		}
		if (json_object_get(to, "section")) {
			rc = bad(c, "", "%s.section: a person field has no section", sub);
			goto out;
		}
		if ((rc = get_str(c, sub, to, "personField", NULL, &pc->target)) < 0)
			goto out;
		if (index_of(pipeline_person_targets, count_words(pipeline_person_targets),
			     pc->target) < 0) {
			struct buf b = BUF_INIT;

			list_words(&b, pipeline_person_targets,
				   count_words(pipeline_person_targets));
			rc = bad(c, "", "%s.personField: unknown Humaans target '%s' (expected %s)",
				 sub, pc->target, b.data);
			buf_release(&b);
			goto out;
		}
		pc->to_person = true;
	} else {
		if (!json_object_get(to, "customField")) {
			rc = bad(c, sub,
				 "name the Humaans target: 'customField' (with 'section') or "
				 "'personField'");
			goto out;
		}
		/* The section is Humaans' own (its /custom-fields definition): any name, or
		 * none; check compares it with Humaans, transform passes it along. */
		if ((rc = get_str(c, sub, to, "customField", NULL, &pc->target)) < 0 ||
		    (json_object_get(to, "section") &&
		     (rc = get_str(c, sub, to, "section", NULL, &pc->section)) < 0))
			goto out;
	}

	type = json_object_get(v, "type");
	snprintf(sub, sizeof(sub), "%s.type", path);
	if (!type) {
		rc = bad(c, sub,
			 "missing (text, number, date, boolean, select, multiSelect or currency)");
		goto out;
	}
	k = json_is_string(type) ? index_of(type_names, PT_CURRENCY + 1, json_string_value(type))
				 : -1;
	if (k < 0) {
		rc = bad(c, sub,
			 "unknown type '%s' (expected text, number, date, boolean, select, "
			 "multiSelect or currency)",
			 json_is_string(type) ? json_string_value(type) : "(not a string)");
		goto out;
	}
	pc->type = (enum pipeline_type)k;
	if (pc->to_person && pc->type != PT_TEXT && pc->type != PT_SELECT &&
	    pc->type != PT_CURRENCY) {
		rc = bad(c, sub,
			 "type '%s' cannot apply to person field '%s' (a text field: use text, "
			 "select or currency)",
			 type_names[k], pc->target);
		goto out;
	}
	if ((rc = get_bool(c, path, v, "required", false, &pc->required)) < 0)
		goto out;
out:
	free(s);
	return rc;
}

static int parse_customs(struct pctx *c, struct pipeline *p, const json_t *arr)
{
	size_t i, j;
	int rc;

	if (!json_is_array(arr))
		return bad(c, "customFields", "expected an array");
	p->ncustom = json_array_size(arr);
	p->custom = xcalloc(p->ncustom ? p->ncustom : 1, sizeof(*p->custom));
	for (i = 0; i < p->ncustom; i++) {
		if ((rc = parse_custom(c, p, i, json_array_get(arr, i))) < 0)
			return rc;
		for (j = 0; j < i; j++) {
			const struct pipeline_custom *a = &p->custom[j], *b = &p->custom[i];

			if (a->to_person == b->to_person && strcmp(a->target, b->target) == 0) {
				char path[64];

				snprintf(path, sizeof(path), "customFields[%zu].to", i);
				return bad(c, path,
					   "'%s' is already the target of customFields[%zu]",
					   b->target, j);
			}
		}
	}
	return 0;
}

static int parse_documents(struct pctx *c, struct pipeline *p, const json_t *docs)
{
	static const char *const keys[] = { "offerLetter", NULL };
	static const char *const ol_keys[] = { "enabled", "documentType", NULL };
	json_t *ol;
	int rc;

	if (!json_is_object(docs))
		return bad(c, "documents", "expected an object");
	if ((rc = check_keys(c, "documents", docs, keys)) < 0)
		return rc;
	ol = json_object_get(docs, "offerLetter");
	if (!ol)
		return 0;
	if (!json_is_object(ol))
		return bad(c, "documents.offerLetter", "expected an object");
	if ((rc = check_keys(c, "documents.offerLetter", ol, ol_keys)) < 0 ||
	    (rc = get_bool(c, "documents.offerLetter", ol, "enabled", true, &p->offer_letter)) < 0)
		return rc;
	free(p->offer_letter_type);
	return get_str(c, "documents.offerLetter", ol, "documentType", "Offer letter",
		       &p->offer_letter_type);
}

/* "sync": {"stopAtStartDate": false}: whether Ashby changes stop once a hire has started. */
static int parse_sync(struct pctx *c, struct pipeline *p, const json_t *v)
{
	static const char *const keys[] = { "stopAtStartDate", NULL };
	int rc;

	if (!json_is_object(v))
		return bad(c, "sync", "expected an object");
	if ((rc = check_keys(c, "sync", v, keys)) < 0)
		return rc;
	return get_bool(c, "sync", v, "stopAtStartDate", false, &p->stop_at_start_date);
}

/* "retention": {"days": N}: forget hires whose last run is more than N days old (run). */
static int parse_retention(struct pctx *c, struct pipeline *p, const json_t *v)
{
	static const char *const keys[] = { "days", NULL };
	const json_t *d;
	int rc;

	if (!json_is_object(v))
		return bad(c, "retention", "expected an object");
	if ((rc = check_keys(c, "retention", v, keys)) < 0)
		return rc;
	d = json_object_get(v, "days");
	if (!json_is_integer(d) || json_integer_value(d) < 1 || json_integer_value(d) > 36500)
		return bad(c, "retention.days", "expected a whole number of days from 1 to 36500");
	p->retention_days = (long)json_integer_value(d);
	return 0;
}

static int parse_legal_name(struct pctx *c, struct pipeline *p, const json_t *v)
{
	static const char *const keys[] = { "object", "title", "id", NULL };
	json_t *obj;
	int rc;

	if (!json_is_object(v))
		return bad(c, "legalNameField",
			   "expected an object such as {\"title\": \"Legal name\"}");
	if ((rc = check_keys(c, "legalNameField", v, keys)) < 0)
		return rc;
	obj = json_object_get(v, "object");
	if (obj && !(json_is_string(obj) && strcmp(json_string_value(obj), "Candidate") == 0))
		return bad(c, "legalNameField.object",
			   "the legal name must be a Candidate custom field");
	return parse_source_ref(c, "legalNameField", v, &p->legal_name_id, &p->legal_name_title);
}

/*
 * jansson's reason without the " near '<text>'" it appends: the text is the
 * file's own bytes, which a message must not echo (the position is enough).
 * Points into `jerr`.
 */
static const char *jerr_reason(json_error_t *jerr)
{
	char *near = strstr(jerr->text, " near '");

	if (near)
		*near = '\0';
	return jerr->text;
}

int pipeline_parse(struct pipeline **out, const char *data, size_t len, const char *what,
		   struct err *e)
{
	static const char *const keys[] = { "version", "hiringManagerRole", "legalNameField",
					    "fields",  "customFields",	    "documents",
					    "sync",    "retention",	    NULL };
	struct pctx c = { what, e };
	struct pipeline *p = xcalloc(1, sizeof(*p));
	json_error_t jerr;
	json_t *root = NULL, *v;
	int rc, f;

	*out = NULL;
	for (f = 0; f < PF__COUNT; f++) {
		p->fields[f].enabled = true;
		p->fields[f].required = field_table[f].required;
	}
	p->salary_period = xstrdup("annual");
	p->offer_letter = true;
	p->offer_letter_type = xstrdup("Offer letter");
	sha256_hex(data, len, p->sha256);

	/* Editors on Windows save UTF-8 with a byte order mark: skip it (the hash keeps it). */
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
		data += 3;
		len -= 3;
	}
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		rc = bad(&c, NULL, "line %d, column %d: %s", jerr.line, jerr.column,
			 jerr_reason(&jerr));
		goto out;
	}
	if (!json_is_object(root)) {
		rc = bad(&c, NULL, "expected a JSON object");
		goto out;
	}
	if ((rc = check_keys(&c, "", root, keys)) < 0)
		goto out;

	v = json_object_get(root, "version");
	if (!v) {
		rc = bad(&c, "version", "missing (expected 1)");
		goto out;
	}
	if (!json_is_integer(v) || json_integer_value(v) != 1) {
		rc = bad(&c, "version", "unsupported version (expected 1)");
		goto out;
	}
	p->version = 1;
	if ((rc = get_str(&c, "", root, "hiringManagerRole", "Hiring Manager",
			  &p->hiring_manager_role)) < 0)
		goto out;
	if ((v = json_object_get(root, "legalNameField")) && (rc = parse_legal_name(&c, p, v)) < 0)
		goto out;
	if ((v = json_object_get(root, "fields")) && (rc = parse_fields(&c, p, v)) < 0)
		goto out;
	if ((v = json_object_get(root, "customFields")) && (rc = parse_customs(&c, p, v)) < 0)
		goto out;
	if ((v = json_object_get(root, "documents")) && (rc = parse_documents(&c, p, v)) < 0)
		goto out;
	if ((v = json_object_get(root, "sync")) && (rc = parse_sync(&c, p, v)) < 0)
		goto out;
	if ((v = json_object_get(root, "retention")) && (rc = parse_retention(&c, p, v)) < 0)
		goto out;
	*out = p;
	p = NULL;
out:
	json_decref(root);
	pipeline_free(p);
	return rc;
}

int pipeline_load(struct pipeline **out, const char *path, struct err *e)
{
	struct buf b = BUF_INIT;
	char chunk[8192];
	const char *base = strrchr(path, '/');
	struct stat st;
	FILE *f;
	size_t n;
	int fd, rc = 0;

	*out = NULL;
	base = base ? base + 1 : path;
	/* Never through a symbolic link: a parse error would describe another file. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ELOOP)
		return err_set(e, ERR_INVALID, "%s: refusing to read it through a symbolic link",
			       path);
	if (fd < 0)
		return err_set(e, errno == ENOENT ? ERR_NOTFOUND : ERR_IO, "%s: %s", path,
			       strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, ERR_INVALID, "%s: not a regular file", path);
	}
	f = fdopen(fd, "rb");
	if (!f) {
		close(fd);
		return err_set(e, ERR_IO, "%s: %s", path, strerror(errno));
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	if (ferror(f))
		rc = err_set(e, ERR_IO, "%s: read error", path);
	fclose(f);
	if (rc == 0)
		rc = pipeline_parse(out, b.data, b.len, base, e);
	buf_release(&b);
	return rc;
}

void pipeline_free(struct pipeline *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->ncustom; i++) {
		free(p->custom[i].source_id);
		free(p->custom[i].source_title);
		free(p->custom[i].target);
		free(p->custom[i].section);
	}
	free(p->custom);
	free(p->hiring_manager_role);
	free(p->salary_period);
	free(p->offer_letter_type);
	free(p->legal_name_id);
	free(p->legal_name_title);
	free(p);
}
