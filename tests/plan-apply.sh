#!/bin/sh
# plan, apply and delete-new-hire end to end against the Humaans emulator,
# from a hand-written transform/ committed in a staging repo.
. "$top_srcdir/tests/lib.sh"

export ASHBY2HUMAANS_RETRY_BASE_MS=20
REQ="$TEST_TMP/humaans.jsonl"

# emu METHOD PATH [JSON]: a control request; prints the answer.
emu() {
	"$PYTHON3" - "$1" "$HUMAANS_URL$2" "${3:-}" <<'EOF'
import sys, urllib.request
m, u, b = sys.argv[1:4]
req = urllib.request.Request(u, data=b.encode() if b else None, method=m,
                             headers={"Content-Type": "application/json"})
sys.stdout.write(urllib.request.urlopen(req).read().decode())
EOF
}


state() { emu GET /_emulator/state >"$TEST_TMP/state.json"; }
writes() { emu GET /_emulator/requests | "$PYTHON3" -c '
import json, sys
print(sum(1 for r in json.load(sys.stdin) if r["method"] in ("POST", "PATCH", "DELETE")))'; }
# Writes in the request log file (logged as they arrive): cheap enough to poll.
wlog() { grep -cE '"method": ?"(POST|PATCH|DELETE)"' "$REQ"; }
requests() { emu GET /_emulator/requests | "$PYTHON3" -c 'import json, sys; print(len(json.load(sys.stdin)))'; }

# A staging repo holding a hand-written transform (and an offer letter).
# new_staging DIR HIRES_JSON [REJECTS_CSV]
new_staging() {
	a2h init "$1" >/dev/null 2>&1 || return 1
	mkdir -p "$1/transform" "$1/extract/files/app_olivia"
	printf '%%PDF-1.4\n%% offer letter for Olivia\n%%%%EOF\n' >"$1/extract/files/app_olivia/offer_signed.pdf"
	sha=$(sha256sum "$1/extract/files/app_olivia/offer_signed.pdf" | cut -d' ' -f1)
	printf '%s\n' "$2" | sed "s/@SHA@/$sha/" >"$1/transform/new_hires.json"
	printf 'application_id,candidate,fields,reason\n' >"$1/transform/rejects.csv"
	[ -n "${3:-}" ] && printf '%s\n' "$3" >>"$1/transform/rejects.csv"
	git -C "$1" add -A && git -C "$1" -c user.name=test -c user.email=test@localhost \
		commit -qm "transform: hand-written for the test" >/dev/null
}

OLIVIA='{
    "id": "app_olivia", "candidateId": "cand_olivia", "name": "Olivia Rose Bennett",
    "review": "split of 3 words: check the name",
    "person": {"status": "newHire", "firstName": "Olivia", "middleName": "Rose", "lastName": "Bennett",
               "personalEmail": "Olivia.Bennett@example.com", "personalPhoneNumber": "+44 20 7946 0000",
               "employmentStartDate": "2026-03-02"},
    "jobRole": {"jobTitle": "Software Engineer", "department": "Engineering"},
    "reportingTo": {"email": "GRACE.HOPPER@demo-company.com", "name": "Grace Hopper"},
    "location": {"name": "London HQ", "city": "London"},
    "salary": {"amount": "85000", "currency": "GBP", "period": "annual", "effectiveDate": "2026-03-02"},
    "customValues": [{"field": "T-shirt size", "section": "basics", "value": "M"}],
    "documents": [{"documentType": "Offer letter", "name": "offer_signed.pdf",
                   "path": "extract/files/app_olivia/offer_signed.pdf", "sha256": "@SHA@",
                   "issueDate": "2026-02-01"}]}'
LIAM='{
    "id": "app_liam", "candidateId": "cand_liam", "name": "Liam Ng",
    "person": {"status": "newHire", "firstName": "Liam", "lastName": "Ng",
               "personalEmail": "liam.ng@example.com", "employmentStartDate": "2026-04-01"},
    "jobRole": {"jobTitle": "Data Analyst", "department": "Finance"},
    "reportingTo": {"email": "nobody@demo-company.com", "name": "No Body"},
    "location": {"name": "Berlin Remote", "city": "berlin"},
    "salary": {"amount": "62000.50", "currency": "EUR", "period": "annual", "effectiveDate": "2026-04-01"}}'
