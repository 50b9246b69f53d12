# Hosts that cannot destroy: a versioned bucket with object lock enabled on
# the bed's Ceph RGW, the admin (vvtest) who owns it, and a host's user
# (vvhost) whom a bucket policy forbids to delete. The host backs up; then,
# as an attacker holding the host's credential, tries to delete every
# object and overwrites the rest with random bytes; the snapshots still
# restore (older versions), verify names what was attacked, recover (as
# the admin) puts it right.

# atk_s3 USER:SECRET METHOD PATH [CURL-ARGS...]: a signed request, its
# HTTP status printed last on its own line.
atk_s3() {
	local cred=$1 method=$2 path=$3
	shift 3
	curl -s -X "$method" --aws-sigv4 "aws:amz:us-east-1:s3" --user "$cred" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -w '\n%{http_code}\n' "$@" \
		"$RGW_ENDPOINT$path"
}

# atk_bucket BUCKET DENIED-ACTIONS: a bucket with object lock (so versioned)
# made by the admin, and a policy that lets vvhost do all but DENIED-ACTIONS
# (a JSON list of actions) and what changes the bucket itself, and lets the
# admin read what vvhost wrote (objects belong to their writer on RGW).
atk_bucket() {
	local b=$1 deny=$2 out policy
	out=$(atk_s3 "$RGW_ACCESS:$RGW_SECRET" PUT "/$b" -H "x-amz-bucket-object-lock-enabled: true")
	[ "$(tail -n1 <<<"$out")" = 200 ] || { fail "bucket $b not made: $out"; return 1; }
	policy=$(cat <<EOF
{"Version": "2012-10-17", "Statement": [
 {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/vvtest"]},
  "Action": ["s3:*"], "Resource": ["arn:aws:s3:::$b", "arn:aws:s3:::$b/*"]},
 {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/vvhost"]},
  "Action": ["s3:*"], "Resource": ["arn:aws:s3:::$b", "arn:aws:s3:::$b/*"]},
 {"Effect": "Deny", "Principal": {"AWS": ["arn:aws:iam:::user/vvhost"]},
  "Action": $deny, "Resource": ["arn:aws:s3:::$b/*"]},
 {"Effect": "Deny", "Principal": {"AWS": ["arn:aws:iam:::user/vvhost"]},
  "Action": ["s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketVersioning",
   "s3:PutLifecycleConfiguration", "s3:DeleteBucket", "s3:PutBucketObjectLockConfiguration"],
  "Resource": ["arn:aws:s3:::$b"]}]}
EOF
)
	out=$(atk_s3 "$RGW_ACCESS:$RGW_SECRET" PUT "/$b?policy=" --data-binary "$policy")
	[ "$(tail -n1 <<<"$out")" = 204 ] || [ "$(tail -n1 <<<"$out")" = 200 ] ||
		{ fail "policy of $b refused: $out"; return 1; }
}

# atk_conf NAME BUCKET: the host's configuration HC (vvhost's keys) and the
# admin's AC (the same, with admin_access_key and admin_secret_key).
atk_conf() {
	local name=$1 b=$2
	HC=$BED_DIR/atk-$name-host.conf
	AC=$BED_DIR/atk-$name-admin.conf
	printf 'attack-test-password\n' >"$BED_DIR/atk.pw"
	{
		printf '[agent]\nlibvirt_uri = %s\nstate_dir = %s/atk-state-%s\n' "$BED_URI" "$BED_DIR" "$name"
		printf '[repository]\nurl = s3://%s/hosts/%s\nendpoint = %s\nregion = us-east-1\n' \
			"$b" "$name" "$RGW_ENDPOINT"
		printf 'access_key = %s\nsecret_key = %s\npassword_file = %s/atk.pw\n' \
			"$RGW_HOST_ACCESS" "$RGW_HOST_SECRET" "$BED_DIR"
	} >"$HC"
	{
		cat "$HC"
		printf 'admin_access_key = %s\nadmin_secret_key = %s\n' "$RGW_ACCESS" "$RGW_SECRET"
	} >"$AC"
	chmod 600 "$HC" "$AC" "$BED_DIR/atk.pw"
}

# atk_keys BUCKET PREFIX: the keys listed under PREFIX, one a line.
atk_keys() {
	atk_s3 "$RGW_ACCESS:$RGW_SECRET" GET "/$1?list-type=2&prefix=${2//\//%2F}" |
		grep -o '<Key>[^<]*</Key>' | sed 's/<Key>\(.*\)<\/Key>/\1/'
}

