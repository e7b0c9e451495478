#!/bin/sh
# The nights after the first: the three-way plan (README, "Keeping Humaans and
# Ashby in sync") end to end on both emulators. After a full run:
#  - a legacy staging repo (ledger entries without a base) derives the base
#    from the last applied plan, keeps an HR edit of a phone and writes the
#    salary Ashby changed;
#  - an HR edit of one hire's phone is kept while Ashby changes that hire's
#    salary, and an Ashby phone change of another hire is written;
#  - both sides changed: a `!` field conflict, nothing written, still there
#    the next night;
#  - a re-signed offer letter is uploaded once, and a re-run changes nothing.
. "$top_srcdir/tests/lib.sh"

if [ "${PYTHON3:-no}" = no ]; then echo "1..0 # SKIP python3 not found"; exit 0; fi

start_emulators
S="$TEST_TMP/staging"
A=a1000000-0000-4000-8000-000000000001 # Olivia: legacy base, then HR edit kept
B=a1000000-0000-4000-8000-000000000002 # Zoë: Ashby phone change, then both sides
C=a1000000-0000-4000-8000-000000000003 # José: HR edit kept, re-signed letter

# py EXPR: over the Humaans state (S), the ledger (L) and the staged applications (APPS).
py() {
	"$PYTHON3" -c '
import json, sys, urllib.request
S = json.load(urllib.request.urlopen(sys.argv[1] + "/_emulator/state"))
L = json.load(open(sys.argv[2] + "/load/ledger.json"))
APPS = {a["id"]: a for a in json.load(open(sys.argv[2] + "/extract/applications.json"))}
def person(app): return [p for p in S["people"] if p["id"] == L[app]["personId"]][0]
def comps(app): return sorted(c["amount"] for c in S["compensations"] if c["personId"] == L[app]["personId"])
def docs(app): return [d for d in S["documents"] if d["personId"] == L[app]["personId"]]
def cand(app): return APPS[app]["candidate"]["id"]
r = eval(sys.argv[3])
print(r if not isinstance(r, (dict, list, bool)) else json.dumps(r, sort_keys=True))
' "$HUMAANS_URL" "$S" "$1"
}

# hr_phone APP PHONE: a person in HR edits the personal phone in Humaans (the API, as HR's tools would).
hr_phone() {
	"$PYTHON3" -c '
import json, sys, urllib.request
r = urllib.request.Request(sys.argv[1] + "/api/people/" + sys.argv[2], method="PATCH",
    data=json.dumps({"personalPhoneNumber": sys.argv[3]}).encode(),
    headers={"Content-Type": "application/json", "Authorization": "Bearer demo-token"})
urllib.request.urlopen(r).read()' "$HUMAANS_URL" "$(py "L['$1']['personId']")" "$2"
}

writes() {
	"$PYTHON3" -c '
import json, sys, urllib.request
R = json.load(urllib.request.urlopen(sys.argv[1] + "/_emulator/requests"))
print(len([r for r in R if r["method"] in ("POST", "PATCH", "DELETE")]))' "$HUMAANS_URL"
}

a2h -q init "$S" >/dev/null 2>&1; ok $? "init"
a2h -q -C "$S" run >"$TEST_TMP/run1.out" 2>&1; is $? 3 "first run creates the hires (exit 3: hires set aside)"
npeople=$(py "len(S['people'])")
is "$(py "all('base' in L[a] for a in L)")" true "apply kept a base for every hire it created"
is "$(py "L['$A']['base']['person']['personalPhoneNumber']")" "+44 20 7946 0101" "the base holds the phone sent"
is "$(py "L['$A']['base']['letter'] == [f for f in S['files'] if f['id'] == docs('$A')[0]['fileId']][0]['sha256']")" true \
	"the base holds the SHA-256 of the letter filed"

# ---- a legacy staging repo: no base in the ledger
"$PYTHON3" - "$S/load/ledger.json" <<'EOF'
import json, sys
L = json.load(open(sys.argv[1]))
for en in L.values():
    en.pop("base", None)
