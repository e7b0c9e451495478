#!/bin/sh
# The whole demo: Ashby emulator -> extract -> transform -> plan -> apply ->
# Humaans emulator. Every transformed hire ends up in Humaans exactly once
# (or is reported as a conflict), with its sub-records; a second plan has no
# changes and a second apply sends no write.
. "$top_srcdir/tests/lib.sh"

if [ "${PYTHON3:-no}" = no ]; then echo "1..0 # SKIP python3 not found"; exit 0; fi

export ASHBY2HUMAANS_RETRY_BASE_MS=20
start_emulators
HREQ="$TEST_TMP/humaans.jsonl"

# py EXPR: evaluate over the Humaans state (S), the transform (T) and the ledger (L).
py() {
	"$PYTHON3" -c '
import json, sys, urllib.request
S = json.load(urllib.request.urlopen(sys.argv[1] + "/_emulator/state"))
T = json.load(open(sys.argv[2] + "/transform/new_hires.json"))
try:
    L = json.load(open(sys.argv[2] + "/load/ledger.json"))
except OSError:
    L = {}
R = [json.loads(l) for l in open(sys.argv[3])] if __import__("os").path.exists(sys.argv[3]) else []
W = [r for r in R if r["method"] in ("POST", "PATCH", "DELETE")]
r = eval(sys.argv[4])
print(r if not isinstance(r, (dict, list, bool)) else json.dumps(r, sort_keys=True))
'  "$HUMAANS_URL" "$S" "$HREQ" "$1"
}

S="$TEST_TMP/staging"
a2h -q init "$S" >/dev/null 2>&1; ok $? "init"
a2h -q -C "$S" extract >"$TEST_TMP/out" 2>&1; ok $? "extract from the Ashby emulator"
a2h -q -C "$S" transform >"$TEST_TMP/out" 2>&1; is $? 3 "transform exits 3 (hires set aside)"
cmp -s "$S/transform/new_hires.json" "$top_srcdir/fixtures/transform-demo/expected/new_hires.json"
ok $? "the transform of a real extract equals the demo golden file"
nhires=$(py 'len(T)')
ok $([ "$nhires" -gt 10 ]; echo $?) "transform staged $nhires hires"

a2h -C "$S" plan --detailed-exitcode >"$TEST_TMP/plan.out" 2>"$TEST_TMP/plan.err"; is $? 2 "plan: changes (exit 2)"
ncreate=$(grep -c '^+ ' "$TEST_TMP/plan.out")
nconf=$(grep -c '^! ' "$TEST_TMP/plan.out")
is "$((ncreate + nconf))" "$nhires" "every transformed hire is a create or a conflict"
is "$(grep -c '^x ' "$TEST_TMP/plan.out")" 2 "both set-aside hires are listed"
is "$nconf" 1 "one conflict"
grep -q '^! conflict a1000000-0000-4000-8000-000000000025 Ewan McGregor <Conflict.Person@example.org> (Humaans per-conflict-person)' \
	"$TEST_TMP/plan.out"; ok $? "the hire whose email (in another case) a Humaans person already has is a conflict"
grep -q 'warning:.*ghost.manager@demo-company.com.*created without reportingTo' "$TEST_TMP/plan.out"; ok $? "a manager absent from Humaans is warned"
is "$(py 'len(W)')" 0 "plan writes nothing"

a2h -C "$S" apply >"$TEST_TMP/apply.out" 2>&1; is $? 3 "apply exits 3 (hires still set aside)"
is "$(py 'len([p for p in S["people"] if (p.get("personalEmail") or "").lower() == "conflict.person@example.org"])')" 1 \
	"the conflict is not created: Humaans still holds only its own person"
is "$(py 'len(L)')" "$ncreate" "the ledger holds every created hire"
is "$(py 'sorted(set(len([p for p in S["people"] if (p.get("personalEmail") or "").lower() == h["person"]["personalEmail"].lower()]) for h in T))')" '[1]' \
	"every hire is in Humaans exactly once"