# atk_history NAME: two snapshots of two images, the images of each kept
# under $BED_DIR/atk-NAME-v1 and -v2; their IDs in ATK_IDS.
atk_history() {
	local name=$1 d=$BED_DIR/atk-$1-img v
	mkdir -p "$d"
	head -c 3M /dev/urandom >"$d/a.raw"
	yes 'attack test line' | head -c 2M >"$d/b.raw"
	ATK_IDS=()
	for v in 1 2; do
		expect_rc 0 "$VV" -c "$HC" backup --image "$d/a.raw" --image "$d/b.raw" --name imgs \
			--time "2026-11-0${v}T02:00:00Z" --json || return 1
		ATK_IDS+=("$(tail -n1 <<<"$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["snapshot"])')")
		mkdir -p "$BED_DIR/atk-$name-v$v"
		cp "$d/a.raw" "$d/b.raw" "$BED_DIR/atk-$name-v$v/"
		dd if=/dev/urandom of="$d/a.raw" bs=64K count=4 seek=8 conv=notrunc status=none
	done
}

# atk_restore_all NAME: every snapshot of the history restores identically.
atk_restore_all() {
	local name=$1 v out
	for v in 1 2; do
		out=$BED_DIR/atk-$name-out$v
		rm -rf "$out"
		expect_rc 0 "$VV" -c "$HC" restore "${ATK_IDS[$((v - 1))]}" --to "$out" || return 1
		cmp "$BED_DIR/atk-$name-v$v/a.raw" "$out/a.raw" || { fail "a.raw of snapshot $v differs"; return 1; }
		cmp "$BED_DIR/atk-$name-v$v/b.raw" "$out/b.raw" || { fail "b.raw of snapshot $v differs"; return 1; }
		ATK_RESTORE_OUT+="$OUT"$'\n'
	done
}

test_s3_attack_host_without_delete() {
	local b=vvattack-one n=0 denied=0 k code doomed
	atk_bucket $b '["s3:DeleteObject", "s3:DeleteObjectVersion"]' || return 1
	atk_conf one $b
	expect_rc 0 "$VV" -c "$HC" init || return 1
	atk_history one || return 1
	# The host's backups released their locks by overwriting them.
	expect_rc 0 "$VV" -c "$HC" locks --json
	expect_in '"released"'
	expect_not_in '"shared"'
	# forget as a request: hidden at once, carried out by the admin's prune.
	expect_rc 0 "$VV" -c "$HC" backup --image "$BED_DIR/atk-one-img/b.raw" --name doomed --json
	expect_rc 0 "$VV" -c "$HC" forget doomed@latest
	expect_in "a forget request"
	expect_rc 0 "$VV" -c "$HC" list --json
	expect_not_in '"doomed"'
	doomed=$(atk_keys $b hosts/one/snapshots/ | grep '/doomed/.*\.forget$') || fail "no forget request object"
	doomed=${doomed%.forget}
	# prune and unlock are the admin's.
	expect_rc 1 "$VV" -c "$HC" unlock --force
	expect_in "this host's credential may not delete; run this with the admin credential ([repository] admin_access_key and admin_secret_key)"
	expect_rc 1 "$VV" -c "$HC" prune
	expect_in "prune needs the admin credential"
	expect_in "admin_access_key and admin_secret_key"
	# A request for the only snapshot of its group is not carried out.
	expect_rc 0 "$VV" -c "$AC" prune
	expect_in "1 forget request was not carried out: it asks for every snapshot of its group"
	atk_keys $b hosts/one/snapshots/ | grep -qx "$doomed" || fail "the only snapshot of doomed was removed on a request"
	# Once the group keeps another, it is.
	expect_rc 0 "$VV" -c "$HC" backup --image "$BED_DIR/atk-one-img/b.raw" --name doomed --json
	expect_rc 0 "$VV" -c "$AC" prune --dry-run
	expect_in "would remove snapshot ${doomed#hosts/one/}"
	expect_in "as forget request"
	expect_rc 0 "$VV" -c "$AC" prune
	expect_in "using the admin credential"
	expect_not_in "$RGW_SECRET"
	atk_keys $b hosts/one/snapshots/ | grep -q "^$doomed" &&
		fail "doomed's manifest or its forget request is still there"
	atk_s3 "$RGW_ACCESS:$RGW_SECRET" GET "/$b?prefix=hosts%2Fone%2Fsnapshots%2F&versions=" |
		grep -q "$doomed" && fail "doomed's manifest left versions"
	expect_rc 0 "$VV" -c "$HC" list doomed --json
	expect_in '"doomed"'
	# The admin may empty a group: forget with its credential deletes.
	expect_rc 0 "$VV" -c "$AC" forget doomed@latest
	expect_rc 1 "$VV" -c "$HC" list doomed --json
	expect_rc 0 "$VV" -c "$HC" locks --json
	expect_not_in '"released"'
	# The attack, with the host's credential: no delete goes through...
	for k in $(atk_keys $b hosts/one/); do
		n=$((n + 1))
		OUT=$(atk_s3 "$RGW_HOST_ACCESS:$RGW_HOST_SECRET" DELETE "/$b/$k")
		[ "$(tail -n1 <<<"$OUT")" = 403 ] && grep -q AccessDenied <<<"$OUT" && denied=$((denied + 1))
	done
	[ "$n" -gt 10 ] && [ "$denied" = "$n" ] || fail "$denied of $n deletes refused"
	# ...but every chunk, index, manifest, key and the config is overwritten.
	for k in $(atk_keys $b hosts/one/); do
		head -c 1000 /dev/urandom >"$BED_DIR/atk-junk"
		code=$(atk_s3 "$RGW_HOST_ACCESS:$RGW_HOST_SECRET" PUT "/$b/$k" \
			--data-binary @"$BED_DIR/atk-junk" | tail -n1)
		[ "$code" = 200 ] || fail "overwriting $k: HTTP $code"
	done
	# Every snapshot still restores, from the older versions, with warnings.
	ATK_RESTORE_OUT=
	atk_restore_all one || return 1
	OUT=$ATK_RESTORE_OUT
	expect_in "object config is not authentic"
	expect_in "read its older version"
	# verify --deep names the attacked objects.
	expect_rc 1 "$VV" -c "$HC" verify --deep
	expect_in "attacked objects"
	expect_in "  config"
	expect_in "  keys/"
	expect_in "  chunks/"
	expect_in "  indexes/"
	expect_in "  snapshots/"
	# recover, as the admin, rewrites them.
	expect_rc 0 "$VV" -c "$AC" recover --dry-run
	expect_in "would rewrite config"
	# Killed with -9 once it has rewritten the config (the first object it
	# puts right), with its lock held: the next run takes over and finishes.
	kill_at recover-rewrote "$BED_DIR/atk-kill.log" "$VV_FAULTS" -c "$AC" recover || return 1
	expect_rc 0 "$VV" -c "$AC" recover --dry-run
	expect_not_in "would rewrite config"
	expect_in "would rewrite chunks/"
	expect_rc 0 "$VV" -c "$AC" recover
	expect_not_in "rewrote config"
	expect_in "rewrote chunks/"
	expect_in ", 0 without a version that authenticates"
	ATK_RESTORE_OUT=
	atk_restore_all one || return 1
	OUT=$ATK_RESTORE_OUT
	expect_not_in "older version"
	expect_rc 0 "$VV" -c "$HC" verify --deep
	expect_in "2 snapshots checked (deep): 0 problems"
	expect_not_in "attacked"
	# A new backup works.
	expect_rc 0 "$VV" -c "$HC" backup --image "$BED_DIR/atk-one-img/a.raw" --name imgs
}

