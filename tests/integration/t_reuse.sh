# The reuse rule of a backup (docs/FORMAT.md, "Locks and prune"): after its
# shared lock, it knows the chunks of the newest snapshot of its own group,
# asks the store for any other chunk, and never lists chunks/.

# reuse_repo NAME: a file:// repository (config HC, folder RD) of host hostNAME, initialised.
reuse_repo() {
	RD=$BED_DIR/reuse-$1
	host_conf "reuse-$1" "host$1" "file://$RD"
	printf 'lock_wait = 2s\n' >>"$HC"
	expect_rc 0 "$VV" -c "$HC" init
}

# reuse_restored_ok SNAP IMAGE: SNAP restores to IMAGE's bytes.
reuse_restored_ok() {
	local out=$BED_DIR/reuse-out
	rm -rf "$out"
	mkdir -p "$out"
	expect_rc 0 "$VV" -c "$HC" restore "$1" --to "$out" || return 1
	cmp -s "$out/$(basename "$2")" "$2" || fail "$1 does not restore to $2"
}

# reuse_stalled_backup POINT IMAGE OUT: a backup of IMAGE as vm stopped at
# POINT (marker $BED_DIR/reuse.stall, its output in OUT); BPID. Returns 1
# when it never got there (then stopped).
reuse_stalled_backup() {
	rm -f "$BED_DIR/reuse.stall"
	VIRTVAULT_TEST_STALL=$1 VIRTVAULT_TEST_STALL_MARKER=$BED_DIR/reuse.stall \
		"$VV_FAULTS" -c "$HC" backup --image "$2" --name vm --json >"$3" 2>&1 &
	BPID=$!
	wait_for 20 test -f "$BED_DIR/reuse.stall" && return 0
	kill "$BPID"
	wait "$BPID" || true
	return 1
}

# A backup stopped after it decided what to reuse (its known chunks from
# the previous snapshot); that snapshot forgotten and a prune run in
# between: the prune is refused and deletes nothing, the backup publishes
# without uploading, and its snapshot restores and verifies.
test_reuse_stalled_after_seed_prune_between() {
	local img=$BED_DIR/reuse-a.raw snap1 rc=0 n
	reuse_repo a
	head -c 6M /dev/urandom >"$img"
	expect_rc 0 "$VV" -c "$HC" backup --image "$img" --name vm --json
	snap1=$(json_field snapshot)
	n=$(find "$RD/chunks" -type f | wc -l)
	[ "$n" = 6 ] || fail "expected 6 chunks, found $n"
	reuse_stalled_backup seeded "$img" "$BED_DIR/reuse-a.out" || return 1
	expect_rc 0 "$VV" -c "$HC" forget "$snap1" || rc=1
	expect_rc 1 "$VV" -c "$HC" prune || rc=1
	expect_in "is busy: shared lock" || rc=1
	n=$(find "$RD/chunks" -type f | wc -l)
	[ "$n" = 6 ] || fail "prune deleted chunks beside the backup: $n left" || rc=1
	rm -f "$BED_DIR/reuse.stall"
	wait "$BPID" || fail "the stalled backup failed: $(cat "$BED_DIR/reuse-a.out")" || rc=1
	[ "$rc" = 0 ] || return 1
	OUT=$(cat "$BED_DIR/reuse-a.out")
	[ "$(json_field chunks_new)" = 0 ] || fail "the backup uploaded again: $OUT"
	[ "$(json_field chunks_reused)" = 6 ] || fail "the backup reused less than it knew: $OUT"
	expect_rc 0 "$VV" -c "$HC" prune --json
	[ "$(json_field chunks_unused)" = 0 ] || fail "prune found the new snapshot's chunks unused: $OUT"
	reuse_restored_ok vm@latest "$img"
	expect_rc 0 "$VV" -c "$HC" verify --deep
	expect_in "1 snapshot checked (deep): 0 problems"
}

