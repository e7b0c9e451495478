#!/bin/sh
# Hostile text from the APIs (issue 12, findings 2, 4 and 5), end to end on both emulators:
# a NUL byte in a bystander's name (Ashby) and in a Humaans person's name must not stop the
# run; terminal escapes in a hire's name, middle name or overrides.csv set that hire aside and
# reach neither the output, plan/plan.txt nor Humaans; an API key that Ashby's error message
# echoes appears nowhere.
. "$top_srcdir/tests/lib.sh"
if [ "${PYTHON3:-no}" = no ]; then echo "1..0 # SKIP python3 not found"; exit 0; fi

start_emulators
S="$TEST_TMP/s"
a2h init "$S" >/dev/null 2>&1; ok $? "init"

FIX="$top_srcdir/fixtures/demo/ashby"
APP1=a1000000-0000-4000-8000-000000000001 # Olivia Rose Bennett: escapes in the name
APP2=a1000000-0000-4000-8000-000000000002 # Zoë Müller: escapes in a middle name
APP4=a1000000-0000-4000-8000-000000000004 # Łukasz Kowalski: escapes through overrides.csv
BYSTANDER=a1000000-0000-4000-8000-000000000112 # Logan Davies, not hired: a NUL in the name

# The hostile records, built from the demo fixture and posted through the control API.
"$PYTHON3" - "$FIX" "$APP1" "$APP2" "$APP4" "$BYSTANDER" >"$TEST_TMP/ops.json" <<'PY'
import json, sys
fix, app1, app2, app4, bystander = sys.argv[1:]
apps = {a["id"]: a for a in json.load(open(fix + "/applications.json"))}
cands = {c["id"]: c for c in json.load(open(fix + "/candidates.json"))}
names = {app1: "Bob\r\x1b[1A\x1b[2K\x1b[8mHidden Bennett",
         app2: "Zoë \x1b]0;pwned\x07Mid\r\nX Müller",
         bystander: "Logan\u0000Davies"}
ops = []
for app, name in names.items():
    a = apps[app]
    cid = a["candidate"]["id"]
    ops.append({"collection": "applications", "id": app, "set": {"candidate.name": name}})
    c = json.loads(json.dumps(cands[cid])) if cid in cands else None
    if c is not None:
        c["name"] = name
        for f in c.get("customFields", []):
            if f.get("title") == "Legal name":
                f["value"] = name
        ops.append({"collection": "candidates", "record": c})
print(json.dumps({"ops": ops}))
PY
emulator_ctl "$ASHBY_URL" mutate "$(cat "$TEST_TMP/ops.json")" >/dev/null; ok $? "hostile names set in Ashby"

# A Humaans person (not one of the hires) with a NUL in the name.
emulator_ctl "$HUMAANS_URL" records '{"resource": "people", "records": [{"id": "per-nul",
 "companyId": "demo-company", "firstName": "Eve\u0000\u001b[2J", "lastName": "Null",
 "email": "eve.null@demo-company.com", "personalEmail": "eve.null@example.org",
 "employmentStartDate": "2020-01-01", "status": "active"}]}' >/dev/null
ok $? "a Humaans person with a NUL in the name"
people_before=$(emulator_ctl "$HUMAANS_URL" state | "$PYTHON3" -c \
	'import json,sys; print(len(json.load(sys.stdin)["people"]))')

printf 'application_id,field,value\n%s,lastName,"Kow\033[2Kalski\r"\n' "$APP4" >"$S/overrides.csv"

a2h -C "$S" run >"$TEST_TMP/out" 2>"$TEST_TMP/err"; rc=$?
is $rc 3 "the run completes with hires set aside (exit 3)"
tag=$(git -C "$S" tag -l 'run/*' | sort | tail -1)
git -C "$S" tag -l --format='%(contents)' "$tag" >"$TEST_TMP/tag"
grep -qx 'Stage-Reached: apply' "$TEST_TMP/tag"; ok $? "it reached apply"
grep -qx 'Hires-Extracted: 26' "$TEST_TMP/tag"; ok $? "26 hires extracted (the NUL page parsed)"
grep -qx 'Hires-Rejected: 5' "$TEST_TMP/tag"; ok $? "5 set aside: the demo's 2 and the 3 hostile ones"
grep -qx 'Hires-Created: 20' "$TEST_TMP/tag"; ok $? "every other hire created (20)"

emulator_ctl "$HUMAANS_URL" state >"$TEST_TMP/humaans-state.json"
people_after=$("$PYTHON3" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["people"]))' \
	"$TEST_TMP/humaans-state.json")
is $((people_after - people_before)) 20 "20 people created in Humaans"

