# The s3:// repository against a real Ceph RGW on loopback.

# s3_conf NAME BUCKET [EXTRA...]: a config SC for s3://BUCKET/NAME.
s3_conf() {
	local name=$1 bucket=$2
	SC=$BED_DIR/s3-$1.conf
	shift 2
	{
		printf '[agent]\nlibvirt_uri = %s\nstate_dir = %s/s3-state\n' "$BED_URI" "$BED_DIR"
		printf '[repository]\nurl = s3://%s/hosts/%s\nendpoint = %s\nregion = us-east-1\n' \
			"$bucket" "$name" "$RGW_ENDPOINT"
		printf 'access_key = %s\nsecret_key = %s\npassword_file = %s/s3.pw\n' \
			"$RGW_ACCESS" "$RGW_SECRET" "$BED_DIR"
		printf '%s\n' "$@"
	} >"$SC"
	printf 's3-test-password\n' >"$BED_DIR/s3.pw"
	chmod 600 "$SC" "$BED_DIR/s3.pw"
}

# s3_get QUERY-PATH: a signed GET of the endpoint, for checks (curl's own SigV4).
s3_get() {
	curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user "$RGW_ACCESS:$RGW_SECRET" \
		-H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
		"$RGW_ENDPOINT$1"
}

test_s3_init_backup_restore_verify_dedup() {
	local d=$BED_DIR/s3imgs out=$BED_DIR/s3out
	s3_conf one vvtest-one
	# init creates the bucket.
	expect_rc 0 "$VV" -c "$SC" init
	expect_in "created repository s3://vvtest-one/hosts/one"
	expect_rc 1 "$VV" -c "$SC" init
	expect_in "already exists"
	mkdir -p "$d" "$out"
	head -c 5M /dev/urandom >"$d/random.raw"
	yes 'a log line for compression' | head -c 3M >"$d/text.raw"
	truncate -s 40M "$d/holes.raw"
	dd if=/dev/urandom of="$d/holes.raw" bs=64K count=2 seek=300 conv=notrunc status=none
	expect_rc 0 "$VV" -c "$SC" backup --image "$d/random.raw" --image "$d/text.raw" \
		--image "$d/holes.raw" --name imgs --json
	[ "$(tail -n1 <<<"$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"] > 0)')" = True ] ||
		fail "no S3 request was counted: $OUT"
	# Every object is under the prefix, in the bucket.
	OUT=$(s3_get "/vvtest-one?list-type=2&prefix=hosts%2Fone%2Fconfig")
	expect_in "<Key>hosts/one/config</Key>"
	expect_rc 0 "$VV" -c "$SC" backup --image "$d/random.raw" --image "$d/text.raw" \
		--image "$d/holes.raw" --name imgs --json
	[ "$(tail -n1 <<<"$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["chunks_new"])')" = 0 ] ||
		fail "the second backup stored chunks again: $OUT"
	expect_rc 0 "$VV" -c "$SC" list imgs --json
	[ "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<<"$OUT")" = 2 ] || fail "$OUT"
	expect_rc 0 "$VV" -c "$SC" restore imgs@latest --to "$out"
	for f in random text holes; do
		cmp "$d/$f.raw" "$out/$f.raw" || fail "$f.raw differs after restore from S3"
	done
	expect_rc 0 "$VV" -c "$SC" verify --deep
	expect_in "2 snapshots checked (deep): 0 problems"
}

# s3_unsigned_puts: how many requests RGW logged with an unsigned payload.
s3_unsigned_puts() {
	grep -c 'x>> x-amz-content-sha256:UNSIGNED-PAYLOAD' "$BED_DIR/rgw/log/client.rgw.vv.log" || true
}

