# The whole VM: UEFI variables (NVRAM) and emulated TPM state are backed
# up with the disks, and a restore --define gives the new domain its own
# copies with the original content.

# efi_domain NAME: a UEFI (OVMF) + TPM 2.0 domain with a small qcow2 disk,
# started once (libvirt makes its NVRAM from the template and swtpm its
# state) and left shut off. Sets EFI_D (its folder) and EFI_UUID.
efi_domain() {
	EFI_D=$BED_DIR/$1
	mkdir -p "$EFI_D"
	qemu-img create -q -f qcow2 "$EFI_D/disk.qcow2" 64M
	qemu-io -c "write -P 0x5a 0 1M" "$EFI_D/disk.qcow2" >/dev/null
	cat >"$EFI_D/dom.xml" <<XML
<domain type='qemu'><name>vvtest-$1</name><memory unit='MiB'>128</memory>
<os><type arch='x86_64' machine='q35'>hvm</type>
<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>
<nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'>$EFI_D/$1_VARS.fd</nvram></os>
<features><acpi/></features>
<devices>
<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
<source file='$EFI_D/disk.qcow2'/><target dev='vda' bus='virtio'/></disk>
<tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>
<graphics type='vnc' listen='127.0.0.1' autoport='yes'/>
</devices></domain>
XML
	echo "vvtest-$1" >>"$BED_DIR/domains"
	virsh -q -c "$BED_URI" define "$EFI_D/dom.xml" >/dev/null
	EFI_UUID=$(virsh -q -c "$BED_URI" domuuid "vvtest-$1")
	virsh -q -c "$BED_URI" start "vvtest-$1" >/dev/null
	virsh -q -c "$BED_URI" destroy "vvtest-$1" >/dev/null
	# Variables of its own, so that a copy of the template would not pass.
	head -c 4096 /dev/urandom | dd of="$EFI_D/$1_VARS.fd" bs=4096 seek=100 conv=notrunc status=none
}

