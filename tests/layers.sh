#!/usr/bin/env bash
# The layering rule of docs/ARCHITECTURE.md ("Layers"): a file includes
# headers of its own layer or lower ones (common -> conf -> transport ->
# repo -> state -> agent -> jobrun -> scheduler -> cli), and no two files
# include each other. Prints each violation and "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
layers=(common conf transport repo state agent jobrun scheduler cli)
rank() {
	local i
	for i in "${!layers[@]}"; do
		[ "${layers[$i]}" = "$1" ] && { echo "$i"; return; }
	done
	echo -1
}
failed=0
checked=0
declare -A incl
for f in $(git ls-files '*.c' '*.h' | grep -E "^($(IFS='|'; echo "${layers[*]}"))/"); do
	from=${f%%/*}
	rf=$(rank "$from")
	while read -r h; do
		[ -n "$h" ] || continue
		checked=$((checked + 1))
		incl["$f>$h"]=1
		to=${h%%/*}
		rt=$(rank "$to")
		if [ "$rt" -lt 0 ]; then
			echo "layers: $f includes \"$h\", which is in no layer"
			failed=$((failed + 1))
		elif [ "$from" = transport ] && [ "$to" = conf ]; then
			echo "layers: $f includes \"$h\": the transport knows nothing of the configuration"
			failed=$((failed + 1))
		elif [ "$rt" -gt "$rf" ]; then
			echo "layers: $f ($from) includes \"$h\" of the higher layer $to"
			failed=$((failed + 1))
		fi
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done
# Two files that include each other: X includes Y and Y includes X, or
# module X (x.c) includes y.h while module Y (y.c) includes x.h.
for k in "${!incl[@]}"; do
	a=${k%%>*}
	b=${k#*>}
	if [ -n "${incl["$b>$a"]:-}" ] && [[ "$a" < "$b" ]]; then
		echo "layers: $a and $b include each other"
		failed=$((failed + 1))
	fi
	case $a in *.c) ;; *) continue ;; esac
	ah=${a%.c}.h
	bc=${b%.h}.c
	[ "$ah" != "$b" ] && [ -n "${incl["$bc>$ah"]:-}" ] && [[ "$a" < "$bc" ]] || continue
	echo "layers: $a includes $b and $bc includes $ah: a circle"
	failed=$((failed + 1))
done
passed=$((checked - failed))
[ "$passed" -ge 0 ] || passed=0
echo "layers: $checked includes checked"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
