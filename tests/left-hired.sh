#!/bin/sh
# Hires that leave `Hired`, end to end on both emulators: a created hire whose
# application is archived is flagged in plan.txt with the delete-new-hire
# command and needs attention (exit 3) every night, is never deleted by the
# tool, becomes informational once acknowledged in overrides.csv, and is gone
# from Humaans (person, documents, files) after the printed command; a hire
# archived before it was created leaves the creates with a line saying why.
. "$top_srcdir/tests/lib.sh"
if [ "${PYTHON3:-no}" = no ]; then echo "1..0 # SKIP python3 not found"; exit 0; fi

OLIVIA=a1000000-0000-4000-8000-000000000001 # created on the first night, with an offer letter
MADONNA=a1000000-0000-4000-8000-000000000009 # single-word name: fixed by an override
PRIYA=a1000000-0000-4000-8000-000000000014   # no accepted offer: set aside, never created

state() { emulator_ctl "$HUMAANS_URL" state >"$TEST_TMP/state.json"; }
# Humaans writes logged since line $1 of the request log (method and path, one a line).
writes_since() {
	tail -n "+$(($1 + 1))" "$TEST_TMP/humaans.jsonl" | "$PYTHON3" -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["method"] in ("POST", "PATCH", "DELETE"):
        print(r["method"], r["path"])'
}
hlines() { wc -l <"$TEST_TMP/humaans.jsonl"; }
last_tag() {
	git -C "$S" tag -l --format='%(contents)' "$(git -C "$S" tag -l 'run/*' | sort | tail -1)"
}

start_emulators
S="$TEST_TMP/s"
a2h init "$S" >/dev/null 2>&1; ok $? "init"
printf 'application_id,field,value\n%s,lastName,Ciccone\n' "$MADONNA" >"$S/overrides.csv"

# ---- night 1: the backfill ------------------------------------------------------------
a2h -C "$S" run >"$TEST_TMP/out" 2>"$TEST_TMP/err"; is $? 3 "night 1: exit 3 (one hire set aside)"
is "$(grep -c "^$PRIYA," "$S/transform/rejects.csv")" 1 "night 1: Priya is set aside (no accepted offer)"
state
PID=$(json_py "$S/load/ledger.json" "d['$OLIVIA']['personId']")
FILES=$(json_py "$S/load/ledger.json" "' '.join(d['$OLIVIA']['fileIds'])")
DOCS=$(json_py "$S/load/ledger.json" "' '.join(d['$OLIVIA']['documentIds'])")
is "$(json_py "$TEST_TMP/state.json" "len([p for p in d['people'] if p['id'] == '$PID' and p['status'] == 'newHire'])")" 1 \
	"night 1: Olivia created as a new hire"
[ -n "$FILES" ] && [ -n "$DOCS" ]; ok $? "night 1: her offer letter uploaded (a file and a document in the ledger)"

# ---- night 2: Olivia's and Priya's applications archived in Ashby ------------------------
for app in "$OLIVIA" "$PRIYA"; do
	emulator_ctl "$ASHBY_URL" application-status \
		"{\"applicationId\": \"$app\", \"status\": \"Archived\"}" >/dev/null
done
h=$(hlines)
a2h -C "$S" run >"$TEST_TMP/out2" 2>"$TEST_TMP/err2"; is $? 3 "night 2: exit 3 (a created hire left Hired)"
cp "$S/plan/plan.txt" "$TEST_TMP/plan2.txt"
last_tag >"$TEST_TMP/tag2"
grep -qx 'Hires-Left-Hired: 1' "$TEST_TMP/tag2"; ok $? "night 2: the run tag counts one hire left Hired"
grep -qx 'Hires-Rejected: 0' "$TEST_TMP/tag2"; ok $? "night 2: nothing else set aside (the attention is the left hire's)"
grep -qx 'Outcome: set-aside' "$TEST_TMP/tag2"; ok $? "night 2: outcome needs attention"
grep -q "^! left-hired $OLIVIA .*(Humaans $PID): no longer .*Humaans still holds new hire $PID: nothing was deleted" \
	"$TEST_TMP/plan2.txt"; ok $? "plan.txt: a '!' line says Olivia left Hired and is still in Humaans"