open(sys.argv[1], "w").write(json.dumps(L, indent=2, sort_keys=True) + "\n")
EOF
git -C "$S" -c user.name=t -c user.email=t@example.org commit -qam "ledger as an older version wrote it" ; ok $? "ledger without bases committed"
hr_phone "$A" "+44 20 7946 9999"
emulator_ctl "$ASHBY_URL" offer-edit "{\"applicationId\": \"$A\", \"salary\": {\"currencyCode\": \"GBP\", \"value\": 87000}}" >/dev/null
ok $? "Ashby: Olivia's salary changed"
a2h -C "$S" run >"$TEST_TMP/run2.out" 2>&1; is $? 3 "run after the legacy edits"
is "$(py "person('$A')['personalPhoneNumber']")" "+44 20 7946 9999" "legacy: the base is derived and HR's phone kept"
grep -q "personalPhoneNumber" "$S/plan/plan.txt"; is $? 1 "legacy: plan.txt does not mention the phone"
is "$(py "comps('$A')")" '["85000", "87000"]' "legacy: Ashby's new salary written (started: a new record)"
is "$(py "L['$A']['base']['salary']['amount'] + ' ' + L['$A']['base']['person']['personalPhoneNumber']")" "87000 +44 20 7946 0101" \
	"legacy: apply stores the derived base with the new salary"

# ---- HR edit kept, Ashby phone change written
hr_phone "$C" "+34 600 000 000"
emulator_ctl "$ASHBY_URL" offer-edit "{\"applicationId\": \"$C\", \"salary\": {\"currencyCode\": \"EUR\", \"value\": 63000}}" >/dev/null
emulator_ctl "$ASHBY_URL" candidate-edit "{\"id\": \"$(py "cand('$B')")\", \"phone\": \"+49 30 111111\"}" >/dev/null
ok $? "Ashby: Zoë's phone changed"
a2h -C "$S" run --full >"$TEST_TMP/run3.out" 2>&1; is $? 3 "run after the edits"
is "$(py "person('$C')['personalPhoneNumber']")" "+34 600 000 000" "HR's phone kept while Ashby changed José's salary"
is "$(py "comps('$C')")" '["61000", "63000"]' "José's new salary written"
is "$(py "person('$B')['personalPhoneNumber']")" "+49 30 111111" "Zoë's phone change in Ashby written"
grep -q "^~ change $B" "$S/plan/plan.txt"; ok $? "plan.txt: Zoë is a ~ change"
grep -q "personalPhoneNumber: +49 30 901820 -> +49 30 111111" "$S/plan/plan.txt"; ok $? "plan.txt: the phone before -> after"
is "$(py "person('$A')['personalPhoneNumber']")" "+44 20 7946 9999" "Olivia's HR phone still kept"

# ---- both sides changed
hr_phone "$B" "+49 30 222222"
emulator_ctl "$ASHBY_URL" candidate-edit "{\"id\": \"$(py "cand('$B')")\", \"phone\": \"+49 30 333333\"}" >/dev/null
w=$(writes)
a2h -C "$S" run --full >"$TEST_TMP/run4.out" 2>&1; is $? 3 "run with a field conflict needs attention (exit 3)"
grep -q "^!   personalPhoneNumber: changed on both sides: Ashby +49 30 333333, Humaans +49 30 222222, base +49 30 111111; nothing written" \
	"$S/plan/plan.txt"; ok $? "plan.txt: a ! line naming the field, both values and the base"
is "$(py "person('$B')['personalPhoneNumber']")" "+49 30 222222" "conflict: nothing written"
is "$(writes)" "$w" "conflict: no write at all"
git -C "$S" log -1 --format=%B --grep='^plan:' | grep -q "^Field-Conflicts: 1"
ok $? "the plan commit counts the field conflict"
a2h -C "$S" run >"$TEST_TMP/run5.out" 2>&1; is $? 3 "the next night: still needs attention"
grep -q "^!   personalPhoneNumber: changed on both sides" "$S/plan/plan.txt"; ok $? "the next night: the conflict is still in plan.txt"
is "$(writes)" "$w" "the next night: nothing written"

