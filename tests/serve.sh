#!/bin/sh
# serve, the webhook receiver, end to end on both emulators: signed, unsigned and
# wrongly signed deliveries, a replay, a burst from 8 clients, the Ashby calls a
# targeted run makes, a nightly run during serve, kill -9 after the 200, SIGTERM.
. "$top_srcdir/tests/lib.sh"
if [ "${PYTHON3:-no}" = no ]; then echo "1..0 # SKIP python3 not found"; exit 0; fi

start_emulators
S="$TEST_TMP/s"
HIRE=a1000000-0000-4000-8000-000000000001 # Olivia Bennett, a demo hire
EMAIL=olivia.bennett@example.com
OTHERS=$("$PYTHON3" -c 'import json, sys
a = json.load(open(sys.argv[1]))
print(" ".join([x["id"] for x in a if x["status"] != "Hired"][:30]))' \
	"$top_srcdir/fixtures/demo/ashby/applications.json")
export ASHBY_WEBHOOK_SECRET=serve-test-secret-4f1c9a
client() { "$PYTHON3" "$top_srcdir/tests/webhook_client.py" "$@"; }
# people [EMAIL]: how many people the Humaans emulator holds (with that personal email).
people() {
	emulator_ctl "$HUMAANS_URL" state | "$PYTHON3" -c 'import json, sys
d = json.load(sys.stdin); e = sys.argv[1].lower() if len(sys.argv) > 1 else None
print(len([p for p in d["people"] if e is None or (p.get("personalEmail") or "").lower() == e]))' "$@"
}
ashby_calls() { emulator_ctl "$ASHBY_URL" requests | "$PYTHON3" -c 'import json, sys; print(len(json.load(sys.stdin)))'; }
set_status() {
	emulator_ctl "$ASHBY_URL" mutate "{\"collection\": \"applications\", \"id\": \"$1\", \"set\": {\"status\": \"$2\"}}" >/dev/null
}
pending() { find "$S/inbox" -maxdepth 1 -name '*.json' | wc -l | tr -d ' '; }
# start_serve LOG: serve --apply in the background on a free port; sets SERVE_PID and URL.
start_serve() {
	"$ASHBY2HUMAANS" -C "$S" serve --listen 127.0.0.1:0 --apply 2>"$1" &
	SERVE_PID=$!
	i=0
	while ! grep -q 'listening on' "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	URL="http://127.0.0.1:$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$1")"
}
# wait_for SECONDS CMD...: until CMD succeeds; fails after SECONDS.
wait_for() {
	n=$(($1 * 5)); shift
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1)); [ $n -le 0 ] && return 1; sleep 0.2
	done
}
TEST_CLEANUP='[ -n "${SERVE_PID:-}" ] && kill -9 $SERVE_PID 2>/dev/null'

a2h init "$S" >/dev/null 2>&1; ok $? "init"
# The nightly run before serve: every demo hire but Olivia, who is not hired yet.
set_status "$HIRE" Active
emulator_ctl "$ASHBY_URL" requests/clear '{}' >/dev/null
a2h -C "$S" run >/dev/null 2>"$TEST_TMP/night1"; NIGHT_STATUS=$?
is "$NIGHT_STATUS" 3 "the first nightly run exits 3 (hires set aside)"
FULL_CALLS=$(ashby_calls)
P0=$(people)
is "$(people $EMAIL)" 0 "Olivia is not in Humaans yet"

unset_secret() { env -u ASHBY_WEBHOOK_SECRET "$ASHBY2HUMAANS" -C "$S" serve --listen 127.0.0.1:0; }
unset_secret >"$TEST_TMP/out" 2>&1; is $? 1 "serve without ASHBY_WEBHOOK_SECRET exits 1"
grep -q 'ASHBY_WEBHOOK_SECRET' "$TEST_TMP/out"; ok $? "and names the variable"
a2h -C "$S" serve >"$TEST_TMP/out" 2>&1; is $? 1 "serve without --listen exits 1"

start_serve "$TEST_TMP/serve1.log"
case $URL in http://127.0.0.1:[0-9]*) ok 0 "serve listens on a loopback port" ;; *) ok 1 "serve listens ($URL)" ;; esac
emulator_ctl "$ASHBY_URL" requests/clear '{}' >/dev/null
set_status "$HIRE" Hired

