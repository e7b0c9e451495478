#include "config.h"

#include "store/rejects.h"

#include <string.h>

#include "base/buf.h"
#include "base/jsonutil.h"
#include "store/snapshot.h"
#include "store/staging.h"

struct rejects_ctx {
	json_t *arr;
};

static int reject_row(void *vctx, char **f, size_t n, size_t line, struct err *e)
{
	struct rejects_ctx *ctx = vctx;
	json_t *r;

	(void)e;
	if (line == 1 && n && strcmp(f[0], "application_id") == 0)
		return 0;
	if (n == 0 || !*f[0])
		return 0;
	r = json_object();
	json_set_str(r, "id", f[0]);
	json_set_str(r, "candidate", n > 1 ? f[1] : "");
	json_set_str(r, "fields", n > 2 ? f[2] : "");
	json_set_str(r, "reason", n > 3 ? f[3] : "");
	json_array_append_new(ctx->arr, r);
	return 0;
}

int rejects_read(struct staging *s, json_t **out, struct err *e)
{
	struct buf b = BUF_INIT;
	struct rejects_ctx ctx;
	int rc;

	ctx.arr = json_array();
	rc = staging_read(s, REJECTS_FILE, &b, e);
	if (rc == ERR_NOTFOUND) {
		err_clear(e);
		rc = 0;
	} else if (rc == 0) {
		rc = csv_parse_text(b.data, b.len, REJECTS_FILE, reject_row, &ctx, e);
	}
	buf_release(&b);
	if (rc < 0) {
		json_decref(ctx.arr);
		return rc;
	}
	snapshot_sort_by_key(ctx.arr, "id");
	*out = ctx.arr;
	return 0;
}
