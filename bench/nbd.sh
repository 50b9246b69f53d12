#!/usr/bin/env bash
# virtvault against virtnbdbackup (Debian's package) on a scattered change
# (part of 'make bench'; issue 25). Two identical live TCG guests, one for
# each tool so that neither tool's checkpoints and bitmaps disturb the
# other; each guest's qcow2 data disk holds an ext4 file system with a
# 600 MiB file of random data. In one run: each tool's full backup, then
# the same change inside both guests (320 writes of 64 KiB of fresh random
# data at the same random, distinct offsets of that file, then sync), then
# virtnbdbackup's incremental (-l inc, into its folder) and virtvault's
# nightly (changed-block tracking, into a local repository), both at their
# default settings. Each pair is measured back to back, with both guests
# running, so that both tools see the same machine. Prints the table and
# the goals met or missed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
VV=$top/virtvault
W=${BENCH_DIR:-$top/build/bench-nbd}
rm -rf "$W"
mkdir -p "$W"

. "$top/bench/lib.sh"
bench_deps
bench_bed

echo "== the data disk: ext4 holding a 600 MiB file of random data"
mkdir -p "$W/fsroot"
head -c $((600 * MiB)) /dev/urandom >"$W/fsroot/random.bin"
truncate -s 1G "$W/data.raw"
# Inode tables and journal zeroed here: a guest's lazy init would
# otherwise write them between the full backup and the nightly.
mkfs.ext4 -q -F -L vvdata -E lazy_itable_init=0,lazy_journal_init=0 -d "$W/fsroot" "$W/data.raw"
rm -rf "$W/fsroot"
qemu-img convert -f raw -O qcow2 "$W/data.raw" "$W/data.qcow2"
rm -f "$W/data.raw"
echo "image: $(du -B1 "$W/data.qcow2" | cut -f1) bytes allocated"

# guest_up NAME: vvtest-NAME running on a copy of the data disk, its
# agent answering.
guest_up() {
	local dir=$BED_DIR/$1
	mkdir -p "$dir"
	cp "$W/data.qcow2" "$dir/data.qcow2"
	truncate -s 16M "$dir/scratch.raw"
	cp "$BED_GUEST/vmlinuz" "$BED_GUEST/initrd.img" "$dir/"
	: >"$dir/console.log"
	bed_domain_xml "$1" vv.nowriter >"$dir/domain.xml"
	echo "vvtest-$1" >>"$BED_DIR/domains"
	virsh -q -c "$BED_URI" define "$dir/domain.xml" >/dev/null
	virsh -q -c "$BED_URI" start "vvtest-$1" >/dev/null
	bed_wait_agent "vvtest-$1" 90 "$dir/console.log"
	grep -q "vv-guest: /data mounted" "$dir/console.log" ||
		{ echo "bench: vvtest-$1 did not mount its data disk" >&2; exit 1; }
}
echo "== two identical guests: vvtest-nbd (virtnbdbackup), vvtest-vv (virtvault)"
guest_up nbd
guest_up vv
rm -f "$W/data.qcow2"

export VIRTVAULT_PASSWORD=bench-password
{
	printf '[agent]\nlibvirt_uri = %s\nstate_dir = %s/state\n' "$BED_URI" "$W"
	printf '[job bench]\ndomains = vvtest-vv\nexclude_disks = vdb\n'
	printf '[repository]\nurl = file://%s/repo\n' "$W"
} >"$W/vv.conf"
chmod 600 "$W/vv.conf"
"$VV" -q -c "$W/vv.conf" init >/dev/null
mkdir -p "$W/scratch"
NBD=(virtnbdbackup -U "$BED_URI" -d vvtest-nbd -x vdb -n -S "$W/scratch" -o "$W/nbd")
size() { du -sb "$1" | cut -f1; }
jget() { tail -n1 "$W/$1.log" | python3 -c "import json,sys; d=json.load(sys.stdin)['domains'][0]; print($2)"; }

echo "== full backups (live guests)"
measure nbd_full "${NBD[@]}" -l full
W_NBD_FULL=$(size "$W/nbd")
measure vv_full "$VV" -q -c "$W/vv.conf" backup vvtest-vv --job bench --json

