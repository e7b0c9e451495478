#include "config.h"

#include "stages/run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "base/buf.h"
#include "apis/http.h"
#include "apis/humaans.h"
#include "base/log.h"
#include "store/erase.h"
#include "stages/review.h"
#include "store/staging.h"
#include "base/xalloc.h"

double run_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

bool run_parse_jobs(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 64)
		return false;
	*out = (int)v;
	return true;
}

bool run_parse_rps(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < 0)
		return false;
	*out = v;
	return true;
}

int run_begin(struct run *r, const struct config *cfg, const char *command,
	      const struct run_opts *opts, struct err *e)
{
	return run_begin_wait(r, cfg, command, opts, 0, e);
}

int run_begin_wait(struct run *r, const struct config *cfg, const char *command,
		   const struct run_opts *opts, long lock_wait_ms, struct err *e)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->cfg = cfg;
	snprintf(r->command, sizeof(r->command), "%s", command);
	if (opts)
		r->opts = *opts;
	if (r->opts.jobs < 1) {
		r->opts.jobs = RUN_JOBS_MAX_DEFAULT;
		r->opts.jobs_pinned = false;
	}
	rc = staging_open_wait(&r->stg, cfg->staging_dir, lock_wait_ms, e);
	if (rc < 0)
		return rc;
	rc = staging_new_run_id(r->stg, r->id, sizeof(r->id), e);
	if (rc < 0) {
		staging_close(r->stg);
		r->stg = NULL;
		return rc;
	}
	r->started = time(NULL);
	r->t0 = run_now();
	log_verbose("run %s: %s in %s", r->id, command, staging_path(r->stg));
	return 0;
}

/* The test suite shortens retry pacing through the configuration (ASHBY2HUMAANS_RETRY_BASE_MS). */
static void client_tune(const struct config *cfg, struct http_client *c)
{
	if (cfg->retry_base_ms > 0)
		http_client_set_backoff(c, cfg->retry_base_ms, cfg->retry_base_ms * 20);
}

int run_client_ashby(const struct config *cfg, const struct run_opts *ro, struct http_client **out,
		     struct err *e)
{
	static const char *const headers[] = { "Accept: application/json", NULL };
	struct http_opts o;
	char *plain, *auth;
	unsigned char *b64;
	size_t n;
	int rc;

	*out = NULL;
	if (!cfg->ashby_api_key || !*cfg->ashby_api_key)
		return err_set(e, ERR_AUTH,
			       "ASHBY_API_KEY is not set: export the Ashby API key (Admin, "
			       "Integrations, API keys) in the environment");
	/* HTTP Basic: the key is the user name, the password is empty. */
	plain = xasprintf("%s:", cfg->ashby_api_key);
	n = strlen(plain);
	b64 = xmalloc(4 * ((n + 2) / 3) + 1);
	EVP_EncodeBlock(b64, (const unsigned char *)plain, (int)n);
	auth = xasprintf("Basic %s", (char *)b64);
	memset(&o, 0, sizeof(o));
	o.name = "ashby";
	o.base_url = cfg->ashby_base_url;
	o.jobs = ro->jobs > 0 ? ro->jobs : RUN_JOBS_MAX_DEFAULT;
	o.adapt = !ro->jobs_pinned;
	o.max_rps = ro->max_rps;
	o.authorization = auth;
	o.headers = headers;
	o.request_id_header = "x-ashby-request-id";
	rc = http_client_new(out, &o, e);
	/* Scrub the copies of the key: the client keeps its own. */
	memset(plain, 0, n);
	memset(b64, 0, strlen((char *)b64));
	memset(auth, 0, strlen(auth));
	free(plain);
	free(b64);
	free(auth);
	if (rc < 0)
		return rc;
	client_tune(cfg, *out);
	return 0;
}

int run_client_humaans(const struct config *cfg, const struct run_opts *ro,
		       struct http_client **out, struct err *e)
{
	int rc;

	*out = NULL;
	if (!cfg->humaans_token || !*cfg->humaans_token)
		return err_set(e, ERR_AUTH,
			       "HUMAANS_API_TOKEN is not set: export a Humaans API token "
			       "(Settings, API access) in the environment");
	rc = humaans_client_new(out, cfg->humaans_base_url, cfg->humaans_token,
				ro->jobs > 0 ? ro->jobs : RUN_JOBS_MAX_DEFAULT, !ro->jobs_pinned,
				ro->max_rps, e);
	if (rc < 0)
		return rc;
	client_tune(cfg, *out);
	return 0;
}

int run_ashby(struct run *r, struct http_client **out, struct err *e)
{
	int rc = 0;

	if (!r->ashby)
		rc = run_client_ashby(r->cfg, &r->opts, &r->ashby, e);
	*out = r->ashby;
	return rc;
}

int run_humaans(struct run *r, struct http_client **out, struct err *e)
{
	int rc = 0;

	if (!r->humaans)
		rc = run_client_humaans(r->cfg, &r->opts, &r->humaans, e);
	*out = r->humaans;
	return rc;
}

