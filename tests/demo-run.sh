#!/bin/sh
# The demo: both API emulators on loopback with the bundled demo organisation,
# then the nightly flow a people-ops team follows: init, run --dry-run, read the
# plan, apply, log. Usage: tests/demo-run.sh [PATH-TO-ashby2humaans]
# Leaves the staging repo in ./demo-staging for a look around (git log, show, export).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
A=${1:-$top/build/ashby2humaans}
case "$A" in /*) ;; *) A="$(pwd)/$A" ;; esac
PY=${PYTHON3:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/a2h-demo.XXXXXX")
STAGING=${DEMO_STAGING:-$(pwd)/demo-staging}

"$PY" "$top/tests/ashby_emulator.py" --org "$top/fixtures/demo/ashby" \
	--port-file "$work/ashby.port" >"$work/ashby.log" 2>&1 &
apid=$!
"$PY" "$top/tests/humaans_emulator.py" --seed "$top/fixtures/demo/humaans" \
	--port-file "$work/humaans.port" >"$work/humaans.log" 2>&1 &
hpid=$!
trap 'kill $apid $hpid 2>/dev/null; wait $apid $hpid 2>/dev/null; rm -rf "$work"' EXIT
i=0
while { [ ! -s "$work/ashby.port" ] || [ ! -s "$work/humaans.port" ]; } && [ $i -lt 300 ]; do
	sleep 0.1; i=$((i + 1))
done
export ASHBY_BASE_URL="http://127.0.0.1:$(cat "$work/ashby.port")"
export HUMAANS_BASE_URL="http://127.0.0.1:$(cat "$work/humaans.port")/api"
export ASHBY_API_KEY=demo-key-full HUMAANS_API_TOKEN=demo-token

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
# Exit status 3 (hires set aside for a person to fix) is part of the demo, not a failure.
run() { step "$@"; "$@" || { rc=$?; [ "$rc" -eq 3 ] || exit "$rc"; echo "(exit 3: hires set aside, see the plan)"; }; }

rm -rf "$STAGING"
run "$A" init "$STAGING"
run "$A" -C "$STAGING" check
run "$A" -C "$STAGING" run --dry-run
step "cat $STAGING/transform/rejects.csv"; cat "$STAGING/transform/rejects.csv"
run "$A" -C "$STAGING" apply
run "$A" -C "$STAGING" run
run "$A" -C "$STAGING" log
step "git -C $STAGING log --oneline"; git -C "$STAGING" log --oneline
echo
echo "demo done: the staging repo is $STAGING (try: $A -C $STAGING show latest)"
