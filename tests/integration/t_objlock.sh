# Storage classes and S3 Object Lock against the real Ceph RGW of the bed
# (tests/bed/rgw.sh adds the storage class COLD to its placement).

# ol_req METHOD PATH [BODY [CURL-ARGS...]]: a signed request as the admin
# (curl's own SigV4); the status into OL_HTTP, headers into $BED_DIR/ol.hdr,
# body into $BED_DIR/ol.body.
ol_req() {
	local method=$1 path=$2 body=${3-} sha
	shift 2
	[ $# -gt 0 ] && shift
	sha=$(printf '%s' "$body" | sha256sum | cut -d' ' -f1)
	local a=(-s -o "$BED_DIR/ol.body" -D "$BED_DIR/ol.hdr" -w '%{http_code}'
		--aws-sigv4 "aws:amz:us-east-1:s3" --user "$RGW_ACCESS:$RGW_SECRET"
		-H "x-amz-content-sha256: $sha")
	case $method in
	HEAD) a+=(--head) ;;
	GET) ;;
	*) a+=(-X "$method") ;;
	esac
	[ -n "$body" ] && a+=(--data-binary "$body" -H "Content-MD5: $(printf '%s' "$body" | openssl md5 -binary | base64)")
	OL_HTTP=$(curl "${a[@]}" "$@" "$RGW_ENDPOINT$path")
}

# ol_hdr NAME: header NAME of the last ol_req ("" when absent).
ol_hdr() {
	tr -d '\r' <"$BED_DIR/ol.hdr" | awk -v n="$(tr 'A-Z' 'a-z' <<<"$1"):" \
		'tolower($1) == n { sub(/^[^:]*: */, ""); print; exit }'
}

# ol_keys BUCKET PREFIX: the keys under PREFIX, one a line.
ol_keys() {
	ol_req GET "/$1?list-type=2&prefix=$(python3 -c 'import sys,urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$2")"
	grep -o '<Key>[^<]*</Key>' "$BED_DIR/ol.body" | sed 's/<Key>\(.*\)<\/Key>/\1/'
}

# ol_until BUCKET KEY: the retain-until date of KEY's current version, in epoch seconds.
ol_until() {
	ol_req HEAD "/$1/$2"
	[ "$OL_HTTP" = 200 ] || fail "HEAD $2: HTTP $OL_HTTP"
	date -d "$(ol_hdr x-amz-object-lock-retain-until-date)" +%s
}

# ol_shorten BUCKET KEY SECONDS: retain KEY only SECONDS more (governance, bypassed as the admin).
ol_shorten() {
	local when
	when=$(date -u -d "@$(($(date +%s) + $3))" +%Y-%m-%dT%H:%M:%SZ)
	ol_req PUT "/$1/$2?retention=" \
		"<Retention xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Mode>GOVERNANCE</Mode><RetainUntilDate>$when</RetainUntilDate></Retention>" \
		-H "x-amz-bypass-governance-retention: true"
	[ "$OL_HTTP" = 200 ] || fail "shortening the retention of $2: HTTP $OL_HTTP $(cat "$BED_DIR/ol.body")"
}

test_s3_objlock_storage_class_per_kind() {
	local d=$BED_DIR/olsc key
	s3_conf olsc vvtest-olsc 'storage_class = COLD' 'chunk_size = 1M'
	expect_rc 0 "$VV" -c "$SC" init
	mkdir -p "$d"
	head -c 3M /dev/urandom >"$d/a.raw"
	expect_rc 0 "$VV" -c "$SC" backup --image "$d/a.raw" --name sc
	for kind in chunks/ indexes/ snapshots/ keys/ config; do
		key=$(ol_keys vvtest-olsc "hosts/olsc/$kind" | head -n1)
		[ -n "$key" ] || fail "no object under $kind"
		ol_req HEAD "/vvtest-olsc/$key"
		[ "$OL_HTTP" = 200 ] || fail "HEAD $key: HTTP $OL_HTTP"
		case $kind in
		chunks/ | indexes/) [ "$(ol_hdr x-amz-storage-class)" = COLD ] ||
			fail "$key is of class '$(ol_hdr x-amz-storage-class)', not COLD" ;;
		*) case $(ol_hdr x-amz-storage-class) in '' | STANDARD) ;;
			*) fail "$key is of class $(ol_hdr x-amz-storage-class), not STANDARD" ;; esac ;;
		esac
	done
	# Restored whole from the other class.
	expect_rc 0 "$VV" -c "$SC" restore sc@latest --to "$d/out"
	cmp "$d/a.raw" "$d/out/a.raw" || fail "restore from storage class COLD differs"
}

