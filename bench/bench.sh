#!/usr/bin/env bash
# The benchmark harness behind 'make bench' (not part of 'make check').
#
# Makes a 2 GiB-virtual qcow2 with about 1.4 GiB allocated (half random,
# half log-like text, the rest holes) and measures, in one run on the same
# file: virtvault full backup and restore into a local repository; a
# "nightly" change of 320 random 64 KiB writes and the second backup; the
# baselines cp --sparse=always, openssl dgst -sha256, zstd -1 -T2, and
# restic (full and after the same change). Then the peak RSS of a backup of
# an 8 GiB image. Prints wall time, MB/s of allocated data, peak RSS and
# bytes stored for each, the ratios, and the goals met or missed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
VV=$top/virtvault
W=${BENCH_DIR:-$top/build/bench}
rm -rf "$W"
mkdir -p "$W"
trap 'rm -rf "$W"' EXIT


. "$top/bench/lib.sh"
bench_deps

echo "== making the image (2 GiB virtual, ~1.4 GiB allocated)"
img=$W/disk.qcow2
make_image "$img"
alloc=$(du -B1 "$img" | cut -f1)
echo "image: $(du -h "$img" | cut -f1) allocated, $alloc bytes"

cat >"$W/vv.conf" <<CONF
[repository]
url = file://$W/vvrepo
CONF
chmod 600 "$W/vv.conf"
export VIRTVAULT_PASSWORD=bench-password RESTIC_PASSWORD=bench-password
"$VV" -q -c "$W/vv.conf" init >/dev/null

echo "== baselines"
measure cp cp --sparse=always "$img" "$W/copy.qcow2"
measure sha openssl dgst -sha256 "$img"
measure zstd sh -c "zstd -1 -T2 -c '$img' >/dev/null"
# The durable write rate of this disk (the restore's ceiling): direct, flushed.
dd if=/dev/zero of="$W/ddtest" bs=1M count=512 oflag=direct conv=fsync 2>"$W/dd.log"
r_write=$(grep -o '[0-9.]* [MG]B/s' "$W/dd.log" | tail -n1)
rm -f "$W/ddtest"

