# [job] copy_to: each domain's new snapshot copied to [repository offsite]
# after the job's run (`backup --job` and the daemon), the copy's outcome
# apart from the backup's (status --json, metrics, the message), a missed
# copy made by the next run, the destination's keep_* applied there and
# its prune_schedule run by the daemon, never beside a copy into it.

# copyjob_conf NAME KEEP EXTRA...: DC (daemon_conf) with [repository offsite]
# (file://, its own password in CJPW, keep_last = KEEP, then EXTRA lines),
# both initialised; CJOFF its folder.
copyjob_conf() {
	local name=$1 keep=$2
	shift 2
	CJOFF=$BED_DIR/$name-offsite
	CJPW=$BED_DIR/$name-offsite.pw
	rm -rf "$CJOFF"
	printf 'offsite-pass\n' >"$CJPW"
	chmod 600 "$CJPW"
	daemon_conf "$name" "$@" '[repository offsite]' "url = file://$CJOFF" \
		"password_file = $CJPW" "keep_last = $keep" ${CJEXTRA:+"$CJEXTRA"}
	"$VV" -q -c "$DC" --repo offsite init >/dev/null
}

# cj_ids [--repo NAME]: the snapshot IDs of $DC's repository, oldest first, one a line.
cj_ids() {
	"$VV" -c "$DC" "$@" list --json | python3 -c '
import json, sys
print("\n".join(s["snapshot"] for s in sorted(json.load(sys.stdin), key=lambda s: s["time"])))'
}

# cj_status DOMAIN PYTHON: assert PYTHON over r (the run record of DOMAIN in status --json) and c (its "copy").
cj_status() {
	expect_rc 0 "$VV" -c "$DC" status --json
	python3 -c '
import json, sys
r = [d for d in json.loads(sys.argv[1])["domains"] if d["domain"] == sys.argv[2]][0]
c = r.get("copy")
assert eval(sys.argv[3]), (sys.argv[3], r)' "$OUT" "$1" "$2" || fail "status --json: $2: $OUT"
}

test_copyjob_backup_job_copy_fails_apart_then_caught_up() {
	local ids prom=$BED_DIR/cjb.prom
	off_domain cjb 2
	start_receiver cjb
	fake_sendmail
	copyjob_conf cjb 2 '[job nightly]' 'domains = vvtest-cjb' 'copy_to = offsite' \
		'[notify]' "webhook_url = http://127.0.0.1:$RPORT/c" 'mail_to = ops@example.org' \
		"sendmail = $BED_DIR/sendmail"
	# A copy_to naming no section: the file and line named.
	sed 's/^copy_to = offsite/copy_to = nowhere/' "$DC" >"$BED_DIR/cjb-bad.conf"
	chmod 600 "$BED_DIR/cjb-bad.conf"
	expect_rc 2 "$VV" -c "$BED_DIR/cjb-bad.conf" config check
	expect_in "cjb-bad.conf:$(grep -n '^copy_to' "$DC" | cut -d: -f1): [job nightly]: copy_to = nowhere names no [repository nowhere]"

	# Night 1: backed up and copied.
	expect_rc 0 "$VV" -c "$DC" backup --job nightly --time 2026-11-01T02:00:00Z
	expect_in "copy to [repository offsite] done: 1 snapshots copied"
	[ "$(cj_ids --repo offsite)" = "$(cj_ids)" ] || fail "night 1 not copied: $(cj_ids --repo offsite)"
	cj_status vvtest-cjb 'r["result"] == "success" and c["repository"] == "offsite" and c["result"] == "success" and c["snapshots"] == 1'
	[ "$(posts)" = 0 ] || fail "a run without failure was notified"

	# Night 2: the destination's password is wrong: the backup is ok, the copy failed.
	printf 'not-the-password\n' >"$CJPW"
	expect_rc 0 "$VV" -c "$DC" backup --job nightly --time 2026-11-02T02:00:00Z
	expect_in "backed up, but the copy to [repository offsite] failed"
	cj_status vvtest-cjb 'r["result"] == "success" and r["error"] == "" and c["result"] == "failure" and c["error"] != "" and c["failures_total"] == 1'
	expect_rc 0 cat "$prom"
	expect_in 'virtvault_last_run_success{domain="vvtest-cjb",job="nightly"} 1'
	expect_in 'virtvault_copy_success{domain="vvtest-cjb",job="nightly",repository="offsite"} 0'
	expect_in 'virtvault_copy_timestamp_seconds{domain="vvtest-cjb",job="nightly",repository="offsite"}'
	expect_in 'virtvault_copy_seconds{domain="vvtest-cjb",job="nightly",repository="offsite"}'
	[ "$(posts)" = 1 ] || fail "the failed copy sent $(posts) messages (on = failure)"
	python3 - "$RLOG" <<'PY' || fail "the message: $(cat "$RLOG")"
import json, sys
b = json.loads(open(sys.argv[1]).readline())["body"]
assert b["result"] == "success" and b["domains_failed"] == 0 and b["copies_failed"] == 1, b
assert "COPY FAILED: vvtest-cjb to offsite" in b["title"], b
d = b["domains"][0]
assert d["result"] == "success" and d["copy"]["result"] == "failure" and d["copy"]["repository"] == "offsite", d
assert "copy to offsite: COPY FAILED (the backup is kept)" in b["message"], b
PY
	expect_rc 0 cat "$BED_DIR/mails"
	expect_in "Subject: virtvault "
	expect_in "COPY FAILED: vvtest-cjb to offsite"
	expect_in "vvtest-cjb: success in"
	[ "$(find "$CJOFF/snapshots" -type f | wc -l)" = 1 ] || fail "the failed copy published something"

	# Night 3: the password back: night 2's snapshot comes with night 3's;
	# keep_last = 2 there forgets night 1's copy (the source keeps all three).
	printf 'offsite-pass\n' >"$CJPW"
	expect_rc 0 "$VV" -c "$DC" backup --job nightly --time 2026-11-03T02:00:00Z
	expect_in "copy to [repository offsite] done: 2 snapshots copied, 1 forgotten"
	ids=$(cj_ids)
	[ "$(wc -l <<<"$ids")" = 3 ] || fail "the source lost snapshots: $ids"
	[ "$(cj_ids --repo offsite)" = "$(tail -n 2 <<<"$ids")" ] ||
		fail "offsite holds $(cj_ids --repo offsite), not nights 2 and 3 of: $ids"
	cj_status vvtest-cjb 'c["result"] == "success" and c["snapshots"] == 2 and c["forgotten"] == 1 and c["failures_total"] == 1'
	expect_rc 0 cat "$prom"
	expect_in 'virtvault_copy_success{domain="vvtest-cjb",job="nightly",repository="offsite"} 1'
	[ "$(posts)" = 1 ] || fail "a run without failure was notified"
	expect_rc 0 "$VV" -c "$DC" --repo offsite verify --deep
	expect_in "0 problems"
}