is "$(py 'all(any(c["personId"] == L[h["id"]]["personId"] and c["amount"] == h["salary"]["amount"] and c["currency"] == h["salary"]["currency"] for c in S["compensations"]) for h in T if h["id"] in L and "salary" in h)')" true \
	"every created hire has its salary, amount as a string"
is "$(py 'all(len([d for d in S["documents"] if d["personId"] == L[h["id"]]["personId"]]) == len(h.get("documents", [])) for h in T if h["id"] in L)')" true \
	"every created hire has its offer letter, once"
is "$(py 'all([f["sha256"] for f in S["files"] if f["id"] == d["fileId"]] == [h["documents"][0]["sha256"]] for h in T if h["id"] in L for d in S["documents"] if d["personId"] == L[h["id"]]["personId"])')" true \
	"each document's file is the staged offer letter"
is "$(py '[[j["jobTitle"], j["reportingTo"]] for j in S["jobRoles"] if j["personId"] == L["a1000000-0000-4000-8000-000000000001"]["personId"]]')" \
	'[["Backend Engineer", "per-grace-hopper"]]' "Olivia's job role reports to Grace Hopper"

a2h -C "$S" plan --detailed-exitcode >"$TEST_TMP/plan2.out" 2>&1; is $? 0 "second plan: no changes (exit 0)"
w=$(py 'len(W)')
a2h -C "$S" apply >/dev/null 2>&1; is $? 3 "second apply exits 3 (still set aside)"
is "$(py 'len(W)')" "$w" "second apply sends no write"

# run: the transform is unchanged since its plan was applied in full: no Humaans record
# is read; only the credentials check (/me, /token-info) asks Humaans anything.
r=$(py 'len(R)')
a2h -C "$S" run >"$TEST_TMP/run.out" 2>"$TEST_TMP/run.err"; is $? 3 "run exits 3 (hires still set aside)"
is "$(py 'sorted(x["path"].split("?")[0] for x in R['"$r"':])')" '["/api/me", "/api/token-info"]' \
	"run with an unchanged transform reads nothing from Humaans but the credentials check"
grep -q 'nothing to plan' "$TEST_TMP/run.err"; ok $? "run says why it did not plan"
a2h -C "$S" run --dry-run >/dev/null 2>&1; is $? 3 "run --dry-run exits 3 too"
# A changed hire (edited in the staged transform) is planned as a change.
"$PYTHON3" - "$S/transform/new_hires.json" <<'EOF'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d[0]["jobRole"]["jobTitle"] = "Staff Engineer"
open(p, "w").write(json.dumps(d, indent=2, sort_keys=True) + "\n")
EOF
git -C "$S" -c user.name=t -c user.email=t@localhost commit -qam "transform: edited by the test"
a2h -C "$S" plan >"$TEST_TMP/plan3.out" 2>&1; is $? 0 "plan after a job title change"
grep -q '^~ .*a1000000-0000-4000-8000-000000000001' "$TEST_TMP/plan3.out"; ok $? "the change is a ~ line"
grep -q '    jobRole.jobTitle: Backend Engineer -> Staff Engineer' "$TEST_TMP/plan3.out"; ok $? "before -> after shown"
is "$(grep -c '^[+~] ' "$TEST_TMP/plan3.out")" 1 "only that hire changes"
is "$(grep -c '^! ' "$TEST_TMP/plan3.out")" 1 "the unresolved conflict is still reported"
a2h -C "$S" apply >/dev/null 2>&1; is $? 3 "apply the change"
is "$(py '[j["jobTitle"] for j in sorted(S["jobRoles"], key=lambda j: j["effectiveDate"]) if j["personId"] == L["a1000000-0000-4000-8000-000000000001"]["personId"]][-1]')" "Staff Engineer" \
	"a new job role carries the new title"
a2h -C "$S" plan --detailed-exitcode >/dev/null 2>&1; is $? 0 "and nothing is left to change"
done_testing
