#!/bin/sh
# forget: a hire's personal data erased from every object and file of the
# staging repo, the rest of the audit trail intact, nothing brought back by
# later runs; kill -9 mid-way leaves the old or the rewritten repo; retention
# (--before) erases exactly the hires whose last run is older.
. "$top_srcdir/tests/lib.sh"
if [ "${PYTHON3:-no}" = no ]; then echo "1..0 # SKIP python3 not found"; exit 0; fi

A=a1000000-0000-4000-8000-000000000001     # Olivia Rose Bennett: forgotten
EMAIL=olivia.bennett@example.com NAME="Olivia Rose Bennett" PHONE="+44 20 7946 0101"
OTHER=zoe.mueller@example.de                # another hire: stays

# no_trace DIR WHAT...: no object (reachable or not) and no file under DIR holds any WHAT
no_trace() {
	d=$1; shift
	git -C "$d" cat-file --batch-all-objects --batch >"$TEST_TMP/objects" 2>/dev/null || return 1
	for w in "$@"; do
		grep -aqF -- "$w" "$TEST_TMP/objects" && { echo "# '$w' in an object"; return 1; }
		grep -raqF -- "$w" "$d" && { echo "# '$w' in a file: $(grep -rlaF -- "$w" "$d" | head -3)"; return 1; }
	done
	return 0
}
# has_bytes DIR FILE: some object of DIR holds exactly FILE's bytes
has_bytes() {
	git -C "$1" cat-file --batch-all-objects --batch >"$TEST_TMP/objects" 2>/dev/null
	"$PYTHON3" -c 'import sys; sys.exit(0 if open(sys.argv[2],"rb").read() in open(sys.argv[1],"rb").read() else 1)' \
		"$TEST_TMP/objects" "$2"
}

