#!/bin/sh
# A change Ashby reports once is never passed by (issue 12, finding 1): after a
# full run, an offer's salary changes; the next run's candidate.info answers
# HTTP 200 with truncated JSON, so the hire is set aside (exit 3) and owed a
# re-read while the sync tokens move on; the following ordinary run reads it
# again and the new salary reaches Humaans.
. "$top_srcdir/tests/lib.sh"
if [ "${PYTHON3:-no}" = no ]; then echo "1..0 # SKIP python3 not found"; exit 0; fi

APP1=a1000000-0000-4000-8000-000000000001
OFFER1=0f000000-0000-4000-8000-000000000001
CAND1=ca000000-0000-4000-8000-000000000001

start_emulators
S="$TEST_TMP/s"
a2h init "$S" >/dev/null 2>&1; ok $? "init"

# comps AMOUNT: how many salary records of that amount (GBP) Humaans holds.
comps() {
	emulator_ctl "$HUMAANS_URL" state | "$PYTHON3" -c 'import json, sys
s = json.load(sys.stdin)
c = s["compensations"]
c = c.values() if isinstance(c, dict) else c
print(len([r for r in c if str(r.get("amount")) == sys.argv[1] and r.get("currency") == "GBP"]))' "$1"
}
owed() { # the application ids state.json owes a re-read
	"$PYTHON3" -c 'import json, sys
print(sorted(json.load(open(sys.argv[1])).get("owed", {})))' "$S/extract/state.json"
}
tagline() { # tagline KEY: the value of KEY in the latest run's tag
	t=$(git -C "$S" tag -l 'run/*' | sort | tail -1)
	git -C "$S" tag -l --format='%(contents)' "$t" | sed -n "s/^$1: //p"
}

a2h -C "$S" run >"$TEST_TMP/out" 2>&1; is $? 3 "the first run (two hires rejected by transform) exits 3"
is "$(comps 85000)" 1 "the salary is in Humaans"
is "$(tagline Hires-Owed)" 0 "nothing owed"

emulator_ctl "$ASHBY_URL" mutate '{"collection": "offers", "id": "'$OFFER1'", "set": {"latestVersion.salary.value": 91234}}' >/dev/null
emulator_ctl "$ASHBY_URL" faults '{"faults": [{"path": "candidate.info", "malformed": true, "times": 1}]}' >/dev/null
tok=$("$PYTHON3" -c 'import json, sys; print(json.load(open(sys.argv[1]))["syncTokens"]["offer.list"])' "$S/extract/state.json")
a2h -C "$S" run >"$TEST_TMP/out" 2>&1; is $? 3 "a truncated candidate.info answer: exit 3"
grep -q "$APP1.*set aside.*not a JSON object" "$TEST_TMP/out"; ok $? "the hire is set aside with the reason"
grep -q "application '$APP1' will be read again on the next run" "$TEST_TMP/out"; ok $? "it says it will be read again"
grep -q "hires found, [1-9][0-9]* set aside" "$TEST_TMP/out"; ok $? "the summary counts it"
is "$(tagline Hires-Owed)" 1 "the run's tag counts it"
is "$(owed)" "['$APP1']" "state.json owes it a re-read"
tok2=$("$PYTHON3" -c 'import json, sys; print(json.load(open(sys.argv[1]))["syncTokens"]["offer.list"])' "$S/extract/state.json")
test "$tok" != "$tok2"; ok $? "the offer.list sync token moved on (other hires are not held back)"
is "$(comps 91234)" 0 "the new salary is not in Humaans yet"
grep -q '"value": 85000' "$S/extract/offers.json"; ok $? "the last staged offer is kept meanwhile"

n=$(wc -l <"$TEST_TMP/ashby.jsonl")
a2h -C "$S" run >"$TEST_TMP/out" 2>&1; is $? 3 "the next ordinary run exits 3 (the two rejected hires only)"
tail -n "+$((n + 1))" "$TEST_TMP/ashby.jsonl" | grep -c '"endpoint": "application.info"' >"$TEST_TMP/n"
is "$(cat "$TEST_TMP/n")" 1 "the owed hire is read again by application.info"
tail -n "+$((n + 1))" "$TEST_TMP/ashby.jsonl" | grep '"endpoint": "candidate.info"' | grep -q "$CAND1"
ok $? "and its candidate again"
is "$(owed)" "[]" "it leaves the owed list"
is "$(tagline Hires-Owed)" 0 "the tag owes nothing"
grep -q '"value": 91234' "$S/extract/offers.json"; ok $? "the new offer is staged"
is "$(comps 91234)" 1 "the new salary is in Humaans"

a2h -C "$S" run >"$TEST_TMP/out" 2>&1; is $? 3 "a further run"
is "$(comps 91234)" 1 "writes the salary once only"
done_testing
