#!/bin/sh
# The audit trail: log, show and export (+ --verify) with the real binary, over a
# staging repo whose runs are made with `init` and then with the git CLI in the
# documented format (commit trailers, annotated tags run/<id>; doc/ARCHITECTURE.md).
. "$top_srcdir/tests/lib.sh"

ST="$TEST_TMP/staging"
OUT="$TEST_TMP/out"
ERR="$TEST_TMP/err"
export TZ=UTC

a2h -C "$ST" init >"$OUT" 2>&1; ok $? "init creates a staging repo"

# Run ids after init's own, so the order by id is the order of the runs.
now=$(date -u +%s)
rid() { date -u -d "@$((now + 86400 * $1))" +%Y%m%dT%H%M%SZ; }
RA=$(rid 1); RB=$(rid 2); RC=$(rid 3)
tag_time() { date -u -d "@$((now + 86400 * $1))" +%Y-%m-%dT%H:%M:%SZ; }

g() { git -C "$ST" -c user.name=ashby2humaans -c user.email=ashby2humaans@localhost \
	-c tag.gpgSign=false -c commit.gpgSign=false "$@"; }

commit() { # commit RUN_ID DAY STAGE SUBJECT TRAILERS...
	id=$1 day=$2 stage=$3 subject=$4; shift 4
	msg="$subject

Run-Id: $id
Stage: $stage
Tool-Version: 0.1.0"
	for t in "$@"; do msg="$msg
$t"; done
	g add -A >/dev/null &&
	GIT_AUTHOR_DATE="@$((now + 86400 * day)) +0000" GIT_COMMITTER_DATE="@$((now + 86400 * day)) +0000" \
		g commit -q -m "$msg"
}

tag_run() { # tag_run RUN_ID DAY COMMAND STAGE OUTCOME EXTRACTED REJECTED PLANNED CREATED FAILED ASHBY HUMAANS
	GIT_COMMITTER_DATE="@$((now + 86400 * $2)) +0000" g tag -a "run/$1" -m "run $1: $5

Command: $3
Started: $(tag_time "$2")
Duration: 12.345
Stage-Reached: $4
Outcome: $5
Hires-Extracted: $6
Hires-Rejected: $7
Hires-Planned: $8
Conflicts: 0
Hires-Created: $9
Hires-Changed: 0
Hires-Failed: ${10}
Requests-Ashby: ${11}
Requests-Humaans: ${12}"
}

# Run A: a dry run that extracts two hires with an offer letter, transforms and plans.
mkdir -p "$ST/extract/files/app-1" "$ST/transform" "$ST/plan"
printf '[\n  {\n    "id": "app-1",\n    "status": "Hired"\n  },\n  {\n    "id": "app-2",\n    "status": "Hired"\n  }\n]\n' \
	>"$ST/extract/applications.json"
printf '%%PDF-1.4\n\000\001\002\377binary offer letter\n%%%%EOF\n' >"$ST/extract/files/app-1/offer_signed.pdf"
cp "$ST/extract/files/app-1/offer_signed.pdf" "$TEST_TMP/offer.pdf"
commit "$RA" 1 extract "extract: 2 applications, 2 hires, 2 files changed" "Hires: 2" "Files-Changed: 2"
printf '[\n  {\n    "id": "app-1",\n    "name": "Olivia Rose Bennett"\n  }\n]\n' >"$ST/transform/new_hires.json"
printf 'application_id,candidate,fields,reason\napp-2,Mo,name,one-word name\n' >"$ST/transform/rejects.csv"
cp "$ST/transform/new_hires.json" "$TEST_TMP/new_hires.A"
commit "$RA" 1 transform "transform: 1 hire, 1 set aside" "Hires: 1" "Rejected: 1"
printf '+ app-1 Olivia Rose Bennett <olivia@example.com>\n' >"$ST/plan/plan.txt"
commit "$RA" 1 plan "plan: 1 create" "Creates: 1" "Changes: 0" "Conflicts: 0"
tag_run "$RA" 1 run plan set-aside 2 1 1 0 0 40 7

# Run B: the hire's name was fixed; transform changes, plan again, apply.
mkdir -p "$ST/load"
printf '[\n  {\n    "id": "app-1",\n    "name": "Olivia R. Bennett"\n  }\n]\n' >"$ST/transform/new_hires.json"
cp "$ST/transform/new_hires.json" "$TEST_TMP/new_hires.B"
commit "$RB" 2 transform "transform: 1 hire, 1 set aside" "Hires: 1" "Rejected: 1"
printf '{"phase":"begin","op":"create","id":"app-1"}\n{"phase":"end","op":"create","id":"app-1","outcome":"ok"}\n' \
	>"$ST/load/journal.jsonl"
