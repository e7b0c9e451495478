#!/bin/sh
# End to end: the transform command on a staging repo whose extract/ holds the
# demo organisation (fixtures/transform-demo/extract): outputs equal the golden
# files, exit 3 for hires set aside, a second run commits nothing, overrides
# are applied and listed in the commit, and an invalid pipeline is refused
# before anything is touched.
. "$top_srcdir/tests/lib.sh"

if ! command -v git >/dev/null 2>&1; then
	echo "1..0 # SKIP git(1) is needed to inspect the staging repo"
	exit 0
fi

S="$TEST_TMP/staging"
fx="$top_srcdir/fixtures/transform-demo"
a2h -q init "$S" >/dev/null 2>&1
ok $? "init a staging repo"
mkdir -p "$S/extract"
cp "$fx"/extract/*.json "$S/extract/"

a2h -q -C "$S" transform 2>"$TEST_TMP/err1"
is "$?" 3 "transform exits 3: hires were set aside"
for f in new_hires.json new_hires.csv rejects.csv; do
	check "transform/$f equals the golden file" cmp "$fx/expected/$f" "$S/transform/$f"
done
head1=$(git -C "$S" rev-parse HEAD)
msg=$(git -C "$S" log -1 --format=%B)
case "$msg" in
"transform: 24 hires, 2 set aside, 8 to review"*) ok 0 "commit subject counts hires, rejects and reviews" ;;
*) ok 1 "commit subject counts hires, rejects and reviews"; echo "# $msg" ;;
esac
echo "$msg" | grep -q '^Stage: transform$'
ok $? "Stage trailer"
sha=$(sha256sum "$S/pipeline.json" | cut -d' ' -f1)
echo "$msg" | grep -q "^Pipeline-Sha256: $sha\$"
ok $? "Pipeline-Sha256 trailer is the pipeline file's SHA-256"
is "$(git -C "$S" status --porcelain -- transform/)" "" "transform/ is committed"

a2h -q -C "$S" transform 2>/dev/null
is "$?" 3 "a second transform still exits 3 (the hires still need attention)"
is "$(git -C "$S" rev-parse HEAD)" "$head1" "a second transform with the same inputs commits nothing"
ntags=$(git -C "$S" tag -l 'run/*' | wc -l)
ok $([ "$ntags" -ge 2 ]; echo $?) "each transform run is tagged ($ntags tags)"

printf 'application_id,field,value\na1000000-0000-4000-8000-000000000009,lastName,Ciccone\n' >"$S/overrides.csv"
a2h -q -C "$S" transform 2>/dev/null
is "$?" 3 "with an override one hire is still set aside (no accepted offer)"
grep -q '"lastName": "Ciccone"' "$S/transform/new_hires.json"
ok $? "the override supplies Madonna's last name"
is "$(tail -n +2 "$S/transform/rejects.csv" | wc -l | tr -d ' ')" 1 "one reject left"
git -C "$S" log -1 --format=%B | grep -q 'a1000000-0000-4000-8000-000000000009 lastName: Ciccone'
ok $? "the commit body lists the override"

printf 'application_id,field,value\nx,nickname,Bob\n' >"$S/overrides.csv"
a2h -q -C "$S" transform 2>"$TEST_TMP/err2"
is "$?" 1 "an unknown override field fails the transform"
grep -q "overrides.csv: line 2: unknown field 'nickname'" "$TEST_TMP/err2"
ok $? "and says which line and field"
rm -f "$S/overrides.csv"

head2=$(git -C "$S" rev-parse HEAD)
tags2=$(git -C "$S" tag -l 'run/*' | wc -l)
cp "$S/pipeline.json" "$TEST_TMP/pipeline.good"
sed 's/"firstName": { "from": "candidate.name.first", "required": true }/"firstName": { "enabled": false }/' \
	"$TEST_TMP/pipeline.good" >"$S/pipeline.json"
a2h -q -C "$S" transform 2>"$TEST_TMP/err3"
is "$?" 1 "an invalid pipeline exits 1"
grep -q "pipeline.json: fields.firstName.enabled: firstName is required and cannot be switched off" "$TEST_TMP/err3"
ok $? "naming the bad key"
is "$(git -C "$S" rev-parse HEAD)" "$head2" "no commit"
is "$(git -C "$S" tag -l 'run/*' | wc -l)" "$tags2" "no run tag: refused before the run began"
cp "$TEST_TMP/pipeline.good" "$S/pipeline.json"

done_testing
