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