commit "$RB" 2 apply "apply: 1 created" "Plan-Run-Id: $RA" "Created: 1" "Failed: 0"
tag_run "$RB" 2 run apply ok 2 1 1 1 0 12 9

# Run C: nothing changed: no commit, only the tag.
tag_run "$RC" 3 run plan ok 2 1 0 0 0 3 0

# A later uncommitted edit must not leak into what log, show and export report.
printf '{"edited": "after the runs"}\n' >"$ST/pipeline.json"
status_before=$(git -C "$ST" status --porcelain)

# ---- log ----
a2h -C "$ST" log >"$OUT" 2>"$ERR"; ok $? "log exits 0"
head -n 1 "$OUT" | grep -q '^RUN  *STARTED  *DURATION  *COMMAND  *STAGE  *EXTRACTED  *REJECTED  *PLANNED  *CREATED  *FAILED  *REQ-ASHBY  *REQ-HUMAANS  *OUTCOME$'
ok $? "log prints a header"
order=$(awk 'NR > 1 { print $1 }' "$OUT" | tr '\n' ' ')
init_id=$(git -C "$ST" tag -l 'run/*' | sed 's|run/||' | sort | head -n 1)
is "$order" "$RC $RB $RA $init_id " "log lists the runs newest first, init's included"
is "$(awk -v r="$RA" '$1 == r { print $4, $5, $6, $7, $8, $9, $10, $11, $12, $13 }' "$OUT")" \
	"run plan 2 1 1 0 0 40 7 set-aside" "log shows run A's command, stage, counts, requests and outcome"
is "$(awk -v r="$RB" '$1 == r { print $3, $9, $13 }' "$OUT")" "12.3s 1 ok" \
	"log shows run B's duration, hires created and outcome"
is "$(awk -v r="$RA" '$1 == r { print $2 }' "$OUT")" "$(tag_time 1)" "log shows the start time"
# Columns line up: every row is as long as the header up to the last column.
is "$(awk '{ sub(/[^ ]+$/, ""); print length($0) }' "$OUT" | sort -u | wc -l | tr -d ' ')" 1 \
	"log's columns are aligned"

a2h -C "$ST" log --format json >"$OUT" 2>"$ERR"; ok $? "log --format json exits 0"
"$PYTHON3" -c '
import json, sys
runs = json.load(open(sys.argv[1]))
ids = [r["runId"] for r in runs]
assert ids == sys.argv[2:6], ids
a = runs[2]
assert a["hiresExtracted"] == 2 and a["hiresRejected"] == 1 and a["hiresPlanned"] == 1, a
assert a["requestsAshby"] == 40 and a["requestsHumaans"] == 7, a
assert a["outcome"] == "set-aside" and a["command"] == "run" and a["stageReached"] == "plan", a
assert a["duration"] == 12.345 and a["started"] == sys.argv[6], a
assert len(a["commit"]) == 40
' "$OUT" "$RC" "$RB" "$RA" "$init_id" "$(tag_time 1)"
ok $? "log --format json parses and holds the runs' fields, newest first"
a2h -C "$ST" log --format xml >"$OUT" 2>&1; is $? 1 "log --format xml is a usage error"

EMPTY="$TEST_TMP/empty"
git init -q "$EMPTY"
is "$(a2h -C "$EMPTY" log 2>&1)" "no runs yet" "log on a repo without runs says so"
is "$(a2h -C "$EMPTY" log --format json 2>&1)" "[]" "log --format json on a repo without runs is []"

# ---- show ----
a2h -C "$ST" show "$RA" >"$OUT" 2>"$ERR"; ok $? "show RUN exits 0"
grep -q "^Outcome: set-aside$" "$OUT"; ok $? "show RUN prints the tag's fields"
grep -q "^Hires-Extracted: 2$" "$OUT"; ok $? "show RUN prints the counts"
is "$(sed -n '/^commits:/,$p' "$OUT" | awk 'NR > 1 { print $1 }' | tr '\n' ' ')" "extract transform plan " \
	"show RUN lists the run's commits, oldest first, by stage"
