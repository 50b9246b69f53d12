#!/usr/bin/env bash
# The scale benchmark behind 'make bench-scale' (issue 22; not part of
# 'make check'): does a nightly run's cost grow with what the repository
# holds? One file:// repository gets SCALE_M real snapshots over 50 hosts x
# 20 names (bench/scale_snapshots.py), then grows through the chunk counts
# of SCALE_N by synthetic chunk objects (bench/scale_chunks: empty files
# chunks/XX/<64 hex> whose names are made directly, referenced by nothing).
# Measured (wall seconds, peak RSS by /usr/bin/time):
#   - at each N, the nightly backup of a 64 MiB image with 1 MiB changed
#     (16 writes of 64 KiB, each in another 1 MiB chunk), SCALE_RUNS runs;
#   - at the largest N, 'list NAME', 'show NAME@latest' and 'restore
#     NAME@latest --to DIR', each with its local cache removed (first) and
#     again (second); 'verify' (quick) and 'prune --dry-run';
#   - on Ceph RGW (tests/bed/rgw.sh) with SCALE_RGW_M snapshots and the
#     chunk counts of SCALE_RGW_N: the S3 requests of the nightly, counted
#     and logged by tests/bed/faultproxy.py (mode pass), with the LISTs of
#     chunks/ among them; 'list NAME' and 'show NAME@latest' first and second.
# Prints one table with each goal met or missed, to stdout and to
# build/bench-scale.txt. Everything else lives in $BENCH_DIR (default
# build/bench-scale), removed at the end (BENCH_KEEP=1 keeps it); RGW and
# the proxy are stopped by their PIDs, also on failure.
#
# Sizes: SCALE_N ("0 100000 1000000 10000000"), SCALE_M (20000),
# SCALE_RGW_N ("10000 100000"; empty: no RGW part), SCALE_RGW_M (2000),
# SCALE_RUNS (3), SCALE_JOBS (2: backups at once while making snapshots).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
VV=$top/virtvault
GEN=$top/build/bench/scale_chunks
W=${BENCH_DIR:-$top/build/bench-scale}
OUT=$top/build/bench-scale.txt
SCALE_N=${SCALE_N-0 100000 1000000 10000000}
SCALE_M=${SCALE_M:-20000}
SCALE_RGW_N=${SCALE_RGW_N-10000 100000}
SCALE_RGW_M=${SCALE_RGW_M:-2000}
RUNS=${SCALE_RUNS:-3}
JOBS=${SCALE_JOBS:-2}
RGW_PORT=7494
PROXY_PORT=7495

die() {
	echo "bench-scale: $*" >&2
	exit 1
}
sorted() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -n | uniq | tr '\n' ' '; }
read -ra NS <<<"$(sorted "$SCALE_N")"
read -ra RNS <<<"$(sorted "$SCALE_RGW_N")"
for v in "${NS[@]}" "${RNS[@]}" "$SCALE_M" "$SCALE_RGW_M" "$RUNS" "$JOBS"; do
	[[ $v =~ ^[0-9]+$ ]] || die "not a count: '$v' (SCALE_N, SCALE_M, SCALE_RGW_N, SCALE_RGW_M, SCALE_RUNS, SCALE_JOBS)"
done
[ "${#NS[@]}" -gt 0 ] || die "SCALE_N is empty"
[ "$RUNS" -gt 0 ] && [ "$JOBS" -gt 0 ] || die "SCALE_RUNS and SCALE_JOBS must be at least 1"
[ "$SCALE_M" -ge 1000 ] || die "SCALE_M must be at least 1000 (one snapshot for each of 50 hosts x 20 names)"
NMAX=${NS[-1]}
[ -x "$VV" ] && [ -x "$GEN" ] || die "build first: make virtvault build/bench/scale_chunks (or make bench-scale)"
. "$top/bench/lib.sh"
bench_deps