CONNIE='{
    "id": "app_connie", "candidateId": "cand_connie", "name": "Connie Flict",
    "person": {"status": "newHire", "firstName": "Connie", "lastName": "Flict",
               "personalEmail": "Conflict.Person@EXAMPLE.org", "employmentStartDate": "2026-03-02"},
    "jobRole": {"jobTitle": "Designer"}}'
BAD='{
    "id": "app_bad", "candidateId": "cand_bad", "name": "Bea Baddate",
    "person": {"status": "newHire", "firstName": "Bea", "lastName": "Baddate",
               "personalEmail": "bea@example.com", "employmentStartDate": "2026-02-30"},
    "jobRole": {"jobTitle": "Tester"}}'
DEMO="[$CONNIE, $LIAM, $OLIVIA]"
REX='app_rex,Rex,lastName,one-word name has no last name'

start_humaans_emulator --now 2026-01-10T09:00:00Z
ok $? "the Humaans emulator started"

# ---- nothing to plan reads nothing -----------------------------------------
S0="$TEST_TMP/s0"
new_staging "$S0" "[]"
ok $? "empty staging repo prepared"
a2h -C "$S0" plan >"$TEST_TMP/out0" 2>"$TEST_TMP/err0"; is $? 0 "plan with no hires exits 0"
is "$(requests)" 0 "nothing to plan: no Humaans request"
grep -q "No changes" "$TEST_TMP/out0"; ok $? "empty plan says no changes"

# ---- the demo: plan ---------------------------------------------------------
S="$TEST_TMP/s1"
new_staging "$S" "$DEMO" "$REX"
ok $? "demo staging repo prepared"
emu POST /_emulator/reset >/dev/null
a2h -C "$S" plan >"$TEST_TMP/plan.out" 2>"$TEST_TMP/plan.err"; is $? 0 "plan exits 0"
cmp -s "$TEST_TMP/plan.out" "$S/plan/plan.txt"; ok $? "plan prints plan.txt (no colour off a terminal)"
grep -q '^+ .*app_olivia.*Olivia Rose Bennett.*Olivia.Bennett@example.com' "$TEST_TMP/plan.out"; ok $? "plan: + line for Olivia"
grep -q '^+ .*app_liam' "$TEST_TMP/plan.out"; ok $? "plan: + line for Liam"
grep -q '^! .*app_connie.*per-conflict-person' "$TEST_TMP/plan.out"; ok $? "plan: conflict for a person found by email ignoring case"
grep -q 'warning:.*No Body.*created without reportingTo' "$TEST_TMP/plan.out"; ok $? "plan: absent manager warned"
grep -q 'warning:.*split of 3 words' "$TEST_TMP/plan.out"; ok $? "plan: name-split review warned"
grep -q '^x app_rex.*one-word name' "$TEST_TMP/plan.out"; ok $? "plan: set-aside hire listed"
grep -q '^Plan: 2 to create, 0 to change, 1 conflict, 1 set aside' "$TEST_TMP/plan.out"; ok $? "plan: counts line"
grep -q '^app_olivia,Olivia Rose Bennett,create,jobRole.jobTitle,,Software Engineer$' "$S/plan/changes.csv"; ok $? "changes.csv: one row per field"
is "$(writes)" 0 "plan sends no write"
is "$(emu GET /_emulator/requests | "$PYTHON3" -c '
import json, sys
r = json.load(sys.stdin)
print(sum(1 for x in r if x["path"] == "/api/people"))')" 1 "plan reads people once (one page)"
emu GET /_emulator/requests | "$PYTHON3" -c '
import json, sys
bad = [x["path"] for x in json.load(sys.stdin) if x["path"].startswith("/api/people/")]
sys.exit(1 if bad else 0)'; ok $? "plan reads no person one by one"
git -C "$S" log -1 --format=%B | grep -q '^Stage: plan$'; ok $? "plan committed with Stage: plan"
a2h -C "$S" plan --detailed-exitcode >/dev/null 2>&1; is $? 2 "plan --detailed-exitcode: 2 with changes"
PLAN1=$(git -C "$S" log -1 --format=%H)

