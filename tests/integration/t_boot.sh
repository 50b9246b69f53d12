# Boot checks (verify --boot): a snapshot booted as a throwaway domain
# without network, its guest agent asked, a command run, a screenshot
# taken, everything removed; a disk that cannot boot fails in time; a
# check killed leaves what repair removes; the original stays untouched.

BOOT_WORK=/var/tmp/virtvault-boot

# boot_conf: the configuration of these tests (their own state and repository).
boot_conf() {
	BOOT_CONF=$BED_DIR/boot.conf
	[ -f "$BOOT_CONF" ] && return 0
	printf '[agent]\nlibvirt_uri = %s\nstate_dir = %s/boot-state\n[repository]\nurl = file://%s/boot-repo\nencryption = none\n' \
		"$BED_URI" "$BED_DIR" "$BED_DIR" >"$BOOT_CONF"
	"$VV" -q -c "$BOOT_CONF" init >/dev/null
}

# boot_guest: vvtest-boot, the bed's guest with a network interface and a
# display, running, a file written in it, backed up once (reused by the
# tests that need a snapshot of a live guest). Sets BOOT_TOKEN.
boot_guest() {
	local d=$BED_DIR/boot
	boot_conf
	BOOT_TOKEN=$(cat "$BED_DIR/boot-token" 2>/dev/null) && return 0
	bed_make_disks boot
	cp "$BED_GUEST/vmlinuz" "$BED_GUEST/initrd.img" "$d/"
	: >"$d/console.log"
	# A network interface (so that its absence in the copy means something) and a display.
	bed_domain_xml boot | sed "s|</devices>|<interface type='user'><model type='virtio'/></interface><graphics type='vnc' listen='127.0.0.1' autoport='yes'/><video><model type='vga'/></video></devices>|" \
		>"$d/domain.xml"
	echo vvtest-boot >>"$BED_DIR/domains"
	virsh -q -c "$BED_URI" define "$d/domain.xml" >/dev/null || fail "cannot define vvtest-boot"
	virsh -q -c "$BED_URI" start vvtest-boot >/dev/null || fail "cannot start vvtest-boot"
	bed_wait_agent vvtest-boot 120 "$d/console.log" || fail "vvtest-boot did not come up"
	BOOT_TOKEN=token-$RANDOM$RANDOM
	guest_exec vvtest-boot "echo $BOOT_TOKEN >/data/bootcheck.txt && sync" >/dev/null ||
		fail "cannot write the file in the guest"
	expect_rc 0 "$VV" -q -c "$BOOT_CONF" backup vvtest-boot || return 1
	echo "$BOOT_TOKEN" >"$BED_DIR/boot-token"
}

# boot_domains PREFIX: the running domains whose name starts with PREFIX.
boot_domains() {
	virsh -q -c "$BED_URI" list --name | grep "^$1" || true
}

# boot_nothing_left DOMAIN: no throwaway domain, mount, work folder or journal of DOMAIN's checks.
boot_nothing_left() {
	local p=vv-boot-$1-
	[ -z "$(boot_domains "$p")" ] || fail "a throwaway domain stayed: $(boot_domains "$p")"
	! grep -q " $BOOT_WORK/$p" /proc/mounts || fail "a mount stayed: $(grep "$BOOT_WORK/$p" /proc/mounts)"
	! ls -d "$BOOT_WORK/$p"* >/dev/null 2>&1 || fail "a work folder stayed: $(ls -d "$BOOT_WORK/$p"*)"
	! ls "$BED_DIR/boot-state/bootcheck/$p"*.json >/dev/null 2>&1 || fail "a journal stayed"
	! pgrep -f "mount --allow-other -- .* $BOOT_WORK/$p" >/dev/null || fail "a mount process stayed"
}

# boot_cleanup DOMAIN: after a failed test, what a check may have left.
boot_cleanup() {
	"$VV" -q -c "$BOOT_CONF" repair "$1" >/dev/null 2>&1
	boot_domains "vv-boot-$1-" | while read -r d; do
		virsh -q -c "$BED_URI" destroy "$d" >/dev/null 2>&1
	done
	return 0
}

