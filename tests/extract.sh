#!/bin/sh
# extract end to end: the Ashby emulator with the demo organisation, init, extract;
# assertions on the staged files and on the requests the emulator recorded.
. "$top_srcdir/tests/lib.sh"

if [ "${PYTHON3:-no}" = no ]; then echo "1..0 # SKIP python3 not found"; exit 0; fi

ORG="$top_srcdir/fixtures/demo/ashby"
REQ="$TEST_TMP/requests.jsonl"
APP1=a1000000-0000-4000-8000-000000000001
APP2=a1000000-0000-4000-8000-000000000002
APP3=a1000000-0000-4000-8000-000000000003
APP5=a1000000-0000-4000-8000-000000000005
APP102=a1000000-0000-4000-8000-000000000102

emu_start() { # an emulator on the demo org; its URL in $URL and ASHBY_BASE_URL
	rm -f "$TEST_TMP/port"
	"$PYTHON3" "$top_srcdir/tests/ashby_emulator.py" --org "$ORG" \
		--port-file "$TEST_TMP/port" --requests "$REQ" &
	EMU_PID=$!
	TEST_CLEANUP='kill $EMU_PID 2>/dev/null; wait $EMU_PID 2>/dev/null'
	i=0
	while [ ! -s "$TEST_TMP/port" ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	URL="http://127.0.0.1:$(cat "$TEST_TMP/port")"
	export ASHBY_BASE_URL="$URL"
}
emu_stop() { kill "$EMU_PID" 2>/dev/null; wait "$EMU_PID" 2>/dev/null; TEST_CLEANUP=; }

canonical_state() { # state.json holds what snapshot_dump gives (it is written an entry at a time)
	"$PYTHON3" -c 'import json, sys
b = open(sys.argv[1], encoding="utf-8").read()
sys.exit(b != json.dumps(json.loads(b), indent=2, sort_keys=True, ensure_ascii=False) + "\n")' "$X/state.json"
}
ctl() { # ctl PATH JSON: a control call to the emulator
	"$PYTHON3" -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=sys.argv[2].encode())).read()' \
		"$URL/_emulator/$1" "$2"
}
# Q MARK EXPR...: evaluate Python expressions in one interpreter (start-up is slow on a
# loaded machine). J(name, dir) loads DIR/NAME.json (default: $X), R holds the requests
# logged after MARK, E(endpoint) those of one endpoint. `v N` prints the answer to EXPR N.
Q() {
	qm=$1; shift
	tail -n "+$((qm + 1))" "$REQ" | "$PYTHON3" -c '
import json, sys
X = sys.argv[1]
R = [json.loads(l) for l in sys.stdin]
def J(name, base=X):
    with open(base + "/" + name + ".json", encoding="utf-8") as f:
        return json.load(f)
def E(ep):
    return [r for r in R if r["endpoint"] == ep]
for e in sys.argv[2:]:
    print(eval(e))
' "$X" "$@" >"$TEST_TMP/q"
}
v() { sed -n "${1}p" "$TEST_TMP/q"; }
mark() { wc -l <"$REQ" | tr -d ' '; }
head_of() { git -C "$1" rev-parse HEAD; }

export ASHBY_API_KEY=demo-key-full
export ASHBY2HUMAANS_RETRY_BASE_MS=5
emu_start

S="$TEST_TMP/staging"
X="$S/extract"
a2h init "$S" >"$TEST_TMP/out" 2>&1; ok $? "init"

