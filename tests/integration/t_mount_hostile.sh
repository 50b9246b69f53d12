# The mount against other local users and against a read that spans a
# corrupt chunk: a mounted snapshot is the guests' disks in clear, so only
# root and the account QEMU runs as may read it; and a read that touches a
# bad chunk fails whole (EIO), never with a short count that a program
# (or QEMU) could take for the end of the file.

# mh_conf NAME: an encrypted file:// repository of its own in HC.
mh_conf() {
	HC=$BED_DIR/hostile-$1.conf
	printf '[agent]\nlibvirt_uri = %s\nstate_dir = %s/hostile-%s-state\n[repository]\nurl = file://%s/hostile-%s-repo\npassword_file = %s/hostile.pw\n' \
		"$BED_URI" "$BED_DIR" "$1" "$BED_DIR" "$1" "$BED_DIR" >"$HC"
	printf 'hostile-test-password\n' >"$BED_DIR/hostile.pw"
	chmod 600 "$HC" "$BED_DIR/hostile.pw"
	"$VV" -q -c "$HC" init >/dev/null
}

# qemu_user: the account libvirt runs QEMU as (qemu.conf, else Debian's).
qemu_user() {
	local u
	u=$(sed -n 's/^[[:space:]]*user[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' /etc/libvirt/qemu.conf 2>/dev/null | tail -n1)
	echo "${u:-libvirt-qemu}"
}

# as_user USER CMD...: run CMD as USER with its own group and no other.
as_user() {
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$(id -g "$u")" --clear-groups -- "$@"
}

# denied_to_nobody DIR: as nobody, listing DIR and reading each of its
# files (listed as root) fails with EACCES; at least one file is tried.
denied_to_nobody() {
	local dir=$1 f n=0
	OUT=$(as_user nobody ls "$dir" 2>&1) && fail "nobody listed $dir: $OUT"
	expect_in "Permission denied"
	while read -r f; do
		OUT=$(as_user nobody head -c 4096 "$f" 2>&1 >/dev/null) && fail "nobody read $f"
		expect_in "Permission denied"
		n=$((n + 1))
	done < <(find "$dir" -type f)
	[ "$n" -gt 0 ] || fail "no file under $dir to try"
}

# hostile_mount SNAPSHOT DIR [ARGS]: mount in the background (pid in
# HPID, recorded for the teardown) and wait until DIR is mounted.
hostile_mount() {
	local snap=$1 dir=$2
	shift 2
	mkdir -p "$dir"
	"$VV" -c "$HC" mount "$snap" "$dir" "$@" >"$dir.log" 2>&1 &
	HPID=$!
	echo "$HPID virtvault-mount" >>"$BED_DIR/pids"
	wait_for 20 mountpoint -q "$dir"
}

# hostile_unmount DIR: end the mount of DIR (SIGTERM unmounts) and wait
# for its process.
hostile_unmount() {
	kill -TERM "$HPID"
	wait "$HPID" || fail "the mount of $1 exited $?: $(cat "$1.log")"
}

# A mount, with or without --allow-other: nobody gets EACCES on the folder
# and on every file; root reads the images; with --allow-other QEMU's
# account reads them too.
test_mount_hostile_other_users_cannot_read() {
	local d=$BED_DIR/mh-src m=$BED_DIR/mh-mnt qu
	qu=$(qemu_user)
	mh_conf perm
	mkdir -p "$d"
	chmod 0755 "$d"
	head -c 3M /dev/urandom >"$d/img1.raw"
	qemu-img create -q -f qcow2 "$d/img2.qcow2" 16M
	qemu-io -c "write -P 0x5a 0 2M" "$d/img2.qcow2" >/dev/null
	chmod 0644 "$d/img1.raw" "$d/img2.qcow2"
	expect_rc 0 "$VV" -q -c "$HC" backup --image "$d/img1.raw" "$d/img2.qcow2" --name imgs
	# Plain: root's alone.
	hostile_mount imgs@latest "$m"
	cmp "$d/img1.raw" "$m/img1.raw" || fail "root cannot read the plain mount"
	denied_to_nobody "$m"
	OUT=$(as_user "$qu" head -c 1 "$m/img1.raw" 2>&1 >/dev/null) && fail "$qu read a plain mount"
	hostile_unmount "$m"
	# --allow-other: root and QEMU's account, nobody else.
	hostile_mount imgs@latest "$m" --allow-other
	cmp "$d/img1.raw" "$m/img1.raw" || fail "root cannot read the --allow-other mount"
	as_user "$qu" cmp "$d/img1.raw" "$m/img1.raw" || fail "$qu cannot read img1.raw of the --allow-other mount"
	as_user "$qu" cmp "$d/img2.qcow2" "$m/img2.qcow2" || fail "$qu cannot read img2.qcow2 of the --allow-other mount"
	denied_to_nobody "$m"
	hostile_unmount "$m"
}

# instant_agent_answers DOM: its guest agent answers.
instant_agent_answers() {
	virsh -c "$BED_URI" qemu-agent-command "$1" '{"execute":"guest-ping"}' --timeout 2 >/dev/null 2>&1
}