# The live guest's snapshot boots: the agent answers, the command reads the
# file written before the backup; the copy has no network interface and its
# display listens on 127.0.0.1; a screenshot is kept; two checks at once and
# a backup of the same domain beside them do not disturb each other.
test_boot_check_of_live_guest_answers_and_runs_command() {
	local out=$BED_DIR/boot-a.out pid pid2 dom xml t0
	boot_guest
	trap 'boot_cleanup vvtest-boot' EXIT
	t0=$(date +%s.%N)
	"$VV" -c "$BOOT_CONF" verify --boot vvtest-boot@latest --timeout 120 --screenshot "$BED_DIR/shot.png" \
		--command 'cat /data/bootcheck.txt && touch /data/go && sleep 15' >"$out" 2>&1 &
	pid=$!
	echo "$pid virtvault-boot" >>"$BED_DIR/pids"
	wait_for 120 grep -q "guest agent answered" "$out" || { cat "$out"; return 1; }
	dom=$(boot_domains vv-boot-vvtest-boot-)
	[ "$(wc -l <<<"$dom")" = 1 ] || fail "expected one throwaway domain, found: $dom"
	xml=$(virsh -q -c "$BED_URI" dumpxml "$dom")
	grep -q "<interface" <<<"$xml" && fail "the throwaway domain has a network interface: $xml"
	grep -q "<interface" "$BED_DIR/boot/domain.xml" || fail "the original has no interface: nothing tested"
	grep -q "listen='127.0.0.1'" <<<"$xml" || fail "its display does not listen on 127.0.0.1 alone: $xml"
	grep -q "$BOOT_WORK/$dom/disk-vda.qcow2" <<<"$xml" || fail "vda is not on its overlay: $xml"
	grep -q "$BED_DIR/boot/data.qcow2" <<<"$xml" && fail "the copy uses the original's disk"
	# Beside it: a second check of the same snapshot, and a backup of the domain.
	"$VV" -q -c "$BOOT_CONF" verify --boot vvtest-boot@latest --timeout 120 --json >"$BED_DIR/boot-a2.out" 2>&1 &
	pid2=$!
	echo "$pid2 virtvault-boot2" >>"$BED_DIR/pids"
	expect_rc 0 "$VV" -q -c "$BOOT_CONF" backup vvtest-boot
	wait "$pid2" || { cat "$BED_DIR/boot-a2.out"; fail "the second boot check at the same time failed"; }
	grep -q '"ok":true' "$BED_DIR/boot-a2.out" || fail "the second check's JSON: $(cat "$BED_DIR/boot-a2.out")"
	# Its command wrote /data/go in the copy's overlay, then sleeps: the
	# second check and the backup ran beside it (on a slow host they may
	# outlast it, which tests less but is no failure).
	wait "$pid" || { cat "$out"; fail "verify --boot failed"; }
	printf 'boot check of the live guest (two at once, a backup beside): %.1fs\n' "$(echo "$(date +%s.%N) - $t0" | bc)"
	OUT=$(cat "$out")
	expect_in "vvtest-boot: boot check passed"
	expect_in "$BOOT_TOKEN"
	expect_in "command exited 0"
	[ "$(head -c 4 "$BED_DIR/shot.png" | od -An -c | tr -d ' ')" = "211PNG" ] || { cat "$out"; fail "--screenshot is no PNG"; }
	[ -s "$BED_DIR/boot-state/boot/vvtest-boot.png" ] || fail "no screenshot beside the record"
	python3 - "$BED_DIR/boot-state/boot/vvtest-boot.json" "$BOOT_TOKEN" <<'PY' || fail "the boot record"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] is True and r["job"] == "manual" and r["domain"] == "vvtest-boot", r
assert r["seconds_to_agent"] > 0 and r["screenshot"] is True, r
PY
	# The original ran on and never saw the file of the copy.
	[ -z "$(guest_exec vvtest-boot 'ls /data/go 2>/dev/null')" ] || fail "the copy wrote into the original's disk"
	boot_nothing_left vvtest-boot
	trap - EXIT
}

