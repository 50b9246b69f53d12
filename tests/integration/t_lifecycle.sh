# The repository's lifecycle: several hosts in one repository, the format
# version 1 fixture, retention (forget), prune and its locks.

FIXTURE_V1=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/repo-v1" && pwd)
# What tests/fixtures/repo-v1 holds: legacy.raw of host fixturehost.
FIXTURE_V1_SHA=4b43dbc04ff8f5ede9b2e1c4d8b771a43e2303e98851b0cdbf979ed44bfe8b7a

# host_conf NAME HOST URL: a config for HOST writing to URL (sets HC).
host_conf() {
	HC=$BED_DIR/hosts/$1.conf
	mkdir -p "$BED_DIR/hosts/$1.state"
	printf 'correct horse battery staple\n' >"$BED_DIR/hosts/pw"
	chmod 600 "$BED_DIR/hosts/pw"
	cat >"$HC" <<CONF
[agent]
host = $2
state_dir = $BED_DIR/hosts/$1.state
[repository]
url = $3
password_file = $BED_DIR/hosts/pw
CONF
	chmod 600 "$HC"
}

test_lifecycle_v1_fixture_restores() {
	local rd=$BED_DIR/v1repo out=$BED_DIR/v1out
	cp -a "$FIXTURE_V1" "$rd"
	mkdir -p "$out"
	printf 'fixture-password\n' >"$BED_DIR/v1.pw"
	chmod 600 "$BED_DIR/v1.pw"
	host_conf v1 newhost "file://$rd"
	sed -i "s|password_file = .*|password_file = $BED_DIR/v1.pw|" "$HC"
	expect_rc 0 "$VV" -c "$HC" list
	expect_in "fixturehost"
	expect_in "legacy"
	# Read as it is (no MAC): every command says so until 'key upgrade'.
	expect_in "its parameters are not authenticated"
	# This host has no legacy of its own: the message names the other host.
	expect_rc 1 "$VV" -c "$HC" restore legacy@latest --to "$out"
	expect_in "there are some from host fixturehost: fixturehost/legacy@latest"
	expect_rc 0 "$VV" -c "$HC" restore fixturehost/legacy@latest --to "$out"
	[ "$(sha256sum <"$out/legacy.raw" | cut -d' ' -f1)" = "$FIXTURE_V1_SHA" ] ||
		fail "the version-1 snapshot did not restore byte-identical"
	expect_rc 0 "$VV" -c "$HC" verify --deep
	expect_in "0 problems"
	# A backup into a version-1 repository keeps its rules: a version-1 key.
	expect_rc 0 "$VV" -c "$HC" backup --image "$out/legacy.raw" --name legacy --json
	[ "$(ls "$rd/snapshots/legacy" | wc -l)" = 2 ] || fail "expected 2 manifests under snapshots/legacy: $(ls -R "$rd/snapshots")"
	expect_rc 0 "$VV" -q -c "$HC" list legacy --json
	[ "$(json_len)" = 2 ] || fail "expected 2 snapshots: $OUT"
	expect_rc 0 "$VV" -q -c "$HC" list --host newhost --json
	[ "$(json_len)" = 1 ] || fail "expected 1 snapshot of newhost: $OUT"
}