rm -rf "$W"
mkdir -p "$W"
PROXY_PID=
cleanup() {
	local - rc=$?
	set +e
	if [ -n "$PROXY_PID" ]; then
		kill "$PROXY_PID" 2>/dev/null
		wait "$PROXY_PID" 2>/dev/null
	fi
	[ -d "$W/rgw" ] && bash "$top/tests/bed/rgw.sh" stop "$W/rgw"
	if [ -n "${BENCH_KEEP:-}" ]; then
		echo "bench-scale: kept $W" >&2
	else
		[ "$NMAX" -lt 1000000 ] || echo "bench-scale: removing $W ($NMAX chunk files: minutes)" >&2
		rm -rf "$W"
	fi
	return $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Room first: each chunk name is an inode and about 100 bytes of directory.
need_inodes=$((NMAX + 4 * SCALE_M + 200000))
need_bytes=$((NMAX * 120 + SCALE_M * 40000 + (2 << 30)))
have_inodes=$(df -P -i "$W" | awk 'NR == 2 {print $4}')
have_bytes=$(($(df -P -k "$W" | awk 'NR == 2 {print $4}') * 1024))
[ "$have_inodes" -ge "$need_inodes" ] ||
	die "$W's file system has $have_inodes free inodes, N=$NMAX needs about $need_inodes (df -i); choose a smaller SCALE_N or BENCH_DIR elsewhere"
[ "$have_bytes" -ge "$need_bytes" ] ||
	die "$W's file system has $((have_bytes >> 20)) MiB free, this needs about $((need_bytes >> 20)) MiB; choose smaller sizes or BENCH_DIR elsewhere"

RES=$W/results
res() { echo "$1=$2" >>"$RES"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
maxof() { printf '%s\n' "$@" | sort -g | tail -n 1; }
res m "$SCALE_M"
res runs "$RUNS"
res jobs "$JOBS"
res nmax "$NMAX"
res ns "${NS[*]}"

# change16 IMAGE: the nightly change, 1 MiB: 64 KiB of new random bytes in
# each of 16 different 1 MiB chunks (so 16 new chunks every night).
change16() {
	python3 - "$1" <<'PY'
import os, random, sys
path = sys.argv[1]
chunks = os.path.getsize(path) >> 20
with open(path, "r+b") as f:
    for c in random.sample(range(chunks), 16):
        f.seek((c << 20) + random.randrange(16) * 65536)
        f.write(os.urandom(65536))
PY
}

# conf FILE HOST STATE REPO_LINES...: a configuration (mode 0600).
conf() {
	local f=$1 host=$2 state=$3
	shift 3
	{
		printf '[agent]\nhost = %s\nstate_dir = %s\n[repository]\n' "$host" "$state"
		printf '%s\n' "$@"
	} >"$f"
	chmod 600 "$f"
}

# snapshots CONF_TEMPLATE DIR M JOBS KEY: M snapshots, opened by the master
# key (no scrypt per process); their count and seconds into results KEY_*.
snapshots() {
	local out
	out=$(env -u VIRTVAULT_PASSWORD python3 "$top/bench/scale_snapshots.py" "$VV" "$1" "$2" "$3" "$4") ||
		die "making the snapshots failed"
	res "$5_count" "${out% *}"
	res "$5_seconds" "${out#* }"
	echo "   $out (snapshots, seconds)"
}

# lookups KIND CONF STATE [COUNTING_CONF]: 'list n00', 'show n00@latest'
# (and on file:// 'restore n00@latest'), first with the local cache removed,
# then again: timed; then both again through COUNTING_CONF (the proxy) for
# their S3 requests, so the proxy's own delay is in no time.
lookups() {
	local kind=$1 c=$2 state=$3 cc=${4:-} cmd run k n0 args
	for cmd in list show restore; do
		case $cmd in
		list) args=(list n00) ;;
		show) args=(show n00@latest) ;;
		restore) [ "$kind" = file ] || continue; args=(restore n00@latest --to "$W/rst") ;;
		esac
		for run in first second; do
			k=lk_${kind}_${cmd}_$run
			[ "$run" = second ] || rm -rf "$state/cache"
			rm -rf "$W/rst"
			mkdir -p "$W/rst"
			measure "$k" "$VV" -q -c "$c" "${args[@]}"
			res "${k}_wall" "${R_T[$k]}"
			res "${k}_rss" "${R_RSS[$k]}"
		done
		[ -n "$cc" ] || continue
		for run in first second; do
			k=lk_${kind}_${cmd}_$run
			[ "$run" = second ] || rm -rf "$state/cache"
			n0=$(wc -l <"$S3LOG")
			"$VV" -q -c "$cc" "${args[@]}" >"$W/$k.counted.log" 2>&1 || die "'${args[*]}' through the proxy failed"
			res "${k}_req" $(($(wc -l <"$S3LOG") - n0))
		done
	done
}