# Over https with the certificate verified (RGW's own as ca_file) the
# payload goes unsigned: TLS keeps the body intact on the way, and neither
# side hashes every byte. RGW's request log shows it; everything round-trips.
# With tls_verify = no, and over http, every payload is signed again.
# Without the CA the connection is refused.
test_s3_tls_unsigned_payload() {
	local d=$BED_DIR/s3tls out=$BED_DIR/s3tlsout asok=$BED_DIR/rgw/run/client.rgw.vv.asok n0
	mkdir -p "$d" "$out"
	head -c 5M /dev/urandom >"$d/a.raw"
	head -c 2M /dev/urandom >"$d/b.raw"
	s3_conf tls vvtest-tls
	sed -i "s#^endpoint = .*#endpoint = $RGW_TLS_ENDPOINT#" "$SC"
	expect_rc 1 "$VV" -c "$SC" init
	expect_in "cannot reach $RGW_TLS_ENDPOINT: SSL peer certificate"
	printf 'ca_file = %s\n' "$RGW_CA" >>"$SC"
	# Each request's headers in RGW's log, for this test only.
	trap "ceph --admin-daemon '$asok' config set debug_rgw 1/5 >/dev/null 2>&1" EXIT
	ceph --admin-daemon "$asok" config set debug_rgw 10/10 >/dev/null
	n0=$(s3_unsigned_puts)
	expect_rc 0 "$VV" -c "$SC" init
	expect_rc 0 "$VV" -c "$SC" backup --image "$d/a.raw" --name tls
	[ $(($(s3_unsigned_puts) - n0)) -ge 7 ] ||
		fail "over verified TLS $(($(s3_unsigned_puts) - n0)) requests went unsigned, not the config, key, 5 chunks, index and manifest"
	expect_rc 0 "$VV" -c "$SC" restore tls@latest --to "$out"
	cmp "$d/a.raw" "$out/a.raw" || fail "a.raw differs after a restore over TLS"
	expect_rc 0 "$VV" -c "$SC" verify --deep
	expect_in "1 snapshot checked (deep): 0 problems"
	# TLS that does not verify the server: the signature covers the body.
	printf 'tls_verify = no\n' >>"$SC"
	n0=$(s3_unsigned_puts)
	expect_rc 0 "$VV" -c "$SC" backup --image "$d/b.raw" --name tls
	expect_in "TLS certificate verification is OFF"
	[ "$(s3_unsigned_puts)" = "$n0" ] || fail "with tls_verify = no a payload went unsigned"
	# Plain http: signed too.
	sed -i -e "s#^endpoint = .*#endpoint = $RGW_ENDPOINT#" -e '/^tls_verify/d' "$SC"
	expect_rc 0 "$VV" -c "$SC" backup --image "$d/a.raw" --image "$d/b.raw" --name tls
	[ "$(s3_unsigned_puts)" = "$n0" ] || fail "over http a payload went unsigned"
	expect_rc 0 "$VV" -c "$SC" verify --deep
	expect_in "3 snapshots checked (deep): 0 problems"
}

test_s3_wrong_secret_and_missing_bucket() {
	s3_conf two vvtest-two
	expect_rc 0 "$VV" -c "$SC" init
	sed -i 's/^secret_key = .*/secret_key = not-the-secret/' "$SC"
	expect_rc 1 "$VV" -c "$SC" list
	expect_in "access denied to bucket vvtest-two at $RGW_ENDPOINT"
	expect_in "check access_key/secret_key"
	expect_not_in "not-the-secret"
	expect_not_in "config object is corrupt"
	s3_conf three vvtest-never-created
	expect_rc 1 "$VV" -c "$SC" list
	expect_in "bucket vvtest-never-created does not exist at $RGW_ENDPOINT"
}