# ---- the demo: apply --------------------------------------------------------
a2h -C "$S" apply >"$TEST_TMP/apply.out" 2>"$TEST_TMP/apply.err"; is $? 3 "apply exits 3 while a hire is set aside"
state
is "$(json_py "$TEST_TMP/state.json" 'len([p for p in d["people"] if (p.get("personalEmail") or "").lower() == "olivia.bennett@example.com"])')" 1 "Olivia created once"
OLIVIA_ID=$(json_py "$TEST_TMP/state.json" '[p["id"] for p in d["people"] if p.get("personalEmail") == "Olivia.Bennett@example.com"][0]')
LIAM_ID=$(json_py "$TEST_TMP/state.json" '[p["id"] for p in d["people"] if p.get("personalEmail") == "liam.ng@example.com"][0]')
is "$(json_py "$TEST_TMP/state.json" '[[p[k] for k in ("status","firstName","middleName","lastName","personalPhoneNumber","employmentStartDate","locationId")] for p in d["people"] if p["id"] == "'"$OLIVIA_ID"'"][0]')" \
	'["newHire", "Olivia", "Rose", "Bennett", "+44 20 7946 0000", "2026-03-02", "loc-london-hq"]' "Olivia's person fields"
is "$(json_py "$TEST_TMP/state.json" '[[j["jobTitle"], j["department"], j["reportingTo"]] for j in d["jobRoles"] if j["personId"] == "'"$OLIVIA_ID"'"]')" \
	'[["Software Engineer", "Engineering", "per-grace-hopper"]]' "Olivia's job role reports to Grace"
is "$(json_py "$TEST_TMP/state.json" '[[c["compensationTypeId"], c["amount"], c["currency"], c["period"], c["effectiveDate"]] for c in d["compensations"] if c["personId"] == "'"$OLIVIA_ID"'"]')" \
	'[["cty-salary", "85000", "GBP", "annual", "2026-03-02"]]' "Olivia's salary"
is "$(json_py "$TEST_TMP/state.json" '[[x["documentTypeId"], x["name"], x["issueDate"]] for x in d["documents"] if x["personId"] == "'"$OLIVIA_ID"'"]')" \
	'[["dty-offer-letter", "offer_signed.pdf", "2026-02-01"]]' "Olivia's offer letter document"
is "$(json_py "$TEST_TMP/state.json" '[f["sha256"] for f in d["files"] for x in d["documents"] if x["personId"] == "'"$OLIVIA_ID"'" and x["fileId"] == f["id"]]')" \
	"[\"$(sha256sum "$S/extract/files/app_olivia/offer_signed.pdf" | cut -d' ' -f1)\"]" "the document's file is the staged PDF"
is "$(json_py "$TEST_TMP/state.json" '[[v["customFieldId"], v["value"]] for v in d["customValues"] if v["personId"] == "'"$OLIVIA_ID"'"]')" \
	'[["cfd-tshirt-size", "M"]]' "Olivia's custom value"
is "$(json_py "$TEST_TMP/state.json" '[[j["jobTitle"], j["reportingTo"]] for j in d["jobRoles"] if j["personId"] == "'"$LIAM_ID"'"]')" \
	'[["Data Analyst", null]]' "Liam created without reportingTo"
is "$(json_py "$TEST_TMP/state.json" '[p["locationId"] for p in d["people"] if p["id"] == "'"$LIAM_ID"'"]')" '["loc-berlin-office"]' "Liam's location by city"
is "$(json_py "$TEST_TMP/state.json" '[c["amount"] for c in d["compensations"] if c["personId"] == "'"$LIAM_ID"'"]')" '["62000.50"]' "money stays a string"
is "$(json_py "$TEST_TMP/state.json" 'len([p for p in d["people"] if (p.get("personalEmail") or "").lower() == "conflict.person@example.org"])')" 1 "conflict not created"
is "$(json_py "$S/load/ledger.json" 'sorted(d)')" '["app_liam", "app_olivia"]' "ledger holds the created hires"
is "$(json_py "$S/load/ledger.json" 'd["app_olivia"]["personId"]')" "$OLIVIA_ID" "ledger maps the application to the person"
is "$(grep -c '"phase":"begin"' "$S/load/journal.jsonl")" "$(grep -c '"phase":"end"' "$S/load/journal.jsonl")" "journal: every begin has an end"
is "$(grep -c '"phase":"begin"' "$S/load/journal.jsonl")" 7 "journal: 7 writes (5 for Olivia, 2 for Liam)"
git -C "$S" log -1 --format=%B | grep -q "^Plan-Run-Id: " ; ok $? "apply commit carries Plan-Run-Id"
git -C "$S" log -1 --format=%B | grep -q "^Created: 2$" ; ok $? "apply commit counts 2 created"