test_whole_uefi_tpm_state_backed_up_and_restored_as_own_copies() {
	local c=$BED_DIR/whole.conf out=$BED_DIR/whole-out id uuid2 nv2 st=/var/lib/libvirt/swtpm
	efi_domain efi
	[ -f "$st/$EFI_UUID/tpm2/tpm2-00.permall" ] || fail "swtpm made no state for the test domain"
	cp "$st/$EFI_UUID/tpm2/tpm2-00.permall" "$BED_DIR/efi-permall"
	cp "$EFI_D/efi_VARS.fd" "$BED_DIR/efi-vars"
	printf '[agent]\nlibvirt_uri = %s\nstate_dir = %s/whole-state\n[repository]\nurl = file://%s/whole-repo\nencryption = none\n' \
		"$BED_URI" "$BED_DIR" "$BED_DIR" >"$c"
	"$VV" -q -c "$c" init >/dev/null
	# Shut off: the files as they are.
	expect_rc 0 "$VV" -c "$c" backup vvtest-efi
	expect_rc 0 "$VV" -c "$c" show vvtest-efi@latest
	expect_in "nvram/efi_VARS.fd"
	expect_in "UEFI variables (NVRAM)"
	expect_in "tpm/tpm2-00.permall"
	expect_in "TPM state"
	id=$(head -n 1 <<<"$OUT" | awk '{print $2}')
	# Running (OVMF waits in its firmware; no agent): read live.
	virsh -q -c "$BED_URI" start vvtest-efi >/dev/null
	expect_rc 0 "$VV" -c "$c" backup vvtest-efi --quiesce off
	expect_rc 0 "$VV" -c "$c" show vvtest-efi@latest --json
	python3 - "$OUT" <<'PY' || fail "the live snapshot's files: $OUT"
import json, sys
f = {x["name"]: x for x in json.loads(sys.argv[1])["files"]}
assert f["nvram/efi_VARS.fd"]["kind"] == "nvram" and "disk" not in f["nvram/efi_VARS.fd"], f
assert f["tpm/tpm2-00.permall"]["kind"] == "tpm", f
assert "kind" not in f["disk.qcow2"], f
PY
	virsh -q -c "$BED_URI" destroy vvtest-efi >/dev/null
	# (firmware and swtpm may have written to them while it ran)
	cp "$EFI_D/efi_VARS.fd" "$BED_DIR/efi-vars-now"
	cp "$st/$EFI_UUID/tpm2/tpm2-00.permall" "$BED_DIR/efi-permall-now"
	# Restored (the shut-off snapshot) as a new domain: its own NVRAM (in the target) and TPM state
	# (libvirt's place for its new UUID), with the original content.
	echo "vvtest-efi2" >>"$BED_DIR/domains"
	expect_rc 0 "$VV" -c "$c" restore "$id" --to "$out" --define --name vvtest-efi2
	expect_in "defined domain vvtest-efi2"
	uuid2=$(virsh -q -c "$BED_URI" domuuid vvtest-efi2)
	[ "$uuid2" != "$EFI_UUID" ] || fail "the new domain has the original's UUID"
	nv2=$(virsh -q -c "$BED_URI" dumpxml --inactive vvtest-efi2 | sed -n 's|.*<nvram[^>]*>\(.*\)</nvram>.*|\1|p')
	[ "$nv2" = "$out/nvram/efi_VARS.fd" ] || fail "the new domain's NVRAM is $nv2"
	cmp "$nv2" "$BED_DIR/efi-vars" || fail "the restored variables differ from the original's"
	cmp "$st/$uuid2/tpm2/tpm2-00.permall" "$BED_DIR/efi-permall" || fail "the restored TPM state differs"
	[ "$(stat -c %U "$st/$uuid2/tpm2/tpm2-00.permall")" = tss ] || fail "the TPM state is not the swtpm user's"
	# libvirt and swtpm take them: the new domain starts (and the original's stay as they were).
	expect_rc 0 virsh -q -c "$BED_URI" start vvtest-efi2
	virsh -q -c "$BED_URI" destroy vvtest-efi2 >/dev/null
	cmp "$EFI_D/efi_VARS.fd" "$BED_DIR/efi-vars-now" || fail "starting the copy changed the original's variables"
	cmp "$st/$EFI_UUID/tpm2/tpm2-00.permall" "$BED_DIR/efi-permall-now" || fail "the original's TPM state changed"
	bed_down efi2
	bed_down efi
}

