#!/bin/sh
# The notification (issue 17): with ASHBY2HUMAANS_NOTIFY_URL pointing at a loopback listener,
# a night with set-aside hires posts exactly one message with the run id and the counts and
# no personal data (no names, emails, phones or salaries; ASHBY2HUMAANS_NOTIFY_NAMES=1 adds
# names); a night with nothing to do posts nothing; an unreachable URL or a refusing webhook
# does not change the exit status; the URL (a secret) is nowhere in the output or staging;
# check --notify-test posts a test message.
. "$top_srcdir/tests/lib.sh"
if [ "${PYTHON3:-no}" = no ]; then echo "1..0 # SKIP python3 not found"; exit 0; fi

start_emulators
MSG="$TEST_TMP/messages.jsonl"
: >"$MSG"
"$PYTHON3" "$top_srcdir/tests/notify_listener.py" --port-file "$TEST_TMP/notify.port" \
	--messages "$MSG" 2>"$TEST_TMP/notify.err" &
NPID=$!
TEST_CLEANUP='kill $NPID 2>/dev/null; wait $NPID 2>/dev/null'
HOOK_SECRET=T0000SECRET/B0000SECRET/xoxbHookSecretToken42
URL="http://127.0.0.1:$(wait_port_file "$TEST_TMP/notify.port")/services/$HOOK_SECRET"
count() { wc -l <"$MSG" | tr -d ' '; }
field() { "$PYTHON3" -c 'import json,sys
ls = [json.loads(l) for l in open(sys.argv[1])]
print(ls[int(sys.argv[2])]["body"]["text"])' "$MSG" "$1"; }

S="$TEST_TMP/s"
a2h init "$S" >/dev/null 2>&1; ok $? "init"
APP_MADONNA=a1000000-0000-4000-8000-000000000009
APP_PRIYA=a1000000-0000-4000-8000-000000000014
APP_EWAN=a1000000-0000-4000-8000-000000000025

# 1. The demo night: 2 set aside, 1 conflict: exit 3 and one message.
ASHBY2HUMAANS_NOTIFY_URL="$URL" a2h -vv -C "$S" run --dry-run >"$TEST_TMP/out" 2>"$TEST_TMP/err"
is $? 3 "the demo night ends with hires set aside (exit 3)"
run_id=$(git -C "$S" tag -l 'run/*' | sort | tail -1 | sed 's|run/||')
is "$(count)" 1 "exactly one message posted"
field 0 >"$TEST_TMP/text"
grep -q "$run_id" "$TEST_TMP/text"; ok $? "it names the run id"
grep -q "ashby2humaans show $run_id plan/plan.html" "$TEST_TMP/text"; ok $? "and the command that shows the page"
grep -q "2 set aside" "$TEST_TMP/text" && grep -q "1 conflicts" "$TEST_TMP/text" &&
	grep -q "23 to create" "$TEST_TMP/text"
ok $? "with the counts"
grep -q "$APP_MADONNA" "$TEST_TMP/text" && grep -q "$APP_PRIYA" "$TEST_TMP/text" &&
	grep -q "$APP_EWAN" "$TEST_TMP/text"
ok $? "and the application ids that need a person"
# No personal data: the demo's emails, phones, salaries, names.
# Without the run id (digits of a time) and the application ids (UUIDs).
noids() { sed -E 's/[0-9]{8}T[0-9]{6}Z[-0-9]*//g; s/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}//g'; }
noids <"$TEST_TMP/text" >"$TEST_TMP/text.noid"
# (Every demo hire has an email with @, a phone starting +NN, a salary of 5 digits or more.)
! grep -Eq '@|\+[0-9]|(^|[^0-9-])[1-9][0-9]{4}|GBP|EUR|USD|Madonna|Priya|Ewan|McGregor|Raman|Olivia' \
	"$TEST_TMP/text.noid"
ok $? "no email, phone, salary or name in it"
"$PYTHON3" -c 'import json,sys
m = json.loads(open(sys.argv[1]).readline())
assert m["contentType"].startswith("application/json"), m
assert set(m["body"]) == {"text"}, m
assert m["path"] == "/services/" + sys.argv[2], m' "$MSG" "$HOOK_SECRET"
ok $? "a Slack-compatible POST {\"text\"} to the webhook's path"
! grep -q "xoxbHookSecretToken42" "$TEST_TMP/out" "$TEST_TMP/err"
ok $? "the webhook URL is not in the output, even with -vv"
! git -C "$S" grep -q "xoxbHookSecretToken42" $(git -C "$S" rev-list --all) -- 2>/dev/null &&
	! git -C "$S" for-each-ref --format='%(contents)' | grep -q "xoxbHookSecretToken42"
ok $? "nor anywhere in the staging repo (commits, tags)"
grep -q "notify: posted the notice of run $run_id" "$TEST_TMP/err"; ok $? "the post is logged"

# 2. The documented switch adds names.
ASHBY2HUMAANS_NOTIFY_URL="$URL" ASHBY2HUMAANS_NOTIFY_NAMES=1 a2h -C "$S" run --dry-run \
	>/dev/null 2>&1
is $? 3 "a second night, same outcome"
is "$(count)" 2 "one more message"
field 1 | grep -q "$APP_MADONNA (Madonna)"; ok $? "ASHBY2HUMAANS_NOTIFY_NAMES=1 adds the names"
! field 1 | noids |
	grep -Eq '@|\+[0-9]|(^|[^0-9-])[1-9][0-9]{4}|GBP'
ok $? "still no email or salary"

# 3. Unreachable, refusing: the exit status is the same; the failure is logged.
ASHBY2HUMAANS_NOTIFY_URL="http://127.0.0.1:1/services/$HOOK_SECRET" a2h -C "$S" run --dry-run \
	>/dev/null 2>"$TEST_TMP/err3"
is $? 3 "an unreachable webhook does not change the exit status"
grep -q "notify: .*not delivered" "$TEST_TMP/err3"; ok $? "the failure is logged"
! grep -q "xoxbHookSecretToken42" "$TEST_TMP/err3"; ok $? "without the URL"
"$PYTHON3" "$top_srcdir/tests/notify_listener.py" --port-file "$TEST_TMP/bad.port" \
	--messages "$TEST_TMP/bad.jsonl" --status 500 2>/dev/null &
BPID=$!
TEST_CLEANUP='kill $NPID $BPID 2>/dev/null; wait $NPID $BPID 2>/dev/null'
BAD="http://127.0.0.1:$(wait_port_file "$TEST_TMP/bad.port")/hook-$HOOK_SECRET"
ASHBY2HUMAANS_NOTIFY_URL="$BAD" a2h -C "$S" run --dry-run >/dev/null 2>"$TEST_TMP/err4"
is $? 3 "a webhook answering 500 does not change the exit status"
is "$(wc -l <"$TEST_TMP/bad.jsonl" | tr -d ' ')" 3 "it was tried three times, briefly"

# 4. check --notify-test.
ASHBY2HUMAANS_NOTIFY_URL="$URL" a2h -C "$S" check --notify-test >"$TEST_TMP/c" 2>&1
is $? 0 "check --notify-test"
grep -q "notify: test message posted" "$TEST_TMP/c"; ok $? "it says so"
is "$(count)" 3 "the test message arrived"
field 2 | grep -q "test notification"; ok $? "a test message"
a2h -C "$S" check --notify-test >"$TEST_TMP/c2" 2>&1
is $? 1 "check --notify-test without the variable fails"
ASHBY2HUMAANS_NOTIFY_URL="$URL" a2h -C "$S" check >"$TEST_TMP/c3" 2>&1
grep -q "^notify: on" "$TEST_TMP/c3"; ok $? "check says notifications are on"
is "$(count)" 3 "plain check posts nothing"

# 5. A night with nothing to do posts nothing: fix every hire, apply, run again.
cat >"$S/overrides.csv" <<CSV
application_id,field,value
$APP_MADONNA,lastName,Ciccone
$APP_PRIYA,employmentStartDate,2026-06-01
$APP_EWAN,personalEmail,ewan.mcgregor@example.org
CSV
a2h -C "$S" run >/dev/null 2>"$TEST_TMP/err5"
is $? 0 "with the overrides every hire is created (exit 0)"
ASHBY2HUMAANS_NOTIFY_URL="$URL" a2h -C "$S" run >/dev/null 2>"$TEST_TMP/err6"
is $? 0 "the next night has nothing to do"
is "$(count)" 3 "and posts nothing"

done_testing