# 1. A full pass across several pages.
m=$(mark)
a2h -C "$S" extract >"$TEST_TMP/out" 2>&1; rc=$?
is "$rc" 0 "a first extract succeeds"
[ $rc -eq 0 ] || sed 's/^/#   /' "$TEST_TMP/out"
Q "$m" 'len(J("applications"))' 'sorted(set(a["status"] for a in J("applications")))' \
	'[a["id"] for a in J("applications")] == sorted(a["id"] for a in J("applications"))' \
	'len(J("candidates"))' 'len(J("jobs"))' 'len(J("offers"))' 'len(J("users"))' \
	'len(J("custom_fields"))' 'len(J("departments"))' 'len(J("locations"))' \
	'sorted(J("state")["syncTokens"])' 'len(J("state")["files"])' \
	'J("state")["files"]["'$APP1'"]["path"]' \
	'J("state")["files"]["a1000000-0000-4000-8000-000000000004"]["name"]' \
	'J("state")["files"]["'$APP1'"]["sha256"]' 'J("state")["files"]["'$APP1'"]["size"]' \
	'len(E("application.list"))' 'E("application.list")[0]["body"]' \
	'all(set(r["body"]) == {"limit", "cursor"} for r in E("application.list")[1:])' \
	'len(E("offer.list"))' 'len(E("job.info"))' 'len(E("candidate.info"))' 'len(E("files"))' \
	'all(r["auth"]["present"] and r["auth"]["key"] == "full" for r in R if r["endpoint"] != "files")' \
	'any(r["auth"]["present"] for r in E("files"))' \
	'all(r["headers"].get("Content-Type") == "application/json" for r in R if r["method"] == "POST")' \
	'len([r for r in R if r["endpoint"] != "files"])' \
	'"%.2f" % (len([r for r in R if r["endpoint"] != "files"]) / 26.0)' \
	'[r["body"] for r in E("department.list") + E("location.list") + E("user.list") + E("customField.list")]'
is "$(v 1)" 26 "the 26 hired applications are staged"
is "$(v 2)" "['Hired']" "only Hired applications"
is "$(v 3)" True "records sorted by id"
is "$(v 4)" 26 "26 candidates"
is "$(v 5)" 9 "9 distinct jobs"
is "$(v 6)" 28 "every offer of the hires (declined and pending too)"
is "$(v 7)" 6 "users include the deactivated one"
is "$(v 8)" 15 "custom fields without the archived one"
is "$(v 9) $(v 10)" "7 5" "departments and locations with the archived ones"
is "$(v 11)" "['application.list', 'candidate.list', 'offer.list']" "the three sync tokens are stored"
is "$(v 12)" 24 "24 offer letters (none for the hire without one nor the declined-only one)"
L1="$S/extract/files/$APP1/Offer_Letter_-_Bennett_signed.pdf"
is "$(v 13)" "extract/files/$APP1/Offer_Letter_-_Bennett_signed.pdf" "the signed letter wins over the unsigned one"
is "$(v 14)" "Offer Letter - Kowalski.pdf" "the unsigned letter when there is no signed one"
is "$(v 15)" "$(sha256sum "$L1" | cut -d' ' -f1)" "state.json holds the letter's sha256"
is "$(v 16)" "$(wc -c <"$L1" | tr -d ' ')" "and its size"
canonical_state; ok $? "state.json is canonical JSON"
head -c 5 "$L1" | grep -q '%PDF-'; ok $? "the letter is the PDF as downloaded"
is "$(tail -c 1 "$X/applications.json" | od -An -c | tr -d ' ')" '\n' "snapshots end with a newline"
grep -q '"Zoë Müller"' "$X/candidates.json"; ok $? "UTF-8 names are kept as they are"
subj=$(git -C "$S" log -1 --format=%s)
case "$subj" in "extract: 231 applications, 26 hires, "*" files changed") ok 0 "commit subject: $subj";;
	*) ok 1 "commit subject: $subj";; esac
git -C "$S" log -1 --format=%B >"$TEST_TMP/msg"
grep -q '^Stage: extract$' "$TEST_TMP/msg" && grep -q '^Run-Id: ' "$TEST_TMP/msg" &&
	grep -q '^Hires: 26$' "$TEST_TMP/msg"; ok $? "Run-Id, Stage and Hires trailers"
git -C "$S" show --stat HEAD | grep -q 'state.json'; ok $? "state.json is in the extract commit"
is "$(v 17)" 3 "application.list: three pages of 100"
is "$(v 18)" "{'limit': 100}" "the full pass is unfiltered, without a sync token"
is "$(v 19)" True "later pages repeat the parameters plus the cursor"
is "$(v 20)" 2 "offer.list: two pages, not one call per hire"
is "$(v 21)" 9 "job.info once per distinct job"
is "$(v 22)" 26 "candidate.info once per hire"
is "$(v 23)" 24 "24 downloads"
is "$(v 24)" True "every API call carries the key"
is "$(v 25)" False "downloads of pre-signed URLs carry no Ashby auth"
is "$(v 26)" True "calls are sent as JSON"
is "$(v 29)" "[{'includeArchived': True, 'limit': 100}, {'includeArchived': True, 'limit': 100}, {'includeDeactivated': True, 'limit': 100}, {'includeArchived': False, 'limit': 100}]" \
	"reference lists are read once, with the contract's parameters"
