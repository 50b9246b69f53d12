# Notifications ([notify]): one message per run to a real local HTTP
# receiver (plain and TLS) and through a sendmail program; a receiver that
# is down never fails the backup; the webhook's token is never logged.

# start_receiver NAME [ARGS...]: tests/bed/receiver.py in the background;
# RPORT its port, RLOG the file of what it received.
start_receiver() {
	local name=$1
	shift
	RLOG=$BED_DIR/$name.posts
	rm -f "$BED_DIR/$name.port" "$RLOG"
	python3 "$BED_TOP/tests/bed/receiver.py" "$BED_DIR/$name.port" "$RLOG" "$@" \
		2>"$BED_DIR/$name.err" &
	echo "$! receiver-$name" >>"$BED_DIR/pids"
	wait_for 10 test -s "$BED_DIR/$name.port"
	RPORT=$(cat "$BED_DIR/$name.port")
}

# A sendmail that keeps each message (its arguments, then the message).
fake_sendmail() {
	cat >"$BED_DIR/sendmail" <<EOF
#!/bin/sh
{ echo "ARGS: \$*"; cat; echo "--END--"; } >>"$BED_DIR/mails"
EOF
	chmod 755 "$BED_DIR/sendmail"
	rm -f "$BED_DIR/mails"
}

posts() { [ -f "$RLOG" ] && wc -l <"$RLOG" || echo 0; }

test_notify_manual_run_webhook_and_mail() {
	local token=T0KEN-$RANDOM$RANDOM
	off_domain nt1 2
	off_domain nt2 2
	start_receiver n1
	fake_sendmail
	# nt2 fails in its pre_backup hook: one message lists both domains.
	daemon_conf nt '[job pair]' 'domains = vvtest-nt1 vvtest-nt2' \
		'pre_backup = test "$VIRTVAULT_DOMAIN" != vvtest-nt2' \
		'[notify]' "webhook_url = http://127.0.0.1:$RPORT/hook/$token" \
		'mail_to = ops@example.org root@localhost' "sendmail = $BED_DIR/sendmail"
	expect_rc 0 "$VV" -c "$DC" config check
	expect_in "webhook_url = http://127.0.0.1:$RPORT/<redacted>"
	expect_not_in "$token"
	expect_rc 3 "$VV" -c "$DC" backup --job pair
	expect_in "notify: webhook http://127.0.0.1:$RPORT: delivered"
	expect_in "notify: mail to ops@example.org and others: delivered"
	expect_not_in "$token"
	[ "$(posts)" = 1 ] || fail "one message expected, got $(posts)"
	python3 - "$RLOG" "$token" <<'PY' || fail "the message: $(cat "$RLOG")"
import json, sys
m = json.loads(open(sys.argv[1]).readline())
assert m["path"] == "/hook/" + sys.argv[2] and m["content_type"] == "application/json", m
b = m["body"]
assert b["result"] == "failure" and b["job"] == "pair" and b["domains_failed"] == 1, b
d = {x["domain"]: x for x in b["domains"]}
assert d["vvtest-nt1"]["result"] == "success" and len(d["vvtest-nt1"]["snapshot"]) == 16, d
assert d["vvtest-nt1"]["bytes_stored"] > 0 and d["vvtest-nt1"]["started"].endswith("Z"), d
assert d["vvtest-nt2"]["result"] == "failure" and "pre_backup" in d["vvtest-nt2"]["error"], d
assert "FAILED" in b["title"] and "vvtest-nt2: FAILURE" in b["message"], b
assert b["text"].startswith(b["title"]), b
PY
	expect_rc 0 cat "$BED_DIR/mails"
	expect_in "ARGS: -oi -t"
	expect_in "To: ops@example.org, root@localhost"
	expect_in "Subject: virtvault "
	expect_in "job pair: FAILED: 1 of 2 domains"
	expect_in "vvtest-nt1: success in"
	expect_in "vvtest-nt2: FAILURE after"
	# on = failure (the default): a run without failure sends nothing.
	expect_rc 0 "$VV" -c "$DC" backup vvtest-nt1
	[ "$(posts)" = 1 ] || fail "a successful run was notified with on = failure"
	# on = always: it does, once, as job "manual".
	printf 'on = always\n' >>"$DC"
	expect_rc 0 "$VV" -c "$DC" backup vvtest-nt1
	[ "$(posts)" = 2 ] || fail "on = always sent $(posts) messages in all"
	tail -n 1 "$RLOG" | python3 -c '
import json, sys
b = json.loads(sys.stdin.read())["body"]
assert b["result"] == "success" and b["job"] == "manual" and b["domains_ok"] == 1, b' ||
		fail "the success message: $(tail -n 1 "$RLOG")"
}

