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

echo '{"version": 1, "fields": {"firstName": {"enabled": false}}}' >"$S/pipeline.json"
a2h -C "$S" check >"$TEST_TMP/out" 2>&1; is $? 1 "an invalid pipeline fails"
grep -q "pipeline.json: fields.firstName" "$TEST_TMP/out"; ok $? "naming the file and the key"
done_testing
