# virtvault copy between two file:// repositories of different passwords
# ([repository] and [repository offsite]), --repo NAME on the second, and
# a copy killed with -9 after a snapshot's chunks were stored, then run again.

# copy_conf: CC, the configuration of both repositories (and one of another
# chunk size), in CD.
copy_conf() {
	CD=$BED_DIR/copy
	CC=$CD/copy.conf
	rm -rf "$CD"
	mkdir -p "$CD"
	printf 'pass-a\n' >"$CD/pa"
	printf 'pass-b\n' >"$CD/pb"
	chmod 600 "$CD/pa" "$CD/pb"
	cat >"$CC" <<CONF_EOF
[agent]
libvirt_uri = $BED_URI
host = h1
state_dir = $CD/state

[repository]
url = file://$CD/ra
password_file = $CD/pa

[repository offsite]
url = file://$CD/rb
password_file = $CD/pb
keep_last = 2

[repository small]
url = file://$CD/rc
password_file = $CD/pb
chunk_size = 512K
CONF_EOF
	chmod 600 "$CC"
}

# copy_ids CONF [--repo NAME]: the snapshot IDs of a repository, sorted, one a line.
copy_ids() {
	local c=$1
	shift
	"$VV" -c "$c" "$@" list --json | python3 -c 'import json,sys; print("\n".join(sorted(s["snapshot"] for s in json.load(sys.stdin))))'
}

test_copy_file_to_file() {
	local n id
	copy_conf
	expect_rc 0 "$VV" -q -c "$CC" init
	expect_rc 0 "$VV" -q -c "$CC" --repo offsite init
	expect_rc 0 "$VV" -q -c "$CC" --repo small init
	# Four nights: 6 MiB of data in a 12 MiB image, a little changed each night.
	head -c 6M /dev/urandom >"$CD/vm.raw"
	truncate -s 12M "$CD/vm.raw"
	for n in 1 2 3 4; do
		printf 'night %s' "$n" | dd of="$CD/vm.raw" bs=1 seek=$((n * 1048576 + 7)) conv=notrunc 2>/dev/null
		cp --sparse=always "$CD/vm.raw" "$CD/vm-$n.raw"
		expect_rc 0 "$VV" -q -c "$CC" backup --image "$CD/vm.raw" --name vm --time "2026-11-0${n}T02:00:00Z"
	done

	expect_rc 0 "$VV" -c "$CC" copy --to offsite --dry-run
	[ "$(grep -c '^would-copy' <<<"$OUT")" = 4 ] || fail "dry run: expected 4 would-copy lines: $OUT"
	[ -z "$(copy_ids "$CC" --repo offsite)" ] || fail "the dry run copied something"

	# Killed once the first snapshot's chunks and index are stored, before its manifest.
	kill_at copy-stored "$CD/kill.log" "$VV_FAULTS" -c "$CC" copy --to offsite || return 1
	[ -z "$(copy_ids "$CC" --repo offsite)" ] || fail "a snapshot was published before the kill"
	[ -n "$(ls "$CD/rb/chunks")" ] || fail "nothing was stored before the kill"
	expect_rc 0 "$VV" -c "$CC" --repo offsite verify

	expect_rc 0 "$VV" -c "$CC" copy --to offsite
	[ "$(grep -c '^copied' <<<"$OUT")" = 4 ] || fail "expected 4 copied lines: $OUT"
	expect_rc 0 "$VV" -c "$CC" copy --to offsite --json
	python3 -c 'import json,sys; o=json.loads(sys.argv[1]); assert [s["outcome"] for s in o] == ["present"] * 4, o' "$OUT" ||
		fail "the second copy did not find every snapshot present: $OUT"
	[ "$(copy_ids "$CC")" = "$(copy_ids "$CC" --repo offsite)" ] || fail "the snapshot IDs differ between the repositories"
	expect_rc 0 "$VV" -c "$CC" --repo offsite verify --deep
	for n in 1 4; do
		mkdir -p "$CD/out-$n"
		id=$("$VV" -c "$CC" --repo offsite list --json | python3 -c 'import json,sys; print([s["snapshot"] for s in json.load(sys.stdin) if s["time"].startswith("2026-11-0'"$n"'")][0])')
		expect_rc 0 "$VV" -c "$CC" --repo offsite restore "$id" --to "$CD/out-$n"
		cmp "$CD/vm-$n.raw" "$CD/out-$n/vm.raw" || fail "night $n restores differently from the copy"
	done

	# The destination's own retention; the default repository sets none.
	expect_rc 0 "$VV" -c "$CC" --repo offsite forget --repo-keep
	[ "$(copy_ids "$CC" --repo offsite | wc -l)" = 2 ] || fail "offsite's keep_last = 2 was not applied: $OUT"
	[ "$(copy_ids "$CC" | wc -l)" = 4 ] || fail "forget --repo offsite touched the default repository"
	expect_rc 2 "$VV" -c "$CC" forget --repo-keep
	expect_in "sets no keep_* key in [repository]"

	expect_rc 2 "$VV" -c "$CC" --repo nosuch list
	expect_in "$CC: no section [repository nosuch]"
	expect_rc 1 "$VV" -c "$CC" copy --to small
	expect_in "chunks of 1048576 bytes there, of 524288 here"
}
