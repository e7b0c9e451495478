/*
 * transform-golden CASE_DIR OUT_DIR: run transform_records on a golden case
 * (CASE_DIR/extract/<name>.json for each input, CASE_DIR/pipeline.json and
 * the optional CASE_DIR/overrides.csv) and write OUT_DIR/new_hires.json,
 * new_hires.csv and rejects.csv exactly as the stage writes them. When the
 * transform fails, writes OUT_DIR/error.txt (the message) instead and exits 0,
 * so an expected failure can be a golden file too. tests/transform-golden.sh
 * compares the outputs with CASE_DIR/expected/ byte for byte.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "store/pipeline.h"
#include "store/snapshot.h"
#include "stages/transform.h"

static int read_file(const char *path, struct buf *out)
{
	char chunk[8192];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(out, chunk, n);
	fclose(f);
	return 0;
}

static int write_file(const char *dir, const char *name, const char *data, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "transform-golden: cannot write %s\n", path);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct err e = ERR_INIT;
	struct buf b = BUF_INIT, out = BUF_INIT;
	struct pipeline *p = NULL;
	struct overrides *ov = NULL;
	json_t *x = json_object(), *hires = NULL, *rejects = NULL;
	char path[4096];
	size_t i;
	int rc = 0, status = 1;

	if (argc != 3) {
		fprintf(stderr, "usage: transform-golden CASE_DIR OUT_DIR\n");
		return 2;
	}
	for (i = 0; transform_inputs[i]; i++) {
		json_t *v = NULL;

		snprintf(path, sizeof(path), "%s/extract/%s.json", argv[1], transform_inputs[i]);
		buf_reset(&b);
		if (read_file(path, &b) == ERR_NOTFOUND)
			continue;
		if ((rc = snapshot_parse(b.data, b.len, path, &v, &e)) < 0)
			goto out;
		json_object_set_new(x, transform_inputs[i], v);
	}
	snprintf(path, sizeof(path), "%s/pipeline.json", argv[1]);
	if ((rc = pipeline_load(&p, path, &e)) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/overrides.csv", argv[1]);
	buf_reset(&b);
	if (read_file(path, &b) == 0 &&
	    (rc = overrides_parse(&ov, b.data, b.len, "overrides.csv", &e)) < 0)
		goto out;
	if ((rc = transform_records(p, x, ov, &hires, &rejects, &e)) < 0)
		goto out;
	if ((rc = snapshot_dump(hires, &out, &e)) < 0)
		goto out;
	status = write_file(argv[2], "new_hires.json", out.data, out.len);
	buf_reset(&out);
	transform_hires_csv(hires, &out);
	status |= write_file(argv[2], "new_hires.csv", out.data, out.len);
	buf_reset(&out);
	transform_rejects_csv(rejects, &out);
	status |= write_file(argv[2], "rejects.csv", out.data, out.len);
out:
	if (rc < 0) {
		buf_reset(&out);
		buf_addf(&out, "%s\n", e.msg);
		status = write_file(argv[2], "error.txt", out.data, out.len);
	}
	json_decref(hires);
	json_decref(rejects);
	json_decref(x);
	overrides_free(ov);
	pipeline_free(p);
	buf_release(&b);
	buf_release(&out);
	return status;
}
