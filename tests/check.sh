#!/bin/sh
# check: the pipeline and the credentials' permissions, against both emulators.
. "$top_srcdir/tests/lib.sh"
if [ "${PYTHON3:-no}" = no ]; then echo "1..0 # SKIP python3 not found"; exit 0; fi

start_emulators
S="$TEST_TMP/s"
a2h init "$S" >/dev/null 2>&1; ok $? "init"

a2h -C "$S" check >"$TEST_TMP/out" 2>&1; is $? 0 "full credentials pass"
grep -q '^all permissions the pipeline needs are granted' "$TEST_TMP/out"; ok $? "and say so"
grep -q 'confidential jobs and private candidate fields' "$TEST_TMP/out"
ok $? "the reminder about the key's two toggles is printed"
n=$(grep -c '^  ok ' "$TEST_TMP/out"); is "$n" 11 "5 Ashby modules and 6 Humaans scopes are ok"

ASHBY_API_KEY=demo-key-no-offers a2h -C "$S" check >"$TEST_TMP/out" 2>&1
is $? 1 "a key lacking Offers fails"
grep -q 'MISSING  Ashby module Offers: in Ashby, Admin > Integrations > API keys > the key > tick Read on Offers' \
	"$TEST_TMP/out"; ok $? "and names Offers with where to grant it"
grep -c MISSING "$TEST_TMP/out" | grep -qx 1; ok $? "and nothing else"

HUMAANS_API_TOKEN=no-documents-token a2h -C "$S" check >"$TEST_TMP/out" 2>&1
is $? 1 "a token lacking documents:write fails"
grep -q "MISSING  Humaans scope documents:write: in Humaans" "$TEST_TMP/out"
ok $? "and names documents:write"

# Without offer letters in the pipeline, documents scopes are not needed.
sed 's/"enabled": true, "documentType"/"enabled": false, "documentType"/' "$S/pipeline.json" \
	>"$TEST_TMP/p" && cp "$TEST_TMP/p" "$S/pipeline.json"
grep -q '"enabled": false, "documentType"' "$S/pipeline.json"; ok $? "offer letters switched off"
HUMAANS_API_TOKEN=no-documents-token a2h -C "$S" check >"$TEST_TMP/out" 2>&1
is $? 0 "then a token without documents:write passes"
git -C "$S" checkout -q pipeline.json

ASHBY_API_KEY=demo-key-no-apikeys a2h -C "$S" check >"$TEST_TMP/out" 2>&1
is $? 1 "a key that cannot read its own scopes is probed module by module"
grep -q 'probing each module' "$TEST_TMP/out"; ok $? "and says so"

ASHBY_API_KEY=demo-key-deactivated a2h -C "$S" check >"$TEST_TMP/out" 2>&1
is $? 1 "a deactivated key fails"
grep -q 'wrong or deactivated' "$TEST_TMP/out"; ok $? "with a message that says so"
! grep -q 'demo-key-deactivated' "$TEST_TMP/out"; ok $? "without the key in the message"

env -u ASHBY_API_KEY "$ASHBY2HUMAANS" -C "$S" check >"$TEST_TMP/out" 2>&1
is $? 1 "no key fails"
grep -q 'ASHBY_API_KEY is not set' "$TEST_TMP/out"; ok $? "naming the variable"

# run performs the same check first and stops before extracting.
before=$(git -C "$S" rev-list --count HEAD)
n0=$(wc -l <"$TEST_TMP/ashby.jsonl")
ASHBY_API_KEY=demo-key-no-offers a2h -C "$S" run --dry-run >"$TEST_TMP/out" 2>&1
is $? 1 "run with a key lacking Offers fails"
grep -q 'missing: Ashby module Offers' "$TEST_TMP/out"; ok $? "run names the missing module"
grep -q 'nothing was extracted' "$TEST_TMP/out"; ok $? "run says nothing was extracted"
is "$(git -C "$S" rev-list --count HEAD)" "$before" "run made no commit"
tail -n "+$((n0 + 1))" "$TEST_TMP/ashby.jsonl" | grep -q '"application.list"'
is $? 1 "run sent no extract request"
git -C "$S" tag -l 'run/*' | while read -r t; do git -C "$S" tag -n20 "$t"; done | grep -q 'Outcome: failed'
ok $? "the failed run is still recorded with its outcome"

# Custom fields: checked against Humaans' own definitions (/custom-fields) and Ashby's.
cp "$S/pipeline.json" "$TEST_TMP/pipeline.orig"
"$PYTHON3" - "$S/pipeline.json" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
def m(title, target, typ, section=None):
    to = {"customField": target}
    if section:
        to["section"] = section
    return {"from": {"object": "Candidate", "title": title}, "to": to, "type": typ}
d["customFields"] = [
    m("T-shirt size", "T-shirt size", "select", "basics"),
    m("Legal name", "Shoe size", "text"),
    m("Years of experience", "Visa expiry", "number"),
    m("Legal name", "Laptop preference", "text", "basics"),
    m("Favourite colour", "Recruiter", "text"),
]
json.dump(d, open(p, "w"), indent=2)
PY
a2h -C "$S" check >"$TEST_TMP/out" 2>&1; is $? 1 "mapped custom fields Humaans cannot take fail check"
grep -q "^  ok       Humaans custom field 'T-shirt size' (basics, select) from Ashby 'T-shirt size' as select" \
	"$TEST_TMP/out"; ok $? "a field Humaans defines, in its section, with a type that takes the value, is ok"
grep -q "^  PROBLEM  customFields\[1\].to: Humaans has no custom field 'Shoe size': create it in Humaans" \
	"$TEST_TMP/out"; ok $? "a Humaans custom field that does not exist is named, with what to do"
grep -q "^  PROBLEM  customFields\[2\]: Humaans field 'Visa expiry' is a date field and cannot take Ashby field 'Years of experience' (Number, sent as number)" \
	"$TEST_TMP/out"; ok $? "an Ashby Number mapped to a Humaans date is named"
grep -q "^  PROBLEM  customFields\[3\].to.section: pipeline.json says 'basics' but Humaans keeps 'Laptop preference' in section 'employment'" \
	"$TEST_TMP/out"; ok $? "a section that disagrees with Humaans' definition is named"
grep -q "^  PROBLEM  customFields\[4\].from: Ashby has no Candidate custom field 'Favourite colour'" \
	"$TEST_TMP/out"; ok $? "an Ashby field that does not exist is named"
is "$(grep -c '^  PROBLEM' "$TEST_TMP/out")" 4 "four problems, nothing else"
grep -q "^4 custom field mappings cannot carry their value" "$TEST_TMP/out"; ok $? "and counted"
cp "$TEST_TMP/pipeline.orig" "$S/pipeline.json"

echo '{"version": 1, "fields": {"firstName": {"enabled": false}}}' >"$S/pipeline.json"
a2h -C "$S" check >"$TEST_TMP/out" 2>&1; is $? 1 "an invalid pipeline fails"
grep -q "pipeline.json: fields.firstName" "$TEST_TMP/out"; ok $? "naming the file and the key"
done_testing
