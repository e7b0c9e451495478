#!/bin/sh
# The command line: help, version, usage errors.
. "$top_srcdir/tests/lib.sh"

a2h --help >"$TEST_TMP/help" 2>&1; ok $? "--help exits 0"
grep -q '^usage: ashby2humaans' "$TEST_TMP/help"; ok $? "--help prints the synopsis"
for c in init check extract transform plan apply run log show export delete-new-hire forget serve; do
	grep -q "^  $c " "$TEST_TMP/help"; ok $? "--help lists $c"
	a2h "$c" --help >"$TEST_TMP/chelp" 2>&1; ok $? "$c --help exits 0"
	grep -q "^usage: ashby2humaans \[global options\] $c" "$TEST_TMP/chelp"; ok $? "$c --help prints its usage"
done
v=$(a2h --version); ok $? "--version exits 0"
case "$v" in "ashby2humaans "[0-9]*) ok 0 "--version prints the version";; *) ok 1 "--version prints the version";; esac
a2h frobnicate >"$TEST_TMP/out" 2>&1; is $? 1 "an unknown command exits 1"
grep -q "unknown command 'frobnicate'" "$TEST_TMP/out"; ok $? "an unknown command is named"
grep -q '^usage:' "$TEST_TMP/out"; ok $? "an unknown command prints the usage"
a2h --frobnicate >"$TEST_TMP/out" 2>&1; is $? 1 "an unknown option exits 1"
grep -q '^usage:' "$TEST_TMP/out"; ok $? "an unknown option prints the usage"
a2h >"$TEST_TMP/out" 2>&1; is $? 1 "no command exits 1"
for c in init check extract transform plan apply run log show export delete-new-hire forget serve; do
	roff=$(printf '%s' "$c" | sed 's/-/\\\\-/g')
	grep -q "^\.B $roff" "$top_srcdir/doc/ashby2humaans.1"; ok $? "the man page documents $c"
done
grep -q "ASHBY_WEBHOOK_SECRET" "$TEST_TMP/help"; ok $? "--help names ASHBY_WEBHOOK_SECRET"
# Only what is built is advertised: a command that does not exist is unknown
# everywhere (help, man page, README).
for c in frobnicate; do
	a2h "$c" >"$TEST_TMP/out" 2>&1; is $? 1 "$c is an unknown command"
	grep -q "^  $c " "$TEST_TMP/help"; is $? 1 "--help does not list $c"
	grep -q "^\.B $c" "$top_srcdir/doc/ashby2humaans.1"; is $? 1 "the man page does not list $c"
	grep -q "ashby2humaans.* $c\b\|^| \`$c" "$top_srcdir/README.md"; is $? 1 "the README does not offer $c"
done
# forget and serve are built: the README offers them too.
for c in forget serve; do
	grep -q "ashby2humaans.* $c\b" "$top_srcdir/README.md"; ok $? "the README documents $c"
done
done_testing
