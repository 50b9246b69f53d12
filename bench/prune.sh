#!/usr/bin/env bash
# The retention benchmark behind 'make bench' (after bench.sh): a history of
# BENCH_NIGHTS (30) nightly snapshots of the benchmark image, each night the
# same kind of change (320 random 64 KiB writes), kept as --keep-daily 7
# --keep-weekly 4: virtvault 'forget' + 'prune' against restic 'forget
# --prune' on the same history, on file:// and on Ceph RGW. Prints time,
# peak RSS, bytes freed and (S3) requests, the ratios, and the goals.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
VV=$top/virtvault
W=${BENCH_DIR:-$top/build/bench-prune}
NIGHTS=${BENCH_NIGHTS:-30}
rm -rf "$W"
mkdir -p "$W"
trap 'rm -rf "$W"' EXIT
. "$top/bench/lib.sh"
bench_deps
declare -A FREED

echo "== making the image and $NIGHTS nights of history"
img=$W/disk.qcow2
make_image "$img"
# Thirty nights of two tools outgrow the test bed's 8 GiB OSD.
RGW_BLOCK_SIZE=$((48 << 30)) bash "$top/tests/bed/rgw.sh" start "$W/rgw" 7491 >"$W/rgw.out" 2>"$W/rgw.log"
trap 'bash "$top/tests/bed/rgw.sh" stop "$W/rgw"; rm -rf "$W"' EXIT
read -r S3EP S3AK S3SK _ <"$W/rgw.out"
export VIRTVAULT_PASSWORD=bench-password RESTIC_PASSWORD=bench-password
export AWS_ACCESS_KEY_ID=$S3AK AWS_SECRET_ACCESS_KEY=$S3SK
printf '[agent]\nhost = bench\n[repository]\nurl = file://%s/vvrepo\n' "$W" >"$W/file.conf"
printf '[agent]\nhost = bench\n[repository]\nurl = s3://vvprune/repo\nendpoint = %s\n' "$S3EP" >"$W/s3.conf"
chmod 600 "$W/file.conf" "$W/s3.conf"
"$VV" -q -c "$W/file.conf" init >/dev/null
"$VV" -q -c "$W/s3.conf" init >/dev/null
restic init -q -r "$W/resticrepo" >/dev/null
restic init -q -r "s3:$S3EP/restic" >/dev/null
for n in $(seq 1 "$NIGHTS"); do
	when=$(date -u -d "2026-10-01 02:00 UTC + $n days" +%Y-%m-%dT%H:%M:%SZ)
	rwhen=$(TZ=UTC date -d "2026-10-01 02:00 UTC + $n days" '+%Y-%m-%d %H:%M:%S')
	[ "$n" = 1 ] || nightly_change "$img"
	"$VV" -q -c "$W/file.conf" backup --image "$img" --name bench --time "$when" >/dev/null
	"$VV" -q -c "$W/s3.conf" backup --image "$img" --name bench --time "$when" >/dev/null
	restic -q -r "$W/resticrepo" backup --host bench --time "$rwhen" "$img" >/dev/null
	restic -q -r "s3:$S3EP/restic" backup --host bench --time "$rwhen" "$img" >/dev/null
	printf '.'
done
echo

used() { du -sb "$1" | cut -f1; }
rgw_bytes() { # the bucket's size, every page of the listing (RGW gives 1000 keys a page)
	python3 - "$S3EP" "$S3AK" "$S3SK" "$1" <<'PY'
import re, subprocess, sys, urllib.parse
ep, ak, sk, bucket = sys.argv[1:]
total, token = 0, None
while True:
    q = "list-type=2" + ("&continuation-token=" + urllib.parse.quote(token, safe="") if token else "")
    out = subprocess.run(["curl", "-s", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", f"{ak}:{sk}",
        "-H", "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        f"{ep}/{bucket}?{q}"], capture_output=True, text=True, check=True).stdout
    total += sum(int(x) for x in re.findall(r"<Size>(\d+)</Size>", out))
    m = re.search(r"<NextContinuationToken>([^<]+)</NextContinuationToken>", out)
    if not m:
        break
    token = m.group(1)
print(total)
PY
}

echo "== forget + prune, file://"
b0=$(used "$W/vvrepo")
measure vv_file sh -c "'$VV' -q -c '$W/file.conf' forget --keep-daily 7 --keep-weekly 4 >/dev/null && '$VV' -c '$W/file.conf' prune --json"
FREED[vv_file]=$((b0 - $(used "$W/vvrepo")))
b0=$(used "$W/resticrepo")
measure restic_file restic -q -r "$W/resticrepo" forget --keep-daily 7 --keep-weekly 4 --prune
FREED[restic_file]=$((b0 - $(used "$W/resticrepo")))

echo "== forget + prune, S3 (RGW)"
b0=$(rgw_bytes vvprune)
measure vv_s3 sh -c "'$VV' -q -c '$W/s3.conf' forget --keep-daily 7 --keep-weekly 4 >/dev/null && '$VV' -c '$W/s3.conf' prune --json"
FREED[vv_s3]=$((b0 - $(rgw_bytes vvprune)))
REQ_VV=$(tail -n1 "$W/vv_s3.log" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
b0=$(rgw_bytes restic)
measure restic_s3 restic -q -r "s3:$S3EP/restic" forget --keep-daily 7 --keep-weekly 4 --prune
FREED[restic_s3]=$((b0 - $(rgw_bytes restic)))

echo
printf '%-14s %9s %10s %12s\n' "" "seconds" "peak MiB" "freed MB"
for k in vv_file restic_file vv_s3 restic_s3; do
	printf '%-14s %9.2f %10.1f %12.1f\n' "$k" "${R_T[$k]}" "$(echo "${R_RSS[$k]} / 1024" | bc -l)" \
		"$(echo "${FREED[$k]} / 1000000" | bc -l)"
done
echo "S3 requests of virtvault's prune: $REQ_VV"
for k in vv_file vv_s3; do
	echo "$k: prune says $(tail -n1 "$W/$k.log" | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["bytes_unused"], "bytes freed of", o["bytes_total"], "in", o["chunks_unused"], "chunks")')"
done
python3 - <<PY
t = {"vv_file": ${R_T[vv_file]}, "restic_file": ${R_T[restic_file]}, "vv_s3": ${R_T[vv_s3]}, "restic_s3": ${R_T[restic_s3]}}
rss = max(${R_RSS[vv_file]}, ${R_RSS[vv_s3]}) / 1024
goals = [
    ("file://: forget+prune >= 3 x faster than restic", t["restic_file"] / t["vv_file"], 3.0),
    ("S3: forget+prune >= 3 x faster than restic", t["restic_s3"] / t["vv_s3"], 3.0),
]
for name, got, want in goals:
    print(f"{'met   ' if got >= want else 'MISSED'} {name}: {got:.2f}")
print(f"{'met   ' if rss < 100 else 'MISSED'} peak RSS under 100 MiB: {rss:.1f} MiB")
PY