test_s3_multipart_round_trip_no_incomplete_upload() {
	local d=$BED_DIR/s3mp out=$BED_DIR/s3mpout
	s3_conf four vvtest-four 'chunk_size = 16M' 'multipart_threshold = 5M'
	expect_rc 0 "$VV" -c "$SC" init
	mkdir -p "$d" "$out"
	head -c 40M /dev/urandom >"$d/big.raw"
	expect_rc 0 "$VV" -c "$SC" -v backup --image "$d/big.raw" --name big
	expect_rc 0 "$VV" -c "$SC" restore big@latest --to "$out"
	cmp "$d/big.raw" "$out/big.raw" || fail "a multipart object did not round-trip"
	# The chunks were uploaded in parts: 16 MiB objects, no upload left open.
	OUT=$(s3_get "/vvtest-four?uploads=")
	expect_in "ListMultipartUploadsResult"
	expect_not_in "<Upload>"
	OUT=$(s3_get "/vvtest-four?list-type=2&prefix=hosts%2Ffour%2Fchunks%2F")
	expect_in "<Size>167772"
}

test_s3_live_domain_backup() {
	local out=$BED_DIR/s3live
	s3_conf five vvtest-five 'upload_parallel = 4' 'bandwidth_limit = 200M'
	expect_rc 0 "$VV" -c "$SC" init
	expect_rc 0 "$VV" -c "$SC" backup "$DOM" --quiesce require
	expect_in "(quiesced)"
	expect_rc 0 "$VV" -c "$SC" check-chain "$DOM"
	mkdir -p "$out"
	expect_rc 0 "$VV" -c "$SC" restore "$DOM@latest" --to "$out"
	# The quiesced copy holds a clean file system.
	qemu-img convert -O raw "$out/data.qcow2" "$out/data.raw"
	expect_rc 0 e2fsck -fn "$out/data.raw"
	expect_rc 0 "$VV" -c "$SC" verify --deep
}

