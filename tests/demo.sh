#!/usr/bin/env bash
# The demo behind 'make demo': the main job end to end on the embedded
# default, a local encrypted repository. Boots the test guest under a real
# libvirtd (its writer appending checksummed records to its ext4 data disk),
# backs it up live, lists the snapshot, restores it as a new domain, starts
# that, shows its data disk is consistent, proves the snapshot boots (a
# boot check in a throwaway domain without network), writes the HTML
# report (kept under build/demo/), and tears everything down.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/bed/lib.sh"
. "$top/tests/integration/lib.sh"
VV=$top/virtvault

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

bed_init
trap bed_teardown EXIT

step "starting libvirtd and building the demo guest (cached after the first run)"
bed_start_libvirt
bed_build_guest
step "booting vvtest-demo (TCG) and waiting for its guest agent"
t0=$(date +%s.%N)
bed_up demo
printf 'guest agent answered after %.1fs\n' "$(echo "$(date +%s.%N) - $t0" | bc)"

conf=$BED_DIR/virtvault.conf
printf 'demo-password-%s\n' "$RANDOM$RANDOM" >"$BED_DIR/password"
chmod 600 "$BED_DIR/password"
cat >"$conf" <<EOF2
[agent]
libvirt_uri = $BED_URI
state_dir = $BED_DIR/state

[repository]
url = file://$BED_DIR/repository
password_file = $BED_DIR/password

[job nightly]
schedule = 0 2 * * *
domains = vvtest-demo
quiesce = require
EOF2
chmod 600 "$conf"

step "virtvault config check"
"$VV" -c "$conf" config check
step "virtvault disks vvtest-demo"
"$VV" -c "$conf" disks vvtest-demo
step "virtvault init (local repository, encrypted)"
"$VV" -c "$conf" init
step "virtvault backup --job nightly (live, quiesced)"
"$VV" -c "$conf" backup --job nightly
step "virtvault check-chain vvtest-demo (back on its own images, nothing left)"
"$VV" -c "$conf" check-chain vvtest-demo
step "virtvault list"
"$VV" -c "$conf" list
step "virtvault verify --deep"
"$VV" -c "$conf" verify --deep
step "virtvault restore vvtest-demo@latest --define (a new domain next to the original)"
mkdir -p "$BED_DIR/restored"
chmod 755 "$BED_DIR/restored"
echo vvtest-demo-restored >>"$BED_DIR/domains"
"$VV" -c "$conf" restore vvtest-demo@latest --to "$BED_DIR/restored" --define
step "the restored data disk, checked on the host: e2fsck and the writer's records"
qemu-img convert -O raw "$BED_DIR/restored/data.qcow2" "$BED_DIR/check.raw"
e2fsck -fn "$BED_DIR/check.raw"
debugfs -R "dump /records.log $BED_DIR/records.log" "$BED_DIR/check.raw" 2>/dev/null
python3 "$top/tests/bed/verify-records.py" "$BED_DIR/records.log"
rm -f "$BED_DIR/check.raw"
step "starting vvtest-demo-restored"
virsh -q -c "$BED_URI" start vvtest-demo-restored
bed_wait_agent vvtest-demo-restored 60 "$BED_DIR/restored/vvtest-demo-restored-serial0.log"
echo "its guest agent answers; the last records on its data disk:"
guest_exec vvtest-demo-restored 'tail -n 3 /data/records.log'
step "virtvault verify --boot vvtest-demo@latest (a throwaway copy, no network, nothing pulled)"
t0=$(date +%s.%N)
"$VV" -c "$conf" verify --boot vvtest-demo@latest --command 'tail -n 1 /data/records.log'
printf 'boot check done in %.1fs\n' "$(echo "$(date +%s.%N) - $t0" | bc)"
step "virtvault report --html (runs, boot check, repository, retention: one self-contained page)"
mkdir -p "$top/build/demo"
"$VV" -c "$conf" report --html "$top/build/demo/report.html"
echo "the report: $top/build/demo/report.html (open it in a browser)"
step "tearing down"