# A backup started, not yet locked, while the newest snapshot of its group
# is forgotten and a prune deletes that snapshot's chunks: it must not
# reuse them (it seeds from the older snapshot, finds the others missing
# and uploads them), and every snapshot left restores and verifies.
test_reuse_pruned_before_lock_uploads_again() {
	local a=$BED_DIR/reuse-b1.raw b=$BED_DIR/reuse-b2.raw snap2 rc=0
	reuse_repo b
	head -c 3M /dev/urandom >"$a"
	head -c 5M /dev/urandom >"$b"
	expect_rc 0 "$VV" -c "$HC" backup --image "$a" --name vm
	expect_rc 0 "$VV" -c "$HC" backup --image "$b" --name vm --json
	snap2=$(json_field snapshot)
	reuse_stalled_backup locking "$b" "$BED_DIR/reuse-b.out" || return 1
	expect_rc 0 "$VV" -c "$HC" forget "$snap2" || rc=1
	expect_rc 0 "$VV" -c "$HC" prune --json || rc=1
	[ "$(json_field chunks_unused)" = 5 ] || fail "prune did not delete the forgotten chunks: $OUT" || rc=1
	rm -f "$BED_DIR/reuse.stall"
	wait "$BPID" || fail "the backup failed: $(cat "$BED_DIR/reuse-b.out")" || rc=1
	[ "$rc" = 0 ] || return 1
	OUT=$(cat "$BED_DIR/reuse-b.out")
	[ "$(json_field chunks_new)" = 5 ] || fail "the backup reused pruned chunks: $OUT"
	# By its ID: its time is when it started, which may be the first's second.
	reuse_restored_ok "$(json_field snapshot)" "$b"
	expect_rc 0 "$VV" -c "$HC" verify --deep
	expect_in "2 snapshots checked (deep): 0 problems"
}