test_s3_objlock_init_refuses_bucket_without_lock() {
	ol_req PUT /vvtest-olnolock
	[ "$OL_HTTP" = 200 ] || fail "creating a bucket without object lock: HTTP $OL_HTTP"
	s3_conf olno vvtest-olnolock 'object_lock = governance' 'object_lock_days = 1'
	expect_rc 1 "$VV" -c "$SC" init
	expect_in "object_lock = governance, but the bucket has no Object Lock enabled"
	[ -z "$(ol_keys vvtest-olnolock hosts/)" ] || fail "init wrote into a bucket without object lock"
	# A period the rounds cannot keep is refused before anything is written.
	s3_conf olbad vvtest-olbad 'object_lock = governance' 'object_lock_days = 1' 'object_lock_extend = 12h'
	expect_rc 1 "$VV" -c "$SC" init
	expect_in "below half of object_lock_days"
	# A bucket init makes is made with object lock; the config records it.
	s3_conf olyes vvtest-olyes 'object_lock = compliance' 'object_lock_days = 1'
	expect_rc 0 "$VV" -c "$SC" init
	ol_req GET "/vvtest-olyes?object-lock="
	grep -q '<ObjectLockEnabled>Enabled</ObjectLockEnabled>' "$BED_DIR/ol.body" ||
		fail "the bucket init made has no object lock: $(cat "$BED_DIR/ol.body")"
	ol_req GET /vvtest-olyes/hosts/olyes/config
	[ "$OL_HTTP" = 200 ] || fail "GET config: HTTP $OL_HTTP $(cat "$BED_DIR/ol.body")"
	cp "$BED_DIR/ol.body" "$BED_DIR/ol.config"
	python3 -c 'import json,sys; o=json.load(open(sys.argv[1]))["object_lock"]; assert o == {"mode": "compliance", "days": 1, "extend": 21600}, o' \
		"$BED_DIR/ol.body" || fail "the config does not record the lock: $(cat "$BED_DIR/ol.body")"
	for key in config $(ol_keys vvtest-olyes hosts/olyes/keys/); do
		key=${key#hosts/olyes/}
		ol_req HEAD "/vvtest-olyes/hosts/olyes/$key"
		[ "$(ol_hdr x-amz-object-lock-mode)" = COMPLIANCE ] || fail "$key is not locked: $(cat "$BED_DIR/ol.hdr")"
	done
	# Changing the recorded lock without the password is noticed.
	python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); o["object_lock"]["days"]=2; print(json.dumps(o))' \
		"$BED_DIR/ol.config" >"$BED_DIR/ol.cfg"
	ol_req PUT /vvtest-olyes/hosts/olyes/config "$(cat "$BED_DIR/ol.cfg")"
	[ "$OL_HTTP" = 200 ] || fail "overwriting the config: HTTP $OL_HTTP"
	expect_rc 1 "$VV" -c "$SC" list
	expect_in "object_lock was changed"
}

