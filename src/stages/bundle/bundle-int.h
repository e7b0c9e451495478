/*
 * bundle-int: what the files of src/stages/bundle/ share and nobody else sees
 * (only files in that folder include it). The public interface is bundle.h.
 *
 *   bundle-contents.c  the bundle in memory: files, commits, stages, run time
 *   bundle-manifest.c  MANIFEST lines, MANIFEST.json and README
 *   bundle-write.c     the .tar.gz or .zip, written through a temp file
 *   bundle-verify.c    checking a bundle against its manifests
 *   bundle-collect.c   filling a bundle from the staging repo
 */
#ifndef BUNDLE_INT_H
#define BUNDLE_INT_H

#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"
#include "stages/bundle.h"

/* Every file of a bundle lives under BUNDLE_TOP_PREFIX "<run-id>/". */
#define BUNDLE_TOP_PREFIX "ashby2humaans-"

/* Append the README of `b` to `out`. */
void bundle_readme_build(const struct bundle *b, struct buf *out);
/*
 * Append MANIFEST.json to `out`: the run, its commits and stage sources, and
 * the size and sha256 of `files` (sorted, borrowed; README included).
 */
int bundle_manifest_json_build(const struct bundle *b, struct bundle_file *const *files,
			       size_t nfiles, struct buf *out, struct err *e);

#endif