# nightly CONF KEY: one nightly (change16, then the backup), measured.
nightly() {
	change16 "$W/nightly.raw"
	measure "$2" "$VV" -q -c "$1" backup --image "$W/nightly.raw" --name nightly --json
	python3 -c 'import json,sys; o=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); sys.exit(0 if o["chunks_new"] <= 16 else 1)' \
		"$W/$2.log" || die "$2: the nightly stored more than the 16 changed chunks: $(tail -n 1 "$W/$2.log")"
}

echo "== file://: $SCALE_M snapshots over 50 hosts x 20 names (real backups, one process each)"
export VIRTVAULT_PASSWORD=bench-password
FC=$W/file.conf
conf "$FC" h00 "$W/state" "url = file://$W/repo"
"$VV" -q -c "$FC" init >/dev/null
"$VV" -q -c "$FC" key export --to "$W/master.key" >/dev/null
conf "$W/gen-file.conf" HOST "$W/state-gen" "url = file://$W/repo" "master_key_file = $W/master.key"
snapshots "$W/gen-file.conf" "$W/gen" "$SCALE_M" "$JOBS" snap_file

echo "== file://: the nightly image (64 MiB random) and its first backup"
head -c $((64 * MiB)) /dev/urandom >"$W/nightly.raw"
"$VV" -q -c "$FC" backup --image "$W/nightly.raw" --name nightly >/dev/null

have=0
for n in "${NS[@]}"; do
	if [ "$n" -gt "$have" ]; then
		echo "== file://: synthetic chunk names $have -> $n"
		t0=$(date +%s.%N)
		"$GEN" "$W/repo/chunks" "$have" "$n"
		res "gen_${n}_seconds" "$(echo "$(date +%s.%N) - $t0" | bc -l)"
		# The new names on disk before timing: a nightly measured during the
		# writeback of millions of new inodes measures the set-up, not itself.
		sync
		have=$n
	fi
	echo "== file://: nightly backup at N=$n, $RUNS runs"
	walls=() rsss=()
	for i in $(seq "$RUNS"); do
		nightly "$FC" "nightly_file_${n}_$i"
		walls+=("${R_T[nightly_file_${n}_$i]}")
		rsss+=("${R_RSS[nightly_file_${n}_$i]}")
	done
	res "nightly_file_${n}_wall" "$(median "${walls[@]}")"
	res "nightly_file_${n}_wallmin" "$(printf '%s\n' "${walls[@]}" | sort -g | head -n 1)"
	res "nightly_file_${n}_wallmax" "$(maxof "${walls[@]}")"
	res "nightly_file_${n}_rss" "$(maxof "${rsss[@]}")"
done

echo "== file://: list, show, restore at M=$SCALE_M, N=$NMAX"
lookups file "$FC" "$W/state"
cmp "$W/gen/h00-n00.raw" "$W/rst/h00-n00.raw" || die "restore n00@latest did not give the latest image of h00/n00"
echo "== file://: verify (quick) and prune --dry-run at N=$NMAX"
measure verify "$VV" -q -c "$FC" verify
measure prune "$VV" -c "$FC" prune --dry-run --json
for k in verify prune; do
	res "${k}_wall" "${R_T[$k]}"
	res "${k}_rss" "${R_RSS[$k]}"
done
res prune_json "$(tail -n 1 "$W/prune.log")"