# ---- a second plan has no changes, a second apply sends no write -------------
a2h -C "$S" plan --detailed-exitcode >"$TEST_TMP/plan2.out" 2>&1; is $? 0 "second plan --detailed-exitcode: 0, no changes"
grep -q '^[+~]' "$TEST_TMP/plan2.out"; is $? 1 "second plan lists no create or change"
w=$(writes)
a2h -C "$S" apply >/dev/null 2>&1; is $? 3 "second apply exits 3 (hire still set aside)"
is "$(writes)" "$w" "second apply sends no write"
a2h -C "$S" apply --plan "$PLAN1" >"$TEST_TMP/apply3.err" 2>&1; is $? 3 "re-applying the first plan is not stale (its own hires)"
is "$(writes)" "$w" "re-applying the applied plan sends no write"

# ---- delete-new-hire ------------------------------------------------------------
a2h -C "$S" delete-new-hire per-grace-hopper >"$TEST_TMP/del.out" 2>&1; is $? 1 "delete-new-hire refuses a person not in the ledger"
grep -q 'not in the ledger' "$TEST_TMP/del.out"; ok $? "the refusal says why"
emu POST /_emulator/records '{"resource": "people", "records": ['"$(json_py "$TEST_TMP/state.json" '[dict(p, status="active", email="olivia@demo-company.com") for p in d["people"] if p["id"] == "'"$OLIVIA_ID"'"][0]')"']}' >/dev/null
a2h -C "$S" delete-new-hire app_olivia >"$TEST_TMP/del.out" 2>&1; is $? 1 "delete-new-hire refuses a person no longer newHire"
grep -q 'not newHire' "$TEST_TMP/del.out"; ok $? "the refusal names the status"
w=$(writes)
a2h -C "$S" delete-new-hire "$LIAM_ID" >"$TEST_TMP/del.out" 2>&1; is $? 0 "delete-new-hire by Humaans person id"
state
is "$(json_py "$TEST_TMP/state.json" 'len([p for p in d["people"] if p["id"] == "'"$LIAM_ID"'"]) + len([c for c in d["compensations"] if c["personId"] == "'"$LIAM_ID"'"])')" 0 "Liam and his compensation are gone"
is "$(json_py "$TEST_TMP/state.json" 'len(d["people"])')" 9 "nobody else was deleted"
is "$(( $(writes) - w ))" 2 "two deletes: the compensation, then the person"
is "$(json_py "$S/load/ledger.json" 'sorted(d)')" '["app_olivia"]' "Liam removed from the ledger"
git -C "$S" log -1 --format=%B | grep -q '^Stage: delete$'; ok $? "delete committed with Stage: delete"
grep -q '"op":"deletePerson"' "$S/load/journal.jsonl"; ok $? "delete journaled"

# ---- a stale plan is refused, nothing written ------------------------------------
emu POST /_emulator/reset >/dev/null
S2="$TEST_TMP/s2"
new_staging "$S2" "[$OLIVIA, $LIAM]"
a2h -C "$S2" plan >/dev/null 2>&1; is $? 0 "stale: plan"
emu POST /_emulator/records '{"resource": "people", "records": [{"id": "per-grace-hopper", "firstName": "Grace", "lastName": "Hopper-Changed", "email": "grace.hopper@demo-company.com", "personalEmail": "grace.hopper@example.org", "status": "active"}]}' >/dev/null
w=$(writes)
a2h -C "$S2" apply >"$TEST_TMP/stale.out" 2>&1; is $? 1 "a stale plan: apply exits 1"
grep -q 'stale.*per-grace-hopper' "$TEST_TMP/stale.out"; ok $? "the refusal says stale and names the changed person"
is "$(writes)" "$w" "a stale plan sends no write"
emu POST /_emulator/reset >/dev/null
a2h -C "$S2" plan >/dev/null 2>&1
emu POST /_emulator/records '{"resource": "people", "records": [{"id": "per-sneaky", "firstName": "O", "lastName": "B", "personalEmail": "OLIVIA.bennett@example.com", "status": "newHire", "employmentStartDate": "2026-03-02"}]}' >/dev/null
w=$(writes)
a2h -C "$S2" apply >"$TEST_TMP/stale.out" 2>&1; is $? 1 "a planned-create email now taken: apply exits 1"
grep -q 'stale.*app_olivia.*olivia.bennett@example.com' "$TEST_TMP/stale.out"; ok $? "the refusal names the application and email"
is "$(writes)" "$w" "nothing written"