echo "== the change, the same in both guests: 320 x 64 KiB at random offsets of the file, then sync"
# Block numbers (64 KiB) of the 600 MiB file, distinct, in random order.
offs=$(python3 -c 'import random; print(" ".join(map(str, random.sample(range(9600), 320))))')
changed=$((320 * 65536))
for d in vvtest-nbd vvtest-vv; do
	guest_run "$d" "for o in $offs; do dd if=/dev/urandom of=/data/random.bin bs=64k count=1 seek=\$o conv=notrunc 2>/dev/null || exit 1; done; sync; echo done" >"$W/change-$d.out"
	grep -q '^done$' "$W/change-$d.out" || { echo "bench: the writes in $d failed" >&2; exit 1; }
done

echo "== incremental backups"
measure nbd_inc "${NBD[@]}" -l inc
W_NBD_INC=$(($(size "$W/nbd") - W_NBD_FULL))
measure vv_nightly "$VV" -q -c "$W/vv.conf" backup vvtest-vv --job bench --json
ls -l "$W/nbd" >"$W/nbd.files"

mode=$(jget vv_nightly '[f for f in d["files"] if f["file"] == "data.qcow2"][0]["read_mode"]')
declare -A READ STORED
for n in vv_full vv_nightly; do
	READ[$n]=$(jget $n 'd["bytes_read"]')
	STORED[$n]=$(jget $n 'd["bytes_stored"]')
done

mb() { printf '%.1f' "$(echo "$1 / 1000000" | bc -l)"; }
mib() { echo $(($1 / 1024)); }
echo
echo "virtvault at its defaults (1 MiB chunks, deduplication, zstd, AES-256-GCM), local repository;"
echo "virtnbdbackup $(virtnbdbackup -V 2>&1 | tail -n1) at its defaults (stream format, no compression), into a folder."
echo "The guest changed $changed bytes (320 distinct 64 KiB blocks); virtvault's nightly read mode: $mode."
printf '\n%-14s %-12s %8s %10s %12s %9s\n' tool backup "wall s" "read MB" "written MB" "RSS MiB"
printf '%-14s %-12s %8s %10s %12s %9s\n' \
	virtnbdbackup full "${R_T[nbd_full]}" - "$(mb "$W_NBD_FULL")" "$(mib "${R_RSS[nbd_full]}")" \
	virtnbdbackup incremental "${R_T[nbd_inc]}" - "$(mb "$W_NBD_INC")" "$(mib "${R_RSS[nbd_inc]}")" \
	virtvault full "${R_T[vv_full]}" "$(mb "${READ[vv_full]}")" "$(mb "${STORED[vv_full]}")" "$(mib "${R_RSS[vv_full]}")" \
	virtvault nightly "${R_T[vv_nightly]}" "$(mb "${READ[vv_nightly]}")" "$(mb "${STORED[vv_nightly]}")" "$(mib "${R_RSS[vv_nightly]}")"
echo "(written: virtnbdbackup's folder's growth; virtvault's bytes_stored, after deduplication and compression)"

python3 - <<PY
t = dict(nbd_full=${R_T[nbd_full]}, nbd_inc=${R_T[nbd_inc]}, vv_full=${R_T[vv_full]}, vv_nightly=${R_T[vv_nightly]})
read_nightly, changed = ${READ[vv_nightly]}, $changed
print()
print(f"full backup, live guest: virtvault {t['vv_full']:.2f}s, virtnbdbackup {t['nbd_full']:.2f}s: "
      f"virtvault {t['nbd_full'] / t['vv_full']:.2f}x as fast")
speed = t["nbd_inc"] / t["vv_nightly"]
print(f"{'met   ' if speed >= 1.5 else 'MISSED'} nightly >= 1.5x as fast as virtnbdbackup's incremental: "
      f"{speed:.2f}x ({t['vv_nightly']:.2f}s against {t['nbd_inc']:.2f}s)")
amp = read_nightly / changed
print(f"{'met   ' if amp <= 2 else 'MISSED'} nightly's bytes read <= 2x the bytes the guest changed: "
      f"{amp:.2f}x ({read_nightly} against {changed})")
PY