# ---- a re-signed offer letter
ndocs=$(py "len(S['documents'])")
sha=$(emulator_ctl "$ASHBY_URL" offer-resign "{\"applicationId\": \"$C\"}" | "$PYTHON3" -c 'import json,sys; print(json.load(sys.stdin)["sha256"])')
ok $? "Ashby: José's offer re-signed"
a2h -C "$S" run >"$TEST_TMP/run6.out" 2>&1; is $? 3 "run after the re-signed letter (the conflict still waits)"
grep -q "^    letter: sha256 .* -> .*(sha256 $sha)" "$S/plan/plan.txt"; ok $? "plan.txt: a ~ letter change"
is "$(py "len(docs('$C'))")" 2 "the new letter filed as a second document, the old one kept"
is "$(py "'$sha' in [f['sha256'] for f in S['files'] for d in docs('$C') if f['id'] == d['fileId']]")" true \
	"the new document's file is the re-signed letter"
is "$(py "L['$C']['base']['letter']")" "$sha" "the base holds the new letter"
is "$(py "len(S['documents'])")" "$((ndocs + 1))" "one document added in all"
w=$(writes)
a2h -C "$S" run >"$TEST_TMP/run7.out" 2>&1; is $? 3 "a re-run"
is "$(writes)" "$w" "a re-run writes nothing"
is "$(py "len(docs('$C'))")" 2 "a re-run uploads nothing again"
is "$(py "len(S['people'])")" "$npeople" "no person created or deleted after the first run"

# ---- a hire who has not started: a correction replaces the record
D=a1000000-0000-4000-8000-000000000004 # Łukasz: start moved into the future, then a new salary
emulator_ctl "$ASHBY_URL" offer-edit "{\"applicationId\": \"$D\", \"startDate\": \"2099-06-01\"}" >/dev/null
a2h -C "$S" run >"$TEST_TMP/run8.out" 2>&1; is $? 3 "run after Łukasz's start date moved"
is "$(py "person('$D')['employmentStartDate']")" "2099-06-01" "the new start date written"
n=$(py "len(comps('$D'))")
nreq=$("$PYTHON3" -c 'import json, sys, urllib.request; print(len(json.load(urllib.request.urlopen(sys.argv[1] + "/_emulator/requests"))))' "$HUMAANS_URL")
emulator_ctl "$ASHBY_URL" offer-edit "{\"applicationId\": \"$D\", \"salary\": {\"currencyCode\": \"EUR\", \"value\": 70000}}" >/dev/null
a2h -C "$S" run >"$TEST_TMP/run9.out" 2>&1; is $? 3 "run after Łukasz's new salary"
is "$(py "len(comps('$D'))")" "$n" "not started: no compensation added"
is "$(py "'70000' in comps('$D')")" true "not started: the compensation corrected to the new amount"
is "$("$PYTHON3" -c '
import json, sys, urllib.request
R = json.load(urllib.request.urlopen(sys.argv[1] + "/_emulator/requests"))[int(sys.argv[2]):]
print(" ".join(r["method"] + " " + r["path"].split("/")[2] for r in R if r["method"] != "GET"))' "$HUMAANS_URL" "$nreq")" \
	"PATCH compensations" "not started: one PATCH /compensations/:id, nothing else"

# ---- the pipeline switch: no Ashby changes once a hire has started
"$PYTHON3" -c '
import json, sys
p = json.load(open(sys.argv[1]))
p["sync"] = {"stopAtStartDate": True}
open(sys.argv[1], "w").write(json.dumps(p, indent=2) + "\n")' "$S/pipeline.json"
git -C "$S" -c user.name=t -c user.email=t@example.org commit -qam "sync.stopAtStartDate"; ok $? "pipeline: sync.stopAtStartDate on"
E=a1000000-0000-4000-8000-000000000005 # Søren: started
w=$(writes)
emulator_ctl "$ASHBY_URL" offer-edit "{\"applicationId\": \"$E\", \"salary\": {\"currencyCode\": \"GBP\", \"value\": 99000}}" >/dev/null
a2h -C "$S" run >"$TEST_TMP/run10.out" 2>&1; is $? 3 "run with the switch on"
is "$("$PYTHON3" -c 'import json, sys; print([h["salary"]["amount"] for h in json.load(open(sys.argv[1])) if h["id"] == sys.argv[2]][0])' \
	"$S/transform/new_hires.json" "$E")" 99000 "the transform has Ashby's new salary"
grep -q "^~ change $E" "$S/plan/plan.txt"; is $? 1 "started hire: no change line"
is "$(py "comps('$E')")" '["91000"]' "started hire: Ashby's salary change not written"
is "$(writes)" "$w" "nothing written"

done_testing
