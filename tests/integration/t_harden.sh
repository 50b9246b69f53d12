# Hardening: restores that a planted symlink cannot send elsewhere and that
# a signal leaves clean, children that never see a secret, a domain whose
# name looks like an option, a store whose clock differs.

# harden_conf NAME: an encrypted file:// repository HC of its own.
harden_conf() {
	HC=$BED_DIR/harden-$1.conf
	printf '[agent]\nlibvirt_uri = %s\nstate_dir = %s/harden-%s-state\n[repository]\nurl = file://%s/harden-%s-repo\npassword_file = %s/harden.pw\n' \
		"$BED_URI" "$BED_DIR" "$1" "$BED_DIR" "$1" "$BED_DIR" >"$HC"
	printf 'harden-test-password\n' >"$BED_DIR/harden.pw"
	chmod 600 "$HC" "$BED_DIR/harden.pw"
	"$VV" -q -c "$HC" init >/dev/null
}

test_harden_restore_refuses_symlinked_folder() {
	local d=$BED_DIR/hs out=$BED_DIR/hs-out elsewhere=$BED_DIR/hs-elsewhere snap
	harden_conf sym
	mkdir -p "$d/a" "$d/b" "$out" "$elsewhere"
	head -c 1M /dev/urandom >"$d/a/disk.raw"
	head -c 1M /dev/urandom >"$d/b/disk.raw"
	# Two disks whose images have the same name: the second restores as vdb/disk.raw.
	cat >"$d/dom.xml" <<XML
<domain type='qemu'><name>vvtest-hsym</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64'>hvm</type></os><devices>
<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$d/a/disk.raw'/><target dev='vda' bus='virtio'/></disk>
<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='$d/b/disk.raw'/><target dev='vdb' bus='virtio'/></disk>
</devices></domain>
XML
	echo vvtest-hsym >>"$BED_DIR/domains"
	virsh -q -c "$BED_URI" define "$d/dom.xml" >/dev/null
	expect_rc 0 "$VV" -c "$HC" backup vvtest-hsym --json
	snap=$(tail -n1 <<<"$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["domains"][0]["snapshot"])')
	ln -s "$elsewhere" "$out/vdb"
	expect_rc 1 "$VV" -c "$HC" restore "$snap" --to "$out"
	expect_in "restore target $out/vdb: is a symbolic link or not a folder: refusing to write through it"
	[ -z "$(ls -A "$elsewhere")" ] || fail "the restore wrote through the symlink: $(ls -A "$elsewhere")"
	[ -z "$(find "$out" -name '*.virtvault-partial')" ] || fail "a partial file was left"
	rm "$out/vdb"
	expect_rc 0 "$VV" -c "$HC" restore "$snap" --to "$out"
	cmp "$d/a/disk.raw" "$out/disk.raw" || fail "vda differs"
	cmp "$d/b/disk.raw" "$out/vdb/disk.raw" || fail "vdb differs"
	virsh -q -c "$BED_URI" undefine vvtest-hsym >/dev/null
}

test_harden_restore_stopped_by_sigterm_leaves_nothing() {
	local d=$BED_DIR/ht out=$BED_DIR/ht-out pid rc sig
	harden_conf sig
	mkdir -p "$d" "$out"
	head -c 300M /dev/urandom >"$d/big.raw"
	expect_rc 0 "$VV" -q -c "$HC" backup --image "$d/big.raw" --name big
	for sig in TERM INT; do
		"$VV" -c "$HC" restore big@latest --to "$out" >"$BED_DIR/ht.log" 2>&1 &
		pid=$!
		wait_for 30 test -e "$out/big.raw.virtvault-partial" || { kill -9 $pid; return 1; }
		kill -$sig $pid
		rc=0
		wait $pid || rc=$?
		[ "$rc" = 1 ] || fail "SIG$sig: restore exited $rc, expected 1: $(cat "$BED_DIR/ht.log")"
		grep -q "stopped by a signal; no partial file was left" "$BED_DIR/ht.log" ||
			fail "SIG$sig: no clear message: $(cat "$BED_DIR/ht.log")"
		[ -z "$(ls -A "$out")" ] || fail "SIG$sig: left behind: $(ls -A "$out")"
	done
	rm -f "$d/big.raw"
}

# Helpers on PATH that dump their environment, then run the real program.
test_harden_children_get_no_secret() {
	local wrap=$BED_DIR/hwrap p
	mkdir -p "$wrap"
	for p in qemu-img qemu-nbd; do
		printf '#!/bin/sh\nenv >"%s/env-%s.$$"\nexec %s "$@"\n' "$BED_DIR/hwrap" "$p" "$(command -v $p)" >"$wrap/$p"
		chmod 755 "$wrap/$p"
	done
	cbt_up || return 1
	cbt_conf env
	# Two backups: the second reads the dirty bitmap through qemu-nbd.
	for _ in 1 2; do
		expect_rc 0 env PATH="$wrap:$PATH" VIRTVAULT_PASSWORD=pw-secret-4711 \
			AWS_SECRET_ACCESS_KEY=aws-secret-4711 AWS_ACCESS_KEY_ID=aws-id-4711 \
			"$VV" -c "$CC" backup "$CDOM"
	done
	ls "$wrap"/env-qemu-img.* >/dev/null 2>&1 || fail "the qemu-img wrapper never ran"
	ls "$wrap"/env-qemu-nbd.* >/dev/null 2>&1 || fail "the qemu-nbd wrapper never ran"
	if grep -l -e 4711 "$wrap"/env-* >/dev/null 2>&1; then
		fail "a child saw a secret: $(grep -h 4711 "$wrap"/env-*)"
	fi
	grep -q '^PATH=' "$wrap"/env-qemu-img.* || fail "the children lost PATH"
}

# A domain named like an option, backed up by the daemon; its hook sees
# the documented variables only.
test_harden_dash_domain_and_hook_environment() {
	local d=$BED_DIR/hdash log=$BED_DIR/hdash.log
	mkdir -p "$d"
	qemu-img create -q -f qcow2 "$d/disk.qcow2" 16M
	cat >"$d/dom.xml" <<XML
<domain type='qemu'><name>-vvdash</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64'>hvm</type></os><devices>
<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
<source file='$d/disk.qcow2'/><target dev='vda' bus='virtio'/></disk></devices></domain>
XML
	echo -- "-vvdash" >>"$BED_DIR/domains"
	virsh -q -c "$BED_URI" define "$d/dom.xml" >/dev/null || { fail "cannot define -vvdash"; return 1; }
	daemon_conf hdash '[job dash]' 'schedule = */2 * * * *' 'domains = -vvdash' \
		"on_success = env >$BED_DIR/hdash-hook.env"
	start_daemon "$log" VIRTVAULT_TEST_CLOCK="1795564800 120" VIRTVAULT_PASSWORD=pw-secret-4712 \
		AWS_SECRET_ACCESS_KEY=aws-secret-4712
	wait_for 60 test -s "$BED_DIR/hdash-hook.env"
	stop_daemon
	expect_rc 0 cat "$log"
	expect_in "job dash: -vvdash backed up: snapshot"
	expect_rc 0 cat "$BED_DIR/hdash-hook.env"
	expect_in "VIRTVAULT_DOMAIN=-vvdash"
	expect_in "VIRTVAULT_RESULT=success"
	expect_not_in "4712"
	virsh -q -c "$BED_URI" undefine -- -vvdash >/dev/null
}

test_s3_clock_skew_named() {
	local port=7485
	start_proxy skewed "$port" || return 1
	s3_conf skew vvtest-skew
	sed -i "s|^endpoint = .*|endpoint = http://127.0.0.1:$port|" "$SC"
	expect_rc 1 "$VV" -c "$SC" init
	expect_in "the clocks differ: this host's is"
	expect_in "behind the store's"
	expect_not_in "check access_key/secret_key"
	stop_proxy
}