# export → GNU tar → the same bytes, holes kept; import into another
# repository (another chunk size) → restore → identical; a cut archive
# publishes nothing; a pipe with zstd; a domain's export defines again.
test_whole_export_import_round_trip() {
	local d=$BED_DIR/exim c1=$BED_DIR/exim1.conf c2=$BED_DIR/exim2.conf top id
	mkdir -p "$d"
	printf '[agent]\nlibvirt_uri = %s\nstate_dir = %s/exim-state\n[repository]\nurl = file://%s/exim-repo1\npassword_file = %s/exim.pw\n' \
		"$BED_URI" "$BED_DIR" "$BED_DIR" "$BED_DIR" >"$c1"
	printf '[agent]\nlibvirt_uri = %s\nstate_dir = %s/exim-state\n[repository]\nurl = file://%s/exim-repo2\nencryption = none\nchunk_size = 256K\n' \
		"$BED_URI" "$BED_DIR" "$BED_DIR" >"$c2"
	printf 'exim password\n' >"$BED_DIR/exim.pw"
	chmod 600 "$c1" "$c2" "$BED_DIR/exim.pw"
	"$VV" -q -c "$c1" init >/dev/null
	"$VV" -q -c "$c2" init >/dev/null
	truncate -s 256M "$d/holes.raw"
	dd if=/dev/urandom of="$d/holes.raw" bs=1M count=2 seek=100 conv=notrunc status=none
	head -c 3000000 /dev/urandom >"$d/odd.raw"
	expect_rc 0 "$VV" -q -c "$c1" backup --image "$d/holes.raw" "$d/odd.raw" --name imgs
	expect_rc 0 "$VV" -c "$c1" export imgs@latest --to "$d/imgs.tar"
	expect_in "exported to $d/imgs.tar"
	expect_rc 1 "$VV" -c "$c1" export imgs@latest --to "$d/imgs.tar"
	expect_in "exists; --force overwrites it"
	# GNU tar alone: every file as its SHA-256 in MANIFEST.json says, holes kept.
	mkdir -p "$d/x"
	tar -xSf "$d/imgs.tar" -C "$d/x" || fail "GNU tar cannot extract the export"
	top=$(ls "$d/x")
	cmp "$d/holes.raw" "$d/x/$top/holes.raw" || fail "holes.raw differs after tar -xSf"
	cmp "$d/odd.raw" "$d/x/$top/odd.raw" || fail "odd.raw differs after tar -xSf"
	[ "$(du -k "$d/x/$top/holes.raw" | cut -f1)" -le 4096 ] || fail "the holes were filled: $(du -k "$d/x/$top/holes.raw")"
	(cd "$d/x/$top" && python3 -c '
import hashlib, json
m = json.load(open("MANIFEST.json"))
assert m["format"] == "virtvault-export" and m["snapshot"]["name"] == "imgs", m
for f in m["files"]:
    h = hashlib.sha256(open(f["name"], "rb").read()).hexdigest()
    assert h == f["sha256"], (f["name"], h, f["sha256"])
') || fail "a file does not match MANIFEST.json"
	# Into another repository (plain, 256K chunks): restored identical.
	expect_rc 0 "$VV" -c "$c2" import "$d/imgs.tar"
	expect_in "imported $d/imgs.tar as snapshot"
	expect_rc 0 "$VV" -c "$c2" restore imgs@latest --to "$d/r2"
	cmp "$d/holes.raw" "$d/r2/holes.raw" || fail "holes.raw differs after import and restore"
	cmp "$d/odd.raw" "$d/r2/odd.raw" || fail "odd.raw differs after import and restore"
	expect_rc 0 "$VV" -c "$c2" verify --deep
	# A pipe, compressed: dedup against what is there (nothing new stored).
	OUT=$("$VV" -q -c "$c1" export imgs@latest --to - --compress zstd | "$VV" -c "$c2" import - --name piped --json 2>&1) ||
		fail "export | import failed: $OUT"
	id=$(tail -n 1 <<<"$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["snapshot"])')
	expect_rc 0 "$VV" -c "$c2" show "$id" --json
	python3 -c 'import json,sys; m=json.loads(sys.argv[1]); assert m["name"]=="piped" and m["stats"]["chunks_new"]==0, m["stats"]' "$OUT" ||
		fail "the piped import stored chunks again: $OUT"
	# A cut archive: a clear error, nothing published.
	head -c 1500000 "$d/imgs.tar" >"$d/cut.tar"
	expect_rc 1 "$VV" -c "$c2" import "$d/cut.tar" --name cut
	expect_in "cut short"
	expect_rc 1 "$VV" -c "$c2" list cut
	# A plain tar of images needs a name.
	tar -cSf "$d/plain.tar" -C "$d" odd.raw
	expect_rc 1 "$VV" -c "$c2" import "$d/plain.tar"
	expect_in "give the snapshot a --name"
	expect_rc 0 "$VV" -c "$c2" import "$d/plain.tar" --name plain --host elsewhere
	expect_rc 0 "$VV" -c "$c2" restore elsewhere/plain@latest --to "$d/r3"
	cmp "$d/odd.raw" "$d/r3/odd.raw" || fail "the plain tar's image differs"
	# A domain's snapshot: its XML travels; restore --define from the import.
	off_domain exd 2
	expect_rc 0 "$VV" -q -c "$c1" backup vvtest-exd
	expect_rc 0 "$VV" -c "$c1" export vvtest-exd@latest --to "$d/exd.tar"
	expect_rc 0 "$VV" -c "$c2" import "$d/exd.tar"
	echo vvtest-exd-back >>"$BED_DIR/domains"
	expect_rc 0 "$VV" -c "$c2" restore vvtest-exd@latest --to "$d/r4" --define --name vvtest-exd-back
	expect_in "defined domain vvtest-exd-back"
	cmp "$BED_DIR/exd/disk.qcow2" "$d/r4/disk.qcow2" || fail "the domain's disk differs"
	bed_down exd-back
}

# loop_dev NAME MB: a loop device over a file of the bed (detached by the
# bed's teardown); prints its path.
loop_dev() {
	truncate -s "${2}M" "$BED_DIR/$1.img"
	losetup -f --show "$BED_DIR/$1.img"
}

# A block-device disk (a loop device: this kernel has no device-mapper for
# LVM, and a logical volume is read the same way) on a running guest:
# backed up live through a file overlay, restored to a file and onto
# another device, identical; what a device restore must refuse.
test_whole_block_device_disk_live_and_to_device() {
	local c=$BED_DIR/blk.conf l1 l2 l3 out=$BED_DIR/blk-out
	l1=$(loop_dev blk1 64)
	l2=$(loop_dev blk2 64)
	l3=$(loop_dev blk3 32)
	head -c 8M /dev/urandom | dd of="$l1" bs=1M seek=4 conv=fsync status=none
	# The bed's guest with a third disk: the device (no hotplug on its bus).
	bed_make_disks blk
	cp "$BED_GUEST/vmlinuz" "$BED_GUEST/initrd.img" "$BED_DIR/blk/"
	: >"$BED_DIR/blk/console.log"
	bed_domain_xml blk | sed "s|    <serial type='file'>|    <disk type='block' device='disk'><driver name='qemu' type='raw'/><source dev='$l1'/><target dev='vdc' bus='virtio'/></disk>\n&|" \
		>"$BED_DIR/blk/domain.xml"
	echo vvtest-blk >>"$BED_DIR/domains"
	virsh -q -c "$BED_URI" define "$BED_DIR/blk/domain.xml" >/dev/null || fail "cannot define the guest"
	virsh -q -c "$BED_URI" start vvtest-blk >/dev/null || fail "cannot start the guest"
	bed_wait_agent vvtest-blk 60 "$BED_DIR/blk/console.log" || fail "the guest's agent did not answer"
	printf '[agent]\nlibvirt_uri = %s\nstate_dir = %s/blk-state\n[repository]\nurl = file://%s/blk-repo\nencryption = none\n' \
		"$BED_URI" "$BED_DIR" "$BED_DIR" >"$c"
	"$VV" -q -c "$c" init >/dev/null
	# Its overlay is a file: without overlay_dir, said before anything is touched.
	expect_rc 1 "$VV" -c "$c" backup vvtest-blk
	expect_in "disk vdc: a block device ($l1): its snapshot overlay is a file, and needs a folder: set overlay_dir"
	mkdir -p "$BED_DIR/ovl"
	chmod 711 "$BED_DIR/ovl"
	sed -i "s|^state_dir = .*|&\noverlay_dir = $BED_DIR/ovl|" "$c"
	expect_rc 0 "$VV" -c "$c" backup vvtest-blk
	expect_in "vvtest-blk: snapshot"
	expect_rc 0 "$VV" -c "$c" check-chain vvtest-blk
	virsh -q -c "$BED_URI" domblklist vvtest-blk | grep -q "vdc .*$l1" || fail "vdc is not back on $l1"
	[ -z "$(ls "$BED_DIR/ovl")" ] || fail "an overlay is left: $(ls "$BED_DIR/ovl")"
	expect_rc 0 "$VV" -c "$c" show vvtest-blk@latest --json
	python3 -c 'import json,sys; f=[x for x in json.loads(sys.argv[1])["files"] if x.get("disk")=="vdc"]; assert len(f)==1 and f[0]["size"]==64<<20 and f[0]["path"]==sys.argv[2], f' "$OUT" "$l1" ||
		fail "vdc in the manifest: $OUT"
	# To a file.
	expect_rc 0 "$VV" -c "$c" restore vvtest-blk@latest --disk vdc --to "$out"
	cmp "$l1" "$out/$(basename "$l1")" || fail "the restored file differs from $l1"
	# Onto a device: one with a file system is refused unless --force.
	mkfs.ext4 -q -F "$l2" >/dev/null 2>&1
	expect_rc 1 "$VV" -c "$c" restore vvtest-blk@latest --to-device "vdc=$l2"
	expect_in "$l2 holds a ext4 file system or signature; --force overwrites it"
	expect_rc 0 "$VV" -c "$c" restore vvtest-blk@latest --to-device "vdc=$l2" --force --sha256
	expect_in "restored $(basename "$l1") onto $l2 (chunks verified; sha256 "
	cmp "$l1" "$l2" || fail "the restored device differs from $l1"
	# Too small, not a device, a disk of another name, with --to.
	expect_rc 1 "$VV" -c "$c" restore vvtest-blk@latest --to-device "vdc=$l3"
	expect_in "$l3 holds 33554432 bytes, the image needs 67108864"
	expect_rc 1 "$VV" -c "$c" restore vvtest-blk@latest --to-device "vdc=/dev/null"
	expect_in "/dev/null is not a block device"
	expect_rc 1 "$VV" -c "$c" restore vvtest-blk@latest --to-device "vdz=$l3"
	expect_in "has no file or disk named 'vdz'"
	expect_rc 2 "$VV" -c "$c" restore vvtest-blk@latest --to-device "vdc=$l3" --to "$out"
	expect_in "--to and --to-device go in separate runs"
	bed_down blk
}

# mount: the snapshot's files read-only on demand; an image identical to
# the original, one file read out of its ext4 with debugfs; a corrupt chunk
# reads as EIO with a log line naming it, never wrong data.
test_whole_mount_reads_on_demand_and_fails_corrupt_chunks() {
	local c=$BED_DIR/mnt.conf d=$BED_DIR/mnt-src m=$BED_DIR/mnt mpid
	mkdir -p "$d/root" "$m"
	printf 'the file we came for\n' >"$d/root/hello.txt"
	head -c 3M /dev/urandom >"$d/root/blob"
	mkfs.ext4 -q -F -d "$d/root" "$d/ext4.raw" 32M || fail "mkfs.ext4"
	qemu-img convert -O qcow2 "$d/ext4.raw" "$d/ext4.qcow2"
	printf 'mount password\n' >"$BED_DIR/mnt.pw"
	printf '[agent]\nstate_dir = %s/mnt-state\n[repository]\nurl = file://%s/mnt-repo\npassword_file = %s/mnt.pw\n' \
		"$BED_DIR" "$BED_DIR" "$BED_DIR" >"$c"
	chmod 600 "$c" "$BED_DIR/mnt.pw"
	"$VV" -q -c "$c" init >/dev/null
	expect_rc 0 "$VV" -q -c "$c" backup --image "$d/ext4.raw" "$d/ext4.qcow2" --name fsimg
	"$VV" -c "$c" mount fsimg@latest "$m" >"$BED_DIR/mnt.log" 2>&1 &
	mpid=$!
	echo "$mpid virtvault-mount" >>"$BED_DIR/pids"
	wait_for 20 mountpoint -q "$m"
	cmp "$d/ext4.raw" "$m/ext4.raw" || fail "the mounted raw image differs"
	cmp "$d/ext4.qcow2" "$m/ext4.qcow2" || fail "the mounted qcow2 image differs"
	[ "$(debugfs -R 'cat /hello.txt' "$m/ext4.raw" 2>/dev/null)" = "the file we came for" ] ||
		fail "debugfs could not read hello.txt from the mounted image"
	touch "$m/new" 2>/dev/null && fail "the mount is writable"
	# SIGTERM: unmounted, exit 0.
	kill -TERM "$mpid"
	wait "$mpid" || fail "the mount exited $?"
	mountpoint -q "$m" && fail "still mounted after SIGTERM"
	expect_rc 0 cat "$BED_DIR/mnt.log"
	expect_in "unmounted from $m"
	# Every chunk corrupted: reads fail with EIO, naming the chunk.
	find "$BED_DIR/mnt-repo/chunks" -type f | while read -r f; do
		printf '\xff' | dd of="$f" bs=1 seek=40 conv=notrunc status=none
	done
	"$VV" -c "$c" mount fsimg@latest "$m" >"$BED_DIR/mnt2.log" 2>&1 &
	mpid=$!
	echo "$mpid virtvault-mount" >>"$BED_DIR/pids"
	wait_for 20 mountpoint -q "$m"
	OUT=$(cat "$m/ext4.raw" 2>&1 >/dev/null) && fail "a corrupt chunk was read"
	expect_in "Input/output error"
	fusermount3 -u "$m"
	wait "$mpid" || fail "the mount exited $? after fusermount3 -u"
	expect_rc 0 cat "$BED_DIR/mnt2.log"
	expect_in "file ext4.raw, offset 0, chunk "
	expect_in "the read fails (EIO)"
}

# instant_ok DOM: its guest agent answers.
agent_answers() {
	virsh -c "$BED_URI" qemu-agent-command "$1" '{"execute":"guest-ping"}' --timeout 2 >/dev/null 2>&1
}

# restore --instant: the new guest answers its agent while the pull still
# runs (the store made slow: 400 ms a chunk, some 35 chunks); afterwards
# its disks stand alone, the mount is gone and the content is a normal
# restore's (the guest never writes its disks: vv.nodata). A restore
# killed during the pull: the guest runs on, repair finishes it.
test_whole_instant_restore_runs_before_pull_and_repairs() {
	local c=$BED_DIR/inst.conf out=$BED_DIR/inst-out out2=$BED_DIR/inst-normal ipid f
	local slow=(env LD_PRELOAD="$VV_SHIM" VV_SHIM_SLOW=/chunks/:400 ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0")
	# The source: the bed's guest, shut off, its disks full of data.
	bed_make_disks isrc
	cp "$BED_GUEST/vmlinuz" "$BED_GUEST/initrd.img" "$BED_DIR/isrc/"
	head -c 16M /dev/urandom | dd of="$BED_DIR/isrc/scratch.raw" conv=notrunc status=none
	head -c 16M /dev/urandom >"$BED_DIR/isrc/fill"
	qemu-io -c "write -s $BED_DIR/isrc/fill 32M 16M" "$BED_DIR/isrc/data.qcow2" >/dev/null
	bed_domain_xml isrc vv.nodata vv.nowriter >"$BED_DIR/isrc/domain.xml"
	echo vvtest-isrc >>"$BED_DIR/domains"
	virsh -q -c "$BED_URI" define "$BED_DIR/isrc/domain.xml" >/dev/null || fail "cannot define the source"
	printf '[agent]\nlibvirt_uri = %s\nstate_dir = %s/inst-state\n[repository]\nurl = file://%s/inst-repo\nencryption = none\n' \
		"$BED_URI" "$BED_DIR" "$BED_DIR" >"$c"
	"$VV" -q -c "$c" init >/dev/null
	expect_rc 0 "$VV" -q -c "$c" backup vvtest-isrc
	expect_rc 0 "$VV" -q -c "$c" restore vvtest-isrc@latest --to "$out2"
	# Instant: started at once, the pull after.
	echo vvtest-inst >>"$BED_DIR/domains"
	"${slow[@]}" "$VV" -c "$c" restore vvtest-isrc@latest --to "$out" --define --name vvtest-inst --instant \
		>"$BED_DIR/inst.out" 2>"$BED_DIR/inst.err" &
	ipid=$!
	echo "$ipid virtvault-instant" >>"$BED_DIR/pids"
	wait_for 60 grep -q "domain vvtest-inst started" "$BED_DIR/inst.out"
	wait_for 60 agent_answers vvtest-inst
	kill -0 "$ipid" 2>/dev/null || fail "the pull was over before the guest answered: no instant restore to see"
	[ -e "$BED_DIR/inst-state/instant/vvtest-inst.json" ] || fail "no journal during the pull"
	expect_rc 1 "$VV" -c "$c" check-chain vvtest-inst
	expect_in "an instant restore (snapshot"
	grep -q "virtvault:" /proc/mounts || fail "no mount during the pull"
	wait "$ipid" || { cat "$BED_DIR/inst.err"; tail -n 25 "$out/vvtest-inst-serial0.log" >&2; fail "restore --instant failed"; }
	OUT=$(cat "$BED_DIR/inst.out" "$BED_DIR/inst.err")
	expect_in "instant restore done; its disks stand alone"
	[ ! -e "$BED_DIR/inst-state/instant/vvtest-inst.json" ] || fail "the journal stayed"
	ls -d "$out"/.virtvault-mount-* 2>/dev/null && fail "the mount point stayed"
	grep -q "virtvault:" /proc/mounts && fail "a virtvault mount stayed: $(grep virtvault: /proc/mounts)"
	expect_rc 0 "$VV" -c "$c" check-chain vvtest-inst
	agent_answers vvtest-inst || fail "the guest stopped answering after the pull"
	# Stopped (QEMU writes out its qcow2 metadata), the disks are compared.
	virsh -q -c "$BED_URI" destroy vvtest-inst >/dev/null
	for f in data.qcow2 scratch.raw; do
		qemu-img info "$out/$f" | grep -q "backing file" && fail "$f still has a backing file"
	done
	qemu-img compare -f qcow2 -F qcow2 "$out/data.qcow2" "$out2/data.qcow2" >/dev/null ||
		fail "data.qcow2 differs from a normal restore"
	qemu-img compare -f qcow2 -F raw "$out/scratch.raw" "$out2/scratch.raw" >/dev/null ||
		fail "scratch.raw differs from a normal restore"
	bed_down inst
	# Killed during the pull: the guest runs on; repair finishes.
	echo vvtest-inst2 >>"$BED_DIR/domains"
	"${slow[@]}" "$VV" -c "$c" restore vvtest-isrc@latest --to "$out-2" --define --name vvtest-inst2 --instant \
		>"$BED_DIR/inst2.out" 2>&1 &
	ipid=$!
	echo "$ipid virtvault-instant" >>"$BED_DIR/pids"
	wait_for 60 grep -q "domain vvtest-inst2 started" "$BED_DIR/inst2.out"
	kill -9 "$ipid"
	wait "$ipid" 2>/dev/null
	wait_for 60 agent_answers vvtest-inst2
	expect_rc 0 "$VV" -c "$c" repair vvtest-inst2
	expect_in "an instant restore (snapshot"
	expect_in "vvtest-inst2: repaired"
	[ ! -e "$BED_DIR/inst-state/instant/vvtest-inst2.json" ] || fail "the journal stayed after repair"
	grep -q "virtvault:" /proc/mounts && fail "a virtvault mount stayed after repair"
	agent_answers vvtest-inst2 || fail "the guest stopped answering after repair"
	expect_rc 0 "$VV" -c "$c" check-chain vvtest-inst2
	virsh -q -c "$BED_URI" destroy vvtest-inst2 >/dev/null
	qemu-img compare -f qcow2 -F qcow2 "$out-2/data.qcow2" "$out2/data.qcow2" >/dev/null ||
		fail "data.qcow2 differs after repair"
	bed_down inst2
}
