# The live backup sequence on the real guest, its writer running.

# live_conf QUIESCE: a repository config for the live tests (shared repo).
live_conf() {
	LC=$BED_DIR/live.conf
	if [ ! -f "$LC" ]; then
		cat >"$LC" <<CONF
[agent]
libvirt_uri = $BED_URI
state_dir = $BED_DIR/state
commit_timeout = 2m
[repository]
url = file://$BED_DIR/live-repo
password_file = $BED_DIR/live.pw
[job scratchless]
domains = vvtest-it*
exclude_disks = vdb
quiesce = require
CONF
		printf 'live-test-password\n' >"$BED_DIR/live.pw"
		chmod 600 "$LC" "$BED_DIR/live.pw"
		"$VV" -q -c "$LC" init >/dev/null
	fi
}

# records_in_image QCOW2 OUTFILE: the writer's file out of an image copy.
records_in_image() {
	local raw=$BED_DIR/records-check.raw
	qemu-img convert -U -O raw "$1" "$raw"
	e2fsck -fn "$raw" >"$BED_DIR/e2fsck.log" 2>&1 || { cat "$BED_DIR/e2fsck.log"; rm -f "$raw"; fail "e2fsck -fn found errors in $1"; return 1; }
	rm -f "$2"
	debugfs -R "dump /records.log $2" "$raw" >/dev/null 2>&1
	rm -f "$raw"
	[ -s "$2" ] || fail "no records.log in $1"
}

# live_records_ok DOMDIR MIN: freeze the guest, check its live records, thaw.
live_records_ok() {
	virsh -q -c "$BED_URI" domfsfreeze "$DOM" >/dev/null
	qemu-img convert -U -O qcow2 "$1/data.qcow2" "$BED_DIR/live-copy.qcow2"
	virsh -q -c "$BED_URI" domfsthaw "$DOM" >/dev/null
	records_in_image "$BED_DIR/live-copy.qcow2" "$BED_DIR/live-records.log" || return 1
	rm -f "$BED_DIR/live-copy.qcow2"
	expect_rc 0 python3 "$BED_TOP/tests/bed/verify-records.py" "$BED_DIR/live-records.log" "$2"
}

record_count() {
	guest_exec "$DOM" 'tail -n 1 /data/records.log' | cut -d' ' -f1
}