# A domain whose only disk holds zeros cannot boot: the check fails within
# its timeout, saying why; nothing stays.
test_boot_check_zero_disk_fails_within_timeout() {
	local d=$BED_DIR/bootz t0 secs
	boot_conf
	trap 'boot_cleanup vvtest-bootz' EXIT
	mkdir -p "$d"
	qemu-img create -q -f qcow2 "$d/disk.qcow2" 32M
	cat >"$d/dom.xml" <<XML
<domain type='qemu'><name>vvtest-bootz</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
<devices>
<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
<source file='$d/disk.qcow2'/><target dev='vda' bus='virtio'/></disk>
<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
<graphics type='vnc' listen='127.0.0.1' autoport='yes'/><video><model type='vga'/></video>
</devices></domain>
XML
	echo vvtest-bootz >>"$BED_DIR/domains"
	virsh -q -c "$BED_URI" define "$d/dom.xml" >/dev/null || fail "cannot define vvtest-bootz"
	expect_rc 0 "$VV" -q -c "$BOOT_CONF" backup vvtest-bootz
	t0=$(date +%s)
	expect_rc 1 "$VV" -c "$BOOT_CONF" verify --boot vvtest-bootz@latest --timeout 15
	secs=$(($(date +%s) - t0))
	expect_in "boot check FAILED"
	expect_in "guest agent did not answer within 15 s"
	[ "$secs" -lt 60 ] || fail "the check took ${secs}s with --timeout 15"
	python3 - "$BED_DIR/boot-state/boot/vvtest-bootz.json" <<'PY' || fail "the boot record"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["ok"] is False and "did not answer within 15 s" in r["reason"] and r["seconds_to_agent"] == -1, r
PY
	# What its console showed (the firmware's complaint) is kept.
	[ -s "$BED_DIR/boot-state/boot/vvtest-bootz.png" ] || { echo "$OUT"; fail "no screenshot of the failed boot"; }
	boot_nothing_left vvtest-bootz
	# A work folder planted as a link (/var/tmp is anybody's): refused, nothing written there.
	rmdir "$BOOT_WORK" 2>/dev/null || true
	if [ ! -e "$BOOT_WORK" ]; then
		mkdir "$BED_DIR/planted"
		trap 'rm -f "$BOOT_WORK"; boot_cleanup vvtest-bootz' EXIT
		ln -s "$BED_DIR/planted" "$BOOT_WORK"
		expect_rc 1 "$VV" -c "$BOOT_CONF" verify --boot vvtest-bootz@latest --timeout 15
		expect_in "is not a folder of this user's"
		rm -f "$BOOT_WORK"
		[ -z "$(ls -A "$BED_DIR/planted")" ] || fail "the check wrote through the link: $(ls -A "$BED_DIR/planted")"
	else
		echo "skipped the planted link: $BOOT_WORK holds other checks' folders"
	fi
	trap - EXIT
}

# kill -9 of virtvault during a check: the throwaway domain and its mount
# stay; check-chain names them, repair removes them. QEMU killed during a
# check: the check fails, saying so, and removes everything itself.
test_boot_check_killed_leaves_what_repair_removes() {
	local out=$BED_DIR/boot-c.out pid dom qpid
	boot_guest
	trap 'boot_cleanup vvtest-boot' EXIT
	"$VV" -c "$BOOT_CONF" verify --boot vvtest-boot@latest --timeout 120 --command 'sleep 600' >"$out" 2>&1 &
	pid=$!
	echo "$pid virtvault-boot-kill" >>"$BED_DIR/pids"
	wait_for 120 grep -q "guest agent answered" "$out" || { cat "$out"; return 1; }
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	dom=$(boot_domains vv-boot-vvtest-boot-)
	[ -n "$dom" ] || fail "no throwaway domain after the kill: nothing for repair to do"
	grep -q " $BOOT_WORK/$dom/mnt " /proc/mounts || fail "no mount after the kill"
	expect_rc 1 "$VV" -c "$BOOT_CONF" check-chain vvtest-boot
	expect_in "a boot check of snapshot"
	expect_in "$dom"
	expect_in "run: virtvault repair vvtest-boot"
	expect_rc 0 "$VV" -c "$BOOT_CONF" repair vvtest-boot
	expect_in "vvtest-boot: repaired"
	boot_nothing_left vvtest-boot
	expect_rc 0 "$VV" -c "$BOOT_CONF" check-chain vvtest-boot
	# QEMU killed under a running check.
	"$VV" -c "$BOOT_CONF" verify --boot vvtest-boot@latest --timeout 120 --command 'sleep 600' >"$out" 2>&1 &
	pid=$!
	echo "$pid virtvault-boot-qemu" >>"$BED_DIR/pids"
	wait_for 120 grep -q "guest agent answered" "$out" || { cat "$out"; return 1; }
	dom=$(boot_domains vv-boot-vvtest-boot-)
	qpid=$(cat "/run/libvirt/qemu/$dom.pid")
	[ -n "$qpid" ] || fail "no QEMU pid of $dom"
	kill -9 "$qpid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" = 1 ] || { cat "$out"; fail "verify --boot exited $rc after QEMU was killed, expected 1"; }
	OUT=$(cat "$out")
	expect_in "boot check FAILED"
	boot_nothing_left vvtest-boot
	trap - EXIT
}