static unsigned long client_requests(const struct http_client *c)
{
	struct http_stats st;

	if (!c)
		return 0;
	http_client_stats(c, &st);
	return st.requests;
}

/* The most requests a client allowed in flight (0: no client), its 429s and their pauses. */
struct run_jobs {
	int ashby, humaans;
	unsigned long answers_429;
	double wait_429;
};

static void run_jobs_get(const struct run *r, struct run_jobs *out)
{
	struct http_stats st;

	memset(out, 0, sizeof(*out));
	if (r->ashby) {
		http_client_stats(r->ashby, &st);
		out->ashby = st.jobs_reached;
		out->answers_429 += st.answers_429;
		out->wait_429 += st.wait_429_seconds;
	}
	if (r->humaans) {
		http_client_stats(r->humaans, &st);
		out->humaans = st.jobs_reached;
		out->answers_429 += st.answers_429;
		out->wait_429 += st.wait_429_seconds;
	}
}

/* The tag's lines on requests in flight: the mode, the levels reached, the 429s. */
static void run_jobs_tag(const struct run *r, const struct run_jobs *j, struct buf *msg)
{
	if (r->opts.jobs_pinned)
		buf_addf(msg, "Jobs: %d\n", r->opts.jobs);
	else
		buf_addf(msg, "Jobs: auto (at most %d)\n", r->opts.jobs);
	buf_addf(msg,
		 "Jobs-Reached-Ashby: %d\nJobs-Reached-Humaans: %d\nAnswers-429: %lu\n"
		 "Wait-429-Seconds: %.3f\n",
		 j->ashby, j->humaans, j->answers_429, j->wait_429);
}

void run_stage_done(struct run *r, const char *stage)
{
	unsigned long a = client_requests(r->ashby), h = client_requests(r->humaans);
	struct run_stage_requests *s = NULL;
	int i;

	snprintf(r->stage_reached, sizeof(r->stage_reached), "%s", stage);
	for (i = 0; i < r->nstage_requests; i++)
		if (strcmp(r->stage_requests[i].stage, stage) == 0)
			s = &r->stage_requests[i];
	if (!s &&
	    r->nstage_requests < (int)(sizeof(r->stage_requests) / sizeof(r->stage_requests[0]))) {
		s = &r->stage_requests[r->nstage_requests++];
		snprintf(s->stage, sizeof(s->stage), "%s", stage);
	}
	if (s) {
		/* A client freed and made again would restart its count: never go negative. */
		s->ashby += a >= r->counted_ashby ? a - r->counted_ashby : a;
		s->humaans += h >= r->counted_humaans ? h - r->counted_humaans : h;
	}
	r->counted_ashby = a;
	r->counted_humaans = h;
}

/* "Extract" from "extract", for the tag's Requests-<Stage>-<API> keys. */
static void stage_title(char *dst, size_t n, const char *stage)
{
	snprintf(dst, n, "%s", stage);
	if (dst[0] >= 'a' && dst[0] <= 'z')
		dst[0] = (char)(dst[0] - 'a' + 'A');
}

/* " (extract 216, plan 3)": the stages that made requests to one API, for the summary. */
static void stage_breakdown(const struct run *r, bool humaans, char *dst, size_t n)
{
	size_t len = 0;
	int i, shown = 0;

	dst[0] = '\0';
	if (r->nstage_requests < 2)
		return; /* one stage: the total says it all */
	for (i = 0; i < r->nstage_requests && len < n; i++) {
		unsigned long v =
			humaans ? r->stage_requests[i].humaans : r->stage_requests[i].ashby;

		if (!v)
			continue;
		len += (size_t)snprintf(dst + len, n - len, "%s%s %lu", shown ? ", " : " (",
					r->stage_requests[i].stage, v);
		shown++;
	}
	if (shown && len < n)
		snprintf(dst + len, n - len, ")");
}

/* Commands whose exit status reports hires set aside (DESIGN.md). */
static bool reports_set_aside(const char *command)
{
	return strcmp(command, "extract") == 0 || strcmp(command, "transform") == 0 ||
	       strcmp(command, "run") == 0 || strcmp(command, "apply") == 0;
}

static void one_line(char *dst, size_t n, const char *src)
{
	size_t i;

	snprintf(dst, n, "%s", src);
	for (i = 0; dst[i]; i++)
		if (dst[i] == '\n' || dst[i] == '\r')
			dst[i] = ' ';
}