# start_proxy MODE PORT: the fault-injecting proxy in front of RGW; PPID_.
start_proxy() {
	local port=$2 up=${RGW_ENDPOINT##*:}
	python3 "$BED_TOP/tests/bed/faultproxy.py" "$port" "$up" "$1" 2>"$BED_DIR/proxy-$port.log" &
	PROXY=$!
	echo "$PROXY faultproxy" >>"$BED_DIR/pids"
	wait_for 20 curl -s -o /dev/null "http://127.0.0.1:$port/"
}

stop_proxy() {
	kill -TERM "$PROXY"
	wait "$PROXY" 2>/dev/null || true
}

test_s3_faults_retried_data_correct() {
	local d=$BED_DIR/s3f out=$BED_DIR/s3fout
	s3_conf six vvtest-six 'request_timeout = 2s'
	expect_rc 0 "$VV" -c "$SC" init
	start_proxy flaky 7481 || return 1
	sed -i "s|^endpoint = .*|endpoint = http://127.0.0.1:7481|" "$SC"
	mkdir -p "$d" "$out"
	head -c 24M /dev/urandom >"$d/a.raw"
	expect_rc 0 "$VV" -c "$SC" backup --image "$d/a.raw" --name faults
	expect_rc 0 "$VV" -c "$SC" restore faults@latest --to "$out"
	cmp "$d/a.raw" "$out/a.raw" || fail "data differs after a restore through faults"
	expect_rc 0 "$VV" -c "$SC" verify --deep
	stop_proxy
	expect_rc 0 cat "$BED_DIR/proxy-7481.log"
	# The faults did happen.
	python3 - "$OUT" <<'PY' || fail "the proxy injected too few faults: $OUT"
import re, sys
s = dict(re.findall(r"(\w+)=(\d+)", sys.argv[1]))
assert int(s["slowdown"]) > 0 and int(s["error500"]) > 0 and int(s["cut"]) > 0 and int(s["stall"]) > 0, s
PY
	# Straight to RGW: no manifest references a chunk that is not there.
	sed -i "s|^endpoint = .*|endpoint = $RGW_ENDPOINT|" "$SC"
	expect_rc 0 "$VV" -c "$SC" verify
}

test_s3_persistent_faults_fail_cleanly() {
	local d=$BED_DIR/s3down t0
	s3_conf seven vvtest-seven 'request_timeout = 2s'
	expect_rc 0 "$VV" -c "$SC" init
	start_proxy down 7482 || return 1
	sed -i "s|^endpoint = .*|endpoint = http://127.0.0.1:7482|" "$SC"
	mkdir -p "$d"
	head -c 4M /dev/urandom >"$d/b.raw"
	t0=$(date +%s)
	expect_rc 1 "$VV" -c "$SC" backup --image "$d/b.raw" --name down
	stop_proxy
	[ $(($(date +%s) - t0)) -lt 120 ] || fail "a store that keeps failing held the backup for too long"
	expect_in "HTTP 503"
	sed -i "s|^endpoint = .*|endpoint = $RGW_ENDPOINT|" "$SC"
	expect_rc 1 "$VV" -c "$SC" list down --json
	expect_in "no snapshot of" || fail "a manifest was written: $OUT"
	expect_rc 0 "$VV" -c "$SC" verify
}

test_s3_failed_multipart_is_aborted() {
	local d=$BED_DIR/s3pf
	s3_conf eight vvtest-eight 'chunk_size = 16M' 'multipart_threshold = 5M'
	expect_rc 0 "$VV" -c "$SC" init
	start_proxy partfail 7483 || return 1
	sed -i "s|^endpoint = .*|endpoint = http://127.0.0.1:7483|" "$SC"
	mkdir -p "$d"
	head -c 20M /dev/urandom >"$d/c.raw"
	expect_rc 1 "$VV" -c "$SC" backup --image "$d/c.raw" --name pf
	stop_proxy
	expect_in "multipart part of"
	# Aborted: nothing incomplete is left in the bucket.
	OUT=$(s3_get "/vvtest-eight?uploads=")
	expect_in "ListMultipartUploadsResult"
	expect_not_in "<Upload>"
}

test_s3_interrupted_backup_resumes() {
	local d=$BED_DIR/s3r pid
	s3_conf nine vvtest-nine 'bandwidth_limit = 4M' 'upload_parallel = 2'
	expect_rc 0 "$VV" -c "$SC" init
	mkdir -p "$d"
	head -c 24M /dev/urandom >"$d/r.raw"
	"$VV" -q -c "$SC" backup --image "$d/r.raw" --name resume >/dev/null 2>&1 &
	pid=$!
	# Kill it once some chunks are in the bucket.
	for _ in $(seq 300); do
		s3_get "/vvtest-nine?list-type=2&prefix=hosts%2Fnine%2Fchunks%2F" | grep -q '<Key>' && break
		sleep 0.1
	done
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	sed -i '/^bandwidth_limit/d' "$SC"
	expect_rc 0 "$VV" -c "$SC" backup --image "$d/r.raw" --name resume --json
	python3 - "$OUT" <<'PY' || fail "the resumed backup uploaded everything again: $OUT"
import json, sys
o = json.loads(sys.argv[1].strip().splitlines()[-1])
assert o["chunks_reused"] > 0 and o["chunks_new"] < 24, o
PY
}

test_s3_credentials_from_aws_file() {
	local home=$BED_DIR/home
	s3_conf ten vvtest-ten
	sed -i '/^access_key/d; /^secret_key/d' "$SC"
	mkdir -p "$home/.aws"
	printf '[default]\naws_access_key_id = nobody\naws_secret_access_key = nothing\n[vv]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
		"$RGW_ACCESS" "$RGW_SECRET" >"$home/.aws/credentials"
	chmod 600 "$home/.aws/credentials"
	OUT=$(HOME=$home AWS_PROFILE=vv "$VV" -c "$SC" init 2>&1) || fail "init with ~/.aws/credentials failed: $OUT"
	OUT=$(HOME=$home "$VV" -c "$SC" list 2>&1) && fail "the default profile's wrong key was accepted"
	expect_in "access denied to bucket vvtest-ten"
	OUT=$(HOME=$BED_DIR/nohome "$VV" -c "$SC" list 2>&1) && fail "no credentials at all was accepted"
	expect_in "no S3 credentials"
}

test_s3_prune_batches_and_incomplete_uploads() {
	local d=$BED_DIR/s3prune upload
	s3_conf prune vvtest-prune 'chunk_size = 256K'
	expect_rc 0 "$VV" -c "$SC" init
	mkdir -p "$d"
	head -c 8M /dev/urandom >"$d/a.raw"
	head -c 3M /dev/urandom >"$d/b.raw"
	expect_rc 0 "$VV" -c "$SC" backup --image "$d/a.raw" --name a
	expect_rc 0 "$VV" -c "$SC" backup --image "$d/b.raw" --name b
	expect_rc 0 "$VV" -c "$SC" forget a@latest
	# An upload begun and never finished, as a killed writer leaves it.
	upload=$(curl -s -X POST --aws-sigv4 "aws:amz:us-east-1:s3" --user "$RGW_ACCESS:$RGW_SECRET" \
		-H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
		"$RGW_ENDPOINT/vvtest-prune/hosts/prune/chunks/ab/abandoned?uploads=")
	grep -q "<UploadId>" <<<"$upload" || fail "could not start a multipart upload: $upload"
	OUT=$(s3_get "/vvtest-prune?uploads=")
	expect_in "abandoned"
	# Too young for the normal bound: left alone. The 32 chunks of 256K go
	# in one DeleteObjects request, not one request each.
	expect_rc 0 "$VV" -c "$SC" prune --json
	[ "$(json_field chunks_unused)" = 32 ] || fail "expected 32 unused chunks of 256K: $OUT"
	[ "$(json_field debris)" = 0 ] || fail "a young upload was taken for debris: $OUT"
	[ "$(json_field requests)" -lt 32 ] || fail "prune made a request per object: $OUT"
	expect_rc 0 "$VV" -c "$SC" prune --json
	[ "$(json_field chunks_unused)" = 0 ] || fail "chunks left after prune: $OUT"
	VIRTVAULT_TEST_DEBRIS_AGE=0 expect_rc 0 "$VV_FAULTS" -c "$SC" prune --json
	[ "$(json_field debris)" = 1 ] || fail "the incomplete upload was not found: $OUT"
	OUT=$(s3_get "/vvtest-prune?uploads=")
	expect_not_in "abandoned"
	expect_rc 0 "$VV" -c "$SC" verify --deep
	expect_in "1 snapshot checked (deep): 0 problems"
	expect_rc 0 "$VV" -c "$SC" restore b@latest --to "$d" --force
	expect_rc 0 "$VV" -c "$SC" list --json
	[ "$(json_len)" = 1 ] || fail "$OUT"
}

test_s3_race() {
	RACE_EXTRA=$(printf 'endpoint = %s\nregion = us-east-1\naccess_key = %s\nsecret_key = %s\n' \
		"$RGW_ENDPOINT" "$RGW_ACCESS" "$RGW_SECRET") race_run "s3://vvtest-race/r"
}

test_s3_three_hosts_dedup_one_template() {
	local d=$BED_DIR/s3tmpl h stored read
	mkdir -p "$d"
	head -c 80M /dev/urandom >"$d/template.raw"
	for h in a b c; do
		s3_conf "tmpl-$h" vvtest-tmpl
		# One repository for the three hosts; each its own name and state folder.
		sed -i "s|url = .*|url = s3://vvtest-tmpl/shared|; s|state_dir = .*|state_dir = $BED_DIR/s3tmpl-$h.state\nhost = $h|" "$SC"
		[ "$h" != a ] || expect_rc 0 "$VV" -c "$SC" init
		cp "$d/template.raw" "$d/vm-$h.raw"
		# Each copy gets a little of its own.
		dd if=/dev/urandom of="$d/vm-$h.raw" bs=4K count=1 seek=100 conv=notrunc status=none
		expect_rc 0 "$VV" -c "$SC" backup --image "$d/vm-$h.raw" --name vm --json
		stored=$(json_field bytes_stored)
		read=$(json_field bytes_read)
		if [ "$h" != a ]; then
			python3 -c "import sys; sys.exit(0 if $stored < 0.02 * $read else 1)" ||
				fail "host $h stored $stored of $read bytes: not deduplicated across hosts"
		fi
	done
	expect_rc 0 "$VV" -c "$SC" list --json
	[ "$(json_len)" = 3 ] || fail "$OUT"
	expect_in '"host":"a"'
	expect_in '"host":"c"'
}

# Changed-block tracking against the object store: the nightly run reads
# only what changed, and its snapshot restores exactly.
test_s3_cbt_incremental() {
	cbt_up || return 1
	s3_conf cbt vvtest-cbt
	expect_rc 0 "$VV" -q -c "$SC" init
	# Data that stays: what the nightly run does not read again.
	guest_exec "$CDOM" 'mkdir -p /data/s3; dd if=/dev/urandom of=/data/s3/stays bs=1M count=8 2>/dev/null; sync' >/dev/null
	expect_rc 0 "$VV" -c "$SC" backup "$CDOM" --json
	cbt_expect full "no reference here yet"
	cbt_mutate
	cbt_listing >"$BED_DIR/s3-cbt-expect"
	expect_rc 0 "$VV" -c "$SC" backup "$CDOM" --json
	cbt_expect incremental "since snapshot"
	case "$(cbt_read data.qcow2)" in
	*"|0") fail "the incremental run skipped nothing: $(cbt_read data.qcow2)" ;;
	esac
	cbt_restored_ok "$SC" "$(cbt_snap)" "$BED_DIR/s3-cbt-expect" || return 1
	cbt_mutate
	expect_rc 0 "$VV" -c "$SC" backup "$CDOM" --check-cbt --json
	cbt_expect incremental "--check-cbt"
}

