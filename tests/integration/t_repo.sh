# The repository on file://: backup --image, list, show, restore, verify,
# and every bad input of the repository issue.

# new_repo NAME [ENCRYPTION]: a config for a new repository; sets RC (the
# config file) and RD (the repository folder), and runs init.
new_repo() {
	RD=$BED_DIR/repos/$1
	RC=$BED_DIR/repos/$1.conf
	mkdir -p "$BED_DIR/repos"
	printf 'correct horse battery staple\n' >"$BED_DIR/repos/$1.pw"
	chmod 600 "$BED_DIR/repos/$1.pw"
	cat >"$RC" <<CONF
[agent]
state_dir = $BED_DIR/state
[repository]
url = file://$RD
password_file = $BED_DIR/repos/$1.pw
encryption = ${2:-aes-256-gcm}
compression = ${3:-zstd}
CONF
	chmod 600 "$RC"
	expect_rc 0 "$VV" -c "$RC" init
}

# json_len: the length of the JSON array in $OUT.
json_len() {
	python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<<"$OUT"
}

# json_field FIELD: the field of the JSON object in $OUT (its last line).
json_field() {
	tail -n 1 <<<"$OUT" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"
}

# Generated images: random, compressible, holes, odd size, empty.
make_images() {
	local d=$1
	mkdir -p "$d"
	head -c 3M /dev/urandom >"$d/random.raw"
	yes 'Nov 25 22:00:01 host sshd[123]: Accepted publickey for root from 127.0.0.1 port 22' |
		head -c 5M >"$d/text.raw"
	truncate -s 64M "$d/holes.raw"
	dd if=/dev/urandom of="$d/holes.raw" bs=64K count=3 seek=200 conv=notrunc status=none
	head -c $((2 * 1048576 + 12345)) /dev/urandom >"$d/odd.raw"
	: >"$d/empty.raw"
}

test_repo_backup_restore_byte_identical() {
	local d=$BED_DIR/imgs1 out=$BED_DIR/out1 snap f
	new_repo r1
	make_images "$d"
	expect_rc 0 "$VV" -c "$RC" backup --image "$d/random.raw" --image "$d/text.raw" \
		--image "$d/holes.raw" --image "$d/odd.raw" --image "$d/empty.raw" --name imgs --json
	snap=$(json_field snapshot)
	[ "$(json_field chunks_zero)" -ge 60 ] || fail "holes were not recorded as zero chunks: $OUT"
	expect_rc 0 "$VV" -c "$RC" list
	expect_in "$snap"
	expect_in "imgs"
	expect_rc 0 "$VV" -c "$RC" show "${snap:0:6}"
	expect_in "holes.raw"
	expect_rc 0 "$VV" -c "$RC" show imgs@latest --json
	expect_in "\"id\":\"$snap\""
	mkdir -p "$out"
	expect_rc 0 "$VV" -c "$RC" restore imgs@latest --to "$out"
	for f in random text holes odd empty; do
		cmp "$d/$f.raw" "$out/$f.raw" || fail "$f.raw differs after restore"
	done
	# Holes stay holes.
	[ "$(du -k "$out/holes.raw" | cut -f1)" -lt 2048 ] || fail "restored holes.raw is not sparse"
	# Restore refuses to overwrite, then --force does; --disk picks one file.
	expect_rc 1 "$VV" -c "$RC" restore "$snap" --to "$out"
	expect_in "exists: refusing to overwrite it (use --force)"
	expect_rc 0 "$VV" -c "$RC" restore "$snap" --to "$out" --force --disk odd.raw
	expect_in "restored $out/odd.raw"
	expect_not_in "random.raw"
	expect_rc 0 "$VV" -c "$RC" verify --deep
	expect_in "1 snapshot checked (deep): 0 problems"
}

test_repo_dedup_and_incremental() {
	local d=$BED_DIR/imgs2 i
	new_repo r2
	mkdir -p "$d"
	head -c 32M /dev/urandom >"$d/disk.raw"
	expect_rc 0 "$VV" -c "$RC" backup --image "$d/disk.raw" --name disk --json
	[ "$(json_field chunks_new)" = 32 ] || fail "first backup: $OUT"
	# Unchanged: nothing new.
	expect_rc 0 "$VV" -c "$RC" backup --image "$d/disk.raw" --name disk --json
	[ "$(json_field chunks_new)" = 0 ] || fail "second backup stored chunks: $OUT"
	[ "$(json_field chunks_reused)" = 32 ] || fail "$OUT"
	# Five scattered 64 KiB writes in five different 1 MiB chunks.
	for i in 1 7 13 20 31; do
		dd if=/dev/urandom of="$d/disk.raw" bs=64K count=1 seek=$((i * 16 + 3)) conv=notrunc status=none
	done
	expect_rc 0 "$VV" -c "$RC" backup --image "$d/disk.raw" --name disk --json
	[ "$(json_field chunks_new)" = 5 ] || fail "after 5 scattered writes: $OUT"
	expect_rc 0 "$VV" -c "$RC" list disk --json
	[ "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<<"$OUT")" = 3 ] || fail "$OUT"
}

