# Shared by the benchmark scripts: measuring a command, and the benchmark
# image (2 GiB virtual qcow2, about 1.4 GiB allocated: half random, half
# log-like text, the rest holes). Expects $W (work folder) to exist.

# bench_deps: the baselines' packages (restic, virtnbdbackup and friends),
# installed once.
bench_deps() {
	for p in restic virtnbdbackup time zstd openssl qemu-utils; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			{ echo "bench: installing $p"; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$p" >/dev/null; }
	done
}

MiB=$((1024 * 1024))
# measure NAME CMD...: wall seconds and peak RSS (KiB) of CMD into R_*.
declare -A R_T R_RSS R_STORED
measure() {
	local name=$1
	shift
	# Each run starts with no dirty data of an earlier one being written back.
	sync
	/usr/bin/time -f "%e %M" -o "$W/time.out" "$@" >"$W/$name.log" 2>&1 || {
		echo "bench: '$*' failed:" >&2
		tail -n 20 "$W/$name.log" >&2
		exit 1
	}
	read -r R_T[$name] R_RSS[$name] <"$W/time.out"
}

# make_image QCOW2: the benchmark image.
make_image() {
	local img=$1 raw=$W/src.raw
	truncate -s 2G "$raw"
	head -c $((700 * MiB)) /dev/urandom | dd of="$raw" bs=1M conv=notrunc status=none
	python3 - "$raw" $((1024 * MiB)) $((700 * MiB)) <<'PY'
import sys, random
path, off, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(42)
hosts = ["web1", "db2", "mail", "kvm07"]
progs = ["sshd", "nginx", "postgres", "kernel", "cron"]
with open(path, "r+b") as f:
    f.seek(off)
    done = 0
    while done < size:
        lines = []
        for _ in range(2000):
            lines.append(f"Nov 25 {r.randrange(24):02d}:{r.randrange(60):02d}:{r.randrange(60):02d} "
                         f"{r.choice(hosts)} {r.choice(progs)}[{r.randrange(99999)}]: request "
                         f"{r.randrange(10**9)} from 10.{r.randrange(256)}.{r.randrange(256)}.1 "
                         f"took {r.random():.4f}s status {r.choice([200, 200, 304, 404, 500])}\n")
        b = "".join(lines).encode()[: size - done]
        f.write(b)
        done += len(b)
PY
	qemu-img convert -f raw -O qcow2 "$raw" "$img"
	rm -f "$raw"
}

# nightly_change QCOW2: the nightly change, 320 random 64 KiB writes.
nightly_change() {
	local img=$1 cmds=() base off
	head -c $((320 * 65536)) /dev/urandom >"$W/fresh.bin"
	for i in $(seq 0 319); do
		if [ $((RANDOM % 2)) -eq 0 ]; then base=0; else base=$((1024 * MiB)); fi
		off=$((base + (RANDOM * 32768 + RANDOM) % (700 * 16) * 65536))
		dd if="$W/fresh.bin" of="$W/fresh.$i" bs=64K skip="$i" count=1 status=none
		cmds+=(-c "write -s $W/fresh.$i $off 64k")
	done
	qemu-io "${cmds[@]}" "$img" >/dev/null
}

# bench_bed: the test bed under $W/bed (virtlogd, libvirtd, the guest's
# kernel and initramfs), torn down at exit with $W (BENCH_KEEP=1 keeps
# $W for a look); warns when other QEMU processes would skew the figures.
bench_bed() {
	. "$top/tests/bed/lib.sh"
	BED_DIR=$W/bed
	bed_init
	trap 'bed_teardown; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$W"' EXIT
	bed_start_libvirt
	bed_build_guest >/dev/null
	# Nothing else may run: a forgotten TCG guest takes a third of the CPU.
	local others
	others=$(pgrep -fa 'qemu-system' | grep -v "$W" || true)
	[ -z "$others" ] || echo "bench: WARNING: other QEMU processes run and skew the figures: $others" >&2
}

# guest_run DOM CMD: CMD run by /bin/sh in the guest DOM through its agent,
# waiting up to 10 minutes (TCG is slow); prints CMD's output. Returns 1
# when the agent refuses it or it does not finish in time.
guest_run() {
	local dom=$1 cmd=$2 pid out t0
	pid=$(virsh -c "$BED_URI" qemu-agent-command "$dom" \
		"{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/bin/sh\",\"arg\":[\"-c\",\"$cmd\"],\"capture-output\":true}}" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["return"]["pid"])') || {
		echo "bench: the agent of $dom did not run '$cmd'" >&2
		return 1
	}
	t0=$(date +%s)
	while [ $(($(date +%s) - t0)) -lt 600 ]; do
		out=$(virsh -c "$BED_URI" qemu-agent-command "$dom" "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}")
		if python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["return"]["exited"] else 1)' <<<"$out"; then
			python3 -c 'import base64,json,sys; r=json.load(sys.stdin)["return"]; sys.stdout.write(base64.b64decode(r.get("out-data","")).decode())' <<<"$out"
			return 0
		fi
		sleep 0.1
	done
	echo "bench: '$cmd' did not finish in $dom within 10 minutes" >&2
	return 1
}