test_s3_attack_delete_markers() {
	local b=vvattack-two n=0 k code
	# This host may delete, but not versions: a delete leaves a marker.
	atk_bucket $b '["s3:DeleteObjectVersion"]' || return 1
	atk_conf two $b
	expect_rc 0 "$VV" -c "$HC" init || return 1
	atk_history two || return 1
	for k in $(atk_keys $b hosts/two/); do
		OUT=$(atk_s3 "$RGW_HOST_ACCESS:$RGW_HOST_SECRET" DELETE "/$b/$k")
		[ "$(tail -n1 <<<"$OUT")" = 204 ] && n=$((n + 1))
	done
	[ "$n" -gt 10 ] || fail "only $n objects deleted: $OUT"
	[ -z "$(atk_keys $b hosts/two/)" ] || fail "objects still listed after the deletes"
	# The older versions behind the markers are read.
	expect_rc 0 "$VV" -c "$HC" list --json
	expect_in '"imgs"'
	ATK_RESTORE_OUT=
	atk_restore_all two || return 1
	OUT=$ATK_RESTORE_OUT
	expect_in "hidden by a delete marker"
	expect_rc 1 "$VV" -c "$HC" verify --deep
	expect_in "attacked objects"
	expect_in "  chunks/"
	expect_rc 0 "$VV" -c "$AC" recover
	expect_in "rewrote config from its version"
	[ -n "$(atk_keys $b hosts/two/chunks/)" ] || fail "no chunk listed after recover"
	ATK_RESTORE_OUT=
	atk_restore_all two || return 1
	OUT=$ATK_RESTORE_OUT
	expect_not_in "older version"
	expect_not_in "delete marker"
	expect_rc 0 "$VV" -c "$HC" verify --deep
	expect_rc 0 "$VV" -c "$HC" backup --image "$BED_DIR/atk-two-img/a.raw" --name imgs
}