# ---- an uncertain write (connection closed after the write) ----------------------
emu POST /_emulator/reset >/dev/null
S3="$TEST_TMP/s3"
new_staging "$S3" "[$OLIVIA, $LIAM]"
a2h -C "$S3" plan >/dev/null 2>&1
emu POST /_emulator/faults '{"drop_after_write": 1}' >/dev/null
a2h -C "$S3" apply --jobs 1 >"$TEST_TMP/unc.out" 2>&1; rc=$?
a2h -C "$S3" apply >>"$TEST_TMP/unc.out" 2>&1; rc2=$?
is "$rc2" 0 "apply after a dropped answer finishes (exit 0)"
state
is "$(json_py "$TEST_TMP/state.json" 'sorted([(p.get("personalEmail") or "").lower() for p in d["people"] if p["status"] == "newHire"])')" \
	'["conflict.person@example.org", "liam.ng@example.com", "olivia.bennett@example.com"]' "each hire exactly once after a dropped answer"
is "$(json_py "$TEST_TMP/state.json" 'len(d["compensations"])')" 4 "each compensation exactly once"
grep -q '"outcome":"uncertain"' "$S3/load/journal.jsonl"; ok $? "journal records the uncertain outcome"
grep -q '"phase":"lookup","planRunId".*' "$S3/load/journal.jsonl" || grep -q '"phase":"lookup"' "$S3/load/journal.jsonl"; ok $? "journal records the lookup"

# ---- an uncertain create, then a new plan: adopted, not a conflict ---------------
emu POST /_emulator/reset >/dev/null
S7="$TEST_TMP/s7"
new_staging "$S7" "[$OLIVIA, $LIAM]"
a2h -C "$S7" plan >/dev/null 2>&1
# The first POST /people is lost before Humaans sees it (the lookup finds nothing, so it is
# sent again); the second is carried out but its answer is lost: apply ends uncertain.
emu POST /_emulator/faults '{"faults": [{"method": "POST", "path": "/api/people", "action": "drop", "times": 1}, {"method": "POST", "path": "/api/people", "action": "drop_after", "skip": 1, "times": 1}]}' >/dev/null
a2h -C "$S7" apply --jobs 1 >"$TEST_TMP/adopt.out" 2>&1; is $? 1 "a create whose answer is lost: apply exits 1"
emu POST /_emulator/faults '{"clear": true}' >/dev/null
a2h -C "$S7" plan >"$TEST_TMP/adopt-plan.out" 2>&1; is $? 0 "a new plan after it"
! grep -q '^! ' "$TEST_TMP/adopt-plan.out"; ok $? "the person this tool created is not a conflict"
grep -q 'warning: Humaans person .* an earlier apply.s create for this hire got no answer: adopting it' \
	"$TEST_TMP/adopt-plan.out"; ok $? "the plan says it adopts the person"
a2h -C "$S7" apply >>"$TEST_TMP/adopt.out" 2>&1; is $? 0 "apply of the new plan finishes (exit 0)"
state
is "$(json_py "$TEST_TMP/state.json" 'sorted([(p.get("personalEmail") or "").lower() for p in d["people"] if p["status"] == "newHire"])')" \
	'["conflict.person@example.org", "liam.ng@example.com", "olivia.bennett@example.com"]' "each hire exactly once after the adoption"
is "$(json_py "$TEST_TMP/state.json" 'len(d["compensations"])')" 4 "each compensation exactly once after the adoption"
is "$(python3 -c 'import json,sys; print(sorted(json.load(open(sys.argv[1])).keys()))' "$S7/load/ledger.json")" \
	"['app_liam', 'app_olivia']" "both hires are in the ledger"

