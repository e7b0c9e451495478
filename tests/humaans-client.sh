#!/bin/sh
# The Humaans client (src/apis/humaans.c) against the emulator: paging, $in,
# writes, validation, scopes, uploads, retries, batches; no token in any
# error, trace or log.
. "$top_srcdir/tests/lib.sh"

start_humaans_emulator

HUMAANS_TEST_TRACE=1 "$top_builddir/tests/test-humaans" >"$TEST_TMP/tap" 2>"$TEST_TMP/trace"
rc=$?
# Re-number the program's TAP into this script's stream.
while IFS= read -r line; do
	case "$line" in
	"ok "*) ok 0 "${line#ok * - }" ;;
	"not ok "*) ok 1 "${line#not ok * - }" ;;
	"#"*) echo "$line" ;;
	esac
done <"$TEST_TMP/tap"
is "$rc" 0 "test-humaans exits 0"
grep -q '^1\.\.' "$TEST_TMP/tap"; ok $? "test-humaans ran to its plan"

n=$(grep -c 'HTTP\|GET\|POST' "$TEST_TMP/trace")
[ "$n" -gt 50 ]; ok $? "the -vv trace shows the requests ($n lines)"
for t in demo-token read-only-token no-documents-token not-a-valid-token-xyz; do
	! grep -q "$t" "$TEST_TMP/trace" "$TEST_TMP/tap"; ok $? "no '$t' in the trace or the messages"
	! grep -q "$t" "$TEST_TMP/humaans.jsonl"; ok $? "no '$t' in the emulator's request log"
done
grep -qi 'authorization: <redacted>' "$TEST_TMP/trace"; ok $? "the trace redacts Authorization"
done_testing