if [ "${#RNS[@]}" -gt 0 ]; then
	echo "== RGW: starting Ceph RGW on 127.0.0.1:$RGW_PORT and the counting proxy on :$PROXY_PORT"
	bash "$top/tests/bed/rgw.sh" start "$W/rgw" "$RGW_PORT" >"$W/rgw.out" 2>"$W/rgw.log" ||
		{ tail -n 20 "$W/rgw.log" >&2; die "Ceph RGW did not start"; }
	read -r S3EP S3AK S3SK _ <"$W/rgw.out"
	S3LOG=$W/s3-requests.log
	: >"$S3LOG"
	FAULTPROXY_LOG=$S3LOG python3 "$top/tests/bed/faultproxy.py" "$PROXY_PORT" "$RGW_PORT" pass 2>"$W/proxy.err" &
	PROXY_PID=$!
	deadline=$((SECONDS + 20))
	until curl -s -o /dev/null "http://127.0.0.1:$PROXY_PORT/"; do
		[ "$SECONDS" -lt "$deadline" ] || die "the proxy did not answer on :$PROXY_PORT within 20 s"
		sleep 0.1
	done
	# Through the proxy (SC: counted) or straight to RGW (SD: timed, and
	# the making of the snapshots).
	s3lines=("url = s3://vvscale/repo" "access_key = $S3AK" "secret_key = $S3SK")
	SC=$W/s3.conf SD=$W/s3-direct.conf
	conf "$SC" h00 "$W/state-s3" "${s3lines[@]}" "endpoint = http://127.0.0.1:$PROXY_PORT"
	conf "$SD" h00 "$W/state-s3" "${s3lines[@]}" "endpoint = $S3EP"
	"$VV" -q -c "$SD" init >/dev/null
	"$VV" -q -c "$SD" key export --to "$W/master-s3.key" >/dev/null
	conf "$W/gen-s3.conf" HOST "$W/state-s3gen" "${s3lines[@]}" "endpoint = $S3EP" "master_key_file = $W/master-s3.key"
	echo "== RGW: $SCALE_RGW_M snapshots over 50 hosts x 20 names"
	res rgw_m "$SCALE_RGW_M"
	res rgw_ns "${RNS[*]}"
	snapshots "$W/gen-s3.conf" "$W/gen-s3" "$SCALE_RGW_M" 4 snap_s3
	"$VV" -q -c "$SD" backup --image "$W/nightly.raw" --name nightly >/dev/null
	have=0
	for n in "${RNS[@]}"; do
		if [ "$n" -gt "$have" ]; then
			echo "== RGW: synthetic chunk objects $have -> $n (empty PUTs straight to RGW, 16 at once)"
			t0=$(date +%s.%N)
			"$GEN" --list "$have" "$n" |
				python3 "$top/bench/scale_s3put.py" "$S3EP" "$S3AK" "$S3SK" vvscale repo/ 16 >/dev/null
			res "s3gen_${n}_seconds" "$(echo "$(date +%s.%N) - $t0" | bc -l)"
			have=$n
		fi
		echo "== RGW: nightly backup at N=$n"
		n0=$(wc -l <"$S3LOG")
		nightly "$SC" "nightly_s3_$n"
		sed -n "$((n0 + 1)),\$p" "$S3LOG" >"$W/nightly_s3_$n.requests"
		res "nightly_s3_${n}_wall" "${R_T[nightly_s3_$n]}"
		res "nightly_s3_${n}_rss" "${R_RSS[nightly_s3_$n]}"
		res "nightly_s3_${n}_req" "$(wc -l <"$W/nightly_s3_$n.requests")"
		res "nightly_s3_${n}_reqvv" "$(tail -n 1 "$W/nightly_s3_$n.log" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')"
		# What the requests were, and how many LISTs took in chunks/
		# (a prefix of repo/chunks/ or one below it).
		res "nightly_s3_${n}_kinds" "$(python3 - "$W/nightly_s3_$n.requests" <<'PY'