int run_end(struct run *r, int rc, struct err *e)
{
	const struct run_counts *c = &r->counts;
	struct buf msg = BUF_INIT;
	struct err terr = ERR_INIT;
	char started[32], errline[ERR_MSG_MAX], by_a[160], by_h[160];
	const char *outcome;
	unsigned long req_a = client_requests(r->ashby), req_h = client_requests(r->humaans);
	double dur = run_now() - r->t0;
	struct run_jobs jobs;
	struct tm tm;
	int status;

	if (!r->stg)
		return EXIT_FAILURE_;
	run_jobs_get(r, &jobs);
	if (rc < 0) {
		outcome = "failed";
		status = EXIT_FAILURE_;
	} else if ((c->rejected > 0 || c->owed > 0 || c->failed > 0 || c->left_hired > 0) &&
		   reports_set_aside(r->command)) {
		outcome = "set-aside";
		status = EXIT_SET_ASIDE;
	} else {
		outcome = "ok";
		status = EXIT_OK;
	}
	gmtime_r(&r->started, &tm);
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_addf(&msg, "run %s: %s\n\n", r->id, outcome);
	buf_addf(&msg, "Command: %s\nStarted: %s\nDuration: %.3f\nStage-Reached: %s\nOutcome: %s\n",
		 r->command, started, dur, r->stage_reached[0] ? r->stage_reached : "none",
		 outcome);
	if (rc < 0) {
		one_line(errline, sizeof(errline), e->msg);
		buf_addf(&msg, "Error: %s\n", errline);
	}
	buf_addf(&msg,
		 "Hires-Extracted: %ld\nHires-Owed: %ld\nHires-Rejected: %ld\nHires-Planned: %ld\n"
		 "Conflicts: %ld\nHires-Left-Hired: %ld\n"
		 "Hires-Created: %ld\nHires-Changed: %ld\nHires-Failed: %ld\nHires-Deleted: %ld\n"
		 "Requests-Ashby: %lu\nRequests-Humaans: %lu\n",
		 c->extracted, c->owed, c->rejected, c->planned, c->conflicts, c->left_hired,
		 c->created, c->changed, c->failed, c->deleted, req_a, req_h);
	for (int i = 0; i < r->nstage_requests; i++) {
		char title[16];

		stage_title(title, sizeof(title), r->stage_requests[i].stage);
		buf_addf(&msg, "Requests-%s-Ashby: %lu\nRequests-%s-Humaans: %lu\n", title,
			 r->stage_requests[i].ashby, title, r->stage_requests[i].humaans);
	}
	run_jobs_tag(r, &jobs, &msg);
	if (r->plan_run_id[0])
		buf_addf(&msg, "Plan-Run-Id: %s\n", r->plan_run_id);
	if (r->tag_note)
		buf_addf(&msg, "%s", r->tag_note);

	if (rc < 0)
		log_error("%s", e->msg);
	if (staging_tag_run(r->stg, r->id, msg.data, &terr) < 0) {
		log_error("could not record run %s: %s", r->id, terr.msg);
		status = EXIT_FAILURE_;
	}
	stage_breakdown(r, false, by_a, sizeof(by_a));
	stage_breakdown(r, true, by_h, sizeof(by_h));
	log_info("%s %s: %s; %ld hires found, %ld set aside, %ld planned, %ld created, "
		 "%ld failed; requests: ashby %lu%s, humaans %lu%s; jobs reached: ashby %d, "
		 "humaans %d; 429: %lu, %.1f s waited; %.1f s",
		 r->command, r->id, outcome, c->extracted + c->owed_unstaged, c->rejected + c->owed,
		 c->planned, c->created, c->failed, req_a, by_a, req_h, by_h, jobs.ashby,
		 jobs.humaans, jobs.answers_429, jobs.wait_429, dur);
	log_info("look closer: ashby2humaans show %s", r->id);
	review_notify_run(r, status); /* never changes the status */

	buf_release(&msg);
	http_client_free(r->ashby);
	http_client_free(r->humaans);
	r->ashby = r->humaans = NULL;
	staging_close(r->stg);
	r->stg = NULL;
	return status;
}

int run_retention(struct run *r, long days, struct err *e)
{
	struct erase_opts o = { 0 };
	struct erase_result res;
	char before[16], today[16], started[32], id[48], reason[96];
	time_t now = time(NULL), cut = now - (time_t)days * 86400;
	struct tm tm;
	int rc;

	gmtime_r(&now, &tm);
	strftime(today, sizeof(today), "%Y-%m-%d", &tm);
	strftime(started, sizeof(started), "%Y-%m-%dT%H:%M:%SZ", &tm);
	gmtime_r(&cut, &tm);
	strftime(before, sizeof(before), "%Y-%m-%d", &tm);
	snprintf(reason, sizeof(reason), "retention: pipeline.json keeps %ld days", days);
	/* This run's own tag is written at its end: the erasure's id must differ. */
	if ((rc = staging_new_run_id_besides(r->stg, r->id, id, sizeof(id), e)) < 0)
		return rc;
	o.before = before;
	o.reason = reason;
	o.today = today;
	o.started = started;
	o.run_id = id;
	if ((rc = erase_forget(r->stg, &o, &res, e)) < 0) {
		err_prefix(e, "retention (hires last run before %s)", before);
		return rc;
	}
	if (res.hires)
		log_info("retention: %ld hires last run before %s forgotten (run %s)", res.hires,
			 before, id);
	return 0;
}