# A chunk of the newest snapshot found bad by verify --deep (moved to
# quarantine/) is not reused from that snapshot: the next backup of the
# same data stores it again, and both snapshots verify.
test_reuse_quarantined_chunk_stored_again() {
	local img=$BED_DIR/reuse-q.raw chunk name snap1
	reuse_repo q
	head -c 4M /dev/urandom >"$img"
	expect_rc 0 "$VV" -c "$HC" backup --image "$img" --name vm --json
	snap1=$(json_field snapshot)
	chunk=$(find "$RD/chunks" -type f | sort | head -n 1)
	name=${chunk#"$RD"/}
	python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[len(b)//2]^=4; open(p,'wb').write(b)" "$chunk"
	expect_rc 1 "$VV" -c "$HC" verify --deep
	expect_in "moved aside to quarantine/$name"
	expect_rc 0 "$VV" -c "$HC" backup --image "$img" --name vm --json
	[ "$(json_field chunks_new)" = 1 ] || fail "the quarantined chunk was not stored again: $OUT"
	[ "$(json_field chunks_reused)" = 3 ] || fail "$OUT"
	[ -f "$chunk" ] || fail "$name is not in chunks/ again"
	expect_rc 0 "$VV" -c "$HC" verify --deep
	expect_in "2 snapshots checked (deep): 0 problems"
	reuse_restored_ok "$snap1" "$img"
}

# reuse_add_chunks N BUCKET PREFIX: N objects of one byte under PREFIX/chunks/ of
# BUCKET, put straight into RGW (one curl, in parallel).
reuse_add_chunks() {
	local cfg=$BED_DIR/reuse-put.cfg
	printf 'x' >"$BED_DIR/reuse-one"
	python3 - "$1" "$RGW_ENDPOINT/$2/$3/chunks" "$BED_DIR/reuse-one" >"$cfg" <<'PY'
import hashlib, sys
n, base, src = int(sys.argv[1]), sys.argv[2], sys.argv[3]
for i in range(n):
    h = hashlib.sha256(b"foreign %d" % i).hexdigest()
    print(f'upload-file = "{src}"\nurl = "{base}/{h[:2]}/{h}"\noutput = "/dev/null"')
PY
	curl -s -S -f --no-progress-meter --parallel --parallel-max 16 --aws-sigv4 "aws:amz:us-east-1:s3" \
		--user "$RGW_ACCESS:$RGW_SECRET" -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -K "$cfg"
}

# reuse_nightly IMAGE LOG: change 1 MiB of IMAGE, back it up as vm through
# the proxy, its requests logged into LOG; the backup's JSON in OUT.
reuse_nightly() {
	dd if=/dev/urandom of="$1" bs=1M count=1 seek=$((RANDOM % 16)) conv=notrunc status=none
	: >"$BED_DIR/reuse-proxy.log"
	expect_rc 0 "$VV" -c "$SC" backup --image "$1" --name vm --json || return 1
	cp "$BED_DIR/reuse-proxy.log" "$2"
}

# A nightly backup on S3 lists no chunks/ and makes the same requests
# (within 2) whether the repository holds few chunks or 3,000 more.
test_s3_reuse_nightly_requests_flat() {
	local img=$BED_DIR/reuse-s3.raw few many
	s3_conf reuse vvtest-reuse 'chunk_size = 256K'
	expect_rc 0 "$VV" -c "$SC" init
	head -c 16M /dev/urandom >"$img"
	: >"$BED_DIR/reuse-proxy.log"
	FAULTPROXY_LOG=$BED_DIR/reuse-proxy.log start_proxy pass 7491 || return 1
	sed -i "s|^endpoint = .*|endpoint = http://127.0.0.1:7491|" "$SC"
	expect_rc 0 "$VV" -c "$SC" backup --image "$img" --name vm || { stop_proxy; return 1; }
	reuse_nightly "$img" "$BED_DIR/reuse-few.log" || { stop_proxy; return 1; }
	few=$(json_field requests)
	[ "$(json_field chunks_new)" = 4 ] || fail "1 MiB changed, 256K chunks: expected 4 new: $OUT"
	reuse_add_chunks 3000 vvtest-reuse hosts/reuse || { stop_proxy; fail "could not add the chunk objects"; return 1; }
	# More than one page of 1,000 keys: a listing of chunks/ would cost 4 requests.
	OUT=$(s3_get "/vvtest-reuse?list-type=2&prefix=hosts%2Freuse%2Fchunks%2F")
	expect_in "<IsTruncated>true</IsTruncated>"
	reuse_nightly "$img" "$BED_DIR/reuse-many.log" || { stop_proxy; return 1; }
	many=$(json_field requests)
	stop_proxy
	echo "nightly requests: $few with few chunks, $many with 3000 more"
	[ "$few" -gt 0 ] || fail "no request counted: $OUT"
	[ $((many - few)) -le 2 ] && [ $((few - many)) -le 2 ] ||
		fail "the nightly made $few requests, then $many with 3000 more chunks"
	# The proxy saw the same requests the program counted, none a listing of chunks/.
	[ "$(wc -l <"$BED_DIR/reuse-many.log")" -ge "$many" ] || fail "the proxy saw fewer requests than counted"
	if grep -E 'prefix=hosts(%2F|/)reuse(%2F|/)chunks' "$BED_DIR/reuse-few.log" "$BED_DIR/reuse-many.log"; then
		fail "a nightly backup listed chunks/"
	fi
	grep -q 'list-type=2' "$BED_DIR/reuse-many.log" || fail "no listing seen at all: the log is not what it seems"
	sed -i "s|^endpoint = .*|endpoint = $RGW_ENDPOINT|" "$SC"
	expect_rc 0 "$VV" -c "$SC" verify
	expect_in "3 snapshots checked"
	reuse_restored_ok_s3 "$img"
}

# reuse_restored_ok_s3 IMAGE: vm@latest of SC restores to IMAGE's bytes.
reuse_restored_ok_s3() {
	local out=$BED_DIR/reuse-s3out
	rm -rf "$out"
	mkdir -p "$out"
	expect_rc 0 "$VV" -c "$SC" restore vm@latest --to "$out" || return 1
	cmp -s "$out/$(basename "$1")" "$1" || fail "vm@latest does not restore to $1"
}

# A version-1 repository (keys without a host): a backup knows the chunks
# of its own host's newest snapshot of the name only; another host's
# backup of the same name knows none, asks, and stores nothing again.
test_reuse_v1_repository_own_host_only() {
	local rd=$BED_DIR/reuse-v1 out=$BED_DIR/reuse-v1out
	cp -a "$FIXTURE_V1" "$rd"
	mkdir -p "$out"
	printf 'fixture-password\n' >"$BED_DIR/reuse-v1.pw"
	chmod 600 "$BED_DIR/reuse-v1.pw"
	host_conf reuse-v1new newhost "file://$rd"
	sed -i "s|password_file = .*|password_file = $BED_DIR/reuse-v1.pw|" "$HC"
	expect_rc 0 "$VV" -c "$HC" restore fixturehost/legacy@latest --to "$out"
	expect_rc 0 "$VV" -v -c "$HC" backup --image "$out/legacy.raw" --name legacy --json
	expect_in "0 chunks known from snapshot (none)"
	[ "$(json_field chunks_new)" = 0 ] || fail "another host's chunks were stored again: $OUT"
	[ "$(json_field chunks_reused)" -gt 0 ] || fail "$OUT"
	host_conf reuse-v1old fixturehost "file://$rd"
	sed -i "s|password_file = .*|password_file = $BED_DIR/reuse-v1.pw|" "$HC"
	expect_rc 0 "$VV" -v -c "$HC" backup --image "$out/legacy.raw" --name legacy --json
	expect_in "chunks known from snapshot 01a030870c4c607a"
	expect_not_in ": 0 chunks known"
	[ "$(json_field chunks_new)" = 0 ] || fail "$OUT"
	expect_rc 0 "$VV" -c "$HC" verify --deep
	expect_in "3 snapshots checked (deep): 0 problems"
}