test_lifecycle_two_hosts_one_name() {
	local rd=$BED_DIR/hostsrepo out=$BED_DIR/hostsout a b
	head -c 3M /dev/urandom >"$BED_DIR/web-a.raw"
	head -c 3M /dev/urandom >"$BED_DIR/web-b.raw"
	mkdir -p "$out/a" "$out/b" "$out/ab"
	host_conf a hosta "file://$rd"
	a=$HC
	host_conf b hostb "file://$rd"
	b=$HC
	expect_rc 0 "$VV" -c "$a" init
	expect_rc 0 "$VV" -c "$a" backup --image "$BED_DIR/web-a.raw" --name web1
	expect_rc 0 "$VV" -c "$b" backup --image "$BED_DIR/web-b.raw" --name web1
	[ -d "$rd/snapshots/hosta/web1" ] && [ -d "$rd/snapshots/hostb/web1" ] ||
		fail "manifests are not under snapshots/HOST/NAME: $(ls -R "$rd/snapshots")"
	expect_rc 0 "$VV" -c "$a" list
	expect_in "hosta"
	expect_in "hostb"
	# Each host's web1@latest is its own.
	expect_rc 0 "$VV" -c "$a" restore web1@latest --to "$out/a"
	cmp -s "$out/a/web-a.raw" "$BED_DIR/web-a.raw" || fail "host a restored another host's web1"
	expect_rc 0 "$VV" -c "$b" restore web1@latest --to "$out/b"
	cmp -s "$out/b/web-b.raw" "$BED_DIR/web-b.raw" || fail "host b restored another host's web1"
	expect_rc 0 "$VV" -c "$a" restore hostb/web1@latest --to "$out/ab"
	cmp -s "$out/ab/web-b.raw" "$BED_DIR/web-b.raw" || fail "hostb/web1@latest is not host b's"
	expect_rc 0 "$VV" -c "$a" list --host hostb --json
	[ "$(json_len)" = 1 ] || fail "list --host hostb: $OUT"
	expect_rc 2 "$VV" -c "$a" list --host 'bad/host'
}

# forget_count JSON_OUT KEEP: how many entries of forget --json have keep=KEEP.
forget_count() {
	python3 -c "import json,sys; print(sum(1 for e in json.load(sys.stdin) if e['keep'] == (sys.argv[1] == 'true')))" "$1" <<<"$OUT"
}

test_lifecycle_forget_policy_and_named() {
	local rd=$BED_DIR/forgetrepo d id
	host_conf f hostf "file://$rd"
	expect_rc 0 "$VV" -c "$HC" init
	head -c 2M /dev/urandom >"$BED_DIR/hist.raw"
	# Ten nights, and a second backup on the last day.
	for d in 17 18 19 20 21 22 23 24 25 26; do
		expect_rc 0 "$VV" -c "$HC" backup --image "$BED_DIR/hist.raw" --name hist \
			--time "2026-11-${d}T02:00:00Z"
	done
	expect_rc 0 "$VV" -c "$HC" backup --image "$BED_DIR/hist.raw" --name hist \
		--time "2026-11-26T05:00:00+01:00"
	expect_rc 0 "$VV" -c "$HC" list hist --json
	[ "$(json_len)" = 11 ] || fail "expected 11 snapshots: $OUT"
	expect_in '"time":"2026-11-26T04:00:00Z"'
	# Dry run: the plan, nothing removed.
	expect_rc 0 "$VV" -c "$HC" forget --keep-daily 3 --keep-weekly 2 --dry-run
	expect_in "hostf/hist: 11 snapshots, keeping 4, would remove 7"
	expect_in "daily"
	expect_in "weekly"
	expect_rc 0 "$VV" -c "$HC" list hist --json
	[ "$(json_len)" = 11 ] || fail "the dry run removed something: $OUT"
	expect_rc 0 "$VV" -c "$HC" forget --keep-daily 3 --keep-weekly 2 --json
	[ "$(forget_count true)" = 4 ] && [ "$(forget_count false)" = 7 ] || fail "forget --json: $OUT"
	expect_rc 0 "$VV" -c "$HC" list hist --json
	[ "$(json_len)" = 4 ] || fail "expected 4 snapshots left: $OUT"
	# Kept: the 26th's newest, 25, 24 (daily), 22 (weekly: a Sunday ends the week before).
	expect_in '"time":"2026-11-26T04:00:00Z"'
	expect_not_in '"time":"2026-11-26T02:00:00Z"'
	for d in 25 24 22; do
		expect_in "\"time\":\"2026-11-${d}T02:00:00Z\""
	done
	# Another host's group is not touched by default.
	host_conf g hostg "file://$rd"
	expect_rc 0 "$VV" -c "$HC" backup --image "$BED_DIR/hist.raw" --name hist --time 2026-11-01T00:00:00Z
	expect_rc 0 "$VV" -c "$HC" backup --image "$BED_DIR/hist.raw" --name hist --time 2026-11-02T00:00:00Z
	host_conf f hostf "file://$rd"
	expect_rc 0 "$VV" -c "$HC" forget --keep-last 1
	expect_not_in "hostg"
	expect_rc 0 "$VV" -c "$HC" list --host hostg --json
	[ "$(json_len)" = 2 ] || fail "forget touched another host: $OUT"
	# Named: by ID, and by HOST/NAME@latest.
	expect_rc 0 "$VV" -c "$HC" forget hostg/hist@latest
	expect_in "removed"
	expect_rc 0 "$VV" -c "$HC" list --host hostg --json
	id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["snapshot"])' <<<"$OUT")
	[ "$(json_len)" = 1 ] || fail "named forget: $OUT"
	expect_rc 0 "$VV" -c "$HC" forget "${id:0:8}"
	expect_rc 1 "$VV" -c "$HC" list --host hostg --json
	expect_in "no snapshot of" || fail "forget by ID: $OUT"
	# Bad input.
	expect_rc 2 "$VV" -c "$HC" forget
	expect_rc 2 "$VV" -c "$HC" forget --keep-daily x
	expect_in "--keep-daily 'x'"
	expect_rc 2 "$VV" -c "$HC" forget --job nosuch
	expect_in "no [job nosuch]"
	expect_rc 1 "$VV" -c "$HC" forget ffffffffffff
	expect_in "no snapshot with ID ffffffffffff"
	expect_rc 2 "$VV" -c "$HC" backup --image "$BED_DIR/hist.raw" --name hist --time yesterday
	expect_in "--time 'yesterday'"
	# What is left still restores.
	expect_rc 0 "$VV" -c "$HC" verify --deep
	expect_in "0 problems"
}

