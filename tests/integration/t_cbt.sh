# Changed-block tracking on the real bed: a guest of its own (vvtest-cbt),
# random writes, overwrites, deletes and fstrim inside it, incremental
# backups checked against whole reads, restores checked file by file, and
# every cause of a full read.

# CBT_CYCLES: cycles of the property test (make cbt-soak runs many).
CBT_CYCLES=${CBT_CYCLES:-6}
CDOM=vvtest-cbt
CDIR=$BED_DIR/cbt

# cbt_up: the test guest, booted once for all the tests of this file.
cbt_up() {
	local st
	st=$(virsh -q -c "$BED_URI" domstate "$CDOM" 2>/dev/null)
	[ "$st" = running ] && return 0
	if [ -z "$st" ]; then
		bed_up cbt vv.nowriter || { fail "cannot start $CDOM"; return 1; }
		return 0
	fi
	virsh -q -c "$BED_URI" start "$CDOM" >/dev/null || { fail "cannot start $CDOM"; return 1; }
	bed_wait_agent "$CDOM" 60 "$CDIR/console.log" || fail "the agent of $CDOM does not answer"
}

# cbt_conf NAME [LINE...]: its own repository and state folder.
cbt_conf() {
	local name=$1
	shift
	CC=$BED_DIR/cbt-$name.conf
	CS=$BED_DIR/cbt-$name-state
	{
		printf '[agent]\nlibvirt_uri = %s\nstate_dir = %s\n' "$BED_URI" "$CS"
		printf '%s\n' "$@"
		printf '[repository]\nurl = file://%s/cbt-repo-%s\npassword_file = %s/cbt.pw\n' \
			"$BED_DIR" "$name" "$BED_DIR"
	} >"$CC"
	printf 'cbt-test-password\n' >"$BED_DIR/cbt.pw"
	chmod 600 "$CC" "$BED_DIR/cbt.pw"
	"$VV" -q -c "$CC" init >/dev/null 2>&1 || true
}

# cbt_read FILE: "MODE|REASON|SKIPPED" of FILE in the last backup's JSON ($OUT).
cbt_read() {
	tail -n1 <<<"$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)["domains"][0]
for f in d.get("files", []):
    if f["file"] == sys.argv[1]:
        print("%s|%s|%d" % (f["read_mode"], f["read_reason"], f["bytes_skipped"]))' "$1"
}

# cbt_ours: the checkpoints of $CDOM made by the backups of $CC (their
# names start like the one its reference names), one a line.
cbt_ours() {
	local ref prefix
	ref=$(ls "$CS"/cbt/"$CDOM"/*/vda.json 2>/dev/null | head -n1)
	[ -n "$ref" ] || return 0
	prefix=$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["checkpoint"]; print(c[:c.index("-", len("virtvault-")) + 1])' "$ref")
	virsh -q -c "$BED_URI" checkpoint-list "$CDOM" --name | grep "^$prefix" || true
}

# cbt_ref_checkpoint: the checkpoint the reference of vda names.
cbt_ref_checkpoint() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["checkpoint"])' "$(ls "$CS"/cbt/"$CDOM"/*/vda.json | head -n1)"
}

cbt_snap() {
	tail -n1 <<<"$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["domains"][0]["snapshot"])'
}

# cbt_expect MODE REASON-PART: the last backup read data.qcow2 so.
cbt_expect() {
	local r
	r=$(cbt_read data.qcow2)
	case "$r" in
	"$1|"*"$2"*) ;;
	*) fail "expected a $1 read of data.qcow2 for '$2', got: $r"; return 1 ;;
	esac
}

# cbt_mutate: random writes, overwrites, deletes and trims in the guest.
cbt_mutate() {
	local cmds="mkdir -p /data/cbt; " i
	for i in $(seq $((RANDOM % 4 + 2))); do
		case $((RANDOM % 6)) in
		0 | 1) cmds+="dd if=/dev/urandom of=/data/cbt/f$RANDOM bs=4k count=$((RANDOM % 200 + 1)) 2>/dev/null; " ;;
		2 | 3) cmds+="f=\$(ls /data/cbt | head -n $((RANDOM % 4 + 1)) | tail -n 1); test -z \$f || dd if=/dev/urandom of=/data/cbt/\$f bs=4k count=$((RANDOM % 16 + 1)) seek=$((RANDOM % 64)) conv=notrunc 2>/dev/null; " ;;
		4) cmds+="f=\$(ls /data/cbt | head -n $((RANDOM % 4 + 1)) | tail -n 1); test -z \$f || rm -f /data/cbt/\$f; " ;;
		5) cmds+="fstrim /data; " ;;
		esac
	done
	guest_exec "$CDOM" "$cmds sync" >/dev/null
}