test_repo_sparse_qcow2_100g() {
	local d=$BED_DIR/imgs3 out=$BED_DIR/out3
	new_repo r3
	mkdir -p "$d" "$out"
	qemu-img create -q -f qcow2 "$d/big.qcow2" 100G
	qemu-io -c "write -P 0x5a 10G 3M" -c "write -P 0x33 90G 1M" "$d/big.qcow2" >/dev/null
	expect_rc 0 "$VV" -c "$RC" backup --image "$d/big.qcow2" --name big --json
	[ "$(json_field bytes_stored)" -lt 10000000 ] || fail "a 100 GiB-virtual qcow2 stored too much: $OUT"
	expect_rc 0 "$VV" -c "$RC" show big@latest
	expect_in "qcow2"
	expect_rc 0 "$VV" -c "$RC" restore big@latest --to "$out"
	cmp "$d/big.qcow2" "$out/big.qcow2" || fail "big.qcow2 differs"
	expect_rc 0 qemu-img compare -q "$d/big.qcow2" "$out/big.qcow2"
}

test_repo_wrong_password_and_bad_config() {
	new_repo r4
	head -c 1M /dev/urandom >"$BED_DIR/one.raw"
	printf 'wrong\n' >"$BED_DIR/repos/r4.pw"
	expect_rc 1 "$VV" -c "$RC" backup --image "$BED_DIR/one.raw" --name x
	expect_in "wrong password for repository file://$RD"
	[ -z "$(ls "$RD/snapshots" 2>/dev/null)" ] || fail "a snapshot was written with a wrong password"
	printf 'correct horse battery staple\n' >"$BED_DIR/repos/r4.pw"
	# A missing repository, then a corrupt config object.
	sed -i "s|url = .*|url = file://$BED_DIR/repos/none|" "$RC"
	expect_rc 1 "$VV" -c "$RC" list
	expect_in "no repository at file://$BED_DIR/repos/none (the folder $BED_DIR/repos/none does not exist): create one with 'virtvault init'"
	sed -i "s|url = .*|url = file://$RD|" "$RC"
	echo '{"format": "virtvault", "vers' >"$RD/config"
	expect_rc 1 "$VV" -c "$RC" list
	expect_in "the config object is corrupt"
	echo '{"format": "virtvault", "version": 1}' >"$RD/config"
	expect_rc 1 "$VV" -c "$RC" list
	expect_in "the config object is corrupt (missing or invalid fields)"
	# init refuses to overwrite.
	expect_rc 1 "$VV" -c "$RC" init
	expect_in "already exists: refusing to overwrite it"
}