test_s3_objlock_locked_garbage_is_skipped_then_collected() {
	local d=$BED_DIR/olgc key n now until
	s3_conf olgc vvtest-olgc 'object_lock = governance' 'object_lock_days = 1' 'chunk_size = 1M'
	expect_rc 0 "$VV" -c "$SC" init
	mkdir -p "$d"
	head -c 2M /dev/urandom >"$d/a.raw"
	expect_rc 0 "$VV" -c "$SC" backup --image "$d/a.raw" --name gc
	key=$(ol_keys vvtest-olgc hosts/olgc/chunks/ | head -n1)
	now=$(date +%s)
	until=$(ol_until vvtest-olgc "$key")
	[ "$until" -gt $((now + 86000)) ] && [ "$until" -le $((now + 86400)) ] ||
		fail "chunk $key is retained until $until, not a day from $now"
	# The admin cannot delete the version before its date: RGW refuses.
	ol_req HEAD "/vvtest-olgc/$key"
	ol_req DELETE "/vvtest-olgc/$key?versionId=$(ol_hdr x-amz-version-id)"
	[ "$OL_HTTP" = 403 ] && grep -q '<Code>AccessDenied</Code>' "$BED_DIR/ol.body" ||
		fail "deleting a locked version: HTTP $OL_HTTP, not 403 AccessDenied: $(cat "$BED_DIR/ol.body")"
	expect_rc 0 "$VV" -c "$SC" forget gc@latest
	expect_rc 0 "$VV" -c "$SC" prune --json
	n=$(tail -n1 <<<"$OUT" | python3 -c 'import json,sys; o=json.load(sys.stdin); assert o["failed"] == 0, o; print(o["locked"])')
	[ "$n" -ge 3 ] || fail "prune did not count the locked garbage: $OUT"
	expect_rc 0 "$VV" -c "$SC" prune
	expect_in "objects still locked until $(date -u -d "@$until" +%Y-%m-%d)"
	expect_in "collected on a later run"
	ol_until vvtest-olgc "$key" >/dev/null
	# Once their dates pass (shortened here as the admin may in governance
	# mode), the next prune collects them: no version is left.
	for key in $(ol_keys vvtest-olgc hosts/olgc/chunks/) $(ol_keys vvtest-olgc hosts/olgc/indexes/); do
		ol_shorten vvtest-olgc "$key" 2
	done
	until=$(($(date +%s) + 3))
	while [ "$(date +%s)" -le "$until" ]; do sleep 0.2; done
	expect_rc 0 "$VV" -c "$SC" prune --json
	tail -n1 <<<"$OUT" | python3 -c 'import json,sys; o=json.load(sys.stdin); assert o["locked"] == 0 and o["failed"] == 0 and o["deleted_versions"] >= 3, o' ||
		fail "prune did not collect the garbage whose retention passed: $OUT"
	ol_req GET "/vvtest-olgc?prefix=hosts%2Folgc%2Fchunks%2F&versions="
	! grep -q '<Version>' "$BED_DIR/ol.body" || fail "chunk versions are left: $(cat "$BED_DIR/ol.body")"
}