# cbt_listing: the MD5 of every file the guest holds under /data/cbt.
cbt_listing() {
	guest_exec "$CDOM" 'sync; cd /data/cbt && md5sum f* 2>/dev/null' | sort
}

# cbt_restored_ok CONF SNAP EXPECTED: the snapshot's data disk restores to
# a clean ext4 holding exactly the files listed in EXPECTED.
cbt_restored_ok() {
	local out=$BED_DIR/cbt-restore raw=$BED_DIR/cbt-restore.raw
	rm -rf "$out" "$raw"
	mkdir -p "$out"
	"$VV" -q -c "$1" restore "$2" --disk vda --to "$out" >/dev/null || { fail "restore of $2 failed"; return 1; }
	qemu-img convert -O raw "$out/data.qcow2" "$raw"
	e2fsck -fn "$raw" >"$BED_DIR/cbt-e2fsck.log" 2>&1 ||
		{ cat "$BED_DIR/cbt-e2fsck.log"; fail "snapshot $2: e2fsck -fn found errors"; return 1; }
	mkdir -p "$out/files"
	debugfs -R "rdump /cbt $out/files" "$raw" >/dev/null 2>&1
	(cd "$out/files/cbt" 2>/dev/null && md5sum f* 2>/dev/null) | sort >"$out/listing"
	diff "$3" "$out/listing" >"$BED_DIR/cbt-diff" ||
		{ cat "$BED_DIR/cbt-diff"; fail "snapshot $2 does not hold exactly the files written before it"; return 1; }
	rm -rf "$out" "$raw"
}