import collections, sys, urllib.parse
kinds, chunk_lists = collections.Counter(), 0
for line in open(sys.argv[1]):
    method, path = line.split(" ", 1)
    u = urllib.parse.urlsplit(path.strip())
    q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
    if method == "GET" and "list-type" in q:
        p = q.get("prefix", [""])[0]
        kinds["LIST " + (p.split("/")[1] if p.count("/") >= 1 and p.split("/")[1] else "(all)")] += 1
        if "repo/chunks/".startswith(p) or p.startswith("repo/chunks/"):
            chunk_lists += 1
    else:
        kinds[method + " " + (u.path.split("/")[3] if u.path.count("/") >= 3 else "(bucket)")] += 1
print(f"{chunk_lists};" + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
PY
)"
	done
	echo "== RGW: list, show at M=$SCALE_RGW_M, N=${RNS[-1]}"
	lookups s3 "$SD" "$W/state-s3" "$SC"
fi

echo
python3 - "$RES" "$OUT" <<'PY'
import json, sys
r = {}
for line in open(sys.argv[1]):
    k, v = line.rstrip("\n").split("=", 1)
    r[k] = v
ns = [int(x) for x in r["ns"].split()]
nmax, m, runs = int(r["nmax"]), int(r["m"]), int(r["runs"])
mib = lambda kib: f"{int(kib) / 1024:.0f}"
out = []
p = out.append
p("virtvault bench-scale: does a nightly run's cost grow with the repository? (issue 22)")
p(f"file://: {r['snap_file_count']} snapshots over 50 hosts x 20 names, real backups ('backup --image"
  f" --time', one process each, master_key_file) of 1 MiB+4 KiB images, made in {float(r['snap_file_seconds']):.0f} s"
  f" ({1000 * float(r['snap_file_seconds']) / max(1, int(r['snap_file_count'])):.0f} ms each, {r.get('jobs', '2')} at once)")
p("chunk objects: synthetic, empty files chunks/XX/<64 hex> whose names are made directly (bench/scale_chunks),"
  " referenced by no snapshot: "
  + ", ".join(f"to {n:,} in {float(r[f'gen_{n}_seconds']):.0f} s" for n in ns if f"gen_{n}_seconds" in r))
p("each command opens the repository with its password (scrypt, about 0.1 s of each figure);"
  f" wall: median of {runs} runs where runs > 1, peak RSS: the largest")
p("")
p(f"{'what':50} {'N chunks':>11} {'wall s':>8} {'RSS MiB':>8} {'S3 req':>7}")
for n in ns:
    p(f"{'nightly backup, 64 MiB, 1 MiB changed (file)':50} {n:>11,} {float(r[f'nightly_file_{n}_wall']):>8.2f}"
      f" {mib(r[f'nightly_file_{n}_rss']):>8} {'':>7}   (min {float(r[f'nightly_file_{n}_wallmin']):.2f}, max {float(r[f'nightly_file_{n}_wallmax']):.2f})")
for cmd, label in (("list", "list n00"), ("show", "show n00@latest"), ("restore", "restore n00@latest --to DIR")):
    for run in ("first", "second"):
        k = f"lk_file_{cmd}_{run}"
        p(f"{label + ' (file, M=' + str(m) + ', ' + run + ')':50} {nmax:>11,} {float(r[k + '_wall']):>8.2f} {mib(r[k + '_rss']):>8}")
p(f"{'verify, quick (file, M=' + str(m) + ')':50} {nmax:>11,} {float(r['verify_wall']):>8.2f} {mib(r['verify_rss']):>8}")
p(f"{'prune --dry-run (file, M=' + str(m) + ')':50} {nmax:>11,} {float(r['prune_wall']):>8.2f} {mib(r['prune_rss']):>8}")
rns = [int(x) for x in r.get("rgw_ns", "").split()]
for n in rns:
    p(f"{'nightly backup, 64 MiB, 1 MiB changed (RGW)':50} {n:>11,} {float(r[f'nightly_s3_{n}_wall']):>8.2f}"
      f" {mib(r[f'nightly_s3_{n}_rss']):>8} {r[f'nightly_s3_{n}_req']:>7}")