# Bad signatures: 401, nothing stored.
is "$(client "$URL" send candidateHire $HIRE --id bad-1 --sign none)" 401 "an unsigned delivery gets 401"
is "$(client "$URL" send candidateHire $HIRE --id bad-2 --sign bad)" 401 "a wrongly signed delivery gets 401"
is "$(find "$S/inbox" -name '*.json' | wc -l | tr -d ' ')" 0 "nothing is stored for them"
head -c 1100000 /dev/zero | tr '\0' ' ' >"$TEST_TMP/big"
is "$(client "$URL" raw <"$TEST_TMP/big")" 413 "a body over 1 MiB gets 413"
is "$(printf '{"action":"ping","data":{"webhookActionType":"ping"}}' | client "$URL" raw)" 200 "ping gets 200"
is "$(printf '{"webhookActionId":"u-1","action":"jobCreate","data":{}}' | client "$URL" raw)" 200 \
	"an unknown action gets 200"
is "$(client "$URL" get /nowhere | cut -d' ' -f1)" 404 "another path gets 404"
is "$(client "$URL" method GET /ashby/webhook)" 405 "GET on the webhook gets 405"
is "$(client "$URL" method POST /healthz)" 405 "POST on /healthz gets 405"

# A signed candidateHire, delivered twice: exactly one person. How fast is measured by
# make bench (serve burst), not asserted here: a loaded machine must not fail the suite.
created() { grep '"POST"' "$TEST_TMP/humaans.jsonl" | grep -c '"/api/people"'; }
C0=$(created)
T0=$(date +%s)
is "$(client "$URL" send candidateHire $HIRE --id hire-1)" 200 "a signed candidateHire gets 200"
is "$(client "$URL" send candidateHire $HIRE --id hire-1)" 200 "its replay gets 200 too"
wait_for 120 sh -c "[ \$(grep '\"POST\"' '$TEST_TMP/humaans.jsonl' | grep -c '\"/api/people\"') -gt $C0 ]"
T1=$(date +%s)
[ "$(created)" -gt "$C0" ]; ok $? "the hire reaches Humaans (took $((T1 - T0)) s)"
is "$(people $EMAIL)" 1 "the hire is in Humaans, once"
is "$(people)" $((P0 + 1)) "and nobody else was created"
grep -q "webhook hire-1: candidateHire .*: seen already" "$TEST_TMP/serve1.log"; ok $? "the replay is logged as seen"

# A burst of 30 applicationUpdate deliveries for applications that are not hired.
# shellcheck disable=SC2086
client "$URL" burst applicationUpdate $OTHERS --threads 8 --prefix upd >"$TEST_TMP/burst"
is "$(grep -c '^200$' "$TEST_TMP/burst")" 30 "30 deliveries from 8 clients all get 200"
wait_for 120 sh -c "[ \"\$(find '$S/inbox' -maxdepth 1 -name '*.json' | wc -l)\" -eq 0 ] && \
	grep -q 'serve .*: ok;' '$TEST_TMP/serve1.log' && [ \$(grep -c 'serve .*: ok;' '$TEST_TMP/serve1.log') -ge 2 ]"
ok $? "the burst was run"
is "$(people)" $((P0 + 1)) "the burst created nobody"
SERVE_CALLS=$(ashby_calls)
ok $((SERVE_CALLS * 2 < FULL_CALLS ? 0 : 1)) "serve's Ashby calls ($SERVE_CALLS) are under half a full extract's ($FULL_CALLS)"
emulator_ctl "$ASHBY_URL" requests | grep -q '"application.list"'; is $? 1 "serve made no list pass"
git -C "$S" show HEAD:extract/state.json >/dev/null 2>&1
is "$(git -C "$S" log --format=%H -1 -- extract/state.json | xargs -I{} git -C "$S" show {}:extract/state.json | grep -c syncTokens)" 1 "state.json keeps its sync tokens"

# The audit trail: each batch is a run with its deliveries.
tag=$(git -C "$S" tag -l 'run/*' --format='%(refname:short) %(contents)' | grep -l . >/dev/null; \
	git -C "$S" for-each-ref --format='%(refname:short)' refs/tags/run | while read -r t; do
		git -C "$S" tag -l --format='%(contents)' "$t" | grep -q 'Delivery: hire-1 ' && echo "$t"; done)
