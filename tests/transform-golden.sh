#!/bin/sh
# Golden tests of the transform core: each fixtures/transform-*/ case holds
# extract/*.json, pipeline.json, an optional overrides.csv and expected/ with
# new_hires.json, new_hires.csv and rejects.csv (or error.txt). The outputs of
# tests/transform-golden must match expected/ byte for byte.
# The transform command (the streamed stage) must write the same bytes on a
# staging repo holding the case.
# Run with REGENERATE=1 to rewrite expected/ (then review the diff!).
. "$top_srcdir/tests/lib.sh"

golden="$top_builddir/tests/transform-golden"
for case in "$top_srcdir"/fixtures/transform-*/; do
	name=$(basename "$case")
	out="$TEST_TMP/$name"
	mkdir -p "$out"
	check "$name: transform runs" "$golden" "$case" "$out"
	if [ "${REGENERATE:-}" = 1 ]; then
		rm -rf "$case/expected"
		mkdir -p "$case/expected"
		cp "$out"/* "$case/expected/"
	fi
	want=$(cd "$case/expected" && ls | sort | tr '\n' ' ')
	got=$(cd "$out" && ls | sort | tr '\n' ' ')
	is "$got" "$want" "$name: the expected files are produced"
	for f in "$case"/expected/*; do
		b=$(basename "$f")
		if diff -u "$f" "$out/$b" >"$TEST_TMP/diff" 2>&1; then
			ok 0 "$name: $b matches"
		else
			ok 1 "$name: $b matches"
			sed 's/^/#   /' "$TEST_TMP/diff"
		fi
	done
	# Determinism: a second run gives the same bytes.
	mkdir -p "$out.2"
	"$golden" "$case" "$out.2" >/dev/null 2>&1
	check "$name: a second run gives the same bytes" diff -r "$out" "$out.2"

	# The stage, reading extract/ a record at a time.
	[ -f "$case/expected/error.txt" ] && continue
	S="$TEST_TMP/$name.staging"
	a2h -q init "$S" >/dev/null 2>&1
	mkdir -p "$S/extract"
	cp "$case"/extract/*.json "$S/extract/"
	cp "$case/pipeline.json" "$S/pipeline.json"
	[ -f "$case/overrides.csv" ] && cp "$case/overrides.csv" "$S/overrides.csv"
	a2h -q -C "$S" transform >/dev/null 2>&1
	rc=$?
	ok $([ $rc = 0 ] || [ $rc = 3 ]; echo $?) "$name: the transform command runs (exit $rc)"
	for f in "$case"/expected/*; do
		b=$(basename "$f")
		check "$name: the stage's $b matches" cmp "$f" "$S/transform/$b"
	done
done
done_testing
