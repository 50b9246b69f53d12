# The local cache of manifests and indexes (STATE/cache/ID) gone stale:
# a snapshot forgotten and pruned by another host, a cache file corrupted,
# another repository's cache at the same URL, the cache deleted while a
# command runs. None may show a snapshot that is gone or give wrong data;
# verify --deep stays clean.

# cache_conf NAME HOST STATE URLDIR [EXTRA]: a configuration file for host
# HOST with state folder STATE on repository URLDIR; its path is printed.
cache_conf() {
	local f=$BED_DIR/cache/$1.conf
	mkdir -p "$BED_DIR/cache"
	printf 'cache test password\n' >"$BED_DIR/cache/pw"
	chmod 600 "$BED_DIR/cache/pw"
	cat >"$f" <<CONF
[agent]
host = $2
state_dir = $3
[repository]
url = file://$4
password_file = $BED_DIR/cache/pw
${5:-}
CONF
	chmod 600 "$f"
	echo "$f"
}

# cache_id URLDIR: the repository ID in URLDIR's config object.
cache_id() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$1/config"
}

# cache_count_json: how many snapshots the JSON list in $OUT holds.
cache_count_json() {
	python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<<"$OUT"
}

# cache_list_count CONF: how many snapshots 'list --json' shows (its warnings dropped).
cache_list_count() {
	"$VV" -c "$1" list --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

# cache_flip FILE: change bytes in the middle of FILE.
cache_flip() {
	local n
	n=$(stat -c %s "$1")
	printf 'XXXXXXXX' | dd of="$1" bs=1 seek=$((n / 2)) conv=notrunc status=none
}

# cache_backup CONF IMG NAME T: back up IMG as NAME at time T; prints the ID.
cache_backup() {
	"$VV" -q -c "$1" backup --image "$2" --name "$3" --time "$4" --json |
		tail -n 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["snapshot"])'
}

test_cache_forgotten_by_other_host() {
	local rd=$BED_DIR/cache/r-forget img=$BED_DIR/cache/f.raw out=$BED_DIR/cache/out-f
	local ca cb id s1 s2 s3 cdir
	ca=$(cache_conf f-a hosta "$BED_DIR/cache/state-a" "$rd")
	cb=$(cache_conf f-b hostb "$BED_DIR/cache/state-b" "$rd")
	expect_rc 0 "$VV" -c "$ca" init
	id=$(cache_id "$rd")
	head -c 3M /dev/urandom >"$img"
	s1=$(cache_backup "$ca" "$img" vm 2026-01-01T00:00:00Z)
	head -c 1M /dev/urandom | dd of="$img" conv=notrunc status=none
	s2=$(cache_backup "$ca" "$img" vm 2026-01-02T00:00:00Z)
	cp "$img" "$img.s2"
	head -c 1M /dev/urandom | dd of="$img" conv=notrunc status=none
	s3=$(cache_backup "$ca" "$img" vm 2026-01-03T00:00:00Z)
	# Host A's cache holds every manifest, and s2's index.
	expect_rc 0 "$VV" -c "$ca" list --json
	[ "$(cache_count_json)" = 3 ] || fail "list: $OUT"
	mkdir -p "$out"
	expect_rc 0 "$VV" -c "$ca" restore "$s2" --to "$out"
	cmp "$img.s2" "$out/$(basename "$img")" || fail "s2 restored wrong"
	cdir=$BED_DIR/cache/state-a/cache/$id
	[ "$(stat -c %a "$BED_DIR/cache/state-a/cache")" = 700 ] || fail "cache folder mode $(stat -c %a "$BED_DIR/cache/state-a/cache")"
	[ "$(stat -c %a "$cdir")" = 700 ] || fail "cache folder mode $(stat -c %a "$cdir")"
	[ -n "$(find "$cdir" -path "*vm*$s2")" ] || fail "s2's manifest is not in the cache"
	[ -z "$(find "$cdir" -type f ! -perm 600)" ] || fail "cache files not 0600: $(find "$cdir" -type f ! -perm 600)"
	[ -z "$(find "$cdir" -type d ! -perm 700)" ] || fail "cache folders not 0700"
	# Host B, its own state: forgets s2 and prunes its data.
	expect_rc 0 "$VV" -c "$cb" forget "$s2"
	expect_rc 0 "$VV" -c "$cb" prune
	# Host A's cache still has s2: the listing decides, not the cache.
	[ -n "$(find "$cdir" -path "*vm*$s2")" ] || fail "s2's manifest left the cache (the test proves nothing)"
	expect_rc 0 "$VV" -c "$ca" list --json
	[ "$(cache_count_json)" = 2 ] || fail "list after forget: $OUT"
	expect_not_in "$s2"
	rm -rf "$out"
	mkdir -p "$out"
	expect_rc 1 "$VV" -c "$ca" restore "$s2" --to "$out"
	expect_in "no snapshot with ID $s2"
	[ -z "$(ls -A "$out")" ] || fail "a failed restore left files: $(ls -A "$out")"
	expect_rc 1 "$VV" -c "$ca" show "hosta/vm@${s2:0:8}"
	expect_rc 0 "$VV" -c "$ca" restore vm@latest --to "$out"
	cmp "$img" "$out/$(basename "$img")" || fail "vm@latest restored wrong"
	expect_rc 0 "$VV" -c "$ca" show vm@latest --json
	expect_in "$s3"
	# The next backup on A, then a deep verify from both hosts.
	head -c 1M /dev/urandom | dd of="$img" conv=notrunc status=none
	cache_backup "$ca" "$img" vm 2026-01-04T00:00:00Z >/dev/null
	expect_rc 0 "$VV" -c "$ca" verify --deep
	expect_in "3 snapshots checked (deep): 0 problems"
	expect_rc 0 "$VV" -c "$cb" verify --deep
	expect_in "0 problems"
	[ -n "$s1" ] || fail "no first snapshot"
}

