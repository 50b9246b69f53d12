# Boot checks around the check itself: status, status --json and the
# metrics file show each domain's last boot record; the message of boot
# checks (MIME mail with the failed check's screenshot, webhook naming it);
# the daemon starts a job's boot check on its schedule, after the job's run,
# and catches up one missed while it was down.
#
# The records are written by the test (the check itself, `verify --boot`, is
# t_boot.sh's); the message is sent through test_notify_boot's "deliver" entry
# until a command sends it.

# boot_records STATE: a passed check of vvtest-bgood and a failed one of
# vvtest-bbad with a small real PNG screenshot (STATE/boot/vvtest-bbad.png).
boot_records() {
	mkdir -p "$1/boot"
	python3 - "$1/boot" <<'PY'
import json, struct, sys, zlib
d = sys.argv[1]
def chunk(t, b):
    return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b) & 0xffffffff)
raw = b"".join(b"\x00" + bytes([(x * 40 + y * 90) % 256 for x in range(3 * 32)]) for y in range(24))
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 32, 24, 8, 2, 0, 0, 0))
       + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
open(d + "/vvtest-bbad.png", "wb").write(png)
base = dict(job="weekly", snapshot_host="h1", command="test -s /etc/hostname", output="")
good = dict(base, domain="vvtest-bgood", snapshot="00000000000000aa", ok=True, started=1795582800,
            finished=1795582837, seconds_to_agent=21.5, command_exit=0, screenshot=False, reason="")
bad = dict(base, domain="vvtest-bbad", snapshot="00000000000000bb", ok=False, started=1795582900,
           finished=1795583210, seconds_to_agent=-1.0, command_exit=-1, screenshot=True,
           reason="the guest agent did not answer within 300s")
for r in (good, bad):
    json.dump(r, open("%s/%s.json" % (d, r["domain"]), "w"))
PY
}

test_bootops_status_and_metrics_show_boot_checks() {
	off_domain bm1 2
	daemon_conf bm '[job weekly]' 'domains = vvtest-bm1' 'boot_check = 0 5 * * sun'
	boot_records "$DS"
	expect_rc 0 "$VV" -c "$DC" status
	expect_in "boot check: next at "
	expect_in "(0 5 * * sun)"
	expect_in "vvtest-bgood         weekly       passed Wed 2026-11-25 05:00:37 UTC      37 00000000000000aa 21.5s"
	expect_in "vvtest-bbad          weekly       FAILED Wed 2026-11-25 05:06:50 UTC     310 00000000000000bb -"
	expect_in "  reason: the guest agent did not answer within 300s"
	expect_in "  screenshot: $DS/boot/vvtest-bbad.png"
	expect_rc 0 "$VV" -c "$DC" status --json
	python3 - "$OUT" "$DS" <<'PY' || fail "status --json: $OUT"
import json, sys
s, ds = json.loads(sys.argv[1]), sys.argv[2]
j = s["jobs"][0]
assert j["boot_check"] == "0 5 * * sun" and j["next_boot_check"].endswith("T05:00:00Z"), j
b = {x["domain"]: x for x in s["boot_checks"]}
assert set(b) == {"vvtest-bgood", "vvtest-bbad"}, b
g, f = b["vvtest-bgood"], b["vvtest-bbad"]
assert g["ok"] is True and g["seconds"] == 37 and g["seconds_to_agent"] == 21.5, g
assert g["snapshot"] == "00000000000000aa" and g["screenshot_file"] is None, g
assert g["finished"] == "2026-11-25T05:00:37Z" and g["command_exit"] == 0, g
assert f["ok"] is False and f["seconds_to_agent"] is None and f["reason"].startswith("the guest agent"), f
assert f["screenshot_file"] == ds + "/boot/vvtest-bbad.png", f
PY
	# The metrics file, written after a run, carries the boot checks too.
	expect_rc 0 "$VV" -c "$DC" backup vvtest-bm1
	python3 - "$BED_DIR/bm.prom" <<'PY' || fail "metrics: $(cat "$BED_DIR/bm.prom")"
import sys
t = open(sys.argv[1]).read()
for name in ("virtvault_boot_check_success", "virtvault_boot_check_seconds",
             "virtvault_boot_check_timestamp_seconds"):
    assert "# HELP %s " % name in t and "# TYPE %s gauge\n" % name in t, name
want = {
    'virtvault_boot_check_success{domain="vvtest-bgood"}': 1,
    'virtvault_boot_check_success{domain="vvtest-bbad"}': 0,
    'virtvault_boot_check_seconds{domain="vvtest-bgood"}': 37,
    'virtvault_boot_check_seconds{domain="vvtest-bbad"}': 310,
    'virtvault_boot_check_timestamp_seconds{domain="vvtest-bgood"}': 1795582837,
    'virtvault_boot_check_timestamp_seconds{domain="vvtest-bbad"}': 1795583210,
}
got = dict(l.rsplit(" ", 1) for l in t.splitlines() if l.startswith("virtvault_boot_check"))
assert {k: float(v) for k, v in got.items()} == want, got
assert 'virtvault_last_run_success{domain="vvtest-bm1",job="manual"} 1' in t, t
PY
}

