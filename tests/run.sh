#!/bin/sh
# run, the nightly entry point, end to end on both emulators: a backfill with
# apply, then an unchanged night that writes nothing, commits nothing and stays
# within the request budget.
. "$top_srcdir/tests/lib.sh"
if [ "${PYTHON3:-no}" = no ]; then echo "1..0 # SKIP python3 not found"; exit 0; fi

start_emulators
S="$TEST_TMP/s"
a2h init "$S" >/dev/null 2>&1; ok $? "init"

a2h -C "$S" run >"$TEST_TMP/out" 2>"$TEST_TMP/err"; is $? 3 "the backfill run exits 3 (hires set aside)"
tag=$(git -C "$S" tag -l 'run/*' | sort | tail -1)
git -C "$S" tag -l --format='%(contents)' "$tag" >"$TEST_TMP/tag"
grep -qx 'Command: run' "$TEST_TMP/tag"; ok $? "the run is tagged"
grep -qx 'Stage-Reached: apply' "$TEST_TMP/tag"; ok $? "it reached apply"
grep -qx 'Outcome: set-aside' "$TEST_TMP/tag"; ok $? "its outcome says hires were set aside"
grep -qx 'Hires-Extracted: 26' "$TEST_TMP/tag"; ok $? "26 hires extracted"
grep -qx 'Hires-Rejected: 2' "$TEST_TMP/tag"; ok $? "2 set aside"
grep -qx 'Conflicts: 1' "$TEST_TMP/tag"; ok $? "1 conflict, counted once"
grep -qx 'Hires-Created: 23' "$TEST_TMP/tag"; ok $? "23 created"
grep -qx 'Hires-Failed: 0' "$TEST_TMP/tag"; ok $? "none failed"
grep -q 'apply: plan .*: 23 hires to write, 1 conflict$' "$TEST_TMP/err"; ok $? "apply counts the conflict once"
grep -q "look closer: ashby2humaans show ${tag#run/}" "$TEST_TMP/err"; ok $? "the summary names the run"
is "$(git -C "$S" log --format=%s | sed 's/:.*//' | tr '\n' ' ')" "apply plan transform extract init " \
	"one commit per stage"
is "$(git -C "$S" log -1 --format='%(trailers:key=Run-Id,valueonly)' | tr -d '\n')" "${tag#run/}" \
	"the stage commits carry the run's id"

# An unchanged night: no write, no commit, at most 12 requests in all.
commits=$(git -C "$S" rev-list --count HEAD)
na=$(wc -l <"$TEST_TMP/ashby.jsonl"); nh=$(wc -l <"$TEST_TMP/humaans.jsonl")
a2h -C "$S" run >"$TEST_TMP/out" 2>"$TEST_TMP/err"; is $? 3 "the unchanged night exits 3 (still set aside)"
is "$(git -C "$S" rev-list --count HEAD)" "$commits" "it makes no commit"
is "$(git -C "$S" tag -l 'run/*' | wc -l)" 3 "only its run record (tag) is added"
ra=$(($(wc -l <"$TEST_TMP/ashby.jsonl") - na)); rh=$(($(wc -l <"$TEST_TMP/humaans.jsonl") - nh))
tail -n "+$((nh + 1))" "$TEST_TMP/humaans.jsonl" | grep -q '"method": *"\(POST\|PATCH\|DELETE\)"'
is $? 1 "it sends no write to Humaans"
is "$(tail -n "+$((na + 1))" "$TEST_TMP/ashby.jsonl" | grep -c '"candidate.list"')" 1 \
	"one candidate.list page (candidate-only changes), counted in the budget"
tail -n "+$((na + 1))" "$TEST_TMP/ashby.jsonl" | grep -q '"candidate.info"'
is $? 1 "and no candidate.info"
echo "# unchanged night: $ra Ashby requests, $rh Humaans requests"
[ $((ra + rh)) -le 12 ]; ok $? "it makes at most 12 requests in all ($((ra + rh)))"

# A second run in the same second gets its own run id.
a2h -C "$S" run --dry-run >/dev/null 2>&1 & p1=$!
wait $p1
a2h -C "$S" run --dry-run >/dev/null 2>&1
is "$(git -C "$S" tag -l 'run/*' | wc -l)" 5 "every run has its own tag"

# -q: nothing on stdout (a fresh staging repo, so that there is a plan to print);
# the outcome is in the exit status and the staging repo.
S2="$TEST_TMP/s2"
a2h init "$S2" >/dev/null 2>&1
a2h -q -C "$S2" run --dry-run >"$TEST_TMP/out" 2>"$TEST_TMP/err"; is $? 3 "run -q exits as usual"
is "$(wc -c <"$TEST_TMP/out")" 0 "run -q prints nothing on stdout"
[ -s "$S2/plan/plan.txt" ]; ok $? "run -q still writes plan/plan.txt"
a2h -C "$S2" run --dry-run >"$TEST_TMP/out" 2>/dev/null
[ -s "$TEST_TMP/out" ]; ok $? "without -q, run prints the plan on stdout"
done_testing
