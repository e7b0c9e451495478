#!/bin/sh
# --jobs auto (the default) against emulators that refuse a request beyond a few
# in flight (--max-inflight: 429 with Retry-After: 1): the run halves, grows back,
# and finishes with every hire created exactly once; its tag shows the level
# reached and the time spent waiting on 429s. --jobs N pins the number; bad
# combinations are refused.
. "$top_srcdir/tests/lib.sh"

if [ "${PYTHON3:-no}" = no ]; then echo "1..0 # SKIP python3 not found"; exit 0; fi

export ASHBY2HUMAANS_RETRY_BASE_MS=20
LIMIT=3
start_ashby_emulator --max-inflight $LIMIT
start_humaans_emulator --max-inflight $LIMIT
# A little latency, so that requests overlap at the emulators however loaded the machine is.
emulator_ctl "$ASHBY_URL" faults '{"latency_ms": 30, "faults": []}' >/dev/null
emulator_ctl "$HUMAANS_URL" faults '{"latency_ms": 30}' >/dev/null
S="$TEST_TMP/staging"

# py EXPR...: each EXPR on a line, evaluated over the Humaans state (S), the transform
# (T), the ledger (L) and the two request logs (A, H); one emulator read for all.
py() {
	"$PYTHON3" -c '
import json, sys, urllib.request
S = json.load(urllib.request.urlopen(sys.argv[1] + "/_emulator/state"))
T = json.load(open(sys.argv[2] + "/transform/new_hires.json"))
L = json.load(open(sys.argv[2] + "/load/ledger.json"))
A = [json.loads(l) for l in open(sys.argv[3])]
H = [json.loads(l) for l in open(sys.argv[4])]
for x in sys.argv[5:]:
    r = eval(x)
    print(r if not isinstance(r, (dict, list, bool)) else json.dumps(r, sort_keys=True))
' "$HUMAANS_URL" "$S" "$TEST_TMP/ashby.jsonl" "$TEST_TMP/humaans.jsonl" "$@"
}
# line N: line N of $TEST_TMP/py.out
line() { sed -n "$1p" "$TEST_TMP/py.out"; }

# tag_value ERRFILE KEY: the value of KEY in the tag of the run that wrote ERRFILE.
tag_value() {
	id=$(sed -n 's/.*look closer: ashby2humaans show //p' "$1")
	git -C "$S" tag -l "run/$id" --format='%(contents)' | sed -n "s/^$2: //p"
}

a2h -q init "$S" >/dev/null 2>&1; ok $? "init"
a2h -v -C "$S" run >"$TEST_TMP/run.out" 2>"$TEST_TMP/run.err"
is $? 3 "run (default --jobs auto) against emulators allowing $LIMIT in flight finishes (exit 3: the demo's set-aside hires)"
grep -q 'rate limited (429): [0-9]* requests in flight at most' "$TEST_TMP/run.err"
ok $? "a 429 halves the level (logged with -v)"
py 'sum(1 for r in A + H if (r.get("fault") or "") == "limit:inflight" or isinstance(r.get("fault"), dict) and r["fault"].get("action") == "limit:inflight") > 0' \
	'sorted(set(len([p for p in S["people"] if (p.get("personalEmail") or "").lower() == h["person"]["personalEmail"].lower()]) for h in T))' \
	'len(L)' 'len(T) - 1' \
	'all(len([d for d in S["documents"] if d["personId"] == L[h["id"]]["personId"]]) == len(h.get("documents", [])) for h in T if h["id"] in L)' \
	'sum(1 for r in A + H if r["status"] == 429)' >"$TEST_TMP/py.out"
is "$(line 1)" true "the emulators did refuse requests beyond $LIMIT in flight"
is "$(line 2)" '[1]' "every hire is in Humaans exactly once"
is "$(line 3)" "$(line 4)" "every hire but the demo's conflict was created"
is "$(line 5)" true "every created hire has its offer letter, once"
n429=$(line 6)

is "$(tag_value "$TEST_TMP/run.err" Jobs)" "auto (at most 16)" "tag: Jobs: auto (at most 16)"
ra=$(tag_value "$TEST_TMP/run.err" Jobs-Reached-Ashby)
rh=$(tag_value "$TEST_TMP/run.err" Jobs-Reached-Humaans)
ok "$([ "${ra:-0}" -ge 4 ] && [ "$ra" -le 16 ]; echo $?)" "tag: Jobs-Reached-Ashby: $ra (from 4 up)"
ok "$([ "${rh:-0}" -ge 4 ] && [ "$rh" -le 16 ]; echo $?)" "tag: Jobs-Reached-Humaans: $rh"
is "$(tag_value "$TEST_TMP/run.err" Answers-429)" "$n429" \
	"tag: Answers-429 counts every 429 the emulators sent"
w=$(tag_value "$TEST_TMP/run.err" Wait-429-Seconds)
is "$("$PYTHON3" -c 'import sys; print(float(sys.argv[1]) >= 1.0)' "${w:-0}")" True \
	"tag: Wait-429-Seconds: $w (Retry-After: 1 honoured)"
grep -q "jobs reached: ashby $ra, humaans $rh; 429: [0-9]*, [0-9.]* s waited" "$TEST_TMP/run.err"
ok $? "the summary line names the levels reached and the 429 wait"

# --jobs N pins: never more than N in flight, so never refused.
a2h -C "$S" run --jobs 2 --full >/dev/null 2>"$TEST_TMP/run2.err"
is $? 3 "run --jobs 2 (an unchanged night, a full extract)"
is "$(tag_value "$TEST_TMP/run2.err" Jobs)" 2 "tag: Jobs: 2"
is "$(tag_value "$TEST_TMP/run2.err" Jobs-Reached-Ashby)" 2 "tag: the pinned level is the level reached"
is "$(py 'sum(1 for r in A + H if r["status"] == 429)')" "$n429" "two in flight: no 429"

a2h -C "$S" run --dry-run --jobs auto --jobs-max 2 >/dev/null 2>"$TEST_TMP/run3.err"
is $? 3 "run --jobs auto --jobs-max 2"
is "$(tag_value "$TEST_TMP/run3.err" Jobs)" "auto (at most 2)" "tag: Jobs: auto (at most 2)"
is "$(tag_value "$TEST_TMP/run3.err" Jobs-Reached-Ashby)" 2 "a ceiling under 4 is where auto starts"

a2h -C "$S" run --jobs 4 --jobs-max 8 >/dev/null 2>"$TEST_TMP/bad.err"
is $? 1 "--jobs N with --jobs-max is a usage error"
grep -q 'jobs-max goes with --jobs auto' "$TEST_TMP/bad.err"; ok $? "and says why"
a2h -C "$S" extract --jobs-max 0 >/dev/null 2>&1; is $? 1 "--jobs-max 0 is refused"
a2h -C "$S" plan --jobs many >/dev/null 2>&1; is $? 1 "--jobs many is refused"
a2h plan --help | grep -q -- '--jobs auto'; ok $? "plan --help explains --jobs auto"

done_testing
