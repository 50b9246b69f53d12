# The restore's writes (repo/restore_io.c): direct I/O from parallel
# workers, blocks allocated before the first write, holes kept, an odd
# tail; what a failed write or a full file system leaves and says.

# rio_setup NAME: a repository RIC of its own with one snapshot 'rio' of
# RIO_IMG, an image of holes between chunks, random and text chunks and a
# short last chunk (6 MiB + 12345 bytes: chunks 1 and 4 are holes).
rio_setup() {
	RIO_IMG=$BED_DIR/rio-$1/rio.raw
	RIC=$BED_DIR/rio-$1.conf
	mkdir -p "$BED_DIR/rio-$1"
	printf '[agent]\nlibvirt_uri = %s\nstate_dir = %s/rio-%s-state\n[repository]\nurl = file://%s/rio-%s-repo\npassword_file = %s/rio.pw\n' \
		"$BED_URI" "$BED_DIR" "$1" "$BED_DIR" "$1" "$BED_DIR" >"$RIC"
	printf 'restore-io-password\n' >"$BED_DIR/rio.pw"
	chmod 600 "$RIC" "$BED_DIR/rio.pw"
	"$VV" -q -c "$RIC" init >/dev/null
	truncate -s $((6 * 1048576 + 12345)) "$RIO_IMG"
	dd if=/dev/urandom of="$RIO_IMG" bs=1M count=1 conv=notrunc status=none
	dd if=/dev/urandom of="$RIO_IMG" bs=1M count=1 seek=2 conv=notrunc status=none
	yes 'Nov 25 22:00:01 host sshd[123]: Accepted publickey' | head -c 1M |
		dd of="$RIO_IMG" bs=1M seek=3 conv=notrunc status=none
	dd if=/dev/urandom of="$RIO_IMG" bs=1M count=1 seek=5 conv=notrunc status=none
	dd if=/dev/urandom of="$RIO_IMG" bs=12345 count=1 seek=$((6 * 1048576)) oflag=seek_bytes \
		conv=notrunc status=none
	expect_rc 0 "$VV" -c "$RIC" backup --image "$RIO_IMG" --name rio --json
}

test_restore_io_identical_sparse_and_not_cached() {
	local out=$BED_DIR/rio-out cached want
	rio_setup same
	mkdir -p "$out"
	expect_rc 0 "$VV" -c "$RIC" restore rio@latest --to "$out" --sha256
	# Written directly: none of the image is left in the page cache but
	# its odd tail (buffered writes leave all of it). Before anything
	# reads it.
	cached=$(fincore --bytes --noheadings --output RES "$out/rio.raw" | tr -d ' ')
	[ "$cached" -le 16384 ] || fail "the restore left $cached bytes of the image in the page cache"
	cmp "$RIO_IMG" "$out/rio.raw" || fail "the restored image differs"
	want=$(sha256sum <"$RIO_IMG" | cut -d' ' -f1)
	expect_in "sha256 $want"
	# Holes stay holes: 4 MiB and the tail allocated, not the 2 MiB of holes.
	[ "$(du -B1 "$out/rio.raw" | cut -f1)" -lt $((5 * 1048576)) ] ||
		fail "the holes were written: $(du -B1 "$out/rio.raw")"
	# Again over it (--force), identical.
	expect_rc 0 "$VV" -c "$RIC" restore rio@latest --to "$out" --force
	cmp "$RIO_IMG" "$out/rio.raw" || fail "the image restored over the first differs"
}

test_restore_io_write_error_names_file_and_offset() {
	local out=$BED_DIR/rio-werr-out VV_SHIM=${VV_SHIM:-$top/build/tests/libvvshim.so}
	rio_setup werr
	mkdir -p "$out"
	# Every write from 3 MiB on fails: the workers stop, one of them says where.
	expect_rc 1 shim VV_SHIM_WEIO="rio.raw.virtvault-partial:3145728" -- \
		"$VV" -c "$RIC" restore rio@latest --to "$out"
	grep -qE "restore of rio.raw: cannot write at offset (3145728|5242880|6291456): Input/output error" <<<"$OUT" ||
		fail "no message naming the file and the offset: $OUT"
	[ -z "$(ls -A "$out")" ] || fail "the failed restore left files: $(ls -A "$out")"
}

test_restore_io_full_filesystem_found_before_writing() {
	local small=$BED_DIR/rio-small out
	rio_setup full
	mkdir -p "$small"
	mount -t tmpfs -o size=3M tmpfs "$small"
	expect_rc 1 "$VV" -c "$RIC" restore rio@latest --to "$small"
	out=$(ls -A "$small")
	umount "$small"
	# The blocks of the first run of data (chunk 0) fit; those of chunks 2-3 or 5-6 do not.
	grep -qE "restore of rio.raw: cannot allocate $small/rio.raw.virtvault-partial at offset (2097152|5242880): No space left on device" <<<"$OUT" ||
		fail "the full file system was not found before the writes: $OUT"
	[ -z "$out" ] || fail "restore left files on the full file system: $out"
}