test_repo_corrupt_missing_chunk_truncated_index() {
	local d=$BED_DIR/imgs5 out=$BED_DIR/out5 chunk snap
	new_repo r5
	mkdir -p "$d" "$out"
	head -c 4M /dev/urandom >"$d/a.raw"
	expect_rc 0 "$VV" -c "$RC" backup --image "$d/a.raw" --name a --json
	snap=$(json_field snapshot)
	expect_rc 0 "$VV" -c "$RC" verify --deep
	# One flipped bit in one chunk.
	chunk=$(find "$RD/chunks" -type f | sort | head -n 1)
	python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[len(b)//2]^=4; open(p,'wb').write(b)" "$chunk"
	expect_rc 0 "$VV" -c "$RC" verify
	expect_rc 1 "$VV" -c "$RC" verify --deep
	expect_in "snapshot $snap, file a.raw, offset"
	expect_in "chunks/$(basename "$(dirname "$chunk")")/$(basename "$chunk"): authentication failed"
	# verify moved it aside: restore finds it missing.
	expect_in "moved aside to quarantine/"
	expect_rc 1 "$VV" -c "$RC" restore "$snap" --to "$out"
	expect_in "is missing"
	expect_in "no partial file was left"
	[ -z "$(ls -A "$out")" ] || fail "restore left files: $(ls -A "$out")"
	# The chunk gone altogether.
	rm -f "$chunk"
	expect_rc 1 "$VV" -c "$RC" verify
	expect_in "is missing"
	expect_in "1 problem"
	expect_rc 1 "$VV" -c "$RC" restore "$snap" --to "$out"
	expect_in "is missing"
	[ -z "$(ls -A "$out")" ] || fail "restore left files"
	# A truncated index.
	local ix
	ix=$(find "$RD/indexes" -type f | head -n 1)
	truncate -s -7 "$ix"
	expect_rc 1 "$VV" -c "$RC" verify
	expect_in "snapshot $snap, file a.raw: index"
}

test_repo_manifest_edited_by_hand() {
	local m
	new_repo r6 none none
	head -c 1M /dev/urandom >"$BED_DIR/six.raw"
	expect_rc 0 "$VV" -c "$RC" backup --image "$BED_DIR/six.raw" --name six
	m=$(find "$RD/snapshots" -type f | head -n 1)
	# Unencrypted, the JSON is readable: change the recorded size.
	sed -i 's/"size":1048576/"size":1048577/' "$m"
	expect_rc 1 "$VV" -c "$RC" list
	expect_in "checksum mismatch (altered, corrupt, or not this object)"
	expect_in "/six/"
	# Encrypted: any change fails authentication.
	new_repo r6b
	expect_rc 0 "$VV" -c "$RC" backup --image "$BED_DIR/six.raw" --name six
	m=$(find "$RD/snapshots" -type f | head -n 1)
	python3 -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[40]^=1; open(p,'wb').write(b)" "$m"
	expect_rc 1 "$VV" -c "$RC" show six@latest
	expect_in "authentication failed"
	expect_in "no snapshot of 'six'"
}

test_repo_restore_target_errors() {
	new_repo r7
	head -c 1M /dev/urandom >"$BED_DIR/seven.raw"
	expect_rc 0 "$VV" -c "$RC" backup --image "$BED_DIR/seven.raw" --name seven
	# A target that cannot be created (below a file).
	expect_rc 1 "$VV" -c "$RC" restore seven@latest --to "$BED_DIR/seven.raw/sub"
	expect_in "restore target $BED_DIR/seven.raw/sub: Not a directory"
	expect_not_in "partial"
	mkdir -p "$BED_DIR/ro"
	mount -t tmpfs -o size=4M,ro tmpfs "$BED_DIR/ro"
	expect_rc 1 "$VV" -c "$RC" restore seven@latest --to "$BED_DIR/ro"
	umount "$BED_DIR/ro"
	expect_in "is not writable"
	expect_rc 1 "$VV" -c "$RC" restore nosuch@latest --to "$BED_DIR"
	expect_in "no snapshot of 'nosuch'"
	expect_rc 1 "$VV" -c "$RC" restore seven@latest --to "$BED_DIR" --disk vdz
	expect_in "has no file or disk named 'vdz'"
}

test_repo_full_filesystem() {
	local small=$BED_DIR/small out
	mkdir -p "$small"
	mount -t tmpfs -o size=6M tmpfs "$small"
	new_repo r8
	# Backup into a repository on a full file system.
	sed -i "s|url = .*|url = file://$small/repo|" "$RC"
	expect_rc 0 "$VV" -c "$RC" init
	head -c 4M /dev/urandom >"$BED_DIR/fits.raw"
	head -c 12M /dev/urandom >"$BED_DIR/toobig.raw"
	expect_rc 0 "$VV" -c "$RC" backup --image "$BED_DIR/fits.raw" --name fits
	expect_rc 1 "$VV" -c "$RC" backup --image "$BED_DIR/toobig.raw" --name toobig
	expect_in "No space left on device"
	expect_in "not stored; the repository holds no reference to what was written"
	# Logged once where found: no layer repeats the failure.
	expect_not_in "backup failed"
	# Still consistent: the first snapshot verifies, no manifest of the second.
	expect_rc 0 "$VV" -c "$RC" verify --deep
	expect_in "1 snapshot checked (deep): 0 problems"
	expect_rc 1 "$VV" -c "$RC" list toobig --json
	expect_in "no snapshot of" || fail "a manifest of the failed backup exists: $OUT"
	umount "$small"
	# Restore onto a full file system removes its partial files.
	new_repo r8b
	expect_rc 0 "$VV" -c "$RC" backup --image "$BED_DIR/toobig.raw" --name toobig
	mount -t tmpfs -o size=6M tmpfs "$small"
	expect_rc 1 "$VV" -c "$RC" restore toobig@latest --to "$small"
	out=$(ls -A "$small")
	umount "$small"
	expect_in "No space left on device"
	[ -z "$out" ] || fail "restore left files on the full file system: $out"
}

test_repo_image_changing_while_read() {
	local img=$BED_DIR/changing.raw pid
	new_repo r9
	head -c 256M /dev/zero | tr '\0' 'a' >"$img"
	# A writer that keeps touching the image while it is read.
	( while :; do dd if=/dev/urandom of="$img" bs=4K count=1 seek=$((RANDOM % 60000)) conv=notrunc status=none; done ) &
	pid=$!
	expect_rc 1 "$VV" -c "$RC" backup --image "$img" --name changing || { kill $pid; return 1; }
	kill $pid
	wait $pid 2>/dev/null
	expect_in "changed while being read"
	expect_rc 1 "$VV" -c "$RC" list changing --json
	expect_in "no snapshot of" || fail "a manifest of the changing image exists: $OUT"
	# An image that shrinks under the reader: cut it once chunks appear.
	head -c 1G /dev/zero | tr '\0' 'b' >"$img"
	"$VV" -c "$RC" backup --image "$img" --name shrinking >"$BED_DIR/shrink.log" 2>&1 &
	pid=$!
	wait_for 30 sh -c "find '$RD/chunks' -type f | grep -q ."
	truncate -s 1M "$img"
	wait $pid && fail "backup of a shrinking image succeeded"
	OUT=$(cat "$BED_DIR/shrink.log")
	grep -qE "shrank while being read|changed while being read" <<<"$OUT" || fail "$OUT"
	expect_rc 1 "$VV" -c "$RC" list shrinking --json
	expect_in "no snapshot of" || fail "a manifest of the shrinking image exists: $OUT"
}

# What a new user tries first, each with a clear outcome.
test_repo_rough_edges_new_user() {
	local d=$BED_DIR/rough out
	new_repo rough
	mkdir -p "$d"
	head -c 1M /dev/urandom >"$d/a.raw"
	head -c 2M /dev/urandom >"$d/b.raw"
	# Several paths after one --image, relative ones recorded absolute.
	expect_rc 0 sh -c "cd '$d' && '$VV' -c '$RC' backup --image a.raw b.raw --name vm --json"
	expect_rc 0 "$VV" -c "$RC" show vm@latest --json
	python3 -c 'import json,sys; f=json.loads(sys.argv[1])["files"]; assert [x["path"] for x in f] == [sys.argv[2] + "/a.raw", sys.argv[2] + "/b.raw"], f' "$OUT" "$d" ||
		fail "the paths recorded are not the absolute ones: $OUT"
	# --dry-run writes nothing.
	expect_rc 0 "$VV" -c "$RC" backup --image "$d/a.raw" --name dry --dry-run
	expect_in "would back up $d/a.raw (1.0 MiB) as dry"
	expect_rc 1 "$VV" -c "$RC" list dry --json
	expect_in "no snapshot of" || fail "--dry-run wrote a snapshot: $OUT"
	# A missing target folder is created, 0700.
	out=$d/new/target
	expect_rc 0 "$VV" -c "$RC" restore vm@latest --to "$out"
	[ "$(stat -c %a "$out")" = 700 ] || fail "the new target folder is mode $(stat -c %a "$out")"
	cmp "$d/b.raw" "$out/b.raw" || fail "b.raw differs"
	# --define of image files: refused before any byte is written.
	expect_rc 1 "$VV" -c "$RC" restore vm@latest --to "$d/def" --define
	expect_in "holds image files (backup --image), not a domain: --define needs a snapshot of a domain"
	[ -z "$(ls -A "$d/def" 2>/dev/null)" ] || fail "--define restored data before refusing"
	# A disk it does not have: the names it has, no word of partial files.
	expect_rc 1 "$VV" -c "$RC" restore vm@latest --to "$d/x" --disk vdz
	expect_in "has no file or disk named 'vdz'; it has: a.raw, b.raw"
	expect_not_in "partial"
	# A malformed snapshot name is a usage error; sizes print in one style.
	expect_rc 2 "$VV" -c "$RC" show 'zz!'
	expect_in "'zz!' is not a snapshot"
	expect_rc 0 "$VV" -c "$RC" config check
	expect_in "multipart_threshold = 64M"
	expect_in "chunk_size = 1M"
	# A typo in the command; global options after it.
	expect_rc 2 "$VV" -c "$RC" backpu
	expect_in "unknown command 'backpu' (did you mean 'backup'?"
	expect_rc 0 "$VV" list vm -c "$RC"
	expect_in "vm"
	# The repository's chunk size wins over the configuration's, and says so.
	printf 'chunk_size = 4M\n' >>"$RC"
	expect_rc 0 "$VV" -c "$RC" list
	expect_in "uses chunks of 1M, fixed when it was made; chunk_size = 4M in the configuration applies to new repositories only"
	# config check behaves as every command: no file at the default place, the defaults.
	if [ ! -e /etc/virtvault/virtvault.conf ]; then
		OUT=$(env -u VIRTVAULT_CONFIG "$VV" config check 2>&1)
		expect_in "no configuration file at /etc/virtvault/virtvault.conf (and no -c or VIRTVAULT_CONFIG): the defaults apply"
	fi
	# Progress on a terminal: percent and ETA for a backup and a restore.
	# (a slow disk: the shim makes each read and write of big.raw take 25 ms)
	head -c 40M /dev/urandom >"$d/big.raw"
	local slow="env LD_PRELOAD='$VV_SHIM' VV_SHIM_SLOW=big.raw:25 ASAN_OPTIONS=\${ASAN_OPTIONS:-}:verify_asan_link_order=0"
	OUT=$(script -qfec "$slow '$VV' -c '$RC' backup --image '$d/big.raw' --name eta" /dev/null 2>&1)
	expect_in "backup big.raw: "
	expect_in "% "
	expect_in ", ETA 0:"
	# The restore writes from up to 16 workers at once (direct writes): slower
	# still, so that it lasts more than a few redraws (every 0.25 s) there too.
	OUT=$(script -qfec "${slow/big.raw:25/big.raw:200} '$VV' -c '$RC' restore eta@latest --to '$d/eta'" /dev/null 2>&1)
	expect_in ", ETA 0:"
	cmp "$d/big.raw" "$d/eta/big.raw" || fail "big.raw differs"
	rm -rf "$d/big.raw" "$d/eta"
	# A name or host matching no snapshot is said, exit 1 (JSON: [] all the same).
	expect_rc 1 "$VV" -c "$RC" list vvtest-nosuch
	expect_in "no snapshot of vvtest-nosuch in the repository"
	expect_rc 1 "$VV" -c "$RC" list vvtest-nosuch --json
	OUT=$("$VV" -c "$RC" list vvtest-nosuch --json 2>/dev/null) || true
	[ "$(json_len)" = 0 ] || fail "list --json of no snapshot: $OUT"
	expect_rc 1 "$VV" -c "$RC" list --host nohost --json
	expect_in "no snapshot of any name on host nohost"
	# A repository that is not there says how to make one.
	sed -i "s|^url = .*|url = file://$d/nothing-here|" "$RC"
	expect_rc 1 "$VV" -c "$RC" list
	expect_in "no repository at file://$d/nothing-here"
	expect_in "create one with 'virtvault init'"
}

# complete_line WORD...: what bash completion offers for the last WORD.
complete_line() {
	PATH="$BED_DIR/compbin:$PATH" bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _virtvault; printf "%s\n" "${COMPREPLY[@]}"' \
		sh "$BED_TOP/packaging/completion/virtvault" "$@"
}

test_repo_bash_completion() {
	local id
	new_repo comp
	printf '[job nightly]\ndomains = %s\n' "$DOM" >>"$RC"
	head -c 1M /dev/urandom >"$BED_DIR/comp.raw"
	expect_rc 0 "$VV" -c "$RC" backup --image "$BED_DIR/comp.raw" --name comp --json
	id=$(tail -n1 <<<"$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["snapshot"])')
	mkdir -p "$BED_DIR/compbin"
	ln -sf "$VV" "$BED_DIR/compbin/virtvault"
	OUT=$(complete_line virtvault ba)
	expect_in "backup"
	OUT=$(complete_line virtvault -c "$RC" backup --j)
	expect_in "--job"
	expect_in "--json"
	OUT=$(complete_line virtvault -c "$RC" backup --job "")
	expect_in "nightly"
	OUT=$(complete_line virtvault -c "$RC" restore "")
	expect_in "$id"
	expect_in "comp@latest"
	OUT=$(complete_line virtvault -c "$RC" disks vvtest-i)
	expect_in "$DOM"
}