grep -qx "    to delete it from Humaans: ashby2humaans delete-new-hire $OLIVIA" "$TEST_TMP/plan2.txt"
ok $? "plan.txt: the exact delete-new-hire command"
grep -q "$OLIVIA,acknowledge,left-hired" "$TEST_TMP/plan2.txt"; ok $? "plan.txt: the acknowledgement row"
grep -q '^Left Hired: 1 created hire is no longer Hired' "$TEST_TMP/plan2.txt"; ok $? "plan.txt: the closing count"
grep -q "ashby2humaans delete-new-hire $OLIVIA" "$TEST_TMP/out2"; ok $? "run prints the plan with the command"
grep -q "^$OLIVIA,Olivia Bennett,left-hired,command,\"\",ashby2humaans delete-new-hire $OLIVIA\$" "$S/plan/changes.csv"
ok $? "changes.csv: a row with the command"
is "$(json_py "$S/plan/plan.json" "[(o['action'], o['command'], o['acknowledged']) for o in d['operations'] if o['id'] == '$OLIVIA']")" \
	"[[\"left-hired\", \"ashby2humaans delete-new-hire $OLIVIA\", false]]" "plan.json: the left-hired operation"
is "$(git -C "$S" log -1 --format='%(trailers:key=Left-Hired,valueonly)' "$(git -C "$S" log --format=%H --grep='^plan:' -1)" | tr -d '\n')" \
	1 "the plan commit carries Left-Hired: 1"
state
is "$(json_py "$TEST_TMP/state.json" "len([p for p in d['people'] if p['id'] == '$PID'])")" 1 "night 2: Olivia is still in Humaans"
is "$(writes_since "$h")" "" "night 2: nothing written to Humaans (the tool never deletes)"
is "$(json_py "$S/load/ledger.json" "'$OLIVIA' in d")" true "night 2: still in the ledger"
grep "$PRIYA" "$TEST_TMP/plan2.txt" | grep -qv '^\* departed '; is $? 1 \
	"night 2: Priya only as a departure in the plan (neither set aside nor created)"

# ---- a hire archived before it was created leaves the creates, with why --------------------
# extract/departed.json (DRIFT-DESIGN §3) lists this extract's departures.
grep -q "$PRIYA" "$S/extract/departed.json"; ok $? "extract/departed.json lists Priya"
a2h -C "$S" plan >/dev/null 2>&1; is $? 0 "plan with extract/departed.json"
grep -q "^\\* departed $PRIYA: left the creates: no longer Hired in Ashby (status now Archived).* before this tool created it in Humaans; nothing to create" \
	"$S/plan/plan.txt"; ok $? "plan.txt: Priya left the creates, with why"
grep -q "^[+!~].*$PRIYA" "$S/plan/plan.txt"; is $? 1 "plan.txt: no create or attention line for Priya"
grep -q "^! left-hired $OLIVIA .*status now Archived" "$S/plan/plan.txt"; ok $? "plan.txt: Olivia's line gives her status now"
state
is "$(json_py "$TEST_TMP/state.json" "len([p for p in d['people'] if 'priya' in (p.get('personalEmail') or '').lower()])")" 0 \
	"Priya was never created in Humaans"

# ---- night 3: still flagged, still nothing deleted -------------------------------------------
h=$(hlines)
a2h -C "$S" run >"$TEST_TMP/out3" 2>"$TEST_TMP/err3"; is $? 3 "night 3: exit 3 again (planning is not skipped)"
grep -q "^! left-hired $OLIVIA " "$S/plan/plan.txt"; ok $? "night 3: still flagged"
last_tag | grep -qx 'Hires-Left-Hired: 1'; ok $? "night 3: counted again"
is "$(writes_since "$h")" "" "night 3: nothing written to Humaans"

# ---- acknowledged in overrides.csv: informational, exit 0 ------------------------------------
printf '%s,acknowledge,left-hired\n' "$OLIVIA" >>"$S/overrides.csv"
h=$(hlines)
a2h -C "$S" run >"$TEST_TMP/out4" 2>"$TEST_TMP/err4"; is $? 0 "acknowledged: exit 0"
grep -q "^\\* left-hired $OLIVIA .*acknowledged in overrides.csv: Humaans keeps new hire $PID" "$S/plan/plan.txt"
ok $? "acknowledged: an informational line"
grep -q '^! left-hired' "$S/plan/plan.txt"; is $? 1 "acknowledged: no left-hired line needs attention"
last_tag | grep -qx 'Hires-Left-Hired: 0'; ok $? "acknowledged: the run tag counts none"
grep -q 'acknowledge' "$S/transform/new_hires.json"; is $? 1 "transform ignores the acknowledgement row"
is "$(writes_since "$h")" "" "acknowledged: nothing written to Humaans"
a2h -C "$S" run >/dev/null 2>&1; is $? 0 "the next night: exit 0"
# The acknowledgement withdrawn: asked again at once, though no transformed hire changed.
cp "$S/overrides.csv" "$TEST_TMP/overrides.ack"
printf 'application_id,field,value\n%s,lastName,Ciccone\n' "$MADONNA" >"$S/overrides.csv"
a2h -C "$S" run >/dev/null 2>&1; is $? 3 "acknowledgement removed: exit 3 again"
grep -q "^! left-hired $OLIVIA " "$S/plan/plan.txt"; ok $? "acknowledgement removed: flagged again"
cp "$TEST_TMP/overrides.ack" "$S/overrides.csv"
a2h -C "$S" run >/dev/null 2>&1; is $? 0 "acknowledged again: exit 0"