echo "== virtvault full backup and restore"
measure vv_full "$VV" -q -c "$W/vv.conf" backup --image "$img" --name bench --json
R_STORED[vv_full]=$(tail -n1 "$W/vv_full.log" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bytes_stored"])')
mkdir -p "$W/restore"
measure vv_restore "$VV" -q -c "$W/vv.conf" restore bench@latest --to "$W/restore"
cmp "$img" "$W/restore/disk.qcow2" || { echo "bench: restored image differs" >&2; exit 1; }
# The restore's floor on this disk: it reads what the backup stored while it
# writes the image, both on this one disk. Timed here as a direct read of
# that many bytes beside a direct, flushed write of the image's size.
rm -rf "$W/restore"
mkdir -p "$W/restore"
measure disk_floor sh -c "dd if='$img' of=/dev/null bs=1M count=$((R_STORED[vv_full] / MiB)) iflag=direct status=none &
	dd if=/dev/zero of='$W/ddtest' bs=1M count=$(($(stat -c %s "$img") / MiB)) oflag=direct conv=fsync status=none; wait"
rm -f "$W/ddtest"

echo "== restic full backup"
restic init -q -r "$W/resticrepo" >/dev/null
b0=$(du -sb "$W/resticrepo" | cut -f1)
measure restic_full restic -q -r "$W/resticrepo" backup "$img"
b1=$(du -sb "$W/resticrepo" | cut -f1)
R_STORED[restic_full]=$((b1 - b0))

echo "== nightly change: 320 random 64 KiB writes inside the data"
nightly_change "$img"

measure vv_nightly "$VV" -q -c "$W/vv.conf" backup --image "$img" --name bench --json
R_STORED[vv_nightly]=$(tail -n1 "$W/vv_nightly.log" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bytes_stored"])')
b0=$(du -sb "$W/resticrepo" | cut -f1)
measure restic_nightly restic -q -r "$W/resticrepo" backup "$img"
b1=$(du -sb "$W/resticrepo" | cut -f1)
R_STORED[restic_nightly]=$((b1 - b0))

echo "== peak memory with an 8 GiB image (2 GiB allocated)"
big=$W/big.raw
truncate -s 8G "$big"
for o in 0 3 5 7; do
	head -c $((512 * MiB)) /dev/urandom | dd of="$big" bs=1M seek=$((o * 1024)) conv=notrunc status=none
done
measure vv_8g "$VV" -q -c "$W/vv.conf" backup --image "$big" --name big --json

echo "== S3: the same image through Ceph RGW on loopback"
bash "$top/tests/bed/rgw.sh" start "$W/rgw" 7490 >"$W/rgw.out" 2>"$W/rgw.log"
trap 'bash "$top/tests/bed/rgw.sh" stop "$W/rgw"; rm -rf "$W"' EXIT
read -r S3EP S3AK S3SK _ <"$W/rgw.out"
cat >"$W/s3.conf" <<CONF
[repository]
url = s3://vvbench/repo
endpoint = $S3EP
access_key = $S3AK
secret_key = $S3SK
CONF
chmod 600 "$W/s3.conf"
"$VV" -q -c "$W/s3.conf" init >/dev/null
measure s3_curl curl -s -f --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3AK:$S3SK" \
	-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -T "$img" "$S3EP/vvbench/curl-upload.qcow2"
# The same PUT carrying the payload's SHA-256, as virtvault's requests do
# (curl -T above sends UNSIGNED-PAYLOAD: neither it nor the server hashes).
measure s3_curl_signed sh -c "h=\$(sha256sum '$img' | cut -d' ' -f1) &&
	curl -s -f --aws-sigv4 aws:amz:us-east-1:s3 --user '$S3AK:$S3SK' -H \"x-amz-content-sha256: \$h\" \
	-T '$img' '$S3EP/vvbench/curl-signed.qcow2'"
measure s3_vv_full "$VV" -q -c "$W/s3.conf" backup --image "$img" --name bench --json
R_STORED[s3_vv_full]=$(tail -n1 "$W/s3_vv_full.log" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bytes_stored"])')
REQ_FULL=$(tail -n1 "$W/s3_vv_full.log" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
mkdir -p "$W/s3restore"
measure s3_vv_restore "$VV" -q -c "$W/s3.conf" restore bench@latest --to "$W/s3restore"
cmp "$img" "$W/s3restore/disk.qcow2" || { echo "bench: image restored from S3 differs" >&2; exit 1; }
export AWS_ACCESS_KEY_ID=$S3AK AWS_SECRET_ACCESS_KEY=$S3SK
restic init -q -r "s3:$S3EP/restic" >/dev/null
measure s3_restic_full restic -q -r "s3:$S3EP/restic" backup "$img"
# The same kind of nightly change again, then both nightly backups.
nightly_change "$img"
measure s3_vv_nightly "$VV" -q -c "$W/s3.conf" backup --image "$img" --name bench --json
R_STORED[s3_vv_nightly]=$(tail -n1 "$W/s3_vv_nightly.log" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bytes_stored"])')
REQ_NIGHTLY=$(tail -n1 "$W/s3_vv_nightly.log" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
measure s3_restic_nightly restic -q -r "s3:$S3EP/restic" backup "$img"

rate() { python3 -c "print(f'{$alloc / 1e6 / max($1, 0.001):8.1f}')"; }
mb() { python3 -c "print(f'{$1 / 1e6:10.1f}')"; }
printf '\n%-26s %9s %10s %10s %12s\n' "run" "wall s" "MB/s" "peak RSS" "stored MB"
for n in cp sha zstd vv_full vv_restore restic_full vv_nightly restic_nightly vv_8g \
	disk_floor s3_curl s3_curl_signed s3_vv_full s3_vv_restore s3_restic_full s3_vv_nightly s3_restic_nightly; do
	printf '%-26s %9s %10s %8s MiB %12s\n' "$n" "${R_T[$n]}" "$(rate "${R_T[$n]}")" \
		"$((R_RSS[$n] / 1024))" "$([ -n "${R_STORED[$n]:-}" ] && mb "${R_STORED[$n]}" || echo -)"
done

python3 - <<PY
t = {k: float(v) for k, v in dict(cp=${R_T[cp]}, sha=${R_T[sha]}, zstd=${R_T[zstd]},
     vv_full=${R_T[vv_full]}, vv_restore=${R_T[vv_restore]}, restic_full=${R_T[restic_full]},
     vv_nightly=${R_T[vv_nightly]}, restic_nightly=${R_T[restic_nightly]}).items()}
rss = {"vv_full": ${R_RSS[vv_full]} / 1024, "vv_8g": ${R_RSS[vv_8g]} / 1024,
       "vv_restore": ${R_RSS[vv_restore]} / 1024}
st = {"vv_nightly": ${R_STORED[vv_nightly]}, "restic_nightly": ${R_STORED[restic_nightly]}}
w = "$r_write".split()
r_write = float(w[0]) * (1e9 if w[1].startswith("G") else 1e6)
size = $(stat -c %s "$img")
goals = [
    ("full backup >= 0.8 x zstd -1 -T2 rate", t["zstd"] / t["vv_full"], 0.8),
    ("full backup >= 3 x restic's rate", t["restic_full"] / t["vv_full"], 3.0),
    ("nightly stored <= restic's increment (ratio)", st["restic_nightly"] / max(st["vv_nightly"], 1), 1.0),
    ("nightly time <= 0.3 x restic's (restic/vv >= 3.33)", t["restic_nightly"] / t["vv_nightly"], 1 / 0.3),
    ("restore at least as fast as backup", t["vv_full"] / t["vv_restore"], 1.0),
    ("restore >= 0.8 x the durable write rate", (size / r_write) / t["vv_restore"], 0.8),
    ("peak RSS < 100 MiB (2 GiB image)", 100 / rss["vv_full"], 1.0),
    ("peak RSS < 100 MiB (8 GiB image)", 100 / rss["vv_8g"], 1.0),
    ("S3: full backup >= 1.5 x restic's rate", ${R_T[s3_restic_full]} / ${R_T[s3_vv_full]}, 1.5),
    ("S3: nightly time <= 0.3 x restic's", ${R_T[s3_restic_nightly]} / ${R_T[s3_vv_nightly]}, 1 / 0.3),
    ("S3: full backup >= 0.8 x curl -T (one PUT)", ${R_T[s3_curl]} / ${R_T[s3_vv_full]}, 0.8),
    ("S3: restore at least as fast as backup", ${R_T[s3_vv_full]} / ${R_T[s3_vv_restore]}, 1.0),
]
print(f"durable write (dd oflag=direct conv=fsync): {r_write / 1e6:.0f} MB/s: {size / r_write:.2f}s for the image; restore {t['vv_restore']:.2f}s")
print(f"  the disk's floor for a restore (reading the {${R_STORED[vv_full]} / 1e6:.0f} MB stored while writing the image, same disk): "
      f"{${R_T[disk_floor]}:.2f}s; restore at {${R_T[disk_floor]} / t['vv_restore']:.2f} of it")
print(f"S3: curl -T (one PUT, the transport's ceiling here) {${R_T[s3_curl]}:.2f}s; virtvault full {${R_T[s3_vv_full]}:.2f}s")
print(f"  curl -T with the payload's SHA-256 signed (as virtvault signs, and the server checks) {${R_T[s3_curl_signed]}:.2f}s; "
      f"virtvault at {${R_T[s3_curl_signed]} / ${R_T[s3_vv_full]}:.2f} of it")
print(f"S3 requests made by virtvault: full backup {$REQ_FULL}, nightly {$REQ_NIGHTLY}")
print()
for name, ratio, want in goals:
    print(f"{'met   ' if ratio >= want else 'MISSED'} {name}: {ratio:.2f} (need {want:.2f})")
PY
