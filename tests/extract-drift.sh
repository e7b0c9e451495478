#!/bin/sh
# extract on the nights after the first (DRIFT-DESIGN §3, issue 14 item 2), with the Ashby
# emulator's drift edits (tests/ashby_edits.py): a candidate-only change reaches
# extract/candidates.json on an ordinary incremental extract; an unchanged night reads one page
# of each list and nothing else; a candidate merge is followed by application id; an archived
# hire leaves the staged set and extract/departed.json says why; cursor_invalid on
# candidate.list restarts with a full pass.
. "$top_srcdir/tests/lib.sh"
if [ "${PYTHON3:-no}" = no ]; then echo "1..0 # SKIP python3 not found"; exit 0; fi

start_ashby_emulator
export ASHBY2HUMAANS_RETRY_BASE_MS=5
REQ="$TEST_TMP/ashby.jsonl"
S="$TEST_TMP/s"
X="$S/extract"
ctl() { emulator_ctl "$ASHBY_URL" "$@" >"$TEST_TMP/ctl" || echo "Bail out! control call $1 failed"; }
mark() { wc -l <"$REQ" | tr -d ' '; }
head_of() { git -C "$S" rev-parse HEAD; }
# Q MARK EXPR...: Python expressions over the staged files (J(name)) and the requests logged
# after MARK (R; E(endpoint)); `v N` prints the answer to EXPR N.
Q() {
	qm=$1; shift
	tail -n "+$((qm + 1))" "$REQ" | "$PYTHON3" -c '
import json, sys
X = sys.argv[1]
R = [json.loads(l) for l in sys.stdin]
def J(name):
    with open(X + "/" + name + ".json", encoding="utf-8") as f:
        return json.load(f)
def E(ep):
    return [r for r in R if r["endpoint"] == ep]
def app(i):
    return [a for a in J("applications") if a["id"] == i]
def cand(i):
    return [c for c in J("candidates") if c["id"] == i]
for e in sys.argv[2:]:
    print(eval(e))
' "$X" "$@" >"$TEST_TMP/q"
}
v() { sed -n "${1}p" "$TEST_TMP/q"; }
extract() { # extract [ARGS]: exit status in $rc, output in $TEST_TMP/out
	a2h -C "$S" extract "$@" >"$TEST_TMP/out" 2>&1; rc=$?
	[ $rc -eq 0 ] || sed 's/^/#   /' "$TEST_TMP/out"
}

a2h init "$S" >/dev/null 2>&1; ok $? "init"
extract; is $rc 0 "a first (full) extract"
Q 0 'sorted(J("state")["syncTokens"])' 'J("departed")' 'len(E("candidate.list"))' \
	'len(J("candidates"))'
is "$(v 1)" "['application.list', 'candidate.list', 'offer.list']" "candidate.list has its own sync token"
is "$(v 2)" "[]" "departed.json: nobody departed on the first night"
[ "$(v 3)" -ge 1 ]; ok $? "the full pass pages through candidate.list"
is "$(v 4)" 26 "yet only the candidates of the 26 hires are staged"
# Three hires to change, each with its own candidate (no other hire shares it).
"$PYTHON3" -c '
import json, sys, collections
apps = json.load(open(sys.argv[1] + "/applications.json"))
n = collections.Counter(a["candidate"]["id"] for a in apps)
own = [a for a in apps if n[a["candidate"]["id"]] == 1 and a["id"] in json.load(open(sys.argv[1] + "/state.json"))["files"]]
for a in own[:4]:
    print(a["id"], a["candidate"]["id"])' "$X" >"$TEST_TMP/hires"
set -- $(sed -n 1p "$TEST_TMP/hires"); APPA=$1 CANDA=$2
set -- $(sed -n 2p "$TEST_TMP/hires"); APPB=$1 CANDB=$2
set -- $(sed -n 3p "$TEST_TMP/hires"); APPC=$1 CANDC=$2
set -- $(sed -n 4p "$TEST_TMP/hires"); APPD=$1 CANDD=$2
[ -n "$CANDD" ]; ok $? "four hires with a candidate of their own"

# 1. An unchanged night: one page of each list, nothing else, no commit.
h=$(head_of); m=$(mark)
extract; is $rc 0 "an unchanged incremental extract"
is "$(head_of)" "$h" "makes no commit"
Q "$m" 'len(R)' 'sorted(set(r["endpoint"] for r in R))' 'J("departed")' \
	'[r["body"].get("syncToken") is not None for r in E("candidate.list")]'
is "$(v 1)" 7 "7 requests: the three lists and the four reference lists, one page each"
is "$(v 2)" "['application.list', 'candidate.list', 'customField.list', 'department.list', 'location.list', 'offer.list', 'user.list']" \
	"no per-hire read"
is "$(v 3)" "[]" "departed.json stays empty"
is "$(v 4)" "[True]" "candidate.list is incremental, with its stored token"

# 2. A candidate-only phone change: the application and offers do not move.
ctl candidate-edit '{"id": "'$CANDA'", "phone": "+44 7700 900123"}'
h=$(head_of); m=$(mark)
extract; is $rc 0 "an ordinary incremental extract after a candidate-only change"
Q "$m" 'cand("'$CANDA'")[0]["primaryPhoneNumber"]["value"]' 'len(E("candidate.info"))' \
	'len(E("application.list")) + len(E("offer.list")) + len(E("candidate.list"))' 'len(R)' \
	'app("'$APPA'")[0]["candidate"]["id"]' 'len(J("candidates"))'
