#!/bin/sh
# The Humaans emulator itself: validation rules, scopes, lists, faults, request log.
. "$top_srcdir/tests/lib.sh"
"$PYTHON3" "$top_srcdir/tests/humaans_emulator_selftest.py" \
	"$top_srcdir/tests/humaans_emulator.py" "$top_srcdir/fixtures/demo/humaans" "$TEST_TMP"