echo "# ashby calls per hire: $(v 28) ($(v 27) calls for 26 hires, list calls included)"
test "$(v 27)" -le 78; ok $? "at most 3 Ashby calls per hire in a full pass"
a2h -C "$S" show latest >"$TEST_TMP/show" 2>&1
grep -q "^Requests-Extract-Ashby: $(($(v 27) + $(v 23)))\$" "$TEST_TMP/show"
ok $? "show: the extract stage's Ashby requests (calls and downloads) in the run's tag"
grep -q '^Requests-Extract-Humaans: 0$' "$TEST_TMP/show"; ok $? "and its Humaans requests"
if grep -q 'demo-key-full' "$REQ" "$TEST_TMP/out"; then ok 1 "the key is in no log"; else ok 0 "the key is in no log"; fi
if grep -rq 'demo-key-full' --exclude-dir=.git "$S"; then ok 1 "the key is not staged"; else ok 0 "the key is not staged"; fi
cp -R "$X" "$TEST_TMP/extract-first"

# 2. An unchanged organisation: same bytes, no commit, no per-hire reads.
h=$(head_of "$S"); m=$(mark)
a2h -C "$S" extract >"$TEST_TMP/out" 2>&1; is $? 0 "a second extract succeeds"
is "$(head_of "$S")" "$h" "an unchanged organisation makes no commit"
diff -r "$TEST_TMP/extract-first" "$X" >"$TEST_TMP/diff" 2>&1; rc=$?
[ "$rc" -eq 0 ] || head -5 "$TEST_TMP/diff" | sed 's/^/#   /'
ok $rc "snapshots are byte-identical"
Q "$m" 'sorted(set(r["endpoint"] for r in R))' \
	'[r["body"].get("syncToken") is not None for r in E("application.list") + E("offer.list") + E("candidate.list")]'
is "$(v 1)" "['application.list', 'candidate.list', 'customField.list', 'department.list', 'location.list', 'offer.list', 'user.list']" \
	"an unchanged incremental pass reads only the lists"
is "$(v 2)" "[True, True, True]" "with the stored sync tokens"

# 3. One application changes: only its records are read, and the new token is stored.
Q 0 'J("state")["syncTokens"]["application.list"]'; tok=$(v 1)
ctl mutate '{"collection": "applications", "id": "'$APP2'", "set": {"candidate.name": "Zoë Müller-Weiß"}}'
h=$(head_of "$S"); m=$(mark)
a2h -C "$S" extract >"$TEST_TMP/out" 2>&1; is $? 0 "an incremental extract succeeds"
Q "$m" '[r["body"]["id"] for r in E("candidate.info")]' \
	'len(E("job.info") + E("file.info") + E("files"))' \
	'[a["candidate"]["name"] for a in J("applications") if a["id"] == "'$APP2'"][0]' \
	'len(J("applications"))' 'J("state")["syncTokens"]["application.list"]'
is "$(v 1)" "['ca000000-0000-4000-8000-000000000002']" "only the changed hire's candidate is read"
is "$(v 2)" 0 "its unchanged job and letter are reused"
is "$(v 3)" "Zoë Müller-Weiß" "the change is staged"
is "$(v 4)" 26 "the other hires stay staged"
test "$(v 5)" != "$tok"; ok $? "the new sync token is stored"
test "$(head_of "$S")" != "$h"; ok $? "a commit is made"
is "$(git -C "$S" diff --name-only HEAD~1 HEAD | sort | tr '\n' ' ')" \
	"extract/applications.json extract/state.json " "the commit holds the application and the token"
canonical_state; ok $? "state.json rewritten by an incremental pass is canonical"

# 4. A hire that leaves Hired is dropped; an application newly Hired is read with its offers.
ctl mutate '{"ops": [{"collection": "applications", "id": "'$APP5'", "set": {"status": "Archived"}},
	{"collection": "applications", "id": "'$APP102'", "set": {"status": "Hired"}}]}'