if rns:
    rm_ = int(r["rgw_m"])
    for cmd, label in (("list", "list n00"), ("show", "show n00@latest")):
        for run in ("first", "second"):
            k = f"lk_s3_{cmd}_{run}"
            p(f"{label + ' (RGW, M=' + str(rm_) + ', ' + run + ')':50} {rns[-1]:>11,} {float(r[k + '_wall']):>8.2f}"
              f" {mib(r[k + '_rss']):>8} {r[k + '_req']:>7}")
p("")
pj = json.loads(r["prune_json"])
p("prune ran with --dry-run: the synthetic chunk names are referenced by no snapshot, so a real prune would delete"
  f" them all; the plan is the same. It found {pj.get('chunks_unused', '?')} unused chunks"
  + (f", {pj['bytes_per_chunk']} bytes per chunk stated" if "bytes_per_chunk" in pj else "") + ".")
if rns:
    p(f"RGW: {r['snap_s3_count']} snapshots made in {float(r['snap_s3_seconds']):.0f} s; synthetic chunk objects are empty PUTs"
      " straight to RGW (bench/scale_s3put.py), "
      + ", ".join(f"to {n:,} in {float(r[f's3gen_{n}_seconds']):.0f} s" for n in rns)
      + "; S3 requests counted by the proxy in front of RGW (tests/bed/faultproxy.py pass, FAULTPROXY_LOG): the nightly"
      " is timed through it, list and show straight to RGW (then run again through the proxy for their counts)")
    for n in rns:
        lists, kinds = r[f"nightly_s3_{n}_kinds"].split(";", 1)
        p(f"RGW nightly at N={n:,}: {r[f'nightly_s3_{n}_req']} requests (virtvault counted {r[f'nightly_s3_{n}_reqvv']}),"
          f" LISTs of chunks/: {lists}; {kinds}")
p("")
goals = []
def goal(ok, text):
    goals.append(f"{'met   ' if ok else 'MISSED'} {text}")
big = ns[-1]
if 0 in ns and big > 0:
    t0, tb = float(r["nightly_file_0_wall"]), float(r[f"nightly_file_{big}_wall"])
    goal(tb <= 1.3 * t0, f"nightly at N={big:,} within 1.3x its time at N=0: {tb:.2f} s vs {t0:.2f} s ({tb / t0:.2f}x)")
rss = int(r[f"nightly_file_{big}_rss"]) / 1024
goal(rss < 100, f"nightly peak RSS at N={big:,} < 100 MiB: {rss:.0f} MiB")
for cmd in ("list", "show", "restore"):
    t = float(r[f"lk_file_{cmd}_second_wall"])
    goal(t < 0.5, f"file:// {cmd} second run at M={m:,} < 0.5 s: {t:.2f} s")
prss = int(r["prune_rss"]) / 1024
goal(prss < 1024, f"prune peak RSS at N={big:,} < 1 GiB: {prss:.0f} MiB")
if rns:
    reqs = [int(r[f"nightly_s3_{n}_req"]) for n in rns]
    goal(max(reqs) - min(reqs) <= 2, "RGW nightly request count the same (+-2) at N=" + ", ".join(f"{n:,}" for n in rns)
         + ": " + ", ".join(map(str, reqs)))
    lists = sum(int(r[f"nightly_s3_{n}_kinds"].split(";")[0]) for n in rns)
    goal(lists == 0, f"RGW nightly lists no chunks/: {lists} LISTs of chunks/")
    for cmd in ("list", "show"):
        t = float(r[f"lk_s3_{cmd}_second_wall"])
        goal(t < 2, f"RGW {cmd} second run at M={int(r['rgw_m']):,} < 2 s: {t:.2f} s")
out += goals
if big < 10**7 or m < 20000:
    out.append(f"(the issue states the goals at N=10^7 and M=20,000; this run: N up to {big:,}, M={m:,})")
text = "\n".join(out) + "\n"
sys.stdout.write(text)
open(sys.argv[2], "w").write(text)
PY
