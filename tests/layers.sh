#!/bin/sh
# The include graph of src/ against the layer order (doc/ARCHITECTURE.md):
#     cli  >  stages  >  apis, store  >  base
# A file may include headers of its own folder and of the layers below it;
# apis and store sit side by side and never include each other. One TAP line
# per source file, plus the size limits of the house (no source file over
# 1,000 lines).
top=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$top/src" || exit 1

rank() {
	case $1 in
	base) echo 0 ;;
	apis | store) echo 1 ;;
	stages) echo 2 ;;
	cli) echo 3 ;;
	*) echo 99 ;;
	esac
}

n=0
out=""
files=$(find . -name '*.[ch]' | sed 's|^\./||' | LC_ALL=C sort)
for f in $files; do
	dir=${f%%/*}
	r=$(rank "$dir")
	bad=""
	for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
		case $inc in
		config.h) continue ;;
		*/*) ;;
		*) bad="$bad $inc(no layer named)"; continue ;;
		esac
		idir=${inc%%/*}
		case $inc in
		*-int.h) # a module's private header: only its own folder includes it
			[ "${inc%/*}" = "${f%/*}" ] || bad="$bad $inc(private to ${inc%/*})"
			continue ;;
		esac
		[ "$idir" = "$dir" ] && continue
		ir=$(rank "$idir")
		if [ "$ir" -ge "$r" ]; then
			bad="$bad $inc"
		fi
	done
	n=$((n + 1))
	if [ -z "$bad" ]; then
		out="${out}ok $n - $f includes only its own layer and those below
"
	else
		out="${out}not ok $n - $f includes a layer at or above its own:$bad
"
	fi
	lines=$(wc -l <"$f")
	n=$((n + 1))
	if [ "$lines" -le 1000 ]; then
		out="${out}ok $n - $f has $lines lines (at most 1000)
"
	else
		out="${out}not ok $n - $f has $lines lines (more than 1000)
"
	fi
done

# Functions: at most 120 lines from the opening brace (column 0, Linux style)
# to the closing one.
long=$(awk 'FNR == 1 { name = "" }
	/^[a-z_].*\(/ { name = $0; sub(/\(.*/, "", name); sub(/.*[ *]/, "", name) }
	/^\{/ { start = FNR }
	/^\}/ && start { if (FNR - start + 1 > 120) printf "%s:%s(%d lines) ", FILENAME, name, FNR - start + 1; start = 0 }' \
	$(echo "$files" | grep '\.c$'))
n=$((n + 1))
if [ -z "$long" ]; then
	out="${out}ok $n - no function over 120 lines
"
else
	out="${out}not ok $n - functions over 120 lines: $long
"
fi

# No circles between modules: every include of another module's header is an
# arrow, and tsort finds the loops.
loops=$(for f in $files; do
	m=${f%.*}
	sed -n 's/^#include "\([a-z]*\/[^"]*\)\.h".*/\1/p' "$f" | while read -r inc; do
		[ "$inc" = "$m" ] || echo "$m $inc"
	done
done | tsort 2>&1 >/dev/null | sed -n 's/^tsort: //p' | grep -v 'input contains a loop' | tr '\n' ' ')
n=$((n + 1))
if [ -z "$loops" ]; then
	out="${out}ok $n - no module includes another that includes it back
"
else
	out="${out}not ok $n - include loops between modules: $loops
"
fi

echo "1..$n"
printf '%s' "$out"