# ---- a killed apply, re-run ------------------------------------------------------
for n in 2 4 6; do
	emu POST /_emulator/reset >/dev/null
	S4="$TEST_TMP/s4-$n"
	new_staging "$S4" "[$OLIVIA, $LIAM]"
	a2h -C "$S4" plan >/dev/null 2>&1
	emu POST /_emulator/faults '{"latency_ms": 600}' >/dev/null
	base=$(wlog)
	"$ASHBY2HUMAANS" -C "$S4" apply --jobs 2 >"$TEST_TMP/kill.out" 2>&1 &
	APID=$!
	i=0
	while [ "$(wlog)" -lt $((base + n)) ] && [ $i -lt 400 ]; do sleep 0.02; i=$((i + 1)); done
	kill -9 $APID 2>/dev/null; wait $APID 2>/dev/null
	sleep 0.5
	emu POST /_emulator/faults '{"clear": true}' >/dev/null
	a2h -C "$S4" apply >"$TEST_TMP/kill2.out" 2>&1; is $? 0 "killed after write $n: re-run apply exits 0" || sed "s/^/#   /" "$TEST_TMP/kill2.out"
	grep -q '"phase":"begin"' "$S4/load/journal.jsonl"; ok $? "killed after write $n: the killed run journaled its writes"
	"$PYTHON3" - "$S4/load/journal.jsonl" <<'EOF'; ok $? "killed after write $n: every interrupted create was looked up before being sent again"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
first = lines[0]["runId"]
open_steps = {}
for l in lines:
    if l["runId"] != first or "step" not in l:
        continue
    k = (l["application"], l["step"])
    if l["phase"] == "begin":
        open_steps[k] = l["op"]
    elif l["phase"] == "end":
        open_steps.pop(k, None)
for (app, step), op in open_steps.items():
    if op in ("uploadFile",) or op.startswith("update"):
        continue
    later = [l for l in lines if l["runId"] != first and l["application"] == app and l.get("step") == step]
    if not later or later[0]["phase"] != "lookup":
        sys.exit("%s step %d (%s) was not looked up first: %r" % (app, step, op, later[:1]))
EOF
	state
	is "$(json_py "$TEST_TMP/state.json" '[len([p for p in d["people"] if p.get("personalEmail") == e]) for e in ("Olivia.Bennett@example.com", "liam.ng@example.com")]')" '[1, 1]' "killed after write $n: each person once"
	is "$(json_py "$TEST_TMP/state.json" '[len(d["compensations"]), len(d["documents"]), len(d["customValues"])]')" '[4, 1, 2]' "killed after write $n: each sub-record once"
	a2h -C "$S4" plan --detailed-exitcode >/dev/null 2>&1; is $? 0 "killed after write $n: nothing left to plan"
	test ! -e "$S4/load/ledger.pending.jsonl"; ok $? "killed after write $n: the killed run's ledger lines are in ledger.json"
done

# ---- a validation error on one hire ------------------------------------------------
emu POST /_emulator/reset >/dev/null
S5="$TEST_TMP/s5"
new_staging "$S5" "[$BAD, $LIAM, $OLIVIA]"
a2h -C "$S5" plan >/dev/null 2>&1
a2h -C "$S5" apply >"$TEST_TMP/val.out" 2>&1; is $? 3 "a hire Humaans refuses: apply exits 3"
grep -q 'app_bad (Bea Baddate).*createPerson' "$TEST_TMP/val.out"; ok $? "the failure names the application, the name and the step"
grep -q 'employmentStartDate' "$TEST_TMP/val.out"; ok $? "the failure carries the server's message"
state
is "$(json_py "$TEST_TMP/state.json" 'sorted(p["personalEmail"] for p in d["people"] if p["status"] == "newHire")')" \
	'["Olivia.Bennett@example.com", "conflict.person@example.org", "liam.ng@example.com"]' "the other hires were created"
grep '"outcome":"failed"' "$S5/load/journal.jsonl" | grep -q '"errorBody"'; ok $? "the journal keeps the raw error body"
git -C "$S5" log -1 --format=%B | grep -q '^Failed: 1$'; ok $? "apply commit counts 1 failed"

done_testing