m=$(mark)
a2h -v -C "$S" extract >"$TEST_TMP/out" 2>&1; is $? 0 "an extract with a drop and a new hire succeeds"
grep -q "$APP5.*no longer Hired" "$TEST_TMP/out"; ok $? "-v says the hire left Hired"
Q "$m" '"'$APP5'" in [a["id"] for a in J("applications")]' \
	'"'$APP102'" in [a["id"] for a in J("applications")]' \
	'[r["body"] for r in E("offer.list") if "applicationId" in r["body"]]' \
	'len([o for o in J("offers") if o["applicationId"] == "'$APP102'"])' \
	'"'$APP5'" in J("state")["files"]'
is "$(v 1)" False "it is dropped"
test ! -e "$X/files/$APP5/Offer_Letter_-_Kierkegaard_signed.pdf"; ok $? "its letter is removed"
is "$(v 5)" False "and forgotten in state.json"
canonical_state; ok $? "and state.json stays canonical"
is "$(v 2)" True "the new hire is staged"
is "$(v 3)" "[{'applicationId': '$APP102', 'limit': 100}]" "its offers are read by application"
is "$(v 4)" 1 "and staged"

# 5. A reset sync token: a full pass.
ctl reset-tokens '{}'
m=$(mark)
a2h -C "$S" extract >"$TEST_TMP/out" 2>&1; is $? 0 "an extract after a token reset succeeds"
grep -q "sync token expired: doing a full pass" "$TEST_TMP/out"; ok $? "it says so"
Q "$m" '[("syncToken" in r["body"]) for r in E("application.list")]' 'len(J("applications"))'
is "$(v 1)" "[True, False, False, False]" "the full pass follows, without the token"
is "$(v 2)" 26 "the full pass stages every hire"

# 6. A wrong-typed record is set aside with its id; a malformed page fails with nothing written.
ctl mutate '{"collection": "applications", "id": "'$APP3'", "set": {"job": "Data Scientist"}}'
a2h -C "$S" extract >"$TEST_TMP/out" 2>&1; is $? 3 "a wrong-typed record does not stop the run (exit 3: set aside)"
grep -q "$APP3.*set aside.*job" "$TEST_TMP/out"; ok $? "it is set aside with its id and the reason"
grep -q "\"$APP3\"" "$X/applications.json"; ok $? "a staged hire stays staged"
Q 0 'sorted(J("state").get("owed", {}))'
is "$(v 1)" "['$APP3']" "state.json records it as owed a re-read"
canonical_state; ok $? "state.json with 'owed' is canonical"
grep -q "extract: .* 26 hires found, .* 1 hires to read again next run" "$TEST_TMP/out"
ok $? "the summary counts it"
m=$(mark)
a2h -C "$S" extract >"$TEST_TMP/out" 2>&1; is $? 3 "an unchanged night still reads it and still exits 3"
Q "$m" '[r["body"] for r in E("application.info")]'
is "$(v 1)" "[{'applicationId': '$APP3'}]" "the owed hire is read again by application.info"
ctl mutate '{"collection": "applications", "id": "'$APP3'", "set": {"job": {"id": "70b00000-0000-4000-8000-000000000006", "title": "Data Scientist", "locationId": "10c00000-0000-4000-8000-000000000004", "departmentId": "de900000-0000-4000-8000-000000000002"}}}'
ctl faults '{"faults": [{"path": "application.list", "after": 1, "malformed": true, "times": 1}]}'
h=$(head_of "$S")
a2h -C "$S" extract --full >"$TEST_TMP/out" 2>&1; is $? 1 "a malformed page fails the run"
grep -q "application.list.*not a JSON object" "$TEST_TMP/out"; ok $? "naming the call"
is "$(head_of "$S")" "$h" "no commit"
is "$(git -C "$S" status --porcelain | wc -l | tr -d ' ')" 0 "nothing written"
ctl faults '{}'

# 7. A hostile file name stays under extract/.
ctl mutate '{"ops": [{"collection": "files", "record": {"handle": "hdl_evil", "name": "x", "content_b64": "'"$(base64 -w0 "$ORG/files/hdl_000001_1_signed.pdf")"'"}},
	{"collection": "offers", "id": "0f000000-0000-4000-8000-000000000001", "set": {"latestVersion.fileHandles": [{"id": "x", "name": "../../../../tmp/.evil (signed).pdf", "handle": "hdl_evil"}]}}]}'