# The daemon: each scheduled run's snapshot copied by its child, keep_last =
# 1 there, and [repository offsite] prune_schedule run, never while a copy
# into offsite runs.
test_copyjob_daemon_copies_and_prunes_destination() {
	local log=$BED_DIR/cjd.log newest
	off_domain cjd 2
	CJEXTRA='prune_schedule = */3 * * * *' copyjob_conf cjd 1 '[job nightly]' \
		'schedule = */2 * * * *' 'domains = vvtest-cjd' 'copy_to = offsite'
	start_daemon "$log" VIRTVAULT_TEST_CLOCK="1795564800 120"
	wait_for 20 grep -q 'prune of \[repository offsite\]: next run at' "$log"
	wait_for 60 grep -q 'prune of \[repository offsite\]: done' "$log"
	wait_for 60 sh -c "[ \$(grep -c 'copy to \[repository offsite\] done' '$log') -ge 3 ]"
	stop_daemon
	expect_rc 0 cat "$log"
	expect_not_in "prune of [repository offsite]: failed"
	expect_not_in "the copy to [repository offsite] failed"
	# Never at once: no backup child of the job runs while offsite's prune does.
	awk '/job nightly: backing up vvtest-cjd/ { b++; if (p) bad = NR }
	     /job nightly: vvtest-cjd (backed up|failed|skipped)/ { b-- }
	     /prune of \[repository offsite\]: started/ { p = 1; if (b > 0) bad = NR }
	     /prune of \[repository offsite\]: (done|failed|killed)/ { p = 0 }
	     END { if (bad) { print "overlap at line " bad; exit 1 } }' "$log" ||
		fail "a copy into offsite ran beside its prune: $(cat "$log")"
	newest=$(cj_ids | tail -n 1)
	[ "$(cj_ids --repo offsite)" = "$newest" ] ||
		fail "offsite (keep_last = 1) holds $(cj_ids --repo offsite), not the newest $newest"
	cj_status vvtest-cjd 'c["result"] == "success" and c["repository"] == "offsite"'
	expect_rc 0 cat "$BED_DIR/cjd.prom"
	expect_in 'virtvault_copy_success{domain="vvtest-cjd",job="nightly",repository="offsite"} 1'
	expect_rc 0 "$VV" -c "$DC" --repo offsite verify --deep
	expect_in "0 problems"
}

