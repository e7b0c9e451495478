# tests/lib.sh: helpers for the shell tests (TAP output, temp dirs).
# Sourced by tests/*.sh; expects $ASHBY2HUMAANS, $top_srcdir, $top_builddir.
set -u

tap_n=0
tap_failed=0
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/a2h-test.XXXXXX")
trap 'tap_cleanup' EXIT

tap_cleanup() {
	[ -n "${TEST_CLEANUP:-}" ] && eval "$TEST_CLEANUP"
	rm -rf "$TEST_TMP"
}

ok() { # ok COND_EXIT_STATUS DESCRIPTION
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		tap_failed=$((tap_failed + 1))
		echo "not ok $tap_n - $2"
	fi
}

check() { # check DESCRIPTION CMD...: passes when CMD exits 0
	desc=$1; shift
	if "$@" >"$TEST_TMP/check.out" 2>&1; then ok 0 "$desc"; else
		ok 1 "$desc"; sed 's/^/#   /' "$TEST_TMP/check.out"; fi
}

is() { # is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then ok 0 "$3"; else
		ok 1 "$3"; echo "#   got:  '$1'"; echo "#   want: '$2'"; fi
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

a2h() { "$ASHBY2HUMAANS" "$@"; }

# start_emulators: the Ashby emulator (organisation $ASHBY_ORG, default the demo) and the
# Humaans emulator (seed $HUMAANS_SEED, default the demo) on loopback, stopped at exit.
# Exports ASHBY_BASE_URL, HUMAANS_BASE_URL and the demo credentials; sets ASHBY_URL and
# HUMAANS_URL (for control calls) and logs requests to $TEST_TMP/ashby.jsonl, humaans.jsonl.
start_emulators() {
	rm -f "$TEST_TMP/ashby.port" "$TEST_TMP/humaans.port"
	"$PYTHON3" "$top_srcdir/tests/ashby_emulator.py" \
		--org "${ASHBY_ORG:-$top_srcdir/fixtures/demo/ashby}" \
		--port-file "$TEST_TMP/ashby.port" --requests "$TEST_TMP/ashby.jsonl" &
	ASHBY_PID=$!
	"$PYTHON3" "$top_srcdir/tests/humaans_emulator.py" \
		--seed "${HUMAANS_SEED:-$top_srcdir/fixtures/demo/humaans}" \
		--port-file "$TEST_TMP/humaans.port" --requests "$TEST_TMP/humaans.jsonl" &
	HUMAANS_PID=$!
	TEST_CLEANUP='kill $ASHBY_PID $HUMAANS_PID 2>/dev/null; wait $ASHBY_PID $HUMAANS_PID 2>/dev/null'
	i=0
	while { [ ! -s "$TEST_TMP/ashby.port" ] || [ ! -s "$TEST_TMP/humaans.port" ]; } &&
	      [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	ASHBY_URL="http://127.0.0.1:$(cat "$TEST_TMP/ashby.port")"
	HUMAANS_URL="http://127.0.0.1:$(cat "$TEST_TMP/humaans.port")"
	export ASHBY_BASE_URL="$ASHBY_URL" HUMAANS_BASE_URL="$HUMAANS_URL/api"
	export ASHBY_API_KEY=demo-key-full HUMAANS_API_TOKEN=demo-token
	export ASHBY2HUMAANS_RETRY_BASE_MS=5
}

# emulator_ctl URL PATH [JSON]: a control call (POST with JSON, else GET); prints the answer.
emulator_ctl() {
	"$PYTHON3" -c 'import sys, urllib.request
d = sys.argv[3].encode() if len(sys.argv) > 3 else None
r = urllib.request.Request(sys.argv[1] + "/_emulator/" + sys.argv[2], data=d,
                           headers={"Content-Type": "application/json"})
sys.stdout.write(urllib.request.urlopen(r).read().decode())' "$@"
}