m=$(mark)
a2h -C "$S" extract >"$TEST_TMP/out" 2>&1; is $? 0 "an extract with a hostile file name succeeds"
Q "$m" '"owed" in J("state")' '[r["body"] for r in E("application.info")]'
is "$(v 1) $(v 2)" "False [{'applicationId': '$APP3'}]" "the fixed owed hire was read again and leaves the owed list"
is "$(cd "$S" && find . -path ./.git -prune -o -name '*evil*' -print)" "./extract/files/$APP1/tmp_.evil_signed.pdf" \
	"the letter is stored under extract/files/<application-id>/"
test ! -e "$TEST_TMP/.evil.pdf" && test ! -e /tmp/.evil.pdf && test ! -e "$L1"
ok $? "nothing is written outside, and the old letter is gone"

# 8. Faults: 429 with Retry-After, 503, dropped connections: the extract is still complete.
S2="$TEST_TMP/staging2"
a2h init "$S2" >/dev/null 2>&1
ctl faults '{"faults": [{"path": "offer.list", "status": 429, "retry_after": 1, "times": 2},
	{"path": "candidate.info", "status": 503, "times": 3},
	{"path": "application.list", "after": 1, "drop": true, "times": 1},
	{"path": "job.info", "drop": true, "times": 1},
	{"path": "files", "status": 502, "times": 2}]}'
m=$(mark)
a2h -C "$S2" extract --jobs 3 >"$TEST_TMP/out" 2>&1; rc=$?
is "$rc" 0 "an extract through 429, 503 and dropped connections succeeds"
[ $rc -eq 0 ] || sed 's/^/#   /' "$TEST_TMP/out"
for f in applications candidates offers jobs; do
	cmp -s "$S/extract/$f.json" "$S2/extract/$f.json"; ok $? "$f.json is complete"
done
Q "$m" 'J("state", "'"$S2/extract"'")["files"] == J("state")["files"]' 'len([r for r in R if r["fault"]])'
is "$(v 1)" True "every letter is there"
is "$(v 2)" 9 "the faults were injected"
ctl faults '{}'

# 9. A key without the Offers permission: a message naming Offers, nothing written.
S3="$TEST_TMP/staging3"
a2h init "$S3" >/dev/null 2>&1
h=$(head_of "$S3")
ASHBY_API_KEY=demo-key-no-offers a2h -C "$S3" extract >"$TEST_TMP/out" 2>&1; is $? 1 "a key lacking Offers fails"
grep -q "Offers" "$TEST_TMP/out" && grep -q "Admin > Integrations > API keys" "$TEST_TMP/out"
ok $? "the message names Offers and where to grant it"
grep -q "request id req_" "$TEST_TMP/out"; ok $? "with Ashby's request id"
is "$(head_of "$S3")" "$h" "nothing is committed"
test ! -e "$S3/extract/applications.json"; ok $? "nothing is written"
ASHBY_API_KEY=no-such-key a2h -C "$S3" extract >"$TEST_TMP/out" 2>&1; is $? 1 "an unknown key fails"
grep -q "HTTP 403" "$TEST_TMP/out"; ok $? "with the status"

# 10. Endless pagination: the same cursor forever, or two in turn, stops the run quickly.
for kind in same cycle; do
	for ep in application.list department.list offer.list; do
		ctl faults '{"faults": [{"path": "'$ep'", "cursor_loop": "'$kind'", "times": 1000000}]}'
		h=$(head_of "$S"); m=$(mark)
		timeout 60 "$ASHBY2HUMAANS" -C "$S" extract --full >"$TEST_TMP/out" 2>&1; rc=$?
		n=$(($(mark) - m))
		is "$rc" 1 "$ep, cursor loop ($kind): the run fails"
		[ "$n" -lt 500 ]; ok $? "$ep, cursor loop ($kind): stopped after $n requests"
		grep -q "ashby $ep.*cursor already followed" "$TEST_TMP/out"; ok $? "$ep ($kind): the message names the endpoint"
		is "$(head_of "$S")" "$h" "$ep ($kind): nothing is committed"
	done
