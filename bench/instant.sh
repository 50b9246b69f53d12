#!/usr/bin/env bash
# Instant restore benchmark (part of 'make bench'): a shut-off guest whose
# data disk is the benchmark image (2 GiB virtual, ~1.4 GiB allocated) is
# backed up, then brought back two ways in one run: a normal restore
# --define and start, and restore --instant. For each, the seconds from
# the command to the new guest's agent answering; for --instant also until
# its disks stand alone (the pull done, the mount released).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
VV=$top/virtvault
W=${BENCH_DIR:-$top/build/bench-instant}
rm -rf "$W"
mkdir -p "$W"

. "$top/bench/lib.sh"
bench_deps
bench_bed

echo "== the source: a shut-off guest, its data disk the benchmark image"
dir=$BED_DIR/isrc
mkdir -p "$dir"
make_image "$dir/data.qcow2"
truncate -s 16M "$dir/scratch.raw"
cp "$BED_GUEST/vmlinuz" "$BED_GUEST/initrd.img" "$dir/"
bed_domain_xml isrc vv.nowriter vv.nodata >"$dir/domain.xml"
echo vvtest-isrc >>"$BED_DIR/domains"
virsh -q -c "$BED_URI" define "$dir/domain.xml" >/dev/null
printf '[agent]\nlibvirt_uri = %s\nstate_dir = %s/state\n[repository]\nurl = file://%s/repo\n' \
	"$BED_URI" "$W" "$W" >"$W/vv.conf"
chmod 600 "$W/vv.conf"
export VIRTVAULT_PASSWORD=bench-password
"$VV" -q -c "$W/vv.conf" init >/dev/null
"$VV" -q -c "$W/vv.conf" backup vvtest-isrc
echo "image: $(du -B1 "$dir/data.qcow2" | cut -f1) bytes allocated"

answers() {
	virsh -c "$BED_URI" qemu-agent-command "$1" '{"execute":"guest-ping"}' --timeout 2 >/dev/null 2>&1
}
# until_answers DOM T0: seconds from T0 until DOM's agent answers.
until_answers() {
	until answers "$1"; do sleep 0.2; done
	echo "$(date +%s.%N) - $2" | bc
}

echo "== normal: restore --define, then start"
echo vvtest-normal >>"$BED_DIR/domains"
t0=$(date +%s.%N)
"$VV" -q -c "$W/vv.conf" restore vvtest-isrc@latest --to "$W/normal" --define --name vvtest-normal >/dev/null
t_restored=$(echo "$(date +%s.%N) - $t0" | bc)
virsh -q -c "$BED_URI" start vvtest-normal >/dev/null
t_normal=$(until_answers vvtest-normal "$t0")
bed_down normal

echo "== instant: restore --instant"
echo vvtest-instant >>"$BED_DIR/domains"
t0=$(date +%s.%N)
"$VV" -q -c "$W/vv.conf" restore vvtest-isrc@latest --to "$W/instant" --define --name vvtest-instant --instant \
	>"$W/instant.log" 2>&1 &
ipid=$!
until grep -q "started" "$W/instant.log" 2>/dev/null; do sleep 0.1; done
t_instant=$(until_answers vvtest-instant "$t0")
wait "$ipid"
t_standalone=$(echo "$(date +%s.%N) - $t0" | bc)
bed_down instant

printf '\n%-44s %8s\n' "seconds from the command" "s"
printf '%-44s %8.1f\n' "normal: restore done" "$t_restored"
printf '%-44s %8.1f\n' "normal: restore + start, agent answers" "$t_normal"
printf '%-44s %8.1f\n' "instant: agent answers" "$t_instant"
printf '%-44s %8.1f\n' "instant: disks stand alone, mount released" "$t_standalone"
printf '%-44s %8.1fx\n' "agent answering, normal / instant" "$(echo "$t_normal / $t_instant" | bc -l)"