test_bootops_message_mail_with_screenshot_and_webhook() {
	# The unit binaries of the build under test (check-asan: build/asan/tests).
	local token=B00T-$RANDOM$RANDOM drive=${VV_UNIT_DIR:-$BED_TOP/build/tests}/test_notify_boot
	[ -x "$drive" ] || fail "build $drive first (make build/tests/test_notify_boot)"
	start_receiver nb
	cat >"$BED_DIR/bsendmail" <<EOF
#!/bin/sh
echo "\$*" >"$BED_DIR/bmail.args"
cat >"$BED_DIR/bmail"
EOF
	chmod 755 "$BED_DIR/bsendmail"
	rm -f "$BED_DIR/bmail"
	daemon_conf bn '[job weekly]' 'domains = vvtest-bgood vvtest-bbad' \
		'[notify]' "webhook_url = http://127.0.0.1:$RPORT/hook/$token" \
		'mail_to = ops@example.org' "sendmail = $BED_DIR/bsendmail"
	boot_records "$DS"
	# on = failure and only a passed check: no message.
	expect_rc 0 "$drive" deliver "$DC" weekly vvtest-bgood
	[ "$(posts)" = 0 ] && [ ! -e "$BED_DIR/bmail" ] || fail "a passed check was notified with on = failure"
	expect_rc 0 "$drive" deliver "$DC" weekly vvtest-bgood vvtest-bbad
	expect_in "notify: webhook http://127.0.0.1:$RPORT: delivered"
	expect_in "notify: mail to ops@example.org: delivered"
	expect_not_in "$token"
	[ "$(cat "$BED_DIR/bmail.args")" = "-oi -t" ] || fail "sendmail's arguments: $(cat "$BED_DIR/bmail.args")"
	python3 - "$BED_DIR/bmail" "$DS/boot/vvtest-bbad.png" <<'PY' || fail "the mail: $(head -c 3000 "$BED_DIR/bmail")"
import email, email.policy, sys
raw = open(sys.argv[1], "rb").read()
m = email.message_from_bytes(raw, policy=email.policy.default)
assert not m.defects, m.defects
assert m["To"] == "ops@example.org", m["To"]
assert m["Subject"].endswith("job weekly: BOOT CHECK FAILED: 1 of 2 domains"), m["Subject"]
assert m.get_content_type() == "multipart/mixed" and m.is_multipart(), m.get_content_type()
parts = list(m.iter_parts())
assert [p.get_content_type() for p in parts] == ["text/plain", "image/png"], parts
text = parts[0].get_content()
assert "vvtest-bgood: passed in 37s" in text and "vvtest-bbad: FAILED in 310s" in text, text
assert "reason: the guest agent did not answer within 300s (its screen is attached)" in text, text
png = parts[1]
assert png.get_filename() == "vvtest-bbad.png" and png.get_content_disposition() == "attachment", png
assert png["Content-Transfer-Encoding"] == "base64", png["Content-Transfer-Encoding"]
assert png.get_content() == open(sys.argv[2], "rb").read(), "the screenshot differs"
b64 = raw.split(b"filename=\"vvtest-bbad.png\"\n\n", 1)[1].split(b"\n--", 1)[0].split(b"\n")
assert len(b64) > 1 and all(len(l) == 76 for l in b64[:-1]) and 0 < len(b64[-1]) <= 76, b64
PY
	[ "$(posts)" = 1 ] || fail "one webhook message expected, got $(posts)"
	python3 - "$RLOG" "$token" "$DS" <<'PY' || fail "the webhook message: $(cat "$RLOG")"
import json, sys
m = json.loads(open(sys.argv[1]).readline())
assert m["path"] == "/hook/" + sys.argv[2] and m["content_type"] == "application/json", m
b = m["body"]
assert b["kind"] == "boot_check" and b["job"] == "weekly" and b["result"] == "failure", b
assert b["checks_ok"] == 1 and b["checks_failed"] == 1 and "BOOT CHECK FAILED" in b["title"], b
c = {x["domain"]: x for x in b["boot_checks"]}
assert c["vvtest-bbad"]["screenshot_file"] == sys.argv[3] + "/boot/vvtest-bbad.png", c
assert c["vvtest-bgood"]["screenshot_file"] is None and c["vvtest-bgood"]["seconds_to_agent"] == 21.5, c
assert c["vvtest-bbad"]["ok"] is False and c["vvtest-bbad"]["snapshot"] == "00000000000000bb", c
assert c["vvtest-bbad"]["reason"] == "the guest agent did not answer within 300s", c
PY
	# on = always: a message for passed checks too.
	printf 'on = always\n' >>"$DC"
	expect_rc 0 "$drive" deliver "$DC" weekly vvtest-bgood
	[ "$(posts)" = 2 ] || fail "on = always: $(posts) webhook messages in all"
	grep -q "^Subject: .*job weekly: 1 boot check passed" "$BED_DIR/bmail" || fail "on = always: no mail"
}

