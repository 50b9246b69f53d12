# `disks` and `check-chain` against the live test guest.

test_disks_live_domain() {
	expect_rc 0 "$VV" -c "$CONF" disks "$DOM"
	expect_in "vda      disk    file     qcow2   $DOMDIR/data.qcow2"
	expect_in "vdb      disk    file     raw     $DOMDIR/scratch.raw  (read whole each backup (raw: no persistent bitmap))"
	expect_in "vda      disk    file     qcow2   $DOMDIR/data.qcow2  (read incremental (changed-block tracking, from its second backup on))"
	expect_rc 0 "$VV" -c "$CONF" disks "$DOM" --json
	echo "$OUT" >"$BED_DIR/disks.json"
	python3 - "$BED_DIR/disks.json" "$DOMDIR" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
dd = sys.argv[2]
assert d["domain"] == "vvtest-it1", d
t = {k["target"]: k for k in d["disks"]}
assert t["vda"]["format"] == "qcow2" and t["vda"]["image"] == dd + "/data.qcow2", t
assert [c["path"] for c in t["vda"]["chain"]] == [dd + "/data.qcow2"], t
assert t["vdb"]["format"] == "raw" and t["vdb"]["type"] == "file", t
PY
}

test_disks_shutoff_domain_chain_from_qemu_img() {
	local d=$BED_DIR/off
	mkdir -p "$d"
	qemu-img create -q -f qcow2 "$d/template.qcow2" 32M
	qemu-img create -q -f qcow2 -F qcow2 -b "$d/template.qcow2" "$d/child.qcow2"
	cat >"$d/dom.xml" <<XML
<domain type='qemu'><name>vvtest-off</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64'>hvm</type></os><devices>
<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
<source file='$d/child.qcow2'/><target dev='vda' bus='virtio'/></disk>
<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><target dev='sda' bus='sata'/><readonly/></disk>
</devices></domain>
XML
	echo vvtest-off >>"$BED_DIR/domains"
	virsh -q -c "$BED_URI" define "$d/dom.xml" >/dev/null
	expect_rc 0 "$VV" -c "$CONF" disks vvtest-off
	expect_in "vda      disk    file     qcow2   $d/child.qcow2"
	expect_in "qcow2   \`- $d/template.qcow2"
	expect_in "sda      cdrom   -        -       (no medium)"
	expect_rc 0 "$VV" -c "$CONF" check-chain vvtest-off
	expect_in "vvtest-off: healthy"
	# A backing file gone from disk.
	mv "$d/template.qcow2" "$d/template.moved"
	expect_rc 1 "$VV" -c "$CONF" disks vvtest-off
	expect_in "domain vvtest-off, disk vda: cannot read the backing chain of $d/child.qcow2"
	mv "$d/template.moved" "$d/template.qcow2"
	rm -f "$d/child.qcow2"
	expect_rc 1 "$VV" -c "$CONF" check-chain vvtest-off
	virsh -q -c "$BED_URI" undefine vvtest-off --checkpoints-metadata >/dev/null
}

test_disks_unknown_domain() {
	expect_rc 1 "$VV" -c "$CONF" disks vvtest-nosuch
	expect_in "domain vvtest-nosuch: not found at $BED_URI"
	expect_rc 1 "$VV" -c "$CONF" check-chain "$DOM" vvtest-nosuch
	expect_in "$DOM: healthy"
	expect_in "vvtest-nosuch: not found at $BED_URI"
}

test_agent_fsfreeze_thaw_round_trip() {
	# The agent answers fsinfo only while thawed.
	expect_rc 0 virsh -c "$BED_URI" domfsinfo "$DOM"
	expect_in "/data"
	expect_rc 0 virsh -c "$BED_URI" domfsfreeze "$DOM"
	expect_in "Froze 1 filesystem(s)"
	expect_rc 1 virsh -c "$BED_URI" domfsinfo "$DOM"
	expect_in "frozen state"
	expect_rc 0 virsh -c "$BED_URI" domfsthaw "$DOM"
	expect_in "Thawed 1 filesystem(s)"
}