short=$(git -C "$ST" log --format=%h --abbrev=7 -n 1 --grep="Stage: plan")
grep -q "^  plan  *$short  plan: 1 create$" "$OUT"; ok $? "each commit has its short id and subject"
a2h -C "$ST" show "run/$RB" >"$OUT" 2>"$ERR"; ok $? "show run/<id> works"
is "$(sed -n '/^commits:/,$p' "$OUT" | awk 'NR > 1 { print $1 }' | tr '\n' ' ')" "transform apply " \
	"show lists only that run's commits"
a2h -C "$ST" show latest >"$OUT" 2>"$ERR"; ok $? "show latest works"
grep -q "^run $RC: ok$" "$OUT"; ok $? "latest is the newest run"
grep -q "^commits: none" "$OUT"; ok $? "a run without commits says so"

a2h -C "$ST" show "$RA" transform/new_hires.json >"$OUT" 2>"$ERR"; ok $? "show RUN FILE exits 0"
cmp -s "$OUT" "$TEST_TMP/new_hires.A"; ok $? "show RUN FILE prints the file as it was in that run"
a2h -C "$ST" show latest transform/new_hires.json >"$OUT" 2>"$ERR"
cmp -s "$OUT" "$TEST_TMP/new_hires.B"; ok $? "a later run shows the changed file"
a2h -C "$ST" show "$RA" extract/files/app-1/offer_signed.pdf >"$OUT" 2>"$ERR"
cmp -s "$OUT" "$TEST_TMP/offer.pdf"; ok $? "show RUN FILE is byte for byte (a binary PDF)"
a2h -C "$ST" show "$RA" pipeline.json >"$OUT" 2>"$ERR"
git -C "$ST" show HEAD:pipeline.json | cmp -s - "$OUT"; ok $? "show reads the committed file, not the edited work tree"

a2h -C "$ST" show 20991231T000000Z >"$OUT" 2>"$ERR"; is $? 1 "show of an unknown run exits 1"
grep -q "no run '20991231T000000Z'" "$ERR"; ok $? "the unknown run is named"
a2h -C "$ST" show "$RA" load/journal.jsonl >"$OUT" 2>"$ERR"; is $? 1 "show of a file absent in that run exits 1"
grep -q "no file 'load/journal.jsonl' in run $RA" "$ERR"; ok $? "the missing file is named"
a2h -C "$ST" show >"$OUT" 2>&1; is $? 1 "show without a run is a usage error"

# ---- export ----
cd "$TEST_TMP" || exit 1
a2h -C "$ST" export "$RA" -o a.tar.gz >"$OUT" 2>"$ERR"; ok $? "export RUN -o FILE.tar.gz exits 0"
grep -q "a.tar.gz" "$ERR" && grep -q "[0-9][0-9]* files" "$ERR"; ok $? "export says what it wrote: $(cat "$ERR")"
ok "$(ls "$TEST_TMP" | grep -c 'tmp')" "no temp file is left next to the bundle"
a2h -C /nonexistent export --verify a.tar.gz >"$OUT" 2>"$ERR"; ok $? "export --verify passes (no staging repo needed)"

mkdir x && (cd x && tar xzmf ../a.tar.gz); ok $? "tar xzf extracts the bundle"
TOP="x/ashby2humaans-$RA"
(cd "$TOP" && sha256sum --quiet -c MANIFEST) >"$OUT" 2>&1; ok $? "sha256sum -c MANIFEST passes"
cmp -s "$TOP/transform/new_hires.json" "$TEST_TMP/new_hires.A"; ok $? "the bundle holds run A's snapshots, not later ones"
cmp -s "$TOP/extract/files/app-1/offer_signed.pdf" "$TEST_TMP/offer.pdf"; ok $? "the bundle holds the offer letter"
git -C "$ST" show "run/$RA:pipeline.json" | cmp -s - "$TOP/pipeline.json"; ok $? "the bundle's pipeline.json is the committed one"
[ ! -e "$TOP/load" ]; ok $? "nothing from a later run (load/) is in run A's bundle"
grep -q "sha256sum -c MANIFEST" "$TOP/README"; ok $? "README says how to verify"
"$PYTHON3" -c '
import json, sys
m = json.load(open(sys.argv[1] + "/MANIFEST.json"))
assert m["runId"] == sys.argv[2], m["runId"]
assert [c["stage"] for c in m["commits"]] == ["extract", "transform", "plan"], m["commits"]
assert sorted(m["stages"]) == ["extract", "plan", "transform"], m["stages"]
paths = [f["path"] for f in m["files"]]
assert paths == sorted(paths) and "extract/files/app-1/offer_signed.pdf" in paths, paths
import os
for f in m["files"]:
    assert os.path.getsize(sys.argv[1] + "/" + f["path"]) == f["size"], f
