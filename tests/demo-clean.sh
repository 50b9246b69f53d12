#!/usr/bin/env bash
# Runs 'make demo' as a new user would, on a machine where libvirtd is not
# running, and fails when the demo fails or leaves anything behind: a
# process it started (libvirtd, virtlogd, qemu), a domain, or a folder.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

fail() { echo "demo-clean: $*" >&2; exit 1; }
procs() { pgrep -x -l 'libvirtd|virtlogd|qemu-system-x86|qemu-system-x86_64' 2>/dev/null || true; }
domains() { ls /etc/libvirt/qemu/vvtest-*.xml /run/libvirt/qemu/vvtest-*.xml 2>/dev/null || true; }
beds() { ls -d /tmp/vv-bed.* 2>/dev/null || true; }

# No libvirtd beforehand, as on a fresh machine.
for d in libvirtd virtlogd; do
	pid=$(pgrep -x "$d" || true)
	[ -z "$pid" ] && continue
	echo "demo-clean: stopping the running $d (pid $pid) first"
	kill $pid
	for _ in $(seq 100); do pgrep -x "$d" >/dev/null || break; sleep 0.1; done
	pgrep -x "$d" >/dev/null && fail "$d (pid $pid) does not stop"
done
before_procs=$(procs)
before_domains=$(domains)
before_beds=$(beds)

make demo

after_procs=$(procs)
after_domains=$(domains)
after_beds=$(beds)
[ "$after_procs" = "$before_procs" ] || fail "processes left behind: $(comm -13 <(echo "$before_procs") <(echo "$after_procs") | tr '\n' ' ')"
[ "$after_domains" = "$before_domains" ] || fail "domains left behind: $after_domains"
[ "$after_beds" = "$before_beds" ] || fail "folders left behind: $(comm -13 <(echo "$before_beds") <(echo "$after_beds") | tr '\n' ' ')"
echo "demo-clean: make demo passed and left no process, domain or folder behind"
