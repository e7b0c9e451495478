/*
 * pipeline: load and validate pipeline.json, the mapping from Ashby to Humaans.
 *
 * The format is documented in doc/pipeline.md. Validation is strict: an
 * unknown key, an unknown Ashby source or Humaans target, an unknown type, a type conversion that cannot apply, a required field switched off
 * and a duplicate key are all errors whose message names the file and the
 * offending key as a dotted path:
 *
 *   pipeline.json: fields.firstName.enabled: firstName is required and cannot be switched off
 *   pipeline.json: customFields[2].type: unknown type 'string' (expected text, number, ...)
 *
 * What a pipeline cannot know (whether an Ashby custom field exists, and its
 * type) is checked by transform against extract/custom_fields.json; whether
 * a Humaans custom field exists, its section and its type come from Humaans'
 * own definitions (/custom-fields), which `check` compares with the mapping.
 */
#ifndef PIPELINE_H
#define PIPELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"
#include "base/hash.h"

/* The default table of mapped fields, in the order of the pipeline file. */
enum pipeline_field {
	PF_START_DATE,	   /* employmentStartDate <- offer.startDate (required) */
	PF_FIRST_NAME,	   /* firstName <- candidate.name.first (required) */
	PF_MIDDLE_NAME,	   /* middleName <- candidate.name.middle */
	PF_LAST_NAME,	   /* lastName <- candidate.name.last (required) */
	PF_PERSONAL_EMAIL, /* personalEmail <- candidate.personalEmail (required) */
	PF_PERSONAL_PHONE, /* personalPhoneNumber <- candidate.personalPhone */
	PF_JOB_TITLE,	   /* jobTitle <- job.title (required) */
	PF_DEPARTMENT,	   /* department <- department.name */
	PF_REPORTING_TO,   /* reportingTo <- hiringManager.email */
	PF_LOCATION,	   /* location <- location */
	PF_SALARY,	   /* salary <- offer.salary */
	PF__COUNT
};

enum pipeline_type {
	PT_TEXT,
	PT_NUMBER,
	PT_DATE,
	PT_BOOLEAN,
	PT_SELECT,
	PT_MULTISELECT,
	PT_CURRENCY
};

enum pipeline_object { PO_CANDIDATE, PO_APPLICATION, PO_JOB, PO_OFFER };

struct pipeline_field_map {
	bool enabled;
	bool required; /* a missing value sets the hire aside */
};

/* One entry of "customFields". */
struct pipeline_custom {
	enum pipeline_object object;
	char *source_id;    /* Ashby custom field id, or NULL */
	char *source_title; /* Ashby custom field title, or NULL (one of the two is set) */
	bool to_person;	    /* target is a Humaans person field (else a Humaans custom field) */
	char *target;	    /* person field name or Humaans custom field name */
	char *section; /* the Humaans section the pipeline names (any: Humaans defines them), or NULL
			* (none named, or a person field); a cross-check, never a closed list */
	enum pipeline_type type;
	bool required;
};

struct pipeline {
	int version;
	char *hiring_manager_role; /* default "Hiring Manager" */
	struct pipeline_field_map fields[PF__COUNT];
	char *salary_period; /* annual, monthly or hourly */
	struct pipeline_custom *custom;
	size_t ncustom;
	bool offer_letter;	 /* documents.offerLetter.enabled */
	char *offer_letter_type; /* documents.offerLetter.documentType */
	char *legal_name_id;	 /* legalNameField: a Candidate custom field, or both NULL */
	char *legal_name_title;
	bool stop_at_start_date; /* sync.stopAtStartDate: no Ashby changes once a hire has started */
	long retention_days;	 /* "retention": {"days": N}: run forgets older hires; 0 = off */
	char sha256[65];	 /* of the file's bytes */
};

/*
 * Parse and validate a pipeline from `len` bytes at `data`; `what` names the
 * file in messages ("pipeline.json"). *out is the caller's (pipeline_free).
 * ERR_INVALID on any problem.
 */
int pipeline_parse(struct pipeline **out, const char *data, size_t len, const char *what,
		   struct err *e);
/* Read `path` and pipeline_parse() it, naming the file by its base name. ERR_NOTFOUND when absent. */
int pipeline_load(struct pipeline **out, const char *path, struct err *e);
void pipeline_free(struct pipeline *p);

/* The SHA-256 of the pipeline file's bytes (borrowed, valid while p lives). */
const char *pipeline_sha256_hex(const struct pipeline *p);

/* Names: "employmentStartDate", "text", "Candidate". Static strings. */
const char *pipeline_field_name(enum pipeline_field f);
/* The Ashby source a field reads ("offer.startDate"). */
const char *pipeline_field_source(enum pipeline_field f);
const char *pipeline_type_name(enum pipeline_type t);
const char *pipeline_object_name(enum pipeline_object o);

/* Humaans person fields a custom field may map to (NULL-terminated). */
extern const char *const pipeline_person_targets[];

#endif
