#!/bin/sh
# init: the staging repo on disk, seen through the git CLI.
. "$top_srcdir/tests/lib.sh"

# No git identity and no config: the tool must not need one.
mkdir "$TEST_TMP/home"
HOME="$TEST_TMP/home"; export HOME
GIT_CONFIG_NOSYSTEM=1; export GIT_CONFIG_NOSYSTEM
unset ASHBY2HUMAANS_PIPELINE GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL EMAIL
have_git=0; command -v git >/dev/null 2>&1 && have_git=1
g() { git -c safe.directory='*' -C "$TEST_TMP/x" "$@"; }

a2h init "$TEST_TMP/x" >"$TEST_TMP/out" 2>&1; ok $? "init DIR exits 0"
grep -q "^initialised staging repo in $TEST_TMP/x\$" "$TEST_TMP/out"; ok $? "init says it initialised the repo"
is "$(stat -c %a "$TEST_TMP/x")" 700 "the staging dir is mode 0700"
is "$(stat -c %a "$TEST_TMP/x/pipeline.json")" 600 "pipeline.json is mode 0600"
cmp -s "$TEST_TMP/x/pipeline.json" "$top_srcdir/pipelines/ashby-humaans.json"
ok $? "pipeline.json is the default pipeline"
test -f "$TEST_TMP/x/.gitignore"; ok $? "a .gitignore is committed"

if [ $have_git = 1 ]; then
	is "$(g rev-list --count HEAD)" 1 "exactly one commit"
	g log -1 --format=%B >"$TEST_TMP/msg"
	grep -q '^Run-Id: [0-9]\{8\}T[0-9]\{6\}Z$' "$TEST_TMP/msg"; ok $? "the commit has a Run-Id trailer"
	grep -q '^Stage: init$' "$TEST_TMP/msg"; ok $? "the commit has Stage: init"
	grep -q '^Tool-Version: [0-9]' "$TEST_TMP/msg"; ok $? "the commit has a Tool-Version trailer"
	is "$(g log -1 --format='%an <%ae>')" "ashby2humaans <ashby2humaans@localhost>" "the tool is the author"
	id=$(sed -n 's/^Run-Id: //p' "$TEST_TMP/msg")
	is "$(g tag -l 'run/*')" "run/$id" "the run is tagged run/<Run-Id>"
	is "$(g cat-file -t "run/$id")" tag "the run tag is annotated"
	g cat-file -p "run/$id" >"$TEST_TMP/tag"
	grep -q '^Command: init$' "$TEST_TMP/tag"; ok $? "the tag says Command: init"
	grep -q '^Outcome: ok$' "$TEST_TMP/tag"; ok $? "the tag says Outcome: ok"
	is "$(g status --porcelain)" "" "the work tree is clean"
	head1=$(g rev-parse HEAD)
else
	for i in 1 2 3 4 5 6 7 8 9 10 11; do ok 0 "# SKIP git CLI not installed"; done
fi

a2h init "$TEST_TMP/x" >"$TEST_TMP/out" 2>&1; ok $? "init on a staging repo exits 0"
grep -q "is already a staging repo: nothing changed" "$TEST_TMP/out"; ok $? "and says nothing changed"
if [ $have_git = 1 ]; then
	is "$(g rev-list --count HEAD)" 1 "still one commit"
	is "$(g rev-parse HEAD)" "$head1" "HEAD unchanged"
	is "$(g tag -l 'run/*' | wc -l)" 1 "no new tag"
else
	for i in 1 2 3; do ok 0 "# SKIP git CLI not installed"; done
fi

# The default directory comes from -C / ASHBY2HUMAANS_STAGING.
a2h -C "$TEST_TMP/viaC" init >/dev/null 2>&1; ok $? "init without DIR uses -C"
test -f "$TEST_TMP/viaC/pipeline.json"; ok $? "and creates the repo there"
( cd "$TEST_TMP" && ASHBY2HUMAANS_STAGING="$TEST_TMP/viaenv" a2h init >/dev/null 2>&1 ); ok $? "init without DIR uses ASHBY2HUMAANS_STAGING"
test -f "$TEST_TMP/viaenv/pipeline.json"; ok $? "and creates the repo there"

# ASHBY2HUMAANS_PIPELINE chooses another default pipeline.
printf '{"version": 1}\n' >"$TEST_TMP/p.json"
ASHBY2HUMAANS_PIPELINE="$TEST_TMP/p.json" a2h init "$TEST_TMP/other" >/dev/null 2>&1
cmp -s "$TEST_TMP/other/pipeline.json" "$TEST_TMP/p.json"; ok $? "ASHBY2HUMAANS_PIPELINE is copied"

# Failures.
mkdir "$TEST_TMP/busy"; echo hello >"$TEST_TMP/busy/notes.txt"
a2h init "$TEST_TMP/busy" >"$TEST_TMP/out" 2>&1; is $? 1 "init into a non-empty directory exits 1"
grep -q "exists and is not empty" "$TEST_TMP/out"; ok $? "and says why"
is "$(ls "$TEST_TMP/busy")" notes.txt "and leaves it alone"
ASHBY2HUMAANS_PIPELINE="$TEST_TMP/missing.json" a2h init "$TEST_TMP/nopipe" >"$TEST_TMP/out" 2>&1
is $? 1 "init with a missing pipeline exits 1"
grep -q "missing.json" "$TEST_TMP/out"; ok $? "and names the pipeline"
test ! -e "$TEST_TMP/nopipe"; ok $? "and creates nothing"
a2h init "$TEST_TMP/x" extra >"$TEST_TMP/out" 2>&1; is $? 1 "init with two directories is a usage error"
a2h init --bogus >"$TEST_TMP/out" 2>&1; is $? 1 "init with an unknown option is a usage error"
grep -q '^usage:' "$TEST_TMP/out"; ok $? "and prints the usage"
done_testing