test_lifecycle_job_forgets_after_its_run() {
	local c=$BED_DIR/jobkeep.conf
	cat >"$c" <<CONF
[agent]
libvirt_uri = $BED_URI
state_dir = $BED_DIR/state
[repository]
url = file://$BED_DIR/jobkeep-repo
password_file = $BED_DIR/jobkeep.pw
[job keep2]
domains = $DOM
exclude_disks = vdb
quiesce = try
keep_last = 2
CONF
	printf 'jobkeep-password\n' >"$BED_DIR/jobkeep.pw"
	chmod 600 "$c" "$BED_DIR/jobkeep.pw"
	expect_rc 0 "$VV" -q -c "$c" init
	for _ in 1 2 3; do
		expect_rc 0 "$VV" -c "$c" backup --job keep2
	done
	expect_in "job keep2: applying its keep rules"
	expect_rc 0 "$VV" -c "$c" list "$DOM" --json
	[ "$(json_len)" = 2 ] || fail "keep_last = 2 left: $OUT"
	expect_rc 0 "$VV" -c "$c" check-chain "$DOM"
}

# The race: three hosts back up changing images in a loop, a forget+prune
# loop runs, and a killer sends SIGKILL to any of them at random, for
# RACE_SECONDS (default: a short slice; 'make race' runs it long). Then
# every snapshot left must verify and restore to an image some writer had.

race_writer() {
	local c=$1 img=$2 end=$3 rec=$4
	while [ "$(date +%s)" -lt "$end" ]; do
		# One block: most chunks stay those of the last run, killed or not.
		dd if=/dev/urandom of="$img" bs=64K count=1 seek=$((RANDOM % 384)) \
			conv=notrunc status=none
		sha256sum <"$img" | cut -d' ' -f1 >>"$rec"
		"$VV" -q -c "$c" backup --image "$img" --name vm >/dev/null 2>>"$rec.err" || true
	done
}

race_pruner() {
	local c=$1 end=$2 log=$3
	while [ "$(date +%s)" -lt "$end" ]; do
		for h in w1 w2 w3; do
			"$VV" -q -c "$c" forget --host "$h" --keep-last 2 vm >/dev/null 2>>"$log" || true
		done
		"$VV" -q -c "$c" prune >/dev/null 2>>"$log" || true
		sleep 0.1
	done
}