# The check a job's boot_check starts is `verify --boot --job J`; before the
# boot branch the child only fails to parse it: here what matters is when it
# starts and that its outcome is logged.
test_bootops_daemon_starts_boot_check_after_the_jobs_run() {
	local log=$BED_DIR/bd.log first
	off_domain bd1 2
	# The run and its boot check at the same time (00:02): the check waits.
	daemon_conf bd '[job wk]' 'schedule = 2 0 * * *' 'boot_check = 2 0 * * *' 'domains = vvtest-bd1' \
		'boot_timeout = 10s'
	start_daemon "$log" VIRTVAULT_TEST_CLOCK="1795564800 60"
	wait_for 20 grep -q "job wk: boot check started" "$log"
	# The domain holds no system: the check runs, and fails (boot_timeout).
	wait_for 90 grep -Eq "job wk: boot check FAILED" "$log"
	grep -q '"job": *"wk"' "$DS/boot/vvtest-bd1.json" || fail "no boot record of job wk: $(cat "$DS/boot/vvtest-bd1.json" 2>&1)"
	stop_daemon
	expect_rc 0 cat "$log"
	expect_in "job wk: next boot check at 2026-11-25 00:02:00"
	expect_in "job wk: boot check due; it starts when the job's run has ended"
	first=$(grep -n "vvtest-bd1 backed up: snapshot" "$log" | head -n 1 | cut -d: -f1)
	[ -n "$first" ] || fail "the job's run did not back up vvtest-bd1"
	[ "$(grep -n "job wk: boot check started" "$log" | head -n 1 | cut -d: -f1)" -gt "$first" ] ||
		fail "the boot check started before the job's run ended"
	[ "$(grep -c "job wk: boot check started" "$log")" = 1 ] || fail "more than one boot check"
	[ -s "$DS/jobs/wk@boot.json" ] || fail "the boot check's last fire is not kept"
	# Down over a Sunday 05:00 check, with catch_up: it runs once at start-up.
	daemon_conf bd2 '[job wk2]' 'boot_check = 0 5 * * sun' 'catch_up = yes' 'domains = vvtest-bd1'
	mkdir -p "$DS/jobs"
	printf '{"last_fire": %d}\n' $((1795564800 - 5 * 86400)) >"$DS/jobs/wk2@boot.json"
	log=$BED_DIR/bd2.log
	start_daemon "$log" VIRTVAULT_TEST_CLOCK="1795564800 1"
	wait_for 20 grep -q "job wk2: boot check started" "$log"
	wait_for 90 grep -Eq "job wk2: boot check FAILED" "$log"
	stop_daemon
	expect_rc 0 cat "$log"
	expect_in "job wk2: catching up a boot check missed while the daemon was down"
	expect_in "job wk2: next boot check at 2026-11-29 05:00:00"
}