ok $([ -n "$tag" ] && echo 0 || echo 1) "the hire's run is tagged with its delivery"
git -C "$S" tag -l --format='%(contents)' "$tag" >"$TEST_TMP/tag"
grep -qx 'Command: serve' "$TEST_TMP/tag"; ok $? "the tag says serve"
grep -qx 'Trigger: webhook' "$TEST_TMP/tag"; ok $? "and the trigger"
grep -qx 'Hires-Created: 1' "$TEST_TMP/tag"; ok $? "and that it created one hire"
git -C "$S" log --format='%(trailers:key=Stage,valueonly)' "$tag" | grep -qx webhook; ok $? "a webhook commit lists the deliveries"
git -C "$S" show "$tag:webhook/deliveries.json" | grep -q '"hire-1"'; ok $? "webhook/deliveries.json names the delivery"
a2h -C "$S" log >"$TEST_TMP/log" 2>&1; grep -q "${tag#run/}" "$TEST_TMP/log"; ok $? "log lists the run"
is "$(client "$URL" get /healthz | cut -d' ' -f1)" 200 "GET /healthz answers 200"
client "$URL" get /healthz | grep -q '"pending":0'; ok $? "with the pending count"

# A nightly run while serve is up (and a batch of its own due): exits as usual, creates no
# duplicate; whichever takes the lock second waits for it.
is "$(client "$URL" send offerUpdate $HIRE --id offer-1)" 200 "an offerUpdate for the hire gets 200"
a2h -C "$S" run >/dev/null 2>"$TEST_TMP/night2"; is $? "$NIGHT_STATUS" "a nightly run during serve exits as usual"
is "$(people $EMAIL)" 1 "and creates no duplicate"
is "$(people)" $((P0 + 1)) "and nobody else"
wait_for 120 sh -c "[ \"\$(find '$S/inbox' -maxdepth 1 -name '*.json' | wc -l)\" -eq 0 ]"; ok $? "serve ran its batch too"
git -C "$S" for-each-ref --format='%(contents)' refs/tags/run | grep -q 'Delivery: offer-1 '; ok $? "in a run of its own"
is "$(people $EMAIL)" 1 "still no duplicate"

# SIGTERM: exit 0.
kill -TERM $SERVE_PID; T0=$(date +%s); wait $SERVE_PID; is $? 0 "SIGTERM: serve exits 0"
ok $(($(date +%s) - T0 <= 30 ? 0 : 1)) "within 30 s (8 s to finish a run, then it is abandoned)"
SERVE_PID=

# kill -9 right after the 200: the delivery is on disk and is processed on restart.
start_serve "$TEST_TMP/serve2.log"
set_status a1000000-0000-4000-8000-000000000002 Hired
is "$(client "$URL" send applicationUpdate a1000000-0000-4000-8000-000000000002 --id after-kill)" 200 "a delivery gets 200"
kill -9 $SERVE_PID; wait $SERVE_PID 2>/dev/null; SERVE_PID=
is "$(pending)" 1 "killed before its run: the delivery is pending in inbox/"
is "$(stat -c %a "$S/inbox/"*.json)" 600 "stored with mode 0600"
start_serve "$TEST_TMP/serve3.log"
grep -q '1 delivery pending from before' "$TEST_TMP/serve3.log"; ok $? "the restart finds it"
wait_for 120 sh -c "[ \"\$(find '$S/inbox' -maxdepth 1 -name '*.json' | wc -l)\" -eq 0 ]"; ok $? "and processes it"
wait_for 60 grep -q 'serve .*: ok;' "$TEST_TMP/serve3.log"; ok $? "in a run of its own"
git -C "$S" for-each-ref --format='%(contents)' refs/tags/run | grep -q 'Delivery: after-kill '; ok $? "whose tag names it"
kill -INT $SERVE_PID; wait $SERVE_PID; is $? 0 "SIGINT: serve exits 0"
SERVE_PID=

# The secret is never written or printed.
grep -rq "$ASHBY_WEBHOOK_SECRET" "$S" "$TEST_TMP"/serve*.log "$TEST_TMP"/night*; is $? 1 "the secret is nowhere in the staging repo or the logs"
done_testing