' "$TOP" "$RA"
ok $? "MANIFEST.json holds the run id, the commits per stage and each file's size"
lines=$(wc -l <"$TOP/MANIFEST" | tr -d ' ')
files=$(cd "$TOP" && find . -type f ! -name MANIFEST | wc -l | tr -d ' ')
is "$lines" "$files" "MANIFEST lists every file but itself"

a2h -C "$ST" export "$RA" -o b.tar.gz 2>"$ERR"
cmp -s a.tar.gz b.tar.gz; ok $? "two exports of one run are byte-identical"
TZ=Asia/Tokyo a2h -C "$ST" export "run/$RA" -o c.tar.gz 2>"$ERR"
cmp -s a.tar.gz c.tar.gz; ok $? "an export in another time zone is byte-identical"

size=$(wc -c <a.tar.gz | tr -d ' ')
cp a.tar.gz bad.tar.gz
printf '\001' | dd of=bad.tar.gz bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
cmp -s a.tar.gz bad.tar.gz; is $? 1 "one byte of the copy changed"
a2h export --verify bad.tar.gz >"$OUT" 2>"$ERR"; is $? 1 "export --verify fails on a changed byte"
grep -q "does not verify\|unreadable" "$ERR"; ok $? "and says so: $(tail -n 1 "$ERR")"

# Tamper with one file and rebuild the archive: verify names the file.
(cd x && printf 'X' | dd of="ashby2humaans-$RA/transform/new_hires.json" bs=1 seek=3 conv=notrunc 2>/dev/null &&
	tar czf ../tampered.tar.gz "ashby2humaans-$RA")
a2h export --verify tampered.tar.gz >"$OUT" 2>"$ERR"; is $? 1 "export --verify fails on a changed file"
grep -q "transform/new_hires.json: sha256 differs from MANIFEST" "$ERR"; ok $? "and names the file"

a2h -C "$ST" export "$RB" -o b.zip >"$OUT" 2>"$ERR"; ok $? "export to .zip exits 0"
"$PYTHON3" -m zipfile -t b.zip >"$OUT" 2>&1; ok $? "python's zipfile tests the zip clean"
a2h export --verify b.zip >"$OUT" 2>"$ERR"; ok $? "export --verify passes on the zip"
mkdir z && "$PYTHON3" -m zipfile -e b.zip z && (cd "z/ashby2humaans-$RB" && sha256sum --quiet -c MANIFEST) >"$OUT" 2>&1
ok $? "sha256sum -c MANIFEST passes in the extracted zip"
cmp -s "z/ashby2humaans-$RB/transform/new_hires.json" "$TEST_TMP/new_hires.B"; ok $? "the zip holds run B's snapshots"
a2h -C "$ST" export "$RB" -o b2.zip 2>"$ERR"
cmp -s b.zip b2.zip; ok $? "two zip exports are byte-identical"
TZ=Asia/Tokyo a2h -C "$ST" export "$RB" -o b3.zip 2>"$ERR"
cmp -s b.zip b3.zip; ok $? "a zip export in another time zone is byte-identical"

a2h -C "$ST" export "$RA" -o a.rar >"$OUT" 2>"$ERR"; is $? 1 "an unsupported suffix is refused"
grep -q ".tar.gz or .zip" "$ERR"; ok $? "the message names the supported suffixes"
[ ! -e a.rar ]; ok $? "nothing is written for an unsupported suffix"
a2h -C "$ST" export 20991231T000000Z -o n.tar.gz >"$OUT" 2>"$ERR"; is $? 1 "export of an unknown run exits 1"
[ ! -e n.tar.gz ]; ok $? "no bundle is written for an unknown run"
a2h -C "$ST" export "$RA" >"$OUT" 2>&1; is $? 1 "export without -o is a usage error"
a2h export --verify missing.tar.gz >"$OUT" 2>"$ERR"; is $? 1 "export --verify of a missing file exits 1"

is "$(git -C "$ST" status --porcelain)" "$status_before" "log, show and export change nothing in the staging repo"
done_testing