# restore --instant: while the guest runs on the mount (the store made slow
# so that the pull lasts), nobody can read the mount; the guest boots, the
# pull completes and the disks stand alone.
test_mount_hostile_instant_restore_mount_denied() {
	local out=$BED_DIR/mhi-out ipid mnt
	local slow=(env LD_PRELOAD="$VV_SHIM" VV_SHIM_SLOW=/chunks/:400 ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0")
	mh_conf inst
	bed_make_disks mhsrc
	cp "$BED_GUEST/vmlinuz" "$BED_GUEST/initrd.img" "$BED_DIR/mhsrc/"
	head -c 16M /dev/urandom | dd of="$BED_DIR/mhsrc/scratch.raw" conv=notrunc status=none
	bed_domain_xml mhsrc vv.nodata vv.nowriter >"$BED_DIR/mhsrc/domain.xml"
	echo vvtest-mhsrc >>"$BED_DIR/domains"
	virsh -q -c "$BED_URI" define "$BED_DIR/mhsrc/domain.xml" >/dev/null || fail "cannot define the source"
	expect_rc 0 "$VV" -q -c "$HC" backup vvtest-mhsrc
	# DIR as libvirt's images folder is: others may pass, not list.
	mkdir -p "$out"
	chmod 0711 "$out"
	echo vvtest-mhinst >>"$BED_DIR/domains"
	"${slow[@]}" "$VV" -c "$HC" restore vvtest-mhsrc@latest --to "$out" --define --name vvtest-mhinst --instant \
		>"$BED_DIR/mhi.out" 2>"$BED_DIR/mhi.err" &
	ipid=$!
	echo "$ipid virtvault-instant" >>"$BED_DIR/pids"
	wait_for 60 grep -q "domain vvtest-mhinst started" "$BED_DIR/mhi.out"
	mnt=$(ls -d "$out"/.virtvault-mount-* | grep -v '\.log$')
	mountpoint -q "$mnt" || fail "no mount at $mnt during the pull"
	kill -0 "$ipid" 2>/dev/null || fail "the pull was over before the mount could be tried"
	denied_to_nobody "$mnt"
	wait_for 60 instant_agent_answers vvtest-mhinst
	wait "$ipid" || { cat "$BED_DIR/mhi.err"; fail "restore --instant failed"; }
	OUT=$(cat "$BED_DIR/mhi.out" "$BED_DIR/mhi.err")
	expect_in "instant restore done; its disks stand alone"
	grep -q "virtvault:" /proc/mounts && fail "a virtvault mount stayed: $(grep virtvault: /proc/mounts)"
	expect_rc 0 "$VV" -c "$HC" check-chain vvtest-mhinst
	instant_agent_answers vvtest-mhinst || fail "the guest stopped answering after the pull"
	bed_down mhinst
	bed_down mhsrc
}

# A read across a chunk boundary whose second chunk is corrupt fails with
# EIO, not a short count ending at the bad chunk; reads of the good chunk
# alone still give its data.
test_mount_hostile_read_across_bad_chunk_fails_whole() {
	local d=$BED_DIR/mhc m=$BED_DIR/mhc-mnt before bad
	mh_conf chunk
	mkdir -p "$d"
	# one.raw: chunk X; two.raw: X then Y. Y's chunk is the one new object.
	head -c 1M /dev/urandom >"$d/one.raw"
	{ cat "$d/one.raw"; head -c 1M /dev/urandom; } >"$d/two.raw"
	expect_rc 0 "$VV" -q -c "$HC" backup --image "$d/one.raw" --name one
	before=$(find "$BED_DIR/hostile-chunk-repo/chunks" -type f | sort)
	expect_rc 0 "$VV" -q -c "$HC" backup --image "$d/two.raw" --name two
	bad=$(comm -13 <(echo "$before") <(find "$BED_DIR/hostile-chunk-repo/chunks" -type f | sort))
	[ "$(wc -l <<<"$bad")" = 1 ] || fail "expected one new chunk, got: $bad"
	printf '\xff' | dd of="$bad" bs=1 seek=40 conv=notrunc status=none
	hostile_mount two@latest "$m"
	OUT=$(python3 - "$m/two.raw" "$d/two.raw" 2>&1 <<'PY'
import errno, os, sys
MiB = 1 << 20
fd = os.open(sys.argv[1], os.O_RDONLY)
want = open(sys.argv[2], "rb").read()
bad = 0
def read(off, n):
    global bad
    try:
        got = os.pread(fd, n, off)
    except OSError as e:
        if e.errno != errno.EIO:
            raise
        return "EIO"
    if got != want[off:off + len(got)]:
        bad += 1
        print("WRONG DATA at %d+%d" % (off, n))
    return len(got)
# The good chunk alone, whole and in part: its data.
print("good", read(0, 64 << 10), read(MiB - 4096, 4096), read(0, MiB))
# Spanning good then bad, in several sizes: EIO each time.
print("span", read(MiB - (64 << 10), 128 << 10), read(MiB - 4096, 8192),
      read(MiB // 2, MiB), read(MiB - 1, 2))
# The bad chunk alone.
print("bad", read(MiB, 4096))
sys.exit(1 if bad else 0)
PY
) || fail "the reads: $OUT"
	echo "$OUT"
	expect_in "good 65536 4096 1048576"
	expect_in "span EIO EIO EIO EIO"
	expect_in "bad EIO"
	hostile_unmount "$m"
	OUT=$(cat "$m.log")
	expect_in "file two.raw, offset 1048576, chunk "
}