# ---- the printed command deletes her, with her documents and files ------------------------------
# Humaans already lost one record of hers (removed by hand): a 404 is not an error.
CMD=$(sed -n 's/^    to delete it from Humaans: //p' "$TEST_TMP/plan2.txt")
is "$CMD" "ashby2humaans delete-new-hire $OLIVIA" "the command printed on night 2"
"$PYTHON3" -c 'import sys, urllib.request
r = urllib.request.Request(sys.argv[1] + "/api/documents/" + sys.argv[2], method="DELETE",
                           headers={"Authorization": "Bearer demo-token"})
urllib.request.urlopen(r).read()' "$HUMAANS_URL" "$DOCS"
j=$(wc -l <"$S/load/journal.jsonl")
h=$(hlines)
a2h -C "$S" ${CMD#ashby2humaans } >"$TEST_TMP/del.out" 2>&1; is $? 0 "delete-new-hire (the printed command) exits 0"
state
is "$(json_py "$TEST_TMP/state.json" "len([p for p in d['people'] if p['id'] == '$PID'])")" 0 "Olivia is gone from Humaans"
is "$(json_py "$TEST_TMP/state.json" "len([x for x in d['documents'] if x.get('personId') == '$PID'])")" 0 "none of her documents is left"
is "$(json_py "$TEST_TMP/state.json" "len([x for x in d['files'] if x['id'] in '$FILES'.split()])")" 0 "none of her files is left"
is "$(json_py "$TEST_TMP/state.json" "len([x for x in d['compensations'] if x.get('personId') == '$PID'])")" 0 "none of her compensations is left"
writes_since "$h" >"$TEST_TMP/del.writes"
is "$(sed 's|/[^/]*$||' "$TEST_TMP/del.writes" | tr '\n' ' ')" \
	"DELETE /api/documents DELETE /api/files DELETE /api/compensations DELETE /api/people " \
	"documents, then files, then the rest, then the person"
tail -n "+$((j + 1))" "$S/load/journal.jsonl" >"$TEST_TMP/del.journal"
is "$(grep -c '"phase":"begin"' "$TEST_TMP/del.journal")" "$(wc -l <"$TEST_TMP/del.writes")" "journal: a begin line per call"
is "$(grep -c '"phase":"end"' "$TEST_TMP/del.journal")" "$(wc -l <"$TEST_TMP/del.writes")" "journal: an end line per call"
grep -q "\"op\":\"deleteFile\".*\"outcome\":\"ok\"" "$TEST_TMP/del.journal"; ok $? "journal: the file deletion"
grep -q "\"op\":\"deleteDocument\".*\"outcome\":\"gone\"" "$TEST_TMP/del.journal"; ok $? "journal: the document already removed is 'gone'"
is "$(json_py "$S/load/ledger.json" "'$OLIVIA' in d")" false "she is out of the ledger"

# A second delete-new-hire is refused cleanly: nothing sent to Humaans.
h=$(hlines)
a2h -C "$S" delete-new-hire "$OLIVIA" >"$TEST_TMP/del2.out" 2>&1; is $? 1 "a second delete-new-hire is refused"
grep -q 'not in the ledger' "$TEST_TMP/del2.out"; ok $? "the refusal says why"
is "$(hlines)" "$h" "the refusal sends no request to Humaans"

# The next night: nothing to flag any more, nobody created again.
h=$(hlines)
a2h -C "$S" run >"$TEST_TMP/out5" 2>&1; is $? 0 "after the delete: exit 0"
grep -q "left-hired $OLIVIA" "$S/plan/plan.txt"; is $? 1 "after the delete: no left-hired line"
is "$(writes_since "$h")" "" "after the delete: nothing written (she is not created again)"
done_testing