# A receiver that is down, or answers 500, or whose certificate does not
# verify: the backup succeeds, the log says why, the token never shows.
test_notify_receiver_down_or_untrusted_does_not_fail_the_backup() {
	local token=S3CRET-$RANDOM port
	off_domain nt3 2
	fake_sendmail
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	daemon_conf nd '[job j]' 'domains = vvtest-nt3' '[notify]' \
		"webhook_url = http://127.0.0.1:$port/down/$token" 'on = always' 'retries = 1' 'timeout = 3s'
	expect_rc 0 "$VV" -c "$DC" backup --job j
	expect_in "vvtest-nt3: snapshot"
	expect_in "notify: webhook http://127.0.0.1:$port: attempt 1 of 2 failed"
	expect_in "notify: webhook http://127.0.0.1:$port: not delivered after 2 attempts"
	expect_not_in "$token"
	expect_rc 0 "$VV" -c "$DC" status --json
	python3 -c 'import json,sys; d=json.loads(sys.argv[1])["domains"][0]; assert d["result"]=="success", d' "$OUT" ||
		fail "the run was not recorded a success"
	# A receiver answering 500.
	start_receiver n500 --status 500
	sed -i "s#^webhook_url = .*#webhook_url = http://127.0.0.1:$RPORT/x/$token#" "$DC"
	expect_rc 0 "$VV" -c "$DC" backup --job j
	expect_in "the receiver answered HTTP 500"
	[ "$(posts)" = 2 ] || fail "500: expected 2 attempts, got $(posts)"
	# TLS: a self-signed certificate is refused; with it as ca_file, delivered.
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$BED_DIR/rk.pem" -out "$BED_DIR/rc.pem" 2>/dev/null
	start_receiver ntls --tls "$BED_DIR/rc.pem" "$BED_DIR/rk.pem"
	sed -i "s#^webhook_url = .*#webhook_url = https://127.0.0.1:$RPORT/t/$token#" "$DC"
	expect_rc 0 "$VV" -c "$DC" backup --job j
	expect_in "notify: webhook https://127.0.0.1:$RPORT: not delivered"
	expect_in "certificate"
	[ "$(posts)" = 0 ] || fail "an unverified receiver got the message"
	printf 'ca_file = %s\n' "$BED_DIR/rc.pem" >>"$DC"
	expect_rc 0 "$VV" -c "$DC" backup --job j
	expect_in "notify: webhook https://127.0.0.1:$RPORT: delivered"
	[ "$(posts)" = 1 ] || fail "TLS with ca_file: $(posts) messages"
	# No sendmail there: said, and the backup still succeeds.
	printf 'mail_to = ops@example.org\nsendmail = %s/no-sendmail\n' "$BED_DIR" >>"$DC"
	expect_rc 0 "$VV" -c "$DC" backup --job j
	expect_in "no-sendmail is not there"
	expect_not_in "$token"
}

# The daemon: one message per job run, once every domain had its last
# attempt (a retry included), listing each.
test_notify_daemon_one_message_per_job_run() {
	local log=$BED_DIR/ndm.log
	off_domain nt4 2
	off_domain nt5 2
	start_receiver n4
	# One run at 00:02 (then none for a day, twelve minutes at this clock);
	# nt5 fails twice (its retry too).
	daemon_conf ndm '[job both]' 'schedule = 2 0 * * *' 'domains = vvtest-nt4 vvtest-nt5' \
		'retries = 1' 'retry_delay = 30s' \
		'pre_backup = test "$VIRTVAULT_DOMAIN" != vvtest-nt5' \
		'[notify]' "webhook_url = http://127.0.0.1:$RPORT/d"
	start_daemon "$log" VIRTVAULT_TEST_CLOCK="1795564800 120"
	wait_for 40 grep -q "notify: webhook http://127.0.0.1:$RPORT: delivered" "$log"
	stop_daemon
	expect_rc 0 cat "$log"
	expect_in "vvtest-nt5 will be tried again"
	[ "$(posts)" = 1 ] || fail "one message per job run expected, got $(posts)"
	python3 - "$RLOG" <<'PY' || fail "the daemon's message: $(cat "$RLOG")"
import json, sys
b = json.loads(open(sys.argv[1]).readline())["body"]
assert b["job"] == "both" and b["result"] == "failure", b
d = {x["domain"]: x for x in b["domains"]}
assert set(d) == {"vvtest-nt4", "vvtest-nt5"}, d
assert d["vvtest-nt4"]["result"] == "success" and d["vvtest-nt5"]["result"] == "failure", d
PY
}