is "$(v 1)" "+44 7700 900123" "the new phone reaches extract/candidates.json"
is "$(v 2)" 0 "from the candidate.list record: no candidate.info"
is "$(v 3)" 3 "one page of each list"
is "$(v 4)" 7 "7 requests in all"
is "$(v 5)" "$CANDA" "the hire keeps its candidate"
is "$(v 6)" 26 "still 26 candidates"
[ "$(head_of)" != "$h" ]; ok $? "a commit is made"
git -C "$S" show --stat HEAD | grep -q 'extract/candidates.json'; ok $? "holding candidates.json"
h=$(head_of)
extract; is "$(head_of)" "$h" "the next night is unchanged again"

# 3. A merge that leaves the application untouched: the application is read again by its id.
NEWB=c9000000-0000-4000-8000-0000000000b1
ctl candidate-merge '{"from": "'$CANDB'", "into": "'$NEWB'", "touch_applications": false}'
m=$(mark)
extract; is $rc 0 "an extract after a candidate merge (application not touched)"
Q "$m" 'app("'$APPB'")[0]["candidate"]["id"]' 'len(cand("'$NEWB'"))' 'len(cand("'$CANDB'"))' \
	'[r["body"].get("applicationId") for r in E("application.info")]' 'len(J("candidates"))' \
	'len(J("applications"))'
is "$(v 1)" "$NEWB" "the staged application names the merged candidate"
is "$(v 2)" 1 "the merged candidate is staged"
is "$(v 3)" 0 "the deleted candidate left the staged set"
is "$(v 4)" "['$APPB']" "the application was read again by its id, once"
is "$(v 5) $(v 6)" "26 26" "still 26 hires, 26 candidates"

# 4. A merge Ashby reports through the application too (its updatedAt moves).
NEWC=c9000000-0000-4000-8000-0000000000c1
ctl candidate-merge '{"from": "'$CANDC'", "into": "'$NEWC'"}'
m=$(mark)
extract; is $rc 0 "an extract after a candidate merge"
Q "$m" 'app("'$APPC'")[0]["candidate"]["id"]' 'len(cand("'$NEWC'"))' 'len(cand("'$CANDC'"))' \
	'[r["body"].get("id") for r in E("candidate.info")]'
is "$(v 1) $(v 2) $(v 3)" "$NEWC 1 0" "the application, the merged candidate in, the old one out"
is "$(v 4)" "['$NEWC']" "one candidate.info, of the merged candidate"

# 5. A hire archived: it leaves the staged set and departed.json says why.
ctl application-status '{"applicationId": "'$APPD'", "status": "Archived"}'
m=$(mark)
extract; is $rc 0 "an extract after a hire is archived"
Q "$m" 'len(app("'$APPD'"))' 'J("departed")' '"'$APPD'" in J("state")["files"]' \
	'len(cand("'$CANDD'"))' '"'$APPD'" in [o["applicationId"] for o in J("offers")]' \
	'len(J("applications"))'
is "$(v 1)" 0 "the archived hire leaves applications.json"
is "$(v 2)" "[{'id': '$APPD', 'reason': 'its status is now Archived, no longer Hired', 'status': 'Archived'}]" \
	"departed.json names it, its status and why"
is "$(v 3)" False "its letter leaves state.json"
is "$(v 4) $(v 5) $(v 6)" "0 False 25" "its candidate and offers leave too; 25 hires"
is "$(git -C "$S" ls-files "extract/files/$APPD"; find "$X/files/$APPD" -type f 2>/dev/null)" "" \
	"its letter is removed"
"$PYTHON3" -c 'import json, sys
b = open(sys.argv[1], encoding="utf-8").read()
sys.exit(b != json.dumps(json.loads(b), indent=2, sort_keys=True, ensure_ascii=False) + "\n")' \
	"$X/departed.json"; ok $? "departed.json is canonical"
h=$(head_of)
extract; Q 0 'J("departed")'
is "$(v 1)" "[]" "the next night lists only its own departures: none"
[ "$(head_of)" != "$h" ]; ok $? "(a commit: departed.json emptied)"
h=$(head_of)
extract; is "$(head_of)" "$h" "then nothing changes"

# 6. cursor_invalid on candidate.list: the extract restarts with a full pass.
ctl faults '{"faults": [{"path": "candidate.list", "error": "cursor_invalid", "times": 1}]}'
ctl candidate-edit '{"id": "'$CANDA'", "email": "new.address@example.org"}'
m=$(mark)
extract; is $rc 0 "an extract whose candidate.list answers cursor_invalid"
grep -q 'full pass' "$TEST_TMP/out"; ok $? "it says it does a full pass"
Q "$m" '[r["body"].get("syncToken") is None for r in E("application.list")][-1]' \
	'[r["body"].get("syncToken") is None for r in E("candidate.list")][-1]' \
	'cand("'$CANDA'")[0]["primaryEmailAddress"]["value"]' 'len(J("applications"))' \
	'sorted(J("state")["syncTokens"])' 'J("departed")'
is "$(v 1) $(v 2)" "True True" "the full pass reads the lists without a token"
is "$(v 3)" "new.address@example.org" "the change is staged"
is "$(v 4)" 25 "every hire is staged"
is "$(v 5)" "['application.list', 'candidate.list', 'offer.list']" "new tokens are stored"
is "$(v 6)" "[]" "nobody departed"
h=$(head_of); m=$(mark)
extract; Q "$m" 'len(R)'
is "$(v 1)" 7 "the next night is incremental again (7 requests)"
is "$(head_of)" "$h" "with nothing to commit"
done_testing
