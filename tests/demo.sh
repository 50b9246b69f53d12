#!/usr/bin/env bash
# The demo behind 'make demo': boots the test guest under a real libvirtd,
# shows what virtvault sees of it, and tears everything down.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/bed/lib.sh"
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
cat >"$conf" <<EOF2
[agent]
libvirt_uri = $BED_URI
state_dir = $BED_DIR/state

[repository]
url = file://$BED_DIR/repository
encryption = none

[job nightly]
schedule = 0 2 * * *
domains = vvtest-*
quiesce = require
EOF2
chmod 600 "$conf"

step "virtvault config check"
"$VV" -c "$conf" config check
step "virtvault disks vvtest-demo"
"$VV" -c "$conf" disks vvtest-demo
step "virtvault check-chain vvtest-demo"
"$VV" -c "$conf" check-chain vvtest-demo
step "tearing down"