race_killer() {
	local dir=$1 end=$2 log=$3 pids pick what
	while [ "$(date +%s)" -lt "$end" ]; do
		sleep "0.$((RANDOM % 7 + 2))"
		mapfile -t pids < <(pgrep -f -- "-c $dir/" || true)
		[ "${#pids[@]}" -gt 0 ] || continue
		pick=${pids[$((RANDOM % ${#pids[@]}))]}
		what=$(tr '\0' ' ' </proc/"$pick"/cmdline 2>/dev/null || true)
		if kill -9 "$pick" 2>/dev/null; then
			echo "$pick $what" >>"$log"
		fi
	done
}

# race_stop PID...: stop the loops and any virtvault they left running.
race_stop() {
	local dir=$1 p
	shift
	for p in "$@"; do
		kill "$p" 2>/dev/null || true
	done
	for p in $(pgrep -f -- "-c $dir/" || true); do
		kill -9 "$p" 2>/dev/null || true
	done
	for p in "$@"; do
		wait "$p" 2>/dev/null || true
	done
}

# race_run URL: the race on the repository at URL (EXTRA config lines in RACE_EXTRA).
race_run() {
	local url=$1 dir=$BED_DIR/race-$RANDOM secs=${RACE_SECONDS:-25} end h loops=() snaps id host sha n=0 k
	mkdir -p "$dir"
	printf 'race-password\n' >"$dir/pw"
	chmod 600 "$dir/pw"
	for h in w1 w2 w3 pruner check; do
		cat >"$dir/$h.conf" <<CONF
[agent]
host = $h
state_dir = $dir/$h.state
[repository]
url = $url
password_file = $dir/pw
lock_wait = 2m
${RACE_EXTRA:-}
CONF
		chmod 600 "$dir/$h.conf"
	done
	expect_rc 0 "$VV" -c "$dir/check.conf" init
	head -c 24M /dev/urandom >"$dir/base.raw"
	end=$(($(date +%s) + secs))
	for h in w1 w2 w3; do
		cp "$dir/base.raw" "$dir/img-$h.raw"
		race_writer "$dir/$h.conf" "$dir/img-$h.raw" "$end" "$dir/$h.versions" &
		loops+=($!)
	done
	race_pruner "$dir/pruner.conf" "$end" "$dir/pruner.log" &
	loops+=($!)
	race_killer "$dir" "$end" "$dir/kills" &
	loops+=($!)
	sleep "$secs"
	race_stop "$dir" "${loops[@]}"
	k=$(wc -l <"$dir/kills" 2>/dev/null || echo 0)
	echo "race: $secs s, $k processes killed"
	[ "$k" -ge 3 ] || fail "the killer killed only $k processes"
	# What the kills left: a prune collects it; then everything verifies.
	expect_rc 0 "$VV" -c "$dir/check.conf" prune
	expect_rc 0 "$VV" -c "$dir/check.conf" verify --deep
	expect_in "0 problems"
	expect_rc 0 "$VV" -c "$dir/check.conf" locks --json
	[ "$(json_len)" = 0 ] || fail "locks left after the final prune: $OUT"
	expect_rc 0 "$VV" -c "$dir/check.conf" list --json
	snaps=$(python3 -c 'import json,sys; [print(s["snapshot"], s["host"]) for s in json.load(sys.stdin)]' <<<"$OUT")
	while read -r id host; do
		[ -n "$id" ] || continue
		rm -rf "$dir/out"
		mkdir -p "$dir/out"
		expect_rc 0 "$VV" -c "$dir/check.conf" restore "$id" --to "$dir/out"
		sha=$(sha256sum <"$dir/out/img-$host.raw" | cut -d' ' -f1)
		grep -qx "$sha" "$dir/$host.versions" ||
			fail "snapshot $id of $host restored to an image no writer had"
		n=$((n + 1))
	done <<<"$snaps"
	echo "race: $n snapshots restored byte-identical to a version their writer backed up"
	[ "$n" -ge 3 ] || fail "only $n snapshots survived the race"
}

test_lifecycle_race_file() {
	race_run "file://$BED_DIR/race-repo"
}

# The protocol, step by step: a backup that finds chunks of a forgotten
# snapshot in the store (and will not upload them again) keeps prune from
# deleting them until its manifest is published.
test_lifecycle_prune_waits_for_backup_that_reuses_chunks() {
	local rd=$BED_DIR/protorepo marker=$BED_DIR/proto.seeded bpid rc=0
	host_conf p hostp "file://$rd"
	printf 'lock_wait = 2s\n' >>"$HC"
	expect_rc 0 "$VV" -c "$HC" init
	head -c 6M /dev/urandom >"$BED_DIR/proto.raw"
	expect_rc 0 "$VV" -c "$HC" backup --image "$BED_DIR/proto.raw" --name proto
	expect_rc 0 "$VV" -c "$HC" forget proto@latest
	# Its chunks are unreferenced now. A backup of the same image (none of
	# its group left to seed from: it will ask the store for each chunk)...
	VIRTVAULT_TEST_STALL=seeded VIRTVAULT_TEST_STALL_MARKER=$marker \
		"$VV_FAULTS" -c "$HC" backup --image "$BED_DIR/proto.raw" --name proto --json \
		>"$BED_DIR/proto.out" 2>&1 &
	bpid=$!
	wait_for 20 test -f "$marker" || { kill "$bpid"; wait "$bpid" || true; return 1; }
	# ...and holds its shared lock: prune may not delete.
	expect_rc 1 "$VV" -c "$HC" prune || rc=1
	expect_in "is busy: shared lock" || rc=1
	expect_in "backup proto" || rc=1
	expect_rc 0 "$VV" -c "$HC" locks || rc=1
	expect_in "backup proto" || rc=1
	# A dry run takes no lock and sees the chunks as unused for now.
	expect_rc 0 "$VV" -c "$HC" prune --dry-run --json || rc=1
	[ "$(json_field chunks_unused)" = 6 ] || fail "dry run: $OUT" || rc=1
	rm -f "$marker"
	wait "$bpid" || fail "the stalled backup failed: $(cat "$BED_DIR/proto.out")" || rc=1
	[ "$rc" = 0 ] || return 1
	grep -q '"chunks_new":0' "$BED_DIR/proto.out" || fail "the backup uploaded again: $(cat "$BED_DIR/proto.out")"
	# Now the chunks are referenced again: nothing to delete, all restores.
	expect_rc 0 "$VV" -c "$HC" prune --json
	[ "$(json_field chunks_unused)" = 0 ] || fail "prune deleted chunks of the new snapshot: $OUT"
	expect_rc 0 "$VV" -c "$HC" verify --deep
	expect_in "1 snapshot checked (deep): 0 problems"
}

# A killed backup leaves a stale lock and orphans; prune (and the next
# backup) do not wait for it, and prune collects both.
test_lifecycle_prune_after_kill() {
	local rd=$BED_DIR/killrepo marker=$BED_DIR/kill.seeded bpid
	host_conf k hostk "file://$rd"
	printf 'lock_wait = 2s\n' >>"$HC"
	expect_rc 0 "$VV" -c "$HC" init
	head -c 4M /dev/urandom >"$BED_DIR/kill.raw"
	expect_rc 0 "$VV" -c "$HC" backup --image "$BED_DIR/kill.raw" --name kill
	head -c 4M /dev/urandom >"$BED_DIR/kill2.raw"
	VIRTVAULT_TEST_STALL=seeded VIRTVAULT_TEST_STALL_MARKER=$marker \
		"$VV_FAULTS" -c "$HC" backup --image "$BED_DIR/kill2.raw" --name kill >/dev/null 2>&1 &
	bpid=$!
	wait_for 20 test -f "$marker" || { kill "$bpid"; wait "$bpid" || true; return 1; }
	kill -9 "$bpid"
	wait "$bpid" 2>/dev/null || true
	rm -f "$marker"
	expect_rc 0 "$VV" -c "$HC" locks
	expect_in "its process $bpid on this machine is gone"
	expect_rc 0 "$VV" -c "$HC" backup --image "$BED_DIR/kill.raw" --name kill
	expect_rc 0 "$VV" -c "$HC" prune --json
	[ "$(json_field locks_stale)" = 1 ] || fail "the stale lock was not removed: $OUT"
	expect_rc 0 "$VV" -c "$HC" locks --json
	[ "$(json_len)" = 0 ] || fail "locks left: $OUT"
	# A temporary file of an interrupted put, old enough, is debris.
	mkdir -p "$rd/chunks/ff"
	: >"$rd/chunks/ff/ffff.tmp-123"
	touch -d '2 hours ago' "$rd/chunks/ff/ffff.tmp-123"
	expect_rc 0 "$VV" -c "$HC" prune --json
	[ "$(json_field debris)" = 1 ] || fail "the temporary file was not collected: $OUT"
	[ ! -e "$rd/chunks/ff/ffff.tmp-123" ] || fail "the temporary file is still there"
	# unlock: stale ones only, unless --force.
	expect_rc 0 "$VV" -c "$HC" unlock
	expect_in "0 locks removed"
}

# verify --deep reads each distinct chunk once; a bad chunk is moved aside
# and the next backup of the same data heals every snapshot that uses it.
test_lifecycle_verify_once_and_heal() {
	local rd=$BED_DIR/healrepo out=$BED_DIR/healout chunk snap1 name
	host_conf h hosth "file://$rd"
	expect_rc 0 "$VV" -c "$HC" init
	mkdir -p "$out"
	head -c 4M /dev/urandom >"$BED_DIR/heal.raw"
	for _ in 1 2 3; do
		expect_rc 0 "$VV" -c "$HC" backup --image "$BED_DIR/heal.raw" --name heal --json
	done
	snap1=$(json_field snapshot)
	expect_rc 0 "$VV" -c "$HC" verify --deep --json
	[ "$(json_field chunks_read)" = 4 ] || fail "3 snapshots of 4 chunks: expected 4 reads: $OUT"
	expect_rc 2 "$VV" -c "$HC" verify --deep --sample 0
	expect_rc 2 "$VV" -c "$HC" verify --deep --sample 101
	# One flipped bit.
	chunk=$(find "$rd/chunks" -type f | sort | head -n 1)
	name=${chunk#"$rd"/}
	python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[len(b)//2]^=4; open(p,'wb').write(b)" "$chunk"
	expect_rc 1 "$VV" -c "$HC" verify --deep
	expect_in "$name: authentication failed"
	expect_in "moved aside to quarantine/$name"
	expect_in "broken snapshots"
	expect_in "virtvault forget "
	expect_in "$snap1"
	[ -f "$rd/quarantine/$name" ] || fail "the bad chunk is not in quarantine/"
	[ ! -e "$chunk" ] || fail "the bad chunk is still in chunks/"
	expect_rc 1 "$VV" -c "$HC" verify --json
	[ "$(python3 -c 'import json,sys; print(len(json.loads(sys.stdin.read().splitlines()[-1])["broken"]))' <<<"$OUT")" = 3 ] ||
		fail "expected 3 broken snapshots: $OUT"
	# The same data again: the chunk is stored anew, and all three heal.
	expect_rc 0 "$VV" -c "$HC" backup --image "$BED_DIR/heal.raw" --name heal --json
	[ "$(json_field chunks_new)" = 1 ] || fail "the bad chunk was not stored again: $OUT"
	expect_rc 0 "$VV" -c "$HC" verify --deep
	expect_in "4 snapshots checked (deep): 0 problems"
	expect_rc 0 "$VV" -c "$HC" restore "$snap1" --to "$out"
	cmp -s "$out/heal.raw" "$BED_DIR/heal.raw" || fail "the healed snapshot does not restore"
	# A sample reads a random part of the distinct chunks (4 + 40 here).
	head -c 40M /dev/urandom >"$BED_DIR/sample.raw"
	expect_rc 0 "$VV" -c "$HC" backup --image "$BED_DIR/sample.raw" --name sample
	expect_rc 0 "$VV" -c "$HC" verify --deep --sample 50 --json
	python3 -c "import sys; n=int(sys.argv[1]); sys.exit(0 if 5 <= n <= 39 else 1)" \
		"$(json_field chunks_read)" || fail "a 50 % sample of 44 chunks read: $OUT"
}

# key_ids: the KIDs of `key list --json` in $OUT, current first.
key_ids() {
	python3 -c 'import json,sys; l=json.load(sys.stdin); l.sort(key=lambda k: not k["current"]); print(" ".join(k["kid"] for k in l))' <<<"$OUT"
}

test_lifecycle_keys_and_export() {
	local rd=$BED_DIR/keyrepo out=$BED_DIR/keyout ids first second
	host_conf key hostkey "file://$rd"
	mkdir -p "$out"
	expect_rc 0 "$VV" -c "$HC" init
	expect_in "virtvault key export --to FILE"
	head -c 3M /dev/urandom >"$BED_DIR/keyed.raw"
	expect_rc 0 "$VV" -c "$HC" backup --image "$BED_DIR/keyed.raw" --name keyed
	expect_rc 0 "$VV" -c "$HC" key list --json
	[ "$(json_len)" = 1 ] || fail "$OUT"
	first=$(key_ids)
	# A second password.
	printf 'second password\n' >"$BED_DIR/pw2"
	chmod 644 "$BED_DIR/pw2"
	expect_rc 1 "$VV" -c "$HC" key add --new-password-file "$BED_DIR/pw2"
	expect_in "readable by group or others"
	chmod 600 "$BED_DIR/pw2"
	expect_rc 0 "$VV" -c "$HC" key add --new-password-file "$BED_DIR/pw2"
	expect_in "added key"
	sed -i "s|password_file = .*|password_file = $BED_DIR/pw2|" "$HC"
	expect_rc 0 "$VV" -c "$HC" key list --json
	[ "$(json_len)" = 2 ] || fail "$OUT"
	ids=$(key_ids)
	second=${ids%% *}
	[ "$second" != "$first" ] || fail "the second password opened with the first key"
	expect_rc 1 "$VV" -c "$HC" key remove "$second"
	expect_in "opened the repository"
	expect_rc 0 "$VV" -c "$HC" key remove "$first"
	expect_rc 1 "$VV" -c "$HC" key remove "$second"
	# passwd: a third password replaces the second.
	printf 'third password\n' >"$BED_DIR/pw3"
	chmod 600 "$BED_DIR/pw3"
	expect_rc 0 "$VV" -c "$HC" key passwd --new-password-file "$BED_DIR/pw3"
	expect_rc 1 "$VV" -c "$HC" list
	expect_in "wrong password"
	sed -i "s|password_file = .*|password_file = $BED_DIR/pw3|" "$HC"
	expect_rc 0 "$VV" -c "$HC" list
	# Export, and a restore when every password is lost.
	expect_rc 0 "$VV" -c "$HC" key export --to "$BED_DIR/master.key"
	[ "$(stat -c %a "$BED_DIR/master.key")" = 600 ] || fail "the exported key is not mode 0600"
	expect_rc 1 "$VV" -c "$HC" key export --to "$BED_DIR/master.key"
	expect_in "never overwritten"
	grep -q "$(cat "$BED_DIR/pw3")" "$BED_DIR/master.key" && fail "the password is in the export"
	sed -i "s|password_file = .*|master_key_file = $BED_DIR/master.key|" "$HC"
	expect_rc 0 "$VV" -c "$HC" restore keyed@latest --to "$out"
	cmp -s "$out/keyed.raw" "$BED_DIR/keyed.raw" || fail "restore with the exported key differs"
	printf 'a new start\n' >"$BED_DIR/pw4"
	chmod 600 "$BED_DIR/pw4"
	expect_rc 0 "$VV" -c "$HC" key add --new-password-file "$BED_DIR/pw4"
	sed -i "s|master_key_file = .*|password_file = $BED_DIR/pw4|" "$HC"
	expect_rc 0 "$VV" -c "$HC" verify
	# The key of another repository is refused.
	host_conf other hostother "file://$BED_DIR/otherrepo"
	expect_rc 0 "$VV" -c "$HC" init
	printf 'master_key_file = %s\n' "$BED_DIR/master.key" >>"$HC"
	sed -i "/password_file/d" "$HC"
	expect_rc 1 "$VV" -c "$HC" list
	expect_in "is the key of repository"
}

test_lifecycle_stats_diff_and_concurrent_accounting() {
	local rd=$BED_DIR/statrepo s1 s2 a b sum
	host_conf st hostst "file://$rd"
	expect_rc 0 "$VV" -c "$HC" init
	head -c 8M /dev/urandom >"$BED_DIR/stat.raw"
	expect_rc 0 "$VV" -c "$HC" backup --image "$BED_DIR/stat.raw" --name stat --json
	s1=$(json_field snapshot)
	dd if=/dev/urandom of="$BED_DIR/stat.raw" bs=4K count=1 seek=300 conv=notrunc status=none
	dd if=/dev/urandom of="$BED_DIR/stat.raw" bs=4K count=1 seek=1300 conv=notrunc status=none
	expect_rc 0 "$VV" -c "$HC" backup --image "$BED_DIR/stat.raw" --name stat --json
	s2=$(json_field snapshot)
	expect_rc 0 "$VV" -c "$HC" diff "$s1" "$s2" --json
	python3 - "$OUT" <<'PY' || fail "diff: $OUT"
import json, sys
d = json.loads(sys.argv[1])
assert len(d) == 1 and d[0]["status"] == "changed", d
assert d[0]["chunks_changed"] == 2 and d[0]["bytes_changed"] == 2 << 20, d
PY
	expect_rc 0 "$VV" -c "$HC" diff "$s2" "$s2"
	expect_in "same"
	expect_rc 0 "$VV" -c "$HC" stats --json
	python3 - "$OUT" <<'PY' || fail "stats: $OUT"
import json, sys
o = json.loads(sys.argv[1])
g = o["groups"][0]
assert (g["host"], g["name"], g["snapshots"]) == ("hostst", "stat", 2), g
assert g["logical_bytes"] == 16 << 20 and g["chunks"] == 10, g
assert 10 << 20 <= g["stored_bytes"] < 11 << 20, g
assert 1.4 < g["dedup_ratio"] < 1.7, g
assert o["repository_chunks"] == 10, o
PY
	# Two hosts back up the same new data at once: together they report
	# what the repository gained, not twice that.
	head -c 24M /dev/urandom >"$BED_DIR/twice.raw"
	host_conf st2 hostst2 "file://$rd"
	"$VV" -c "$HC" backup --image "$BED_DIR/twice.raw" --name twice --json >"$BED_DIR/twice-a" 2>&1 &
	a=$!
	host_conf st hostst "file://$rd"
	"$VV" -c "$HC" backup --image "$BED_DIR/twice.raw" --name twice --json >"$BED_DIR/twice-b" 2>&1 &
	b=$!
	wait "$a" || fail "backup a failed: $(cat "$BED_DIR/twice-a")"
	wait "$b" || fail "backup b failed: $(cat "$BED_DIR/twice-b")"
	sum=$(python3 -c 'import json,sys; print(sum(json.loads(open(f).read().splitlines()[-1])["bytes_stored"] for f in sys.argv[1:]))' \
		"$BED_DIR/twice-a" "$BED_DIR/twice-b")
	python3 -c "import sys; sys.exit(0 if $sum <= 25 * 2**20 else 1)" ||
		fail "two concurrent backups of 24 MiB report $sum bytes stored together"
}
