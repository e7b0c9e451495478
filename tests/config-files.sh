#!/bin/sh
# The operator's files pipeline.json and overrides.csv: a UTF-8 byte order mark
# (as spreadsheets and some editors save) is accepted; neither file is read
# through a symbolic link, and a parse error gives a position, never the
# file's content.
. "$top_srcdir/tests/lib.sh"

if ! command -v git >/dev/null 2>&1; then
	echo "1..0 # SKIP git(1) is needed to inspect the staging repo"
	exit 0
fi

S="$TEST_TMP/staging"
fx="$top_srcdir/fixtures/transform-demo"
secret="$TEST_TMP/secrets.env"
printf 'SeCrEtToKeN0123456789 = "x"\n' >"$secret"
bom=$(printf '\357\273\277')

# no_secret DESCRIPTION FILE...: the secret file's content appears in none of them, nor in git.
no_secret() {
	desc=$1
	shift
	! grep -q 'SeCrEtToKeN' "$@" && ! git -C "$S" log --all --format=%B | grep -q 'SeCrEtToKeN'
	ok $? "$desc"
}

a2h -q init "$S" >/dev/null 2>&1
ok $? "init a staging repo"
mkdir -p "$S/extract"
cp "$fx"/extract/*.json "$S/extract/"
a2h -q -C "$S" transform 2>/dev/null
is "$?" 3 "transform of the demo extract exits 3 (hires set aside)"
cp "$S/transform/new_hires.json" "$TEST_TMP/plain.json"

# -- byte order marks
{ printf '%s' "$bom"; printf 'application_id,field,value\na1000000-0000-4000-8000-000000000009,lastName,Ciccone\n'; } >"$S/overrides.csv"
a2h -q -C "$S" transform 2>"$TEST_TMP/err-bom"
is "$?" 3 "overrides.csv with a byte order mark is accepted"
grep -q '"lastName": "Ciccone"' "$S/transform/new_hires.json"
ok $? "and its override is applied"
rm -f "$S/overrides.csv"

cp "$S/pipeline.json" "$TEST_TMP/pipeline.json"
{ printf '%s' "$bom"; cat "$TEST_TMP/pipeline.json"; } >"$S/pipeline.json"
a2h -q -C "$S" transform 2>"$TEST_TMP/err-bom2"
is "$?" 3 "pipeline.json with a byte order mark is accepted"
check "and maps the hires as without it" cmp "$TEST_TMP/plain.json" "$S/transform/new_hires.json"
cp "$TEST_TMP/pipeline.json" "$S/pipeline.json"

# -- symbolic links
before=$(git -C "$S" rev-parse HEAD)
ln -s "$secret" "$S/overrides.csv"
a2h -C "$S" transform >"$TEST_TMP/out-ov" 2>"$TEST_TMP/err-ov"
is "$?" 1 "overrides.csv as a symbolic link fails the transform"
grep -q 'overrides.csv: refusing to read it through a symbolic link' "$TEST_TMP/err-ov"
ok $? "and says why, naming the file"
no_secret "the link's target is not echoed" "$TEST_TMP/out-ov" "$TEST_TMP/err-ov"
check "transform/new_hires.json is untouched" cmp "$TEST_TMP/plain.json" "$S/transform/new_hires.json"
rm -f "$S/overrides.csv"

mv "$S/pipeline.json" "$TEST_TMP/pipeline.json"
ln -s "$secret" "$S/pipeline.json"
for cmd in transform check "run --dry-run"; do
	# shellcheck disable=SC2086
	ASHBY_API_KEY=k HUMAANS_API_TOKEN=t ASHBY_BASE_URL=http://127.0.0.1:9 \
		HUMAANS_BASE_URL=http://127.0.0.1:9 a2h -C "$S" $cmd >"$TEST_TMP/out-p" 2>"$TEST_TMP/err-p"
	is "$?" 1 "$cmd: pipeline.json as a symbolic link is refused"
	grep -q 'pipeline.json: refusing to read it through a symbolic link' "$TEST_TMP/err-p"
	ok $? "$cmd: and says why, naming the file"
	no_secret "$cmd: the link's target is not echoed" "$TEST_TMP/out-p" "$TEST_TMP/err-p"
done
is "$(git -C "$S" rev-parse HEAD)" "$before" "nothing was committed"
rm -f "$S/pipeline.json"

# -- a parse error names the position, not the content
cp "$secret" "$S/pipeline.json"
a2h -C "$S" transform >"$TEST_TMP/out-j" 2>"$TEST_TMP/err-j"
is "$?" 1 "a pipeline.json that is not JSON fails the transform"
grep -q "pipeline.json: line 1, column [0-9]*: '\\[' or '{' expected\$" "$TEST_TMP/err-j"
ok $? "the message gives the line and column"
no_secret "and not the file's first token" "$TEST_TMP/out-j" "$TEST_TMP/err-j"
printf '{"version": 1, "fields": SeCrEtToKeN}\n' >"$S/pipeline.json"
a2h -C "$S" transform >"$TEST_TMP/out-j" 2>"$TEST_TMP/err-j"
is "$?" 1 "a pipeline.json with a bad token fails the transform"
grep -q 'pipeline.json: line 1, column [0-9]*: invalid token$' "$TEST_TMP/err-j"
ok $? "the message gives the line and column"
no_secret "and not the token" "$TEST_TMP/out-j" "$TEST_TMP/err-j"
cp "$TEST_TMP/pipeline.json" "$S/pipeline.json"

done_testing