test_live_backup_quiesced_restore_consistent() {
	local before n0 snap out=$BED_DIR/live-out1
	live_conf
	"$VV" -c "$LC" disks "$DOM" | sed "s/  (read .*)$//" >"$BED_DIR/chain-before"
	n0=$(record_count)
	expect_rc 0 "$VV" -c "$LC" backup "$DOM" --quiesce require --json
	python3 - "$OUT" <<'PY' || fail "unexpected summary: $OUT"
import json, sys
o = json.loads(sys.argv[1].strip().splitlines()[-1])
d = o["domains"][0]
assert d["ok"] and d["quiesced"] is True, d
assert o["total"]["domains_ok"] == 1 and o["total"]["chunks_total"] > 0, o
PY
	snap=$(tail -n1 <<<"$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["domains"][0]["snapshot"])')
	# The chain is exactly as before, nothing left behind; the guest runs and writes on.
	"$VV" -c "$LC" disks "$DOM" | sed "s/  (read .*)$//" >"$BED_DIR/chain-after"
	cmp "$BED_DIR/chain-before" "$BED_DIR/chain-after" || fail "the chain changed"
	expect_rc 0 "$VV" -c "$LC" check-chain "$DOM"
	[ -z "$(ls "$DOMDIR" | grep virtvault)" ] || fail "an overlay is left: $(ls "$DOMDIR")"
	expect_rc 0 virsh -c "$BED_URI" domstate "$DOM"
	expect_in "running"
	wait_for 30 sh -c "[ \$(bash -c '. $BED_TOP/tests/bed/lib.sh; . $BED_TOP/tests/integration/lib.sh; DOM=$DOM; guest_exec $DOM \"tail -n 1 /data/records.log\"' | cut -d' ' -f1) -gt $n0 ]"
	expect_rc 0 "$VV" -c "$LC" show "$snap"
	expect_in "(quiesced)"
	expect_in "from $DOMDIR/data.qcow2, disk vda"
	# The restored file system is clean and its records consecutive up to the snapshot.
	mkdir -p "$out"
	expect_rc 0 "$VV" -c "$LC" restore "$snap" --to "$out"
	records_in_image "$out/data.qcow2" "$BED_DIR/restored-records.log"
	expect_rc 0 python3 "$BED_TOP/tests/bed/verify-records.py" "$BED_DIR/restored-records.log" "$n0"
	cmp <(head -c 1M "$DOMDIR/scratch.raw") <(head -c 1M "$out/scratch.raw") || fail "scratch.raw differs"
}

test_live_kill9_in_each_phase_then_repair() {
	local ph n0
	live_conf
	for ph in copy copy-mid commit cleanup; do
		n0=$(record_count)
		kill9_at "$ph" "$LC" "$BED_DIR/state" "$DOM" || return 1
		expect_rc 1 "$VV" -c "$LC" check-chain "$DOM"
		expect_in "needs repair: a backup was interrupted in phase"
		expect_rc 0 "$VV" -c "$LC" repair "$DOM"
		expect_in "$DOM: repaired"
		expect_rc 0 "$VV" -c "$LC" check-chain "$DOM"
		[ -z "$(ls "$DOMDIR" | grep virtvault)" ] || fail "after a kill in $ph an overlay is left: $(ls "$DOMDIR")"
		# No guest write was lost: the live records have no gap.
		live_records_ok "$DOMDIR" "$n0"
	done
	expect_rc 0 "$VV" -q -c "$LC" backup "$DOM"
	expect_rc 0 "$VV" -c "$LC" check-chain "$DOM"
}

test_live_next_backup_repairs_first() {
	local pid
	live_conf
	VIRTVAULT_TEST_STALL=copy "$VV_FAULTS" -q -c "$LC" backup "$DOM" >/dev/null 2>&1 &
	pid=$!
	wait_for 60 test -f "$BED_DIR/state/stall.$DOM" || { kill -9 $pid; return 1; }
	kill -9 $pid
	wait $pid 2>/dev/null
	rm -f "$BED_DIR/state/stall.$DOM"
	expect_rc 0 "$VV" -c "$LC" backup "$DOM"
	expect_in "an earlier backup was interrupted; repairing it first"
	expect_in "repaired; every disk is back on its own image"
	expect_rc 0 "$VV" -c "$LC" check-chain "$DOM"
}

test_live_two_runs_at_once() {
	local pid
	live_conf
	VIRTVAULT_TEST_STALL=copy "$VV_FAULTS" -q -c "$LC" backup "$DOM" >/dev/null 2>&1 &
	pid=$!
	wait_for 60 test -f "$BED_DIR/state/stall.$DOM" || { kill -9 $pid; return 1; }
	expect_rc 1 "$VV" -c "$LC" backup "$DOM"
	expect_in "domain $DOM: another virtvault (pid $pid) is working on it; not touching it"
	expect_rc 1 "$VV" -c "$LC" repair "$DOM"
	kill -9 $pid
	wait $pid 2>/dev/null
	rm -f "$BED_DIR/state/stall.$DOM"
	expect_rc 0 "$VV" -c "$LC" repair "$DOM"
	expect_rc 0 "$VV" -c "$LC" check-chain "$DOM"
}

test_live_restore_define_starts() {
	local out=$BED_DIR/live-define
	live_conf
	expect_rc 0 "$VV" -q -c "$LC" backup "$DOM"
	mkdir -p "$out"
	chmod 755 "$out"
	echo "vvtest-it1-copy" >>"$BED_DIR/domains"
	expect_rc 0 "$VV" -c "$LC" restore "$DOM@latest" --to "$out" --define --name vvtest-it1-copy
	expect_in "defined domain vvtest-it1-copy"
	expect_rc 0 virsh -c "$BED_URI" dumpxml vvtest-it1-copy
	expect_in "<source file='$out/data.qcow2'/>"
	expect_not_in "$(virsh -c "$BED_URI" domuuid "$DOM")"
	expect_rc 0 virsh -c "$BED_URI" start vvtest-it1-copy
	bed_wait_agent vvtest-it1-copy 60 "$out/vvtest-it1-copy-serial0.log"
	virsh -q -c "$BED_URI" destroy vvtest-it1-copy >/dev/null
	virsh -q -c "$BED_URI" undefine vvtest-it1-copy --checkpoints-metadata >/dev/null
}

test_live_job_excludes_disk_and_paused_domain() {
	live_conf
	virsh -q -c "$BED_URI" suspend "$DOM" >/dev/null
	expect_rc 0 "$VV" -c "$LC" backup --job scratchless --quiesce try --json
	OUTJ=$OUT
	expect_rc 0 virsh -c "$BED_URI" domstate "$DOM"
	virsh -q -c "$BED_URI" resume "$DOM" >/dev/null
	expect_in "paused"
	OUT=$OUTJ
	expect_in '"quiesced":false'
	expect_rc 0 "$VV" -c "$LC" show "$DOM@latest"
	expect_in "data.qcow2"
	expect_not_in "scratch.raw"
	expect_in "crash-consistent"
	expect_rc 0 "$VV" -c "$LC" check-chain "$DOM"
}

test_live_no_agent_try_and_require() {
	live_conf
	bed_up it2 vv.noagent || return 1
	"$VV" -c "$LC" disks vvtest-it2 | sed "s/  (read .*)$//" >"$BED_DIR/it2-before"
	expect_rc 1 "$VV" -c "$LC" backup vvtest-it2 --quiesce require
	expect_in "the quiesced snapshot failed (quiesce = require)"
	expect_rc 0 "$VV" -c "$LC" check-chain vvtest-it2
	expect_rc 0 "$VV" -c "$LC" backup vvtest-it2 --quiesce try
	expect_in "cannot quiesce"
	expect_in "crash-consistent"
	expect_rc 0 "$VV" -c "$LC" show vvtest-it2@latest --json
	expect_in '"quiesced":false'
	"$VV" -c "$LC" disks vvtest-it2 | sed "s/  (read .*)$//" >"$BED_DIR/it2-after"
	cmp "$BED_DIR/it2-before" "$BED_DIR/it2-after" || fail "the chain of vvtest-it2 changed"
	expect_rc 0 "$VV" -c "$LC" check-chain vvtest-it2
	bed_down it2
}

test_live_shutoff_template_cdrom_network_and_partial_failure() {
	local d=$BED_DIR/off2 out=$BED_DIR/off2-out
	live_conf
	mkdir -p "$d" "$out"
	qemu-img create -q -f qcow2 "$d/template.qcow2" 32M
	qemu-io -c "write -P 0x11 0 1M" "$d/template.qcow2" >/dev/null
	qemu-img create -q -f qcow2 -F qcow2 -b "$d/template.qcow2" "$d/child.qcow2"
	qemu-io -c "write -P 0x22 4M 1M" "$d/child.qcow2" >/dev/null
	cat >"$d/off.xml" <<XML
<domain type='qemu'><name>vvtest-off2</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64'>hvm</type></os><devices>
<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
<source file='$d/child.qcow2'/><target dev='vda' bus='virtio'/></disk>
<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><target dev='sda' bus='sata'/><readonly/></disk>
</devices></domain>
XML
	cat >"$d/net.xml" <<XML
<domain type='qemu'><name>vvtest-net</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64'>hvm</type></os><devices>
<disk type='network' device='disk'><driver name='qemu' type='raw'/>
<source protocol='rbd' name='pool/image'><host name='127.0.0.1' port='6789'/></source>
<target dev='vda' bus='virtio'/></disk>
</devices></domain>
XML
	echo vvtest-off2 >>"$BED_DIR/domains"
	echo vvtest-net >>"$BED_DIR/domains"
	virsh -q -c "$BED_URI" define "$d/off.xml" >/dev/null
	virsh -q -c "$BED_URI" define "$d/net.xml" >/dev/null
	# One domain refused, the other backed up: exit 3.
	expect_rc 3 "$VV" -c "$LC" backup vvtest-net vvtest-off2
	expect_in "domain vvtest-net, disk vda: a network disk (rbd:pool/image) cannot be backed up by virtvault"
	expect_in "vvtest-net: FAILED"
	expect_in "vvtest-off2: snapshot"
	expect_in "(shut off)"
	# The whole chain is in the backup, and restores self-contained.
	expect_rc 0 "$VV" -c "$LC" show vvtest-off2@latest
	expect_in "child.qcow2"
	expect_in "template.qcow2"
	chmod 755 "$out"
	expect_rc 0 "$VV" -c "$LC" restore vvtest-off2@latest --to "$out" --define
	expect_in "defined domain vvtest-off2-restored"
	echo vvtest-off2-restored >>"$BED_DIR/domains"
	expect_rc 0 qemu-img info -U --backing-chain "$out/child.qcow2"
	expect_in "backing file: $out/template.qcow2"
	expect_rc 0 qemu-img compare -U "$d/child.qcow2" "$out/child.qcow2"
	expect_rc 0 "$VV" -c "$LC" check-chain vvtest-off2
	virsh -q -c "$BED_URI" undefine vvtest-off2 --checkpoints-metadata >/dev/null
	virsh -q -c "$BED_URI" undefine vvtest-net --checkpoints-metadata >/dev/null
	virsh -q -c "$BED_URI" undefine vvtest-off2-restored --checkpoints-metadata >/dev/null
}

test_live_block_job_refused() {
	local ovl=$DOMDIR/data.someone-else
	live_conf
	virsh -q -c "$BED_URI" snapshot-create-as "$DOM" other --disk-only --atomic --no-metadata \
		--diskspec "vda,file=$ovl" --diskspec vdb,snapshot=no >/dev/null
	virsh -q -c "$BED_URI" blockcommit "$DOM" vda --active --wait --timeout 120 >/dev/null
	"$VV" -c "$LC" disks "$DOM" | sed "s/  (read .*)$//" >"$BED_DIR/bj-before"
	expect_rc 1 "$VV" -c "$LC" backup "$DOM"
	expect_in "domain $DOM, disk vda: a block job (active commit) is running; nothing touched"
	"$VV" -c "$LC" disks "$DOM" | sed "s/  (read .*)$//" >"$BED_DIR/bj-after"
	cmp "$BED_DIR/bj-before" "$BED_DIR/bj-after" || fail "the refused backup changed the chain"
	virsh -q -c "$BED_URI" blockjob "$DOM" vda --pivot >/dev/null
	wait_for 30 sh -c "! virsh -c $BED_URI blockjob $DOM vda --info 2>&1 | grep -q 'Block Commit'"
	rm -f "$ovl"
	expect_rc 0 "$VV" -c "$LC" check-chain "$DOM"
}

test_live_shutoff_started_during_copy_fails_cleanly() {
	local pid dir=$BED_DIR/it3
	live_conf
	bed_make_disks it3
	cp "$BED_GUEST/vmlinuz" "$BED_GUEST/initrd.img" "$dir/"
	: >"$dir/console.log"
	bed_domain_xml it3 vv.nowriter >"$dir/domain.xml"
	echo vvtest-it3 >>"$BED_DIR/domains"
	virsh -q -c "$BED_URI" define "$dir/domain.xml" >/dev/null
	"$VV" -c "$LC" disks vvtest-it3 | sed "s/  (read .*)$//" >"$BED_DIR/it3-before"
	# Stop after the first disk, start the domain, let the run go on.
	VIRTVAULT_TEST_STALL=copy-mid "$VV_FAULTS" -q -c "$LC" backup vvtest-it3 >"$BED_DIR/it3.log" 2>&1 &
	pid=$!
	wait_for 60 test -f "$BED_DIR/state/stall.vvtest-it3" || { kill -9 $pid; cat "$BED_DIR/it3.log"; return 1; }
	virsh -q -c "$BED_URI" start vvtest-it3 >/dev/null
	rm -f "$BED_DIR/state/stall.vvtest-it3"
	wait $pid && fail "the backup of a domain started during the copy succeeded"
	OUT=$(cat "$BED_DIR/it3.log")
	expect_in "domain vvtest-it3: started while its disks were being copied; this backup is discarded"
	expect_rc 1 "$VV" -c "$LC" list vvtest-it3 --json
	expect_in "no snapshot of" || fail "a manifest was published: $OUT"
	# Nothing was touched: same chain, no journal, the guest boots on.
	"$VV" -c "$LC" disks vvtest-it3 | sed "s/  (read .*)$//" >"$BED_DIR/it3-after"
	cmp "$BED_DIR/it3-before" "$BED_DIR/it3-after" || fail "the chain changed"
	expect_rc 0 "$VV" -c "$LC" check-chain vvtest-it3
	bed_wait_agent vvtest-it3 60 "$dir/console.log"
	bed_down it3
}

test_live_transient_domain() {
	local dir=$BED_DIR/it4
	live_conf
	bed_make_disks it4
	cp "$BED_GUEST/vmlinuz" "$BED_GUEST/initrd.img" "$dir/"
	: >"$dir/console.log"
	bed_domain_xml it4 >"$dir/domain.xml"
	echo vvtest-it4 >>"$BED_DIR/domains"
	virsh -q -c "$BED_URI" create "$dir/domain.xml" >/dev/null
	bed_wait_agent vvtest-it4 60 "$dir/console.log"
	expect_rc 0 virsh -c "$BED_URI" dominfo vvtest-it4
	expect_in "Persistent:     no"
	expect_rc 0 "$VV" -c "$LC" backup vvtest-it4 --quiesce require
	expect_in "vvtest-it4: snapshot"
	expect_in "(quiesced)"
	expect_rc 0 "$VV" -c "$LC" check-chain vvtest-it4
	expect_rc 0 "$VV" -c "$LC" verify vvtest-it4@latest
	bed_down it4
}

# kill9_during_copy DOM: a backup of DOM killed -9 while it copies.
kill9_during_copy() {
	kill9_at copy "$LC" "$BED_DIR/state" "$1"
}

# A domain whose disks live in a folder named with ', ", & and a space:
# backed up live, repaired after a kill while running and while shut off
# (the offline commit rewrites the definition), restored with --define.
test_live_odd_paths() {
	local dir=$BED_DIR/it5 odd ovl
	odd="$BED_DIR/it5/R&D's \"odd\" disks"
	live_conf
	bed_make_disks it5
	mkdir -p "$odd"
	mv "$dir/data.qcow2" "$dir/scratch.raw" "$odd/"
	cp "$BED_GUEST/vmlinuz" "$BED_GUEST/initrd.img" "$dir/"
	: >"$dir/console.log"
	bed_domain_xml it5 vv.nowriter | ODD="$odd" DIR="$dir" python3 -c '
import os, sys
from xml.sax.saxutils import quoteattr
x = sys.stdin.read()
for f in ("data.qcow2", "scratch.raw"):
    x = x.replace("'"'"'%s/%s'"'"'" % (os.environ["DIR"], f), quoteattr(os.environ["ODD"] + "/" + f))
sys.stdout.write(x)' >"$dir/domain.xml"
	grep -q "&amp;" "$dir/domain.xml" || fail "the domain XML does not hold the odd path"
	echo vvtest-it5 >>"$BED_DIR/domains"
	virsh -q -c "$BED_URI" define "$dir/domain.xml" >/dev/null
	virsh -q -c "$BED_URI" start vvtest-it5 >/dev/null
	bed_wait_agent vvtest-it5 60 "$dir/console.log"
	"$VV" -c "$LC" disks vvtest-it5 | sed "s/  (read .*)$//" >"$BED_DIR/it5-before"
	grep -qF "$odd/data.qcow2" "$BED_DIR/it5-before" || fail "disks does not show the odd path"

	expect_rc 0 "$VV" -c "$LC" backup vvtest-it5 --quiesce require
	expect_in "vvtest-it5: snapshot"
	expect_rc 0 "$VV" -c "$LC" check-chain vvtest-it5

	# Killed during the copy while running: repair commits and pivots.
	kill9_during_copy vvtest-it5 || return 1
	expect_rc 0 "$VV" -c "$LC" repair vvtest-it5
	expect_in "vvtest-it5: repaired"
	expect_rc 0 "$VV" -c "$LC" check-chain vvtest-it5

	# Killed during the copy, then shut off: repair commits offline and
	# points the definition back at the base before deleting the overlay.
	kill9_during_copy vvtest-it5 || return 1
	virsh -q -c "$BED_URI" destroy vvtest-it5 >/dev/null
	ovl=$(ls "$odd" | grep virtvault-overlay) || fail "no overlay after the kill"
	virsh -c "$BED_URI" dumpxml --inactive vvtest-it5 | grep -q virtvault-overlay ||
		fail "the shut-off definition is not on the overlay (the test would prove nothing)"
	expect_rc 0 "$VV" -c "$LC" repair vvtest-it5
	expect_in "committing it offline"
	expect_in "vvtest-it5: repaired"
	[ -z "$(ls "$odd" | grep virtvault)" ] || fail "an overlay is left: $(ls "$odd")"
	virsh -c "$BED_URI" dumpxml --inactive vvtest-it5 | grep -q virtvault-overlay &&
		fail "the definition still names the overlay"
	expect_rc 0 "$VV" -c "$LC" check-chain vvtest-it5
	"$VV" -c "$LC" disks vvtest-it5 | sed "s/  (read .*)$//" >"$BED_DIR/it5-after"
	cmp "$BED_DIR/it5-before" "$BED_DIR/it5-after" || fail "the chain changed"
	virsh -q -c "$BED_URI" start vvtest-it5 >/dev/null || fail "the repaired domain does not start"

	# Restored as a new domain from the latest snapshot.
	mkdir -p "$dir/restored" && chmod 755 "$dir/restored"
	echo vvtest-it5-restored >>"$BED_DIR/domains"
	expect_rc 0 "$VV" -c "$LC" restore vvtest-it5@latest --to "$dir/restored" --define
	expect_rc 0 "$VV" -c "$LC" disks vvtest-it5-restored
	expect_in "$dir/restored/data.qcow2"
	cmp <(head -c 1M "$dir/restored/scratch.raw") <(head -c 1M "$odd/scratch.raw") ||
		fail "the restored scratch disk differs"
	virsh -q -c "$BED_URI" undefine vvtest-it5-restored --checkpoints-metadata >/dev/null
	bed_down it5
}