done
# The per-application offer pages of a newly hired application.
ctl faults '{}'
a2h -C "$S" extract >/dev/null 2>&1
ctl mutate '{"collection": "applications", "id": "'$APP5'", "set": {"status": "Hired"}}'
ctl faults '{"faults": [{"path": "offer.list", "after": 1, "cursor_loop": "cycle", "times": 1000000}]}'
h=$(head_of "$S"); m=$(mark)
timeout 60 "$ASHBY2HUMAANS" -C "$S" extract >"$TEST_TMP/out" 2>&1; rc=$?
n=$(($(mark) - m))
is "$rc" 1 "offer.list by application, cursor loop: the run fails"
[ "$n" -lt 500 ]; ok $? "offer.list by application: stopped after $n requests"
grep -q "ashby offer.list for application '$APP5'.*cursor already followed" "$TEST_TMP/out"
ok $? "the message names the endpoint and the application"
is "$(head_of "$S")" "$h" "nothing is committed"
ctl faults '{}'
a2h -C "$S" extract >"$TEST_TMP/out" 2>&1; is $? 0 "the next extract catches up"
grep -q "\"$APP5\"" "$X/applications.json"; ok $? "with the newly hired application"

# 11. A hostile file host streams a letter far past the limit: the transfer is cut at the limit,
# the hire is set aside (owed a re-read), no partial letter is staged.
S4="$TEST_TMP/staging4"
a2h init "$S4" >/dev/null 2>&1
ctl faults '{"faults": [{"path": "files", "big_pdf": 200000000, "times": 1}]}'
m=$(mark)
a2h -C "$S4" extract --jobs 1 >"$TEST_TMP/out" 2>&1; is $? 3 "a letter over the limit sets its hire aside (exit 3)"
Q "$m" '[r["fault"] for r in E("files") if r["fault"]]' \
	'sorted(J("state", "'"$S4/extract"'").get("owed", {}).items())' \
	'len(J("applications", "'"$S4/extract"'"))' 'len(J("applications"))'
hires=$(v 4)
sent=$(v 1 | sed -n "s/.*big_pdf:sent=\([0-9]*\).*/\1/p")
echo "# the hostile host wrote ${sent:-?} bytes before the client hung up"
[ -n "$sent" ] && [ "$sent" -lt 50000000 ]; ok $? "the transfer is aborted soon after 32 MiB, not buffered to 64 MiB"
owed_app=$(v 2 | sed -n "s/^\[('\([^']*\)'.*/\1/p")
case "$(v 2)" in *"larger than 32 MiB"*) ok 0 "the hire is owed, with the reason";; *) ok 1 "the hire is owed, with the reason: $(v 2)";; esac
grep -q "offer letter of application '$owed_app' is larger than 32 MiB" "$TEST_TMP/out"; ok $? "the message names the application"
is "$(v 3)" "$((hires - 1))" "the other hires are staged"
test ! -e "$S4/extract/files/$owed_app"; ok $? "no partial letter is left in staging"
is "$(git -C "$S4" status --porcelain | wc -l | tr -d ' ')" 0 "nothing uncommitted is left"
ctl faults '{}'
a2h -C "$S4" extract >"$TEST_TMP/out" 2>&1; is $? 0 "the next extract reads the owed hire again"
Q 0 '"owed" in J("state", "'"$S4/extract"'")' 'len(J("applications", "'"$S4/extract"'"))' \
	'"'$owed_app'" in J("state", "'"$S4/extract"'")["files"]'
is "$(v 1) $(v 2) $(v 3)" "False $hires True" "and stages it with its letter"

# 12. Usage errors.
a2h -C "$S" extract --jobs 0 >"$TEST_TMP/out" 2>&1; is $? 1 "--jobs 0 is a usage error"
grep -q '^usage: ashby2humaans \[global options\] extract' "$TEST_TMP/out"; ok $? "it prints the usage"
a2h -C "$S" extract --frobnicate >"$TEST_TMP/out" 2>&1; is $? 1 "an unknown option is a usage error"
grep -q "unknown option '--frobnicate'" "$TEST_TMP/out"; ok $? "naming the option"

emu_stop
done_testing