test_cbt_property_random_guest_writes() {
	local cycle snaps=() skipped=0 patched=0 r
	cbt_up || return 1
	cbt_conf prop
	# Data that stays, so that every incremental run has something to skip.
	guest_exec "$CDOM" 'dd if=/dev/urandom of=/data/stays bs=1M count=8 2>/dev/null; sync' >/dev/null
	for cycle in $(seq "$CBT_CYCLES"); do
		cbt_mutate
		cbt_listing >"$BED_DIR/cbt-expect-$cycle"
		# Odd cycles read whole and compare with the plan; even ones skip.
		if [ $((cycle % 2)) = 1 ]; then
			expect_rc 0 "$VV" -c "$CC" backup "$CDOM" --check-cbt --json
		else
			expect_rc 0 "$VV" -c "$CC" backup "$CDOM" --json
			# Format 3: changed chunks stored as patches of the reference's.
			patched=$((patched + $(tail -n1 <<<"$OUT" |
				python3 -c 'import json, sys; print(json.load(sys.stdin)["domains"][0]["chunks_patched"])')))
		fi
		snaps+=("$(cbt_snap)")
		if [ "$cycle" -gt 1 ]; then
			cbt_expect incremental "since snapshot" || return 1
			r=$(cbt_read data.qcow2)
			skipped=$((skipped + ${r##*|}))
		fi
		case "$(cbt_read scratch.raw)" in
		"full|a raw image has no persistent bitmap|0") ;;
		*) fail "the raw disk: $(cbt_read scratch.raw)" ;;
		esac
	done
	[ "$skipped" -gt 0 ] || fail "no incremental run skipped anything"
	[ "$patched" -gt 0 ] || fail "no incremental run stored a changed chunk as a patch"
	for cycle in $(seq "$CBT_CYCLES"); do
		cbt_restored_ok "$CC" "${snaps[$((cycle - 1))]}" "$BED_DIR/cbt-expect-$cycle" || return 1
	done
	expect_rc 0 "$VV" -c "$CC" verify
	# Exactly one checkpoint of these backups stays: the last run's.
	[ "$(cbt_ours | grep -c .)" = 1 ] || fail "checkpoints left: $(cbt_ours)"
}

test_cbt_every_full_read_cause() {
	local snap cp pid
	cbt_up || return 1
	cbt_conf causes
	expect_rc 0 "$VV" -c "$CC" backup "$CDOM" --json
	cbt_expect full "no reference here yet"
	cbt_mutate
	expect_rc 0 "$VV" -c "$CC" backup "$CDOM" --json
	cbt_expect incremental "since snapshot"
	expect_rc 0 "$VV" -c "$CC" backup "$CDOM" --no-cbt --json
	cbt_expect full "changed-block tracking is off"
	# --no-cbt took no checkpoint: the reference before it still serves.
	expect_rc 0 "$VV" -c "$CC" backup "$CDOM" --check-cbt --json
	cbt_expect incremental "since snapshot"

	# The reference snapshot forgotten.
	snap=$(cbt_snap)
	expect_rc 0 "$VV" -c "$CC" forget "$snap"
	expect_rc 0 "$VV" -c "$CC" backup "$CDOM" --json
	cbt_expect full "no longer in the repository"

	# Its checkpoint deleted behind virtvault's back.
	cp=$(cbt_ref_checkpoint)
	virsh -q -c "$BED_URI" checkpoint-delete "$CDOM" "$cp" >/dev/null || fail "cannot delete $cp"
	expect_rc 0 "$VV" -c "$CC" backup "$CDOM" --json
	cbt_expect full "unknown to libvirt"

	# The virtual size changed.
	virsh -q -c "$BED_URI" blockresize "$CDOM" vda 72M >/dev/null || fail "blockresize failed"
	expect_rc 0 "$VV" -c "$CC" backup "$CDOM" --json
	cbt_expect full "the virtual size changed"
	expect_rc 0 "$VV" -c "$CC" backup "$CDOM" --check-cbt --json
	cbt_expect incremental "since snapshot"

	# QEMU killed: the bitmap was left in use.
	cbt_mutate
	pid=$(pgrep -f "guest=$CDOM," | head -n1)
	[ -n "$pid" ] || { fail "no QEMU process of $CDOM"; return 1; }
	kill -9 "$pid"
	wait_for 30 sh -c "virsh -q -c '$BED_URI' domstate $CDOM | grep -q 'shut off'"
	cbt_up || return 1
	expect_rc 0 "$VV" -c "$CC" backup "$CDOM" --json
	cbt_expect full "is not consistent"
	cbt_mutate
	cbt_listing >"$BED_DIR/cbt-expect-killed"
	expect_rc 0 "$VV" -c "$CC" backup "$CDOM" --check-cbt --json
	cbt_expect incremental "since snapshot"
	cbt_restored_ok "$CC" "$(cbt_snap)" "$BED_DIR/cbt-expect-killed" || return 1

	# Shut off: read whole, the reference kept for the next live run.
	virsh -q -c "$BED_URI" destroy "$CDOM" >/dev/null
	expect_rc 0 "$VV" -c "$CC" backup "$CDOM" --json
	cbt_expect full "the domain is shut off"
	# The image replaced by a copy (a restore into place does the same).
	cp --sparse=always "$CDIR/data.qcow2" "$CDIR/data.copy"
	mv "$CDIR/data.copy" "$CDIR/data.qcow2"
	chown --reference="$CDIR/scratch.raw" "$CDIR/data.qcow2"
	cbt_up || return 1
	expect_rc 0 "$VV" -c "$CC" backup "$CDOM" --json
	cbt_expect full "replaced or restored"

	# Every 2nd incremental run reads whole and compares.
	cbt_conf causes "cbt_full_every = 2"
	expect_rc 0 "$VV" -c "$CC" backup "$CDOM" --json
	cbt_expect incremental "since snapshot"
	expect_rc 0 "$VV" -c "$CC" backup "$CDOM" --json
	cbt_expect incremental "cbt_full_every: read whole and compared"

	# A restore defining a new domain starts with no bitmap.
	rm -rf "$BED_DIR/cbt-def"
	mkdir -p "$BED_DIR/cbt-def"
	expect_rc 0 "$VV" -c "$CC" restore "$CDOM@latest" --to "$BED_DIR/cbt-def" --define --name vvtest-cbt-copy
	OUT=$(qemu-img info --output=json "$BED_DIR/cbt-def/data.qcow2")
	expect_not_in '"bitmaps"'
	virsh -q -c "$BED_URI" undefine vvtest-cbt-copy --checkpoints-metadata >/dev/null
	rm -rf "$BED_DIR/cbt-def"
}

test_cbt_killed_run_and_repair() {
	local n
	cbt_up || return 1
	cbt_conf killed
	expect_rc 0 "$VV" -q -c "$CC" backup "$CDOM"
	cbt_mutate
	kill9_at copy "$CC" "$CS" "$CDOM" || return 1
	expect_rc 0 "$VV" -c "$CC" repair "$CDOM"
	n=$(cbt_ours | grep -c .)
	[ "$n" = 2 ] || fail "the killed run's checkpoint is not there: $(cbt_ours)"
	cbt_listing >"$BED_DIR/cbt-expect-kr"
	expect_rc 0 "$VV" -c "$CC" backup "$CDOM" --check-cbt --json
	cbt_expect incremental "since snapshot"
	cbt_restored_ok "$CC" "$(cbt_snap)" "$BED_DIR/cbt-expect-kr" || return 1
	[ "$(cbt_ours | grep -c .)" = 1 ] || fail "old checkpoints left: $(cbt_ours)"
}

# cbt_readers: pids of the live qemu-nbd or qemu-img processes on the
# guest's data image (none may outlive a run or a repair). A dead one may
# stay a zombie here (this machine's init does not reap): it holds nothing.
cbt_readers() {
	ps -eo pid=,stat=,args= | awk -v img="$CDIR/data.qcow2" \
		'$2 !~ /^Z/ && $3 ~ /qemu-(nbd|img)$/ && index($0, img) { print $1 }'
}
cbt_no_readers() {
	[ -z "$(cbt_readers)" ]
}

# A run killed with -9 while its bitmap reader (qemu-nbd) is up, three
# times: once connected, once in the spawn-to-connect window (a qemu-nbd
# no client reached waits for ever), once there with a reader the fault
# build lets outlive the run (as every one did before readers died with
# the agent): each time repair stops what is left, commits, and
# the chain is as before; then the next incremental backup restores right.
test_cbt_killed_reader_repair() {
	local point orphan pid mark=$BED_DIR/cbt-reader.stall dir left
	cbt_up || return 1
	cbt_conf reader
	expect_rc 0 "$VV" -q -c "$CC" backup "$CDOM"
	for point in cbt-reader-connected cbt-reader-started cbt-reader-started:orphan; do
		orphan=
		case $point in *:orphan) orphan=1 point=${point%:orphan} ;; esac
		cbt_mutate
		rm -f "$mark"
		VIRTVAULT_TEST_STALL=$point VIRTVAULT_TEST_STALL_MARKER=$mark \
			VIRTVAULT_TEST_ORPHAN_READER=$orphan \
			"$VV_FAULTS" -q -c "$CC" backup "$CDOM" >"$BED_DIR/cbt-reader.log" 2>&1 &
		pid=$!
		wait_for 60 test -f "$mark" || { kill -9 $pid; cat "$BED_DIR/cbt-reader.log"; return 1; }
		[ -n "$(cbt_readers)" ] || fail "$point: no qemu-nbd on the image while the run holds it"
		dir=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["reader"]["dir"])' \
			"$CS/journal/$CDOM.json") || fail "$point: the journal records no reader"
		kill -9 $pid
		wait $pid 2>/dev/null
		rm -f "$mark"
		if [ -n "$orphan" ]; then
			# Killed after the -9 would be too late to prove anything:
			# this one must still run, for repair to stop it.
			sleep 1
			[ -n "$(cbt_readers)" ] || fail "the fault build's orphan reader did not outlive the run"
		else
			wait_for 10 cbt_no_readers || {
				ps -o pid,ppid,stat,lstart,args -p "$(cbt_readers | paste -sd,)" >&2
				cat "$BED_DIR/cbt-reader.log" >&2
				fail "$point: qemu-nbd outlived the killed run: $(cbt_readers)"
			}
		fi
		expect_rc 0 "$VV" -c "$CC" repair "$CDOM"
		[ -n "$orphan" ] && expect_in "stopping qemu-nbd"
		left=$(cbt_readers)
		[ -z "$left" ] || { fail "$point: readers left after repair: $left"; kill -9 $left; }
		[ ! -e "$dir" ] || fail "$point: the reader's folder $dir is left"
		expect_rc 0 "$VV" -c "$CC" check-chain "$CDOM"
		virsh -q -c "$BED_URI" domblklist "$CDOM" | grep -q "vda *$CDIR/data.qcow2\$" ||
			fail "$point: vda is not back on data.qcow2"
	done
	cbt_listing >"$BED_DIR/cbt-expect-rd"
	expect_rc 0 "$VV" -c "$CC" backup "$CDOM" --check-cbt --json
	cbt_expect incremental "since snapshot"
	cbt_restored_ok "$CC" "$(cbt_snap)" "$BED_DIR/cbt-expect-rd" || return 1
}
