# tests/lib.sh: helpers for the shell tests (TAP output, temp dirs).
# Sourced by tests/*.sh; expects $ASHBY2HUMAANS, $top_srcdir, $top_builddir.
set -u

tap_n=0
tap_failed=0
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/a2h-test.XXXXXX")
trap 'tap_cleanup' EXIT

tap_cleanup() {
	[ -n "${TEST_CLEANUP:-}" ] && eval "$TEST_CLEANUP"
	stop_ashby_emulator
	stop_humaans_emulator
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

# json_py FILE EXPR: a Python expression over the JSON in FILE (as d), printed (a list,
# dict or bool as canonical JSON).
json_py() {
	"$PYTHON3" - "$1" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
r = eval(sys.argv[2])
print(r if not isinstance(r, (dict, list, bool)) else json.dumps(r, sort_keys=True))
EOF
}

# The API emulators on loopback, one way for every shell test. Each runs on an
# ephemeral port, logs its requests to $TEST_TMP/ashby.jsonl or humaans.jsonl and its
# own diagnostics to $TEST_TMP/ashby-emulator.err or humaans-emulator.err, and is
# stopped at exit (or by stop_ashby_emulator / stop_humaans_emulator).

# wait_port_file FILE: the port an emulator wrote to FILE (waits up to 30 s).
wait_port_file() {
	i=0
	while [ ! -s "$1" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	cat "$1"
}

# start_emulator NAME SCRIPT DATA_OPTION DATA_DIR [ARGS...]: one emulator, its port in
# $TEST_TMP/NAME.port; prints its PID. Used by the two below.
start_emulator() {
	name=$1 script=$2 dataopt=$3 data=$4
	shift 4
	rm -f "$TEST_TMP/$name.port"
	"$PYTHON3" "$top_srcdir/tests/$script" "$dataopt" "$data" \
		--port-file "$TEST_TMP/$name.port" --requests "$TEST_TMP/$name.jsonl" "$@" \
		>>"$TEST_TMP/$name-emulator.err" 2>&1 &
	echo $!
}

# start_ashby_emulator [ARGS...]: organisation $ASHBY_ORG (default the demo), extra
# emulator ARGS passed on. Sets ASHBY_URL (control calls) and ASHBY_PID; exports
# ASHBY_BASE_URL and the demo key.
start_ashby_emulator() {
	ASHBY_PID=$(start_emulator ashby ashby_emulator.py --org \
		"${ASHBY_ORG:-$top_srcdir/fixtures/demo/ashby}" "$@")
	ASHBY_URL="http://127.0.0.1:$(wait_port_file "$TEST_TMP/ashby.port")"
	export ASHBY_BASE_URL="$ASHBY_URL" ASHBY_API_KEY=demo-key-full
}

# start_humaans_emulator [ARGS...]: seed $HUMAANS_SEED (default the demo), extra
# emulator ARGS passed on. Sets HUMAANS_URL (control calls) and HUMAANS_PID; exports
# HUMAANS_BASE_URL and the demo token.
start_humaans_emulator() {
	HUMAANS_PID=$(start_emulator humaans humaans_emulator.py --seed \
		"${HUMAANS_SEED:-$top_srcdir/fixtures/demo/humaans}" "$@")
	HUMAANS_URL="http://127.0.0.1:$(wait_port_file "$TEST_TMP/humaans.port")"
	export HUMAANS_BASE_URL="$HUMAANS_URL/api" HUMAANS_API_TOKEN=demo-token
}

stop_ashby_emulator() {
	[ -n "${ASHBY_PID:-}" ] && { kill "$ASHBY_PID" 2>/dev/null; wait "$ASHBY_PID" 2>/dev/null; }
	ASHBY_PID=
}
stop_humaans_emulator() {
	[ -n "${HUMAANS_PID:-}" ] && { kill "$HUMAANS_PID" 2>/dev/null; wait "$HUMAANS_PID" 2>/dev/null; }
	HUMAANS_PID=
}

# start_emulators: both, with short retry pacing for the tool.
start_emulators() {
	start_ashby_emulator
	start_humaans_emulator
	export ASHBY2HUMAANS_RETRY_BASE_MS="${ASHBY2HUMAANS_RETRY_BASE_MS:-5}"
}

# emulator_ctl URL PATH [JSON]: a control call (POST with JSON, else GET); prints the answer.
emulator_ctl() {
	"$PYTHON3" -c 'import sys, urllib.request
d = sys.argv[3].encode() if len(sys.argv) > 3 else None
r = urllib.request.Request(sys.argv[1] + "/_emulator/" + sys.argv[2], data=d,
                           headers={"Content-Type": "application/json"})
sys.stdout.write(urllib.request.urlopen(r).read().decode())' "$@"
}