# The whole way, through the real command: a job's weekly boot check of a
# domain that cannot boot (its disk all zeros) fails within the job's
# boot_timeout, and the operator gets the mail with the console's picture
# attached and the webhook naming it; status and the metrics say so.
test_bootops_failed_check_reaches_operator_with_picture() {
	local token=B00T-$RANDOM$RANDOM d=$BED_DIR/bop
	start_receiver bop
	fake_sendmail
	mkdir -p "$d"
	qemu-img create -q -f qcow2 "$d/disk.qcow2" 32M
	cat >"$d/dom.xml" <<XML
<domain type='qemu'><name>vvtest-bop</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='hd'/></os>
<devices>
<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
<source file='$d/disk.qcow2'/><target dev='vda' bus='virtio'/></disk>
<graphics type='vnc' listen='127.0.0.1' autoport='yes'/><video><model type='vga'/></video>
</devices></domain>
XML
	echo vvtest-bop >>"$BED_DIR/domains"
	virsh -q -c "$BED_URI" define "$d/dom.xml" >/dev/null || fail "cannot define vvtest-bop"
	daemon_conf bop '[job weekly]' 'domains = vvtest-bop' 'boot_check = 0 5 * * 0' \
		'boot_timeout = 10s' '[notify]' "webhook_url = http://127.0.0.1:$RPORT/hook/$token" \
		'mail_to = ops@example.org' "sendmail = $BED_DIR/sendmail"
	expect_rc 0 "$VV" -q -c "$DC" backup --job weekly
	rm -f "$BED_DIR/mails" "$RLOG"
	expect_rc 1 "$VV" -c "$DC" verify --boot --job weekly
	expect_in "1 boot check of job weekly, 1 failed"
	expect_in "did not answer within 10 s"
	[ -s "$DS/boot/vvtest-bop.png" ] || fail "no screenshot of the failed boot"
	wait_for 20 test -s "$BED_DIR/mails"
	python3 - "$BED_DIR/mails" "$DS/boot/vvtest-bop.png" <<'PY' || fail "the mail: $(head -c 2000 "$BED_DIR/mails")"
import email, email.policy, sys
raw = open(sys.argv[1], "rb").read().split(b"\n", 1)[1].rsplit(b"--END--", 1)[0]
m = email.message_from_bytes(raw, policy=email.policy.default)
assert not m.defects, m.defects
assert "BOOT CHECK FAILED" in m["Subject"] and "job weekly" in m["Subject"], m["Subject"]
parts = list(m.iter_parts())
assert [p.get_content_type() for p in parts] == ["text/plain", "image/png"], parts
assert "vvtest-bop: FAILED" in parts[0].get_content(), parts[0].get_content()
assert parts[1].get_content() == open(sys.argv[2], "rb").read(), "the attached picture differs"
PY
	wait_for 20 test -s "$RLOG"
	python3 - "$RLOG" "$DS" <<'PY' || fail "the webhook message: $(cat "$RLOG")"
import json, sys
b = json.loads(open(sys.argv[1]).readline())["body"]
assert b["kind"] == "boot_check" and b["job"] == "weekly" and b["checks_failed"] == 1, b
c = b["boot_checks"][0]
assert c["domain"] == "vvtest-bop" and c["ok"] is False, c
assert c["screenshot_file"] == sys.argv[2] + "/boot/vvtest-bop.png", c
PY
	grep -q '^virtvault_boot_check_success{domain="vvtest-bop"} 0$' "$BED_DIR/bop.prom" ||
		fail "the metrics: $(grep boot_check "$BED_DIR/bop.prom")"
	expect_rc 0 "$VV" -c "$DC" status
	expect_in "vvtest-bop"
	expect_in "FAILED"
	expect_not_in "$token"
}
