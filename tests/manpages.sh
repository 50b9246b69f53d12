#!/usr/bin/env bash
# The man pages document everything there is: every command of the command
# table (cli/main.c) has a section of virtvault(8), every long option of a
# command (cli/cmd_*.c) an entry there, every key of the key table
# (conf/conf_keys.c) an entry of virtvault.conf(5); both pages build with
# scdoc. Part of make check.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
p8=$top/docs/virtvault.8.scd
p5=$top/docs/virtvault.conf.5.scd
missing=0
miss() { echo "manpages: $*"; missing=$((missing + 1)); }

for c in $(grep -o '{ "[a-z-]*", cmd_' "$top/cli/main.c" | cut -d'"' -f2); do
	grep -q "^## $c\b" "$p8" || miss "command '$c' has no section in virtvault(8)"
done
for f in "$top"/cli/cmd_*.c; do
	for o in $(grep -o '{ "[a-z0-9-]*", [a-z_]*_argument' "$f" | cut -d'"' -f2); do
		[ "$o" = help ] && continue
		grep -q -- "\*--$o\*" "$p8" || miss "option --$o ($(basename "$f")) has no entry in virtvault(8)"
	done
done
for k in $(grep -o 'KEY(CONF_SEC_[A-Z]*, "[a-z_0-9]*"' "$top/conf/conf_keys.c" | cut -d'"' -f2); do
	grep -q "^\*$k\* = " "$p5" || miss "configuration key '$k' has no entry in virtvault.conf(5)"
done
for p in "$p8" "$p5"; do
	scdoc <"$p" >/dev/null || miss "$(basename "$p") does not build with scdoc"
done
if [ $missing -gt 0 ]; then
	echo "manpages: $missing missing"
	exit 1
fi
echo "manpages: every command, option and configuration key documented"