start_emulators
S="$TEST_TMP/s"
a2h init "$S" >/dev/null 2>&1; ok $? "init"
a2h -C "$S" run >/dev/null 2>"$TEST_TMP/err"; is $? 3 "the first run exits 3 (hires set aside)"
RUN1=$(git -C "$S" tag -l 'run/*' | sort | tail -1); RUN1=${RUN1#run/}
cp "$S"/extract/files/$A/*.pdf "$TEST_TMP/letter.pdf"
has_bytes "$S" "$TEST_TMP/letter.pdf"; ok $? "before: the offer letter is in the repo"
git -C "$S" cat-file --batch-all-objects --batch | grep -aqF "$EMAIL"; ok $? "before: the email is in the repo"
cp -a "$S" "$TEST_TMP/pristine"
heads_before=$(git -C "$S" rev-list --count HEAD)

# Usage errors and unknown ids change nothing.
a2h -C "$S" forget "$A" >/dev/null 2>&1; is $? 1 "--reason is required"
a2h -C "$S" forget a1000000-0000-4000-8000-999999999999 --reason x >/dev/null 2>"$TEST_TMP/err"
is $? 1 "an unknown id exits 1"
grep -q "not in staging repo" "$TEST_TMP/err"; ok $? "it says the id is unknown"
is "$(git -C "$S" rev-parse HEAD)" "$(git -C "$TEST_TMP/pristine" rev-parse HEAD)" "nothing changed"

# --dry-run lists and changes nothing.
a2h -C "$S" forget "$A" --reason "request 1" --dry-run >"$TEST_TMP/dry" 2>/dev/null; ok $? "--dry-run exits 0"
grep -q "^  $A\$" "$TEST_TMP/dry"; ok $? "--dry-run lists the hire"
grep -q "^commits rewritten: [1-9]" "$TEST_TMP/dry"; ok $? "--dry-run counts the commits"
grep -q "^  extract/applications.json\$" "$TEST_TMP/dry"; ok $? "--dry-run lists the files"
is "$(git -C "$S" rev-parse HEAD)" "$(git -C "$TEST_TMP/pristine" rev-parse HEAD)" "--dry-run changes nothing"
git -C "$S" cat-file --batch-all-objects --batch | grep -aqF "$EMAIL"; ok $? "--dry-run erases nothing"

# The erasure.
a2h -C "$S" forget "$A" --reason "GDPR erasure request 17" >/dev/null 2>"$TEST_TMP/err"; ok $? "forget exits 0"
no_trace "$S" "$EMAIL" "$NAME" "$PHONE"; ok $? "no object and no file holds the email, name or phone"
has_bytes "$S" "$TEST_TMP/letter.pdf"; is $? 1 "no object holds the offer letter's bytes"
git -C "$S" cat-file --batch-all-objects --batch | grep -aqF "$OTHER"; ok $? "another hire's data is still there"
grep -qF "$OTHER" "$S/transform/new_hires.json"; ok $? "another hire is still in the work tree"
check "git fsck is clean" git -C "$S" fsck --strict --no-dangling
is "$(git -C "$S" status --porcelain | wc -l)" 0 "the work tree matches HEAD"
is "$(git -C "$S" log -1 --format='%(trailers:key=Stage,valueonly)' | tr -d '\n')" forget "the tombstone commit's stage is forget"
git -C "$S" log -1 --format=%B | grep -q "^Forgotten: $A\$"; ok $? "its message names the application"
git -C "$S" log -1 --format=%B | grep -q "^Reason: GDPR erasure request 17\$"; ok $? "and the reason"
"$PYTHON3" - "$S" "$A" "$RUN1" <<'PY'; ok $? "the tombstone holds the date, the reason and the rewritten run"
import json, sys, datetime
t = json.load(open(sys.argv[1] + "/load/tombstones.json"))[sys.argv[2]]
assert t["reason"] == "GDPR erasure request 17", t
assert t["date"] == datetime.datetime.utcnow().strftime("%Y-%m-%d"), t
assert sys.argv[3] in t["runs"], t
PY
"$PYTHON3" - "$S" "$A" <<'PY'; ok $? "the ledger keeps the Humaans ids, not the personal data"
import json, sys
en = json.load(open(sys.argv[1] + "/load/ledger.json"))[sys.argv[2]]
assert en["personId"].startswith("per") and "base" not in en, en
PY
is "$(git -C "$S" rev-list --count HEAD)" $((heads_before + 1)) "every commit kept, one added"
[ ! -e "$S/extract/files/$A" ]; ok $? "the offer letter's directory is gone"
[ ! -d "$S/.git/logs" ] || [ -z "$(find "$S/.git/logs" -type f)" ]; ok $? "no reflog is left"
[ ! -e "$S/.git-forget.tmp" ]; ok $? "no old repository is left beside it"
is "$(stat -c %a "$S/load/tombstones.json")" 600 "tombstones.json is owner-only"

# The rewritten first run is still auditable.
a2h -C "$S" log >"$TEST_TMP/log" 2>&1; ok $? "log works"
grep -q "^$RUN1 " "$TEST_TMP/log"; ok $? "log lists the first run"
grep -q " forget " "$TEST_TMP/log"; ok $? "log lists the erasure"
a2h -C "$S" show "$RUN1" >/dev/null 2>&1; ok $? "show of the first run works"
a2h -C "$S" show "$RUN1" transform/new_hires.json >"$TEST_TMP/nh" 2>&1; ok $? "show of a rewritten file works"
grep -qF "$EMAIL" "$TEST_TMP/nh"; is $? 1 "the rewritten file does not hold the hire"
a2h -C "$S" export "$RUN1" -o "$TEST_TMP/b.tar.gz" >/dev/null 2>&1; ok $? "export of the first run works"
a2h export --verify "$TEST_TMP/b.tar.gz" >/dev/null 2>&1; ok $? "its bundle verifies"

# The next night, with the application touched in Ashby: nothing comes back.
emulator_ctl "$ASHBY_URL" mutate "{\"collection\": \"applications\", \"id\": \"$A\", \"set\": {\"candidate.name\": \"$NAME\"}}" >/dev/null
np=$(grep -c '"POST", "path": "/api/people"\|"method": "POST".*"/people"' "$TEST_TMP/humaans.jsonl")
a2h -C "$S" run >"$TEST_TMP/out" 2>"$TEST_TMP/err"; is $? 3 "the next night exits 3 (still set aside)"
grep -q "forgotten applications skipped" "$TEST_TMP/err"; ok $? "extract skips the forgotten application"
grep -q "^= forgotten $A: forgotten on [0-9-]*" "$S/plan/plan.txt"; ok $? "plan.txt names it as forgotten"
grep -c "$A" "$S/plan/plan.txt" | grep -qx 1; ok $? "plan.txt names it once"
is "$(grep -c '"POST", "path": "/api/people"\|"method": "POST".*"/people"' "$TEST_TMP/humaans.jsonl")" "$np" "nobody is created in Humaans"
no_trace "$S" "$EMAIL" "$NAME" "$PHONE"; ok $? "nothing of the hire is staged again"
check "git fsck is still clean" git -C "$S" fsck --strict --no-dangling

# Running it again for the same id: nothing to do.
a2h -C "$S" forget "$A" --reason again >"$TEST_TMP/out" 2>&1; ok $? "forget of a forgotten id exits 0"
grep -q "already forgotten" "$TEST_TMP/out"; ok $? "and says so"

# kill -9 at several points: the old repo (data there, forget runs again) or the rewritten one.
for delay in 0.01 0.05 0.1 0.2 0.4 0.7 1.0 1.3; do
	K="$TEST_TMP/k$delay"; rm -rf "$K"; cp -a "$TEST_TMP/pristine" "$K"
	"$ASHBY2HUMAANS" -C "$K" forget "$A" --reason kill >/dev/null 2>&1 & pid=$!
	sleep "$delay"; kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	git -C "$K" fsck --no-dangling >/dev/null 2>&1; ok $? "killed after ${delay}s: fsck is clean"
	stage=$(git -C "$K" log -1 --format='%(trailers:key=Stage,valueonly)' | tr -d '\n')
	if [ "$stage" = forget ]; then
		ok 0 "killed after ${delay}s: the rewritten repo"
	else
		git -C "$K" cat-file --batch-all-objects --batch | grep -aqF "$EMAIL"
		ok $? "killed after ${delay}s: the old repo, still holding the data"
	fi
	a2h -C "$K" forget "$A" --reason kill >/dev/null 2>&1; ok $? "killed after ${delay}s: forget again completes"
	no_trace "$K" "$EMAIL" "$NAME" "$PHONE"; ok $? "killed after ${delay}s: then no trace is left"
done

# Retention: a repo built by hand with runs on two dates.
R="$TEST_TMP/r"
a2h init "$R" >/dev/null 2>&1
hire() { printf '  {\n    "id": "%s",\n    "name": "%s",\n    "person": {\n      "personalEmail": "%s"\n    }\n  }' "$1" "$2" "$3"; }
gcommit() { git -C "$R" add -A && git -C "$R" -c user.name=t -c user.email=t@localhost commit -q \
	-m "transform: by hand" -m "Run-Id: $1
Stage: transform" && git -C "$R" tag -a "run/$1" -m "run $1: ok" ; }
mkdir -p "$R/transform"
{ echo '['; hire app-old "Old Person Hire" old.person@example.com; echo ','
  hire app-mid "Mid Person Hire" mid.person@example.com; echo; echo ']'; } >"$R/transform/new_hires.json"
gcommit 20250103T020000Z
{ echo '['; hire app-mid "Mid Person Hire" mid.person2@example.com; echo ','
  hire app-new "New Person Hire" new.person@example.com; echo ','
  hire app-old "Old Person Hire" old.person@example.com; echo; echo ']'; } >"$R/transform/new_hires.json"
gcommit 20260103T020000Z
a2h -C "$R" forget --before 2025-06-01 --reason "retention 12 months" --dry-run >"$TEST_TMP/dry" 2>/dev/null
is "$(grep -c '^  app-' "$TEST_TMP/dry")" 1 "retention --dry-run lists one hire"
a2h -C "$R" forget --before 2025-06-01 --reason "retention 12 months" >/dev/null 2>&1; ok $? "retention exits 0"
no_trace "$R" old.person@example.com "Old Person Hire"; ok $? "the hire last seen before the date is erased"
git -C "$R" cat-file --batch-all-objects --batch | grep -aqF mid.person@example.com; ok $? "a hire changed since keeps its history"
grep -qF new.person@example.com "$R/transform/new_hires.json"; ok $? "a new hire stays"
is "$("$PYTHON3" -c 'import json,sys; print(" ".join(sorted(json.load(open(sys.argv[1])))))' "$R/load/tombstones.json")" \
	app-old "exactly the older hire is tombstoned"
check "git fsck is clean after retention" git -C "$R" fsck --strict --no-dangling
is "$(git -C "$R" tag -l 'run/*' | wc -l)" 4 "every run tag is kept (and the erasure's added)"

# Retention in pipeline.json: run ends the night by forgetting what is older.
"$PYTHON3" - "$R/pipeline.json" 0 <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); p["retention"] = {"days": int(sys.argv[2])}
open(sys.argv[1], "w").write(json.dumps(p, indent=2) + "\n")
PY
a2h -C "$R" run --dry-run >/dev/null 2>"$TEST_TMP/err"; is $? 1 "retention.days 0 is refused"
grep -q "retention.days" "$TEST_TMP/err"; ok $? "the message names retention.days"
"$PYTHON3" - "$R/pipeline.json" 1 <<'PY'
import json, sys
p = json.load(open(sys.argv[1])); p["retention"] = {"days": int(sys.argv[2])}
open(sys.argv[1], "w").write(json.dumps(p, indent=2) + "\n")
PY
git -C "$R" add pipeline.json && git -C "$R" -c user.name=t -c user.email=t@localhost commit -qm "pipeline: retention"
a2h -C "$R" run --dry-run >/dev/null 2>"$TEST_TMP/err"; is $? 3 "a run with retention exits as usual"
grep -q "retention: 2 hires last run before" "$TEST_TMP/err"; ok $? "it forgets the hires last run before yesterday"
is "$("$PYTHON3" -c 'import json,sys; print(" ".join(sorted(json.load(open(sys.argv[1])))))' "$R/load/tombstones.json")" \
	"app-mid app-new app-old" "the older hand-made hires are tombstoned"
grep -qF "$OTHER" "$R/transform/new_hires.json"; ok $? "tonight's hires stay"
no_trace "$R" mid.person2@example.com new.person@example.com; ok $? "nothing of the older hires is left"
check "git fsck is clean after the run's retention" git -C "$R" fsck --strict --no-dangling
done_testing