test_s3_objlock_retention_of_reused_chunks_is_extended() {
	local d=$BED_DIR/olext key before after
	s3_conf olext vvtest-olext 'object_lock = governance' 'object_lock_days = 1' 'chunk_size = 1M'
	expect_rc 0 "$VV" -c "$SC" init
	mkdir -p "$d"
	head -c 1M /dev/urandom >"$d/a.raw"
	head -c 1M /dev/urandom >"$d/b.raw"
	expect_rc 0 "$VV" -c "$SC" backup --image "$d/a.raw" --name a
	expect_not_in "retention extension round"
	# A repository made two days ago (its unauthenticated "created" moved
	# back) and never pruned: a backup says prune is overdue.
	ol_req GET /vvtest-olext/hosts/olext/config
	python3 -c 'import json,sys,time; o=json.load(open(sys.argv[1])); o["created"]=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time()-2*86400)); print(json.dumps(o))' \
		"$BED_DIR/ol.body" >"$BED_DIR/ol.cfg"
	ol_req PUT /vvtest-olext/hosts/olext/config "$(cat "$BED_DIR/ol.cfg")"
	[ "$OL_HTTP" = 200 ] || fail "overwriting the config: HTTP $OL_HTTP"
	expect_rc 0 "$VV" -c "$SC" backup --image "$d/a.raw" --name a
	expect_in "no retention extension round since the repository was made"
	expect_in "run 'virtvault prune' before"
	# A chunk of a live snapshot about to lapse: the round of the next prune extends it.
	key=$(ol_keys vvtest-olext hosts/olext/chunks/ | head -n1)
	ol_shorten vvtest-olext "$key" 3600
	before=$(ol_until vvtest-olext "$key")
	# A prune killed with -9 once every object is extended, before the round
	# is recorded: nothing lapses, and the next prune runs the round again.
	kill_at retention-extended "$d/kill.log" "$VV_FAULTS" -c "$SC" prune || return 1
	after=$(ol_until vvtest-olext "$key")
	[ "$after" -ge $((before + 80000)) ] || fail "the killed round had not extended $key: $before -> $after"
	ol_shorten vvtest-olext "$key" 3600
	before=$(ol_until vvtest-olext "$key")
	expect_rc 0 "$VV" -c "$SC" prune --json
	tail -n1 <<<"$OUT" | python3 -c 'import json,sys; o=json.load(sys.stdin); assert o["retention_round"] and o["retention_extended"] >= 4 and o["retention_requests"] >= o["retention_extended"], o' ||
		fail "prune ran no extension round: $OUT"
	after=$(ol_until vvtest-olext "$key")
	[ "$after" -ge $((before + 80000)) ] || fail "the round did not extend $key: $before -> $after"
	# The next prune finds the round recorded: none is due.
	expect_rc 0 "$VV" -c "$SC" prune
	expect_in "retention: last extension round"
	# Garbage reused by a backup: a forgotten snapshot's chunk, about to lapse.
	ol_keys vvtest-olext hosts/olext/chunks/ | sort >"$d/before"
	expect_rc 0 "$VV" -c "$SC" backup --image "$d/b.raw" --name b
	expect_not_in "retention extension round"
	expect_rc 0 "$VV" -c "$SC" forget b@latest
	key=$(ol_keys vvtest-olext hosts/olext/chunks/ | sort | comm -13 "$d/before" - | head -n1)
	[ -n "$key" ] || fail "no chunk of snapshot b found"
	ol_shorten vvtest-olext "$key" 3600
	before=$(ol_until vvtest-olext "$key")
	expect_rc 0 "$VV" -c "$SC" backup --image "$d/b.raw" --name b2
	after=$(ol_until vvtest-olext "$key")
	[ "$after" -ge $((before + 80000)) ] || fail "the backup reused $key without extending it: $before -> $after"
}

test_s3_objlock_multipart_chunk_locked_and_cold() {
	local d=$BED_DIR/olmp key now until
	s3_conf olmp vvtest-olmp 'object_lock = governance' 'object_lock_days = 1' \
		'storage_class = COLD' 'chunk_size = 16M' 'multipart_threshold = 5M'
	expect_rc 0 "$VV" -c "$SC" init
	mkdir -p "$d"
	head -c 8M /dev/urandom >"$d/a.raw"
	expect_rc 0 "$VV" -c "$SC" backup --image "$d/a.raw" --name mp
	# The chunk (8M, above the threshold) went up in parts: the class and
	# the lock were given when the upload started.
	key=$(ol_keys vvtest-olmp hosts/olmp/chunks/ | head -n1)
	now=$(date +%s)
	until=$(ol_until vvtest-olmp "$key")
	[ "$(ol_hdr x-amz-storage-class)" = COLD ] || fail "multipart chunk $key is not of class COLD"
	[ "$(ol_hdr x-amz-object-lock-mode)" = GOVERNANCE ] || fail "multipart chunk $key is not locked"
	[ "$until" -gt $((now + 86000)) ] && [ "$until" -le $((now + 86400)) ] ||
		fail "multipart chunk $key is retained until $until, not a day from $now"
	[ "$(ol_hdr content-length)" -gt 8000000 ] || fail "chunk $key is not the multipart one"
	expect_rc 0 "$VV" -c "$SC" restore mp@latest --to "$d/out"
	cmp "$d/a.raw" "$d/out/a.raw" || fail "restore of a multipart chunk differs"
}
