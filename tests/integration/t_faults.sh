# The fault suite: faults at the system boundary (an LD_PRELOAD shim for
# EIO on reads and ENOSPC on writes, kill -9 in the middle of an S3
# multipart upload and of prune's deletions, a store that goes away during
# a daemon run). Each asserts that nothing is lost, nothing half-published
# stays, and the error names what failed.

# shim VAR=VALUE... -- CMD...: run CMD with the shim preloaded.
shim() {
	local envs=()
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	env LD_PRELOAD="$VV_SHIM" ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0" "${envs[@]}" "$@"
}

# faults_conf NAME: an unencrypted file:// repository FC and its own state.
faults_conf() {
	FC=$BED_DIR/faults-$1.conf
	FS=$BED_DIR/faults-$1-state
	printf '[agent]\nlibvirt_uri = %s\nstate_dir = %s\n[repository]\nurl = file://%s/faults-%s-repo\nencryption = none\n' \
		"$BED_URI" "$FS" "$BED_DIR" "$1" >"$FC"
	chmod 600 "$FC"
	"$VV" -q -c "$FC" init >/dev/null
}

snapshots_of() {
	"$VV" -c "$1" list "$2" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

# The domain is exactly as before: healthy chain, no overlay, no journal.
domain_clean() {
	expect_rc 0 "$VV" -c "$FC" check-chain "$DOM"
	[ -z "$(ls "$DOMDIR" | grep virtvault)" ] || fail "an overlay is left: $(ls "$DOMDIR")"
}

test_faults_eio_on_the_source_mid_copy() {
	local n
	faults_conf eio
	expect_rc 0 "$VV" -q -c "$FC" backup "$DOM"
	n=$(snapshots_of "$FC" "$DOM")
	expect_rc 1 shim VV_SHIM_EIO="$DOMDIR/data.qcow2:65536" -- "$VV" -c "$FC" backup "$DOM" --no-cbt
	expect_in "image $DOMDIR/data.qcow2: read error at offset"
	expect_in "Input/output error"
	[ "$(snapshots_of "$FC" "$DOM")" = "$n" ] || fail "a snapshot was published after a read error"
	domain_clean
	expect_rc 0 "$VV" -q -c "$FC" backup "$DOM"
	expect_rc 0 "$VV" -c "$FC" verify
}

test_faults_enospc_at_the_manifest() {
	local n
	faults_conf nospc
	expect_rc 0 "$VV" -q -c "$FC" backup "$DOM"
	n=$(snapshots_of "$FC" "$DOM")
	expect_rc 1 shim VV_SHIM_ENOSPC="/snapshots/" -- "$VV" -c "$FC" backup "$DOM"
	expect_in "cannot write snapshots/"
	expect_in "No space left on device"
	[ "$(snapshots_of "$FC" "$DOM")" = "$n" ] || fail "a manifest was half-published"
	[ -z "$(find "$BED_DIR/faults-nospc-repo/snapshots" -name '*.tmp-*')" ] ||
		fail "a temporary manifest is left: $(find "$BED_DIR/faults-nospc-repo/snapshots" -type f)"
	domain_clean
	expect_rc 0 "$VV" -q -c "$FC" backup "$DOM"
	expect_rc 0 "$VV" -c "$FC" verify --deep
}

# The journal's third write (the phase after the snapshot) and every later
# one fail: the disks cannot be put back at once, the journal on disk still
# says enough for repair.
test_faults_enospc_on_the_journal() {
	faults_conf journal
	expect_rc 1 shim VV_SHIM_ENOSPC="/journal/:3" -- "$VV" -c "$FC" backup "$DOM"
	expect_in "No space left on device"
	expect_rc 0 "$VV" -c "$FC" repair "$DOM"
	domain_clean
	expect_rc 0 "$VV" -q -c "$FC" backup "$DOM"
}

test_faults_kill9_during_prune_deletions() {
	local d=$BED_DIR/fp
	faults_conf prune
	mkdir -p "$d"
	for i in 1 2 3; do
		head -c 3M /dev/urandom >"$d/img$i.raw"
		expect_rc 0 "$VV" -q -c "$FC" backup --image "$d/img$i.raw" --name "img$i"
	done
	expect_rc 0 "$VV" -q -c "$FC" forget img1@latest img2@latest
	kill_at prune-delete "$BED_DIR/fp.log" "$VV_FAULTS" -c "$FC" prune || return 1
	# Indexes gone, chunks not yet: what is left references nothing missing.
	expect_rc 0 "$VV" -c "$FC" verify --deep
	expect_rc 0 "$VV" -c "$FC" prune
	expect_rc 0 "$VV" -c "$FC" verify --deep
	expect_rc 0 "$VV" -c "$FC" prune --json
	python3 -c 'import json,sys; o=json.loads(sys.argv[1]); assert o["chunks_unused"] == 0, o' "$OUT" ||
		fail "the second prune left unreferenced chunks: $OUT"
	mkdir -p "$d/out"
	expect_rc 0 "$VV" -c "$FC" restore img3@latest --to "$d/out"
	cmp "$d/img3.raw" "$d/out/img3.raw" || fail "img3 differs after the interrupted prune"
}

# faults_multipart_begun BUCKET: whether BUCKET has a multipart upload in progress.
faults_multipart_begun() {
	s3_get "/$1?uploads=" | grep -q "<Upload>"
}

test_s3_kill9_during_multipart_upload() {
	local d=$BED_DIR/fm pid
	s3_conf mpkill vvtest-mpkill 'chunk_size = 16M' 'multipart_threshold = 5M' 'bandwidth_limit = 4M'
	expect_rc 0 "$VV" -q -c "$SC" init
	mkdir -p "$d"
	# Incompressible chunks of 16 MiB: each goes up in parts, slowly.
	head -c 48M /dev/urandom >"$d/big.raw"
	"$VV" -c "$SC" backup --image "$d/big.raw" --name big >"$BED_DIR/fm.log" 2>&1 &
	pid=$!
	# Kill it once a multipart upload has begun (the bucket lists one).
	wait_for 60 faults_multipart_begun vvtest-mpkill || {
		kill -9 $pid
		wait $pid 2>/dev/null
		cat "$BED_DIR/fm.log"
		return 1
	}
	kill -9 $pid
	wait $pid 2>/dev/null
	# It was killed in the middle of a multipart upload.
	OUT=$(s3_get "/vvtest-mpkill?uploads=")
	expect_in "<Upload>"
	expect_rc 1 "$VV" -c "$SC" list big --json
	expect_in "no snapshot of" || fail "a killed upload published a snapshot: $OUT"
	sed -i '/^bandwidth_limit/d' "$SC"
	expect_rc 0 "$VV" -q -c "$SC" backup --image "$d/big.raw" --name big
	expect_rc 0 "$VV" -c "$SC" verify --deep
	mkdir -p "$d/out"
	expect_rc 0 "$VV" -c "$SC" restore big@latest --to "$d/out"
	cmp "$d/big.raw" "$d/out/big.raw" || fail "the image differs after a killed upload"
	rm -f "$d/big.raw" "$d/out/big.raw"
	# Prune collects the abandoned upload once it is old enough (here: at once).
	expect_rc 0 env VIRTVAULT_TEST_DEBRIS_AGE=0 "$VV_FAULTS" -c "$SC" prune
	OUT=$(s3_get "/vvtest-mpkill?uploads=")
	expect_not_in "<Upload>"
}

# The object store goes away for a while during a daemon run: that run
# fails cleanly, naming the store; the next scheduled run succeeds.
test_s3_store_gone_during_daemon_run() {
	local log=$BED_DIR/fgone.log port=7486 ok1 ok2
	off_domain fgone 4
	start_proxy pass "$port" || return 1
	s3_conf gone vvtest-gone
	sed -i "s|^endpoint = .*|endpoint = http://127.0.0.1:$port|" "$SC"
	printf '[job often]\nschedule = */2 * * * *\ndomains = vvtest-fgone\n' >>"$SC"
	sed -i "s|^state_dir = .*|state_dir = $BED_DIR/fgone-state|" "$SC"
	expect_rc 0 "$VV" -q -c "$SC" init
	DC=$SC
	start_daemon "$log" VIRTVAULT_TEST_CLOCK="1795564800 120"
	wait_for 60 grep -q "vvtest-fgone backed up: snapshot" "$log" || { stop_daemon; return 1; }
	stop_proxy
	wait_for 90 grep -q "vvtest-fgone failed" "$log" || { stop_daemon; return 1; }
	ok1=$(grep -c "vvtest-fgone backed up: snapshot" "$log")
	start_proxy pass "$port" || { stop_daemon; return 1; }
	wait_for 90 sh -c "[ \$(grep -c 'vvtest-fgone backed up: snapshot' '$log') -gt $ok1 ]"
	stop_daemon
	expect_rc 0 cat "$log"
	expect_in "127.0.0.1:$port"
	ok2=$(grep -c "vvtest-fgone backed up: snapshot" "$log")
	[ "$ok2" -gt "$ok1" ] || fail "no run succeeded once the store was back"
	expect_rc 0 "$VV" -c "$SC" verify
	stop_proxy
}
