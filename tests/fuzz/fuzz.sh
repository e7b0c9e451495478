#!/bin/sh
# tests/fuzz/fuzz.sh: build and run the libFuzzer targets (make fuzz, make fuzz-replay).
#
#   fuzz.sh run      build, then fuzz each target for FUZZ_SECONDS (default 60) seconds,
#                    one at a time, starting from its seed corpus; print a table of the
#                    figures from libFuzzer's final stats
#   fuzz.sh replay   build, then run each target once over its seed corpus (no fuzzing)
#
# Set by the Makefile: FUZZ_CC (clang), FUZZ_SRCDIR (the source tree), FUZZ_CPPFLAGS,
# FUZZ_DEPCFLAGS, FUZZ_LIBS, FUZZ_SOURCES (the core library's sources, relative to
# FUZZ_SRCDIR). Knobs: FUZZ_SECONDS, FUZZ_TARGETS (a subset, by name without "fuzz-"),
# FUZZ_FLAGS (extra libFuzzer flags). Work files go to ./tests/fuzz/ in the build tree:
# objects, binaries, and per target a corpus of what the fuzzer found (work/<target>/) and
# any crash (crash-<target>-*).
set -eu

mode=${1:-run}
: "${FUZZ_CC:=clang}" "${FUZZ_SRCDIR:=.}" "${FUZZ_SECONDS:=60}" "${FUZZ_FLAGS:=}"
: "${FUZZ_CPPFLAGS:=}" "${FUZZ_DEPCFLAGS:=}" "${FUZZ_LIBS:=}" "${FUZZ_SOURCES:=}"
fz=$FUZZ_SRCDIR/tests/fuzz
out=tests/fuzz
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cflags="-std=c11 -g -O1 $san $FUZZ_CPPFLAGS $FUZZ_DEPCFLAGS"
targets=${FUZZ_TARGETS:-"ashby-envelope humaans-response records plan pipeline overrides csv webhook"}

mkdir -p "$out/obj"
# The core library, instrumented for coverage; an object is rebuilt when its source or any
# header is newer.
newest_h=$(ls -t "$FUZZ_SRCDIR"/src/*/*.h | head -n 1)
objs=
for src in $FUZZ_SOURCES; do
	case $src in
	*.c) ;;
	*) continue ;;
	esac
	case $src in
	src/cli/*) continue ;; # the commands: no target needs them
	esac
	o=$out/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')
	if [ ! -f "$o" ] || [ "$FUZZ_SRCDIR/$src" -nt "$o" ] || [ "$newest_h" -nt "$o" ]; then
		echo "  CC (fuzz) $src"
		# shellcheck disable=SC2086
		$FUZZ_CC $cflags -fsanitize=fuzzer-no-link -c "$FUZZ_SRCDIR/$src" -o "$o"
	fi
	objs="$objs $o"
done
rm -f "$out/libcore-fuzz.a"
# shellcheck disable=SC2086
ar cr "$out/libcore-fuzz.a" $objs
for t in $targets; do
	echo "  CCLD (fuzz) fuzz-$t"
	# shellcheck disable=SC2086
	$FUZZ_CC $cflags -fsanitize=fuzzer -I"$fz" "$fz/fuzz-$t.c" "$out/libcore-fuzz.a" \
		$FUZZ_LIBS -o "$out/fuzz-$t"
done

status=0
summary=$out/fuzz-summary.txt
printf '%-18s %10s %8s %7s %7s %6s %s\n' target execs exec/s cov ft corpus result >"$summary"
for t in $targets; do
	seeds=$fz/corpus/$t
	log=$out/fuzz-$t.log
	if [ "$mode" = replay ]; then
		# -runs=0 executes each seed once and stops.
		# shellcheck disable=SC2086
		if "$out/fuzz-$t" -runs=0 -print_final_stats=1 $FUZZ_FLAGS "$seeds" >"$log" 2>&1; then
			r=ok
		else
			r=FAILED
			status=1
		fi
	else
		mkdir -p "$out/work/$t"
		echo "fuzzing $t for ${FUZZ_SECONDS}s (log: $log)"
		# New inputs go to the build tree's work corpus, never into the seeds.
		# shellcheck disable=SC2086
		if "$out/fuzz-$t" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 \
			-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$out/crash-$t-" $FUZZ_FLAGS \
			"$out/work/$t" "$seeds" >"$log" 2>&1; then
			r=ok
		else
			r="CRASH: see $log"
			status=1
		fi
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	last=$(grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -n 1 || true)
	cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p')
	printf '%-18s %10s %8s %7s %7s %6s %s\n' "$t" "${execs:--}" "${rate:--}" "${cov:--}" \
		"${ft:--}" "${corp:--}" "$r" >>"$summary"
done
cat "$summary"
exit $status
