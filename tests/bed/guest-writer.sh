#!/bin/busybox sh
# Appends numbered, checksummed records to FILE for ever:
#   SEQ MD5("virtvault-record-SEQ")
# so that a copy of the file taken at any instant can be checked: every
# complete line is valid and the numbers are consecutive from 1. Resumes
# after the last valid record when FILE exists (a restored guest). Every
# 16 records it syncs, so that the disk image keeps changing.
f=${1:?usage: vv-writer FILE}
i=0
if [ -f "$f" ]; then
	last=$(tail -n 1 "$f" | cut -d' ' -f1)
	case "$last" in '' | *[!0-9]*) ;; *) i=$last ;; esac
fi
while :; do
	i=$((i + 1))
	s=$(echo "virtvault-record-$i" | md5sum)
	echo "$i ${s%% *}" >>"$f"
	[ $((i % 16)) -eq 0 ] && sync
	usleep 20000
done
