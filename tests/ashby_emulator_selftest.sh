#!/bin/sh
# The Ashby emulator itself: candidate.list, the drift edits of its control API, the schema it
# serves, its error answers (invalid_input, invalid_next_cursor, sync_token_invalid, faults).
. "$top_srcdir/tests/lib.sh"
if [ "${PYTHON3:-no}" = no ]; then echo "1..0 # SKIP python3 not found"; exit 0; fi
"$PYTHON3" "$top_srcdir/tests/ashby_emulator_selftest.py" \
	"$top_srcdir/tests/ashby_emulator.py" "$top_srcdir/fixtures/demo/ashby" "$TEST_TMP"