# The original's disks, definition, UEFI variables and TPM state are
# byte-identical after a boot check (shut off, so that nothing else
# writes them): the bed's guest, and a UEFI + TPM domain (no agent: the
# check fails, its copies of the firmware state are still made and removed).
test_boot_check_leaves_original_identical() {
	local d=$BED_DIR/booti before after tpmdirs st=/var/lib/libvirt/swtpm t0
	boot_conf
	trap 'boot_cleanup vvtest-booti; boot_cleanup vvtest-bootefi' EXIT
	bed_make_disks booti
	cp "$BED_GUEST/vmlinuz" "$BED_GUEST/initrd.img" "$d/"
	: >"$d/console.log"
	bed_domain_xml booti vv.nowriter >"$d/domain.xml"
	echo vvtest-booti >>"$BED_DIR/domains"
	virsh -q -c "$BED_URI" define "$d/domain.xml" >/dev/null || fail "cannot define vvtest-booti"
	expect_rc 0 "$VV" -q -c "$BOOT_CONF" backup vvtest-booti
	before=$(sha256sum "$d/data.qcow2" "$d/scratch.raw" "$d/console.log"; virsh -q -c "$BED_URI" dumpxml --inactive vvtest-booti | sha256sum)
	t0=$(date +%s.%N)
	expect_rc 0 "$VV" -c "$BOOT_CONF" verify --boot vvtest-booti@latest --timeout 120 --command 'test -e /data/lost+found'
	printf 'one boot check (start to agent to command to clean-up): %.1fs\n' "$(echo "$(date +%s.%N) - $t0" | bc)"
	echo "$OUT"
	after=$(sha256sum "$d/data.qcow2" "$d/scratch.raw" "$d/console.log"; virsh -q -c "$BED_URI" dumpxml --inactive vvtest-booti | sha256sum)
	[ "$before" = "$after" ] || fail "the original changed: $before / $after"
	boot_nothing_left vvtest-booti
	# UEFI variables and TPM state (efi_domain: t_whole.sh).
	efi_domain bootefi
	expect_rc 0 "$VV" -q -c "$BOOT_CONF" backup vvtest-bootefi
	tpmdirs=$(ls "$st" | sort)
	before=$(sha256sum "$EFI_D/bootefi_VARS.fd" "$EFI_D/disk.qcow2" "$st/$EFI_UUID/tpm2/"*; virsh -q -c "$BED_URI" dumpxml --inactive vvtest-bootefi | sha256sum)
	expect_rc 1 "$VV" -c "$BOOT_CONF" verify --boot vvtest-bootefi@latest --timeout 20
	expect_in "guest agent did not answer within 20 s"
	after=$(sha256sum "$EFI_D/bootefi_VARS.fd" "$EFI_D/disk.qcow2" "$st/$EFI_UUID/tpm2/"*; virsh -q -c "$BED_URI" dumpxml --inactive vvtest-bootefi | sha256sum)
	[ "$before" = "$after" ] || fail "the UEFI domain changed: $before / $after"
	[ "$tpmdirs" = "$(ls "$st" | sort)" ] || fail "a TPM state folder stayed: $(ls "$st")"
	boot_nothing_left vvtest-bootefi
	trap - EXIT
}

# verify --boot --job: each domain of the job, its newest snapshot of this
# host, recorded with the job's name; a domain without one fails; exit 1.
test_boot_check_job_checks_each_domain() {
	local c=$BED_DIR/boot-job.conf d=$BED_DIR/bootn
	boot_guest
	trap 'boot_cleanup vvtest-boot' EXIT
	mkdir -p "$d"
	qemu-img create -q -f qcow2 "$d/disk.qcow2" 16M
	echo vvtest-bootn >>"$BED_DIR/domains"
	virsh -q -c "$BED_URI" define /dev/stdin >/dev/null <<XML || fail "cannot define vvtest-bootn"
<domain type='qemu'><name>vvtest-bootn</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>
<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='$d/disk.qcow2'/><target dev='vda' bus='virtio'/></disk>
</devices></domain>
XML
	{ cat "$BOOT_CONF"; printf '[job weekly]\ndomains = vvtest-boot vvtest-bootn\n'; } >"$c"
	expect_rc 1 "$VV" -q -c "$c" verify --boot --job weekly --json
	python3 - "$OUT" <<'PY' || fail "verify --boot --job's JSON: $OUT"
import json, sys
lines = [json.loads(l) for l in sys.argv[1].splitlines() if l.startswith("{")]
recs = {r["domain"]: r for r in lines if "domain" in r}
assert lines[-1] == {"boot_checks": 2, "failed": 1}, lines[-1]
assert recs["vvtest-boot"]["ok"] is True and recs["vvtest-boot"]["job"] == "weekly", recs
assert recs["vvtest-boot"]["screenshot_file"].endswith("/boot/vvtest-boot.png"), recs
assert recs["vvtest-bootn"]["ok"] is False and "no snapshot of this host" in recs["vvtest-bootn"]["reason"], recs
PY
	python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["job"] == "weekly"' \
		"$BED_DIR/boot-state/boot/vvtest-boot.json" || fail "the record is not the job's"
	expect_rc 1 "$VV" -q -c "$c" verify --boot --job nosuch
	expect_in "no [job nosuch]"
	expect_rc 2 "$VV" -q -c "$c" verify --boot --job weekly vvtest-boot@latest
	boot_nothing_left vvtest-boot
	trap - EXIT
}