# Each hostile hire is in rejects.csv with a reason naming the field.
R="$S/transform/rejects.csv"
reason() { # reason APP: the reason rejects.csv gives (its cells may hold quoted CR/LF)
	"$PYTHON3" -c 'import csv,sys
for row in csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")):
    if row["application_id"] == sys.argv[2]: print(row["reason"])' "$R" "$1"
}
case $(reason $APP1) in *"name contains a control character (U+000D)"*) r=0 ;; *) r=1 ;; esac
ok $r "the escaped name is set aside (CR in the name)"
case $(reason $APP2) in *"middleName contains a control character (U+001B)"*) r=0 ;; *) r=1 ;; esac
ok $r "the escaped middle name is set aside"
is "$(reason $APP4)" "lastName contains a control character (U+001B)" "the override with escapes is set aside"
grep -q "$BYSTANDER" "$S/transform/new_hires.json" "$R"; is $? 1 "the bystander is no hire and no reject"
for app in $APP1 $APP2 $APP4; do
	"$PYTHON3" -c 'import json,sys; sys.exit(any(h["id"] == sys.argv[2] for h in json.load(open(sys.argv[1]))))' \
		"$S/transform/new_hires.json" "$app"
	ok $? "$app is not among the new hires"
done

# No ESC, CR or NUL byte anywhere a person or Humaans sees.
no_ctl() { # no_ctl FILE: no ESC, CR, NUL, BEL byte
	"$PYTHON3" -c 'import sys; d = open(sys.argv[1], "rb").read()
bad = [b for b in (b"\x1b", b"\r", b"\x00", b"\x07") if b in d]
sys.exit(1 if bad else 0)' "$1"
}
check "no control byte on stdout" no_ctl "$TEST_TMP/out"
check "no control byte on stderr" no_ctl "$TEST_TMP/err"
check "no control byte in plan/plan.txt" no_ctl "$S/plan/plan.txt"
grep -q 'Bob\\r\\x1b\[1A' "$S/plan/plan.txt"; ok $? "plan.txt shows the escapes visibly"
"$PYTHON3" -c 'import json,sys; d = json.load(open(sys.argv[1]))
d["people"] = [p for p in d["people"] if p["id"] != "per-nul"] # the test own record
s = json.dumps(d, ensure_ascii=False)
sys.exit(1 if any(c in s for c in ("\x1b", "\r", "\x07")) or "\\u001b" in s.lower() else 0)' \
	"$TEST_TMP/humaans-state.json"
ok $? "no ESC, CR or BEL in any Humaans record"
"$PYTHON3" -c 'import sys; d = open(sys.argv[1], "rb").read()
sys.exit(1 if b"\\u001b" in d.lower() or b"Hidden" in d or b"pwned" in d else 0)' "$TEST_TMP/humaans.jsonl"
ok $? "no request to Humaans carries a hostile name"

# show on a terminal: rejects.csv keeps the exact bytes (CSV is data), but a person
# reading it on a terminal sees the escapes, not their effect; piped, the bytes stay.
RUN=$(git -C "$S" tag -l 'run/*' | sort | tail -1)
no_ctl "$R"; is $? 1 "rejects.csv keeps the hostile name's exact bytes (so the terminal check means something)"
if command -v script >/dev/null 2>&1; then
	script -qec "\"$ASHBY2HUMAANS\" -C \"$S\" show ${RUN#run/} transform/rejects.csv" /dev/null \
		>"$TEST_TMP/show-tty" 2>&1
	tr -d '\r' <"$TEST_TMP/show-tty" >"$TEST_TMP/show-tty.lf" # the terminal's own CR LF
	check "show on a terminal: no control byte" no_ctl "$TEST_TMP/show-tty.lf"
	grep -q 'x1b' "$TEST_TMP/show-tty.lf"; ok $? "show on a terminal: the escapes are visible"
fi
a2h -C "$S" show "${RUN#run/}" transform/rejects.csv >"$TEST_TMP/show-pipe"
cmp -s "$TEST_TMP/show-pipe" "$R"; ok $? "show into a pipe: the file's exact bytes"

# A night later, with nothing changed: still no failure from the NUL person or the bystander.
a2h -C "$S" run >"$TEST_TMP/out2" 2>"$TEST_TMP/err2"; is $? 3 "the next night completes too"

# An Ashby error message that quotes the API key: the key appears nowhere.
S2="$TEST_TMP/s2"
a2h init "$S2" >/dev/null 2>&1
emulator_ctl "$ASHBY_URL" faults '{"faults": [{"path": "application.list", "echo_key": true, "times": 50}]}' >/dev/null
a2h -C "$S2" run >"$TEST_TMP/out3" 2>"$TEST_TMP/err3"; is $? 1 "a run whose Ashby answer echoes the key fails (exit 1)"
grep -q 'redacted' "$TEST_TMP/err3"; ok $? "the error is shown, with the key redacted"
B64=$(printf '%s:' "$ASHBY_API_KEY" | base64)
leak() { # leak: grep the key and its Basic form in stdin
	grep -a -q -e "$ASHBY_API_KEY" -e "$B64" -e "$HUMAANS_API_TOKEN"
}
cat "$TEST_TMP/out3" "$TEST_TMP/err3" | leak; is $? 1 "not on stdout or stderr"
find "$S2" -type f -exec cat {} + | leak; is $? 1 "not in any file of the staging repo"
git -C "$S2" cat-file --batch-all-objects --batch | leak; is $? 1 "not in any git object (tags included)"
git -C "$S2" tag -l --format='%(contents)' | grep -q 'Error: .*redacted'; ok $? "the run's tag keeps the redacted error"
emulator_ctl "$ASHBY_URL" faults '{"faults": []}' >/dev/null
done_testing
