# tests/lib.sh: helpers for the shell tests (TAP output, temp dirs).
# Sourced by tests/*.sh; expects $ASHBY2HUMAANS, $top_srcdir, $top_builddir.
set -u

tap_n=0
tap_failed=0
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/a2h-test.XXXXXX")
trap 'tap_cleanup' EXIT

tap_cleanup() {
	[ -n "${TEST_CLEANUP:-}" ] && eval "$TEST_CLEANUP"
	rm -rf "$TEST_TMP"
}

ok() { # ok COND_EXIT_STATUS DESCRIPTION
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		tap_failed=$((tap_failed + 1))
		echo "not ok $tap_n - $2"
	fi
}

check() { # check DESCRIPTION CMD...: passes when CMD exits 0
	desc=$1; shift
	if "$@" >"$TEST_TMP/check.out" 2>&1; then ok 0 "$desc"; else
		ok 1 "$desc"; sed 's/^/#   /' "$TEST_TMP/check.out"; fi
}

is() { # is GOT WANT DESCRIPTION
	if [ "$1" = "$2" ]; then ok 0 "$3"; else
		ok 1 "$3"; echo "#   got:  '$1'"; echo "#   want: '$2'"; fi
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

a2h() { "$ASHBY2HUMAANS" "$@"; }
