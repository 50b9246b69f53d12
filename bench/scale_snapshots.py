#!/usr/bin/env python3
"""M real snapshots over 50 hosts x 20 names for 'make bench-scale'.

    scale_snapshots.py VV CONF_TEMPLATE DIR M JOBS

Snapshot K (0 <= K < M) belongs to group G = K % 1000: host hHH = G // 20,
name nNN = G % 20, its time 2025-01-01T00:00Z + (K // 1000) days + G
minutes. Each is a real backup, one 'VV backup --image ... --time' process,
under the host's configuration: CONF_TEMPLATE with HOST replaced (written to
DIR/hHH.conf). Each group's image DIR/hHH-nNN.raw is 1 MiB + 4 KiB: 64 KiB
random bytes (the group's own), holes, and a stamp of K at 1 MiB, so a
snapshot stores one new small chunk and one new index. JOBS hosts run at
once, each host's snapshots in time order. Prints the count and the seconds
taken; exit 1 on the first backup that fails (its output on stderr).
"""
import concurrent.futures
import datetime
import os
import subprocess
import sys
import threading
import time

HOSTS, NAMES = 50, 20
MiB = 1 << 20
STOP = threading.Event()


def run_host(vv, conf, folder, m, h):
    done = 0
    base = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    for day in range((m + HOSTS * NAMES - 1) // (HOSTS * NAMES)):
        for n in range(NAMES):
            g = h * NAMES + n
            k = day * HOSTS * NAMES + g
            if k >= m or STOP.is_set():
                continue
            img = os.path.join(folder, f"h{h:02d}-n{n:02d}.raw")
            with open(img, "r+b") as f:
                f.seek(MiB)
                f.write(f"snapshot {k:016d}\n".encode())
            when = (base + datetime.timedelta(days=day, minutes=g)).strftime("%Y-%m-%dT%H:%M:%SZ")
            p = subprocess.run([vv, "-q", "-c", conf, "backup", "--image", img, "--name", f"n{n:02d}",
                                "--time", when], capture_output=True, text=True)
            if p.returncode != 0:
                raise RuntimeError(f"backup h{h:02d}/n{n:02d}@{when} failed ({p.returncode}): "
                                   f"{p.stdout}{p.stderr}")
            done += 1
    return done


def main():
    vv, template, folder, m, jobs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    os.makedirs(folder, exist_ok=True)
    text = open(template).read()
    confs = []
    for h in range(HOSTS):
        conf = os.path.join(folder, f"h{h:02d}.conf")
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text.replace("HOST", f"h{h:02d}"))
        confs.append(conf)
        for n in range(NAMES):
            with open(os.path.join(folder, f"h{h:02d}-n{n:02d}.raw"), "wb") as f:
                f.write(os.urandom(64 << 10))
                f.truncate(MiB + 4096)
    t0 = time.monotonic()
    total = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futs = [pool.submit(run_host, vv, confs[h], folder, m, h) for h in range(HOSTS)]
        try:
            for fut in futs:
                total += fut.result()
        except RuntimeError as e:
            STOP.set()
            for other in futs:
                other.cancel()
            print(f"scale_snapshots: {e}", file=sys.stderr)
            sys.exit(1)
    print(f"{total} {time.monotonic() - t0:.1f}")


if __name__ == "__main__":
    main()
