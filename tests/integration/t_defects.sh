# Defects found by attacking wave 2 (issue 19), the smaller ones of the
# agent's run: a job's name that matches no domain, the hooks'
# environment, a shut-off block-device domain, temporary files.

# A job's name or glob that matches no domain is a failure of its own,
# named in the log, the summary (text and JSON), the message; the domains
# that exist are backed up; the daemon's run says the same.
test_defects_job_names_unmatched_domain() {
	local log=$BED_DIR/df-daemon.log
	off_domain df1 1
	fake_sendmail
	daemon_conf df '[job typo]' 'domains = vvtest-df1 nosuch-vm web-*' \
		'[job nightly]' 'schedule = 2 0 * * *' 'domains = vvtest-df1 gone-vm' \
		'[notify]' 'on = failure' 'mail_to = ops@example.org' "sendmail = $BED_DIR/sendmail"
	expect_rc 0 "$VV" -c "$DC" backup --job typo --dry-run --json
	python3 -c '
import json, sys
o = json.loads(sys.argv[1].splitlines()[-1])
assert o == {"domains": ["vvtest-df1"], "unmatched": ["nosuch-vm", "web-*"]}, o' "$OUT" ||
		fail "dry run: $OUT"
	expect_rc 3 "$VV" -c "$DC" backup --job typo
	expect_in "job typo: 'nosuch-vm' in its domains matches no domain"
	expect_in "job typo: 'web-*' in its domains matches no domain"
	expect_in "nosuch-vm: FAILED (matches no domain)"
	expect_in "vvtest-df1: snapshot"
	grep -q "nosuch-vm" "$BED_DIR/mails" && grep -q "web-\*" "$BED_DIR/mails" ||
		fail "the message does not name the unmatched names: $(cat "$BED_DIR/mails")"
	expect_rc 3 "$VV" -c "$DC" backup --job typo --json
	python3 -c '
import json, sys
o = json.loads(sys.argv[1].splitlines()[-1])
d = {x["domain"]: x for x in o["domains"]}
assert not d["nosuch-vm"]["ok"] and "matches no domain" in d["nosuch-vm"]["error"], d
assert d["vvtest-df1"]["ok"] and o["total"]["domains_failed"] == 2, o' "$OUT" ||
		fail "JSON summary: $OUT"
	# A name that is not a domain leaves no domain's record behind.
	expect_rc 0 "$VV" -c "$DC" status
	expect_not_in "nosuch-vm"
	# The daemon's run of a job: the same failure, in the log and the message.
	rm -f "$BED_DIR/mails"
	start_daemon "$log" VIRTVAULT_TEST_CLOCK="1795564800 120" || return 1
	wait_for 30 grep -q "nightly: vvtest-df1 backed up" "$log"
	wait_for 10 grep -q "gone-vm" "$BED_DIR/mails"
	stop_daemon
	expect_rc 0 cat "$log"
	expect_in "job nightly: 'gone-vm' in its domains matches no domain"
}

# A hook sees the documented variables only (virtvault.conf(5)): not TERM,
# not the caller's secrets.
test_defects_hook_environment() {
	off_domain df2 1
	daemon_conf dfh '[job hooks]' 'domains = vvtest-df2' \
		"pre_backup = env >$BED_DIR/dfh-pre.env" "on_success = env >$BED_DIR/dfh-post.env"
	TERM=xterm-vv VV_NOT_FOR_HOOKS=secret expect_rc 0 "$VV" -c "$DC" backup --job hooks
	for f in dfh-pre dfh-post; do
		python3 - "$BED_DIR/$f.env" <<'PY' || fail "$f: $(cat "$BED_DIR/$f.env")"
import re, sys
names = {l.split("=", 1)[0] for l in open(sys.argv[1]) if "=" in l}
allowed = {"PATH", "HOME", "USER", "LOGNAME", "LANG", "TZ", "TMPDIR", "PWD"}
bad = {n for n in names if n not in allowed and not n.startswith(("LC_", "VIRTVAULT_"))}
assert not bad, bad
assert "VIRTVAULT_DOMAIN" in names and "VIRTVAULT_JOB" in names, names
PY
	done
}

# A shut-off domain gets no overlay: its block-device disk needs no
# overlay_dir (a running one still does, see t_whole.sh).
test_defects_shutoff_block_device_without_overlay_dir() {
	local c=$BED_DIR/dfb.conf l out=$BED_DIR/dfb-out d=$BED_DIR/dfb
	l=$(loop_dev dfb 16)
	head -c 4M /dev/urandom | dd of="$l" bs=1M seek=2 conv=fsync status=none
	mkdir -p "$d"
	cat >"$d/dom.xml" <<XML
<domain type='qemu'><name>vvtest-dfb</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64'>hvm</type></os><devices>
<disk type='block' device='disk'><driver name='qemu' type='raw'/>
<source dev='$l'/><target dev='vda' bus='virtio'/></disk></devices></domain>
XML
	echo vvtest-dfb >>"$BED_DIR/domains"
	virsh -q -c "$BED_URI" define "$d/dom.xml" >/dev/null || fail "cannot define vvtest-dfb"
	printf '[agent]\nlibvirt_uri = %s\nstate_dir = %s/dfb-state\n[repository]\nurl = file://%s/dfb-repo\nencryption = none\n' \
		"$BED_URI" "$BED_DIR" "$BED_DIR" >"$c"
	"$VV" -q -c "$c" init >/dev/null
	expect_rc 0 "$VV" -c "$c" backup vvtest-dfb
	expect_in "vvtest-dfb: snapshot"
	expect_not_in "overlay_dir"
	expect_rc 0 "$VV" -c "$c" restore vvtest-dfb@latest --disk vda --to "$out"
	cmp "$l" "$out/$(basename "$l")" || fail "the restored image differs from $l"
}