# The whole-VM ways back against the object store: export and mount read
# from S3, import writes to it.
test_s3_export_mount_import() {
	local d=$BED_DIR/s3ex m=$BED_DIR/s3ex-mnt top mpid
	s3_conf ex vvtest-ex
	expect_rc 0 "$VV" -q -c "$SC" init
	mkdir -p "$d/x" "$m"
	head -c 6M /dev/urandom >"$d/random.raw"
	truncate -s 48M "$d/holes.raw"
	dd if=/dev/urandom of="$d/holes.raw" bs=1M count=3 seek=20 conv=notrunc status=none
	expect_rc 0 "$VV" -q -c "$SC" backup --image "$d/random.raw" "$d/holes.raw" --name exs3
	expect_rc 0 "$VV" -c "$SC" export exs3@latest --to "$d/exs3.tar"
	tar -xSf "$d/exs3.tar" -C "$d/x" || fail "GNU tar cannot extract the export from S3"
	top=$(ls "$d/x")
	cmp "$d/random.raw" "$d/x/$top/random.raw" || fail "random.raw differs after export from S3"
	cmp "$d/holes.raw" "$d/x/$top/holes.raw" || fail "holes.raw differs after export from S3"
	"$VV" -c "$SC" mount exs3@latest "$m" >"$BED_DIR/s3ex-mnt.log" 2>&1 &
	mpid=$!
	echo "$mpid virtvault-mount" >>"$BED_DIR/pids"
	wait_for 30 mountpoint -q "$m"
	cmp "$d/holes.raw" "$m/holes.raw" || fail "holes.raw differs through the mount of S3"
	kill -TERM "$mpid"
	wait "$mpid" || fail "the mount exited $?"
	expect_rc 0 "$VV" -c "$SC" import "$d/exs3.tar" --name back
	expect_rc 0 "$VV" -c "$SC" restore back@latest --to "$d/r"
	cmp "$d/random.raw" "$d/r/random.raw" || fail "random.raw differs after import into S3"
	expect_rc 0 "$VV" -c "$SC" verify --deep
}