test_guest_writer_records_consistent() {
	local n1 n2 raw=$BED_DIR/records.raw
	n1=$(guest_exec "$DOM" 'tail -n 1 /data/records.log' | cut -d' ' -f1)
	wait_for 30 sh -c "[ \"\$(bash -c '. $BED_TOP/tests/bed/lib.sh; . $BED_TOP/tests/integration/lib.sh; guest_exec $DOM \"tail -n 1 /data/records.log\"' | cut -d' ' -f1)\" -gt $n1 ]"
	# Freeze, copy the image, thaw: the copy holds a consistent file system
	# whose records are all valid and consecutive.
	virsh -q -c "$BED_URI" domfsfreeze "$DOM" >/dev/null
	qemu-img convert -U -f qcow2 -O raw "$DOMDIR/data.qcow2" "$raw"
	virsh -q -c "$BED_URI" domfsthaw "$DOM" >/dev/null
	expect_rc 0 e2fsck -fn "$raw"
	debugfs -R "dump /records.log $BED_DIR/records.log" "$raw" 2>/dev/null
	expect_rc 0 python3 "$BED_TOP/tests/bed/verify-records.py" "$BED_DIR/records.log" "$n1"
	expect_in "records valid and consecutive"
	rm -f "$raw"
}

test_check_chain_healthy() {
	expect_rc 0 "$VV" -c "$CONF" check-chain "$DOM"
	expect_in "$DOM: healthy"
}

test_check_chain_leftover_overlay_and_block_job() {
	local ovl=$DOMDIR/data.qcow2.virtvault-overlay-20261125T000000
	virsh -q -c "$BED_URI" snapshot-create-as "$DOM" virtvault-20261125T000000 \
		--disk-only --atomic --diskspec "vda,file=$ovl" --diskspec vdb,snapshot=no >/dev/null
	expect_rc 1 "$VV" -c "$CONF" check-chain "$DOM"
	expect_in "disk vda: runs on $ovl is a virtvault overlay left by an interrupted backup"
	expect_in "leftover snapshot metadata 'virtvault-20261125T000000' of a virtvault backup"
	expect_in "disk vda: runs on overlay $ovl of external snapshot 'virtvault-20261125T000000'"
	expect_rc 0 "$VV" -c "$CONF" disks "$DOM"
	expect_in "$ovl"
	expect_in "\`- $DOMDIR/data.qcow2"

	# An active commit left in its ready phase is a running block job.
	virsh -q -c "$BED_URI" blockcommit "$DOM" vda --active --wait --timeout 120 >/dev/null
	expect_rc 1 "$VV" -c "$CONF" check-chain "$DOM"
	expect_in "disk vda: a block job is running (active commit"

	# Put the domain back as it was.
	virsh -q -c "$BED_URI" blockjob "$DOM" vda --pivot >/dev/null
	wait_for 30 sh -c "! virsh -c $BED_URI blockjob $DOM vda --info 2>&1 | grep -q 'Active Block Commit'"
	virsh -q -c "$BED_URI" snapshot-delete "$DOM" virtvault-20261125T000000 --metadata >/dev/null
	# The overlay file is no longer in use but still on disk.
	expect_rc 1 "$VV" -c "$CONF" check-chain "$DOM"
	expect_in "disk vda: leftover overlay file $ovl of an interrupted backup (not in use)"
	rm -f "$ovl"
	expect_rc 0 "$VV" -c "$CONF" check-chain "$DOM"
}

test_check_chain_interrupted_journal() {
	mkdir -p "$BED_DIR/state/journal"
	echo '{"phase": "commit"}' >"$BED_DIR/state/journal/$DOM.json"
	expect_rc 1 "$VV" -c "$CONF" check-chain "$DOM"
	expect_in "needs repair: a backup was interrupted in phase 'commit'"
	expect_in "run: virtvault repair $DOM"
	rm -f "$BED_DIR/state/journal/$DOM.json"
	expect_rc 0 "$VV" -c "$CONF" check-chain "$DOM"
}