# The daemon: a copy that fails is the copy's failure in the run's one
# message and in status; the backup is ok.
test_copyjob_daemon_copy_failure_message() {
	local log=$BED_DIR/cjf.log
	off_domain cjf 2
	start_receiver cjf
	copyjob_conf cjf 2 '[job once]' 'schedule = 2 0 * * *' 'domains = vvtest-cjf' \
		'copy_to = offsite' '[notify]' "webhook_url = http://127.0.0.1:$RPORT/f"
	printf 'not-the-password\n' >"$CJPW"
	start_daemon "$log" VIRTVAULT_TEST_CLOCK="1795564800 120"
	wait_for 40 grep -q "notify: webhook http://127.0.0.1:$RPORT: delivered" "$log"
	stop_daemon
	expect_rc 0 cat "$log"
	expect_in "job once: vvtest-cjf backed up: snapshot"
	[ "$(posts)" = 1 ] || fail "one message expected, got $(posts)"
	python3 - "$RLOG" <<'PY' || fail "the daemon's message: $(cat "$RLOG")"
import json, sys
b = json.loads(open(sys.argv[1]).readline())["body"]
assert b["job"] == "once" and b["result"] == "success" and b["copies_failed"] == 1, b
assert "COPY FAILED: vvtest-cjf to offsite" in b["title"], b
assert b["domains"][0]["copy"]["result"] == "failure", b
PY
	cj_status vvtest-cjf 'r["result"] == "success" and c["result"] == "failure"'
	expect_rc 0 cat "$BED_DIR/cjf.prom"
	expect_in 'virtvault_copy_success{domain="vvtest-cjf",job="once",repository="offsite"} 0'
	expect_in 'virtvault_last_run_success{domain="vvtest-cjf",job="once"} 1'
}

# The daemon's child killed with -9 in the middle of its copy (chunks stored
# there, no snapshot yet): the backup stands, published, and the copy is
# the failure, in the log, status and metrics; the next run copies its
# snapshot with its own, and the destination verifies.
test_copyjob_daemon_child_killed_during_copy() {
	local log=$BED_DIR/cjk.log mark=$BED_DIR/cjk.stall rc=0
	off_domain cjk 2
	copyjob_conf cjk 5 '[job nightly]' 'schedule = */2 * * * *' 'domains = vvtest-cjk' \
		'copy_to = offsite'
	# A first copy there (a destination without the group gets only the newest).
	expect_rc 0 "$VV" -c "$DC" backup --job nightly --time 2026-11-01T02:00:00Z
	start_daemon "$log" VIRTVAULT_TEST_CLOCK="1795564800 120" \
		VIRTVAULT_TEST_STALL=copy-stored VIRTVAULT_TEST_STALL_MARKER="$mark"
	if wait_for 60 test -s "$mark"; then
		kill -9 "$(awk '{print $2}' "$mark")"
		rm -f "$mark"
		wait_for 30 grep -q 'its copy to \[repository offsite\] was killed by signal 9' "$log" || rc=1
		[ $rc = 0 ] && cj_status vvtest-cjk 'r["result"] == "success" and c["result"] == "failure" and "killed during the copy" in c["error"] and c["failures_total"] == 1'
		# Later children stop at the same point: let them go on.
		wait_for 90 sh -c "rm -f '$mark'; grep -q 'copy to \[repository offsite\] done: 2 snapshots copied' '$log'" || rc=1
	else
		rc=1
	fi
	# A child still stopped at the point goes on, and ends with the daemon.
	rm -f "$mark"
	stop_daemon
	[ $rc = 0 ] || { cat "$log"; return 1; }
	expect_rc 0 cat "$log"
	expect_not_in "vvtest-cjk failed"
	[ -z "$(cj_ids | head -n 3 | grep -vxF -f <(cj_ids --repo offsite))" ] ||
		fail "offsite lacks one of the first three snapshots: $(cj_ids --repo offsite) of $(cj_ids)"
	expect_rc 0 cat "$BED_DIR/cjk.prom"
	expect_in 'virtvault_copy_failures_total{domain="vvtest-cjk",job="nightly",repository="offsite"} 1'
	expect_in 'virtvault_last_run_success{domain="vvtest-cjk",job="nightly"} 1'
	expect_rc 0 "$VV" -c "$DC" --repo offsite verify --deep
	expect_in "0 problems"
}