test_cache_corrupt_files() {
	local rd=$BED_DIR/cache/r-corrupt img=$BED_DIR/cache/c.raw out=$BED_DIR/cache/out-c
	local ca id cdir f k bad=0 n
	ca=$(cache_conf c-a hosta "$BED_DIR/cache/state-c" "$rd")
	expect_rc 0 "$VV" -c "$ca" init
	id=$(cache_id "$rd")
	head -c 2M /dev/urandom >"$img"
	cache_backup "$ca" "$img" vm 2026-01-01T00:00:00Z >/dev/null
	head -c 2M /dev/urandom >"$img"
	cache_backup "$ca" "$img" vm 2026-01-02T00:00:00Z >/dev/null
	mkdir -p "$out"
	expect_rc 0 "$VV" -c "$ca" list
	expect_rc 0 "$VV" -c "$ca" restore vm@latest --to "$out"
	cdir=$BED_DIR/cache/state-c/cache/$id
	n=$(find "$cdir" -type f ! -name tally | wc -l)
	[ "$n" -ge 3 ] || fail "expected manifests and an index in the cache, found $n files"
	# Every cached file altered (the byte tally too: counted again); one cut short.
	while read -r f; do cache_flip "$f"; done < <(find "$cdir" -type f)
	truncate -s 20 "$(find "$cdir" -path '*indexes*' -type f | head -n 1)"
	expect_rc 0 "$VV" -c "$ca" list
	expect_in "removed, reading it from the store"
	[ "$(grep -c '^[0-9a-f]\{16\}  .* hosta  *vm ' <<<"$OUT")" = 2 ] || fail "list with a corrupt cache: $OUT"
	[ "$(cache_list_count "$ca")" = 2 ] || fail "list --json with a corrupt cache"
	rm -rf "$out"
	mkdir -p "$out"
	expect_rc 0 "$VV" -c "$ca" restore vm@latest --to "$out"
	cmp "$img" "$out/$(basename "$img")" || fail "restored wrong from a corrupt cache"
	# verify reads the store, and keeps what it read.
	expect_rc 0 "$VV" -c "$ca" verify --deep
	expect_in "2 snapshots checked (deep): 0 problems"
	# Each bad file was replaced by the store's bytes.
	while read -r f; do
		k=${f#"$cdir"/}
		cmp -s "$f" "$rd/$k" || { bad=1; echo "cache file $k differs from the store's"; }
	done < <(find "$cdir" -type f ! -name tally)
	[ "$bad" = 0 ] || fail "cache files not replaced"
	grep -qx '[0-9][0-9]*' "$cdir/tally" || fail "the cache's tally was not counted again: $(cat "$cdir/tally")"
	[ "$(cache_list_count "$ca")" = 2 ] || fail "list after repair"
}

test_cache_other_repository_same_url() {
	local rd=$BED_DIR/cache/r-same img=$BED_DIR/cache/s.raw out=$BED_DIR/cache/out-s
	local ca old new saved=$BED_DIR/cache/saved-cache k f oldm oldi
	ca=$(cache_conf s-a hosta "$BED_DIR/cache/state-s" "$rd")
	expect_rc 0 "$VV" -c "$ca" init
	old=$(cache_id "$rd")
	head -c 2M /dev/urandom >"$img"
	cache_backup "$ca" "$img" vm 2026-01-01T00:00:00Z >/dev/null
	mkdir -p "$out"
	expect_rc 0 "$VV" -c "$ca" restore vm@latest --to "$out"
	rm -rf "$out" "$saved"
	cp -a "$BED_DIR/cache/state-s/cache/$old" "$saved"
	# The repository deleted and made again at the same URL: another ID.
	rm -rf "$rd"
	expect_rc 0 "$VV" -c "$ca" init
	new=$(cache_id "$rd")
	[ "$old" != "$new" ] || fail "the new repository has the old ID"
	head -c 2M /dev/urandom >"$img"
	cache_backup "$ca" "$img" vm 2026-01-01T00:00:00Z >/dev/null
	# The old cache copied under the new ID, and the old bytes put in
	# place of each new manifest and index.
	mkdir -p "$BED_DIR/cache/state-s/cache/$new"
	cp -a "$saved/." "$BED_DIR/cache/state-s/cache/$new/"
	oldm=$(find "$saved" -path '*snapshots*' -type f | head -n 1)
	oldi=$(find "$saved" -path '*indexes*' -type f | head -n 1)
	[ -n "$oldm" ] && [ -n "$oldi" ] || fail "the old cache lacks a manifest or an index"
	while read -r f; do
		k=${f#"$rd"/}
		mkdir -p "$(dirname "$BED_DIR/cache/state-s/cache/$new/$k")"
		case $k in
		snapshots/*) cp "$oldm" "$BED_DIR/cache/state-s/cache/$new/$k" ;;
		indexes/*) cp "$oldi" "$BED_DIR/cache/state-s/cache/$new/$k" ;;
		esac
	done < <(find "$rd/snapshots" "$rd/indexes" -type f)
	expect_rc 0 "$VV" -c "$ca" list
	expect_in "removed, reading it from the store"
	[ "$(cache_list_count "$ca")" = 1 ] || fail "list shows another repository's snapshots"
	mkdir -p "$out"
	expect_rc 0 "$VV" -c "$ca" restore vm@latest --to "$out"
	cmp "$img" "$out/$(basename "$img")" || fail "restored the other repository's data"
	expect_rc 0 "$VV" -c "$ca" verify --deep
	expect_in "1 snapshot checked (deep): 0 problems"
}

test_cache_deleted_mid_run() {
	local rd=$BED_DIR/cache/r-del img=$BED_DIR/cache/d.raw out=$BED_DIR/cache/out-d
	local ca id i pid deadline rc=0 st=$BED_DIR/cache/state-d
	ca=$(cache_conf d-a hosta "$st" "$rd")
	expect_rc 0 "$VV" -c "$ca" init
	id=$(cache_id "$rd")
	head -c 64K /dev/urandom >"$img"
	for i in $(seq 10 39); do
		printf '%s' "$i" | dd of="$img" conv=notrunc status=none
		cache_backup "$ca" "$img" "vm$((i % 3))" "2026-01-01T00:00:${i}Z" >/dev/null
	done
	# Lists run while the cache is deleted again and again.
	(
		for i in 1 2 3 4 5 6; do
			n=$("$VV" -q -c "$ca" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
			[ "$n" = 30 ] || { echo "list $i saw $n snapshots"; exit 1; }
		done
	) >"$BED_DIR/cache/del-lists.log" 2>&1 &
	pid=$!
	deadline=$(($(date +%s) + 120))
	while kill -0 "$pid" 2>/dev/null; do
		rm -rf "$st/cache" 2>/dev/null || true
		sleep 0.05
		[ "$(date +%s)" -lt "$deadline" ] || { kill "$pid"; fail "lists did not finish"; break; }
	done
	wait "$pid" || rc=$?
	[ "$rc" = 0 ] || fail "a list went wrong: $(cat "$BED_DIR/cache/del-lists.log")"
	# Between steps: deleted after show, before restore.
	expect_rc 0 "$VV" -c "$ca" show vm0@latest
	rm -rf "$st/cache"
	mkdir -p "$out"
	expect_rc 0 "$VV" -c "$ca" restore vm0@latest --to "$out"
	cmp "$img" "$out/$(basename "$img")" || fail "vm0@latest restored wrong"
	[ "$(stat -c %a "$st/cache/$id")" = 700 ] || fail "cache made again with mode $(stat -c %a "$st/cache/$id")"
	expect_rc 0 "$VV" -c "$ca" verify --deep
	expect_in "30 snapshots checked (deep): 0 problems"
}

test_cache_off() {
	local rd=$BED_DIR/cache/r-off img=$BED_DIR/cache/o.raw ca co st=$BED_DIR/cache/state-o
	ca=$(cache_conf o-a hosta "$st" "$rd")
	co=$(cache_conf o-b hosta "$st" "$rd" "cache_size = 0")
	expect_rc 0 "$VV" -c "$ca" init
	head -c 1M /dev/urandom >"$img"
	cache_backup "$ca" "$img" vm 2026-01-01T00:00:00Z >/dev/null
	rm -rf "$st/cache"
	expect_rc 0 "$VV" --no-cache -c "$ca" list
	expect_in "vm"
	expect_rc 0 "$VV" -c "$ca" show vm@latest --no-cache
	[ ! -e "$st/cache" ] || fail "--no-cache wrote $(find "$st/cache")"
	expect_rc 0 "$VV" -c "$co" list
	expect_rc 0 "$VV" -c "$co" show vm@latest
	[ ! -e "$st/cache" ] || fail "cache_size = 0 wrote $(find "$st/cache")"
	expect_rc 0 "$VV" -c "$ca" list
	[ -n "$(find "$st/cache" -path '*snapshots*' -type f)" ] || fail "the cache was not written"
}
