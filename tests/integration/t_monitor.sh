# Monitoring that can be trusted (issue 20): after every outcome of a run
# (success, failure before any domain, a domain's failure, busy,
# interrupted, killed) the run records, `status` (text and JSON), the
# metrics file and the message agree.

# mon_status: `status --json` of $DC as a Python dict keyed by (domain, job),
# printed for the check given as a Python expression over d and o.
mon_check() {
	"$VV" -c "$DC" status --json >"$BED_DIR/mon-status.json" 2>"$BED_DIR/mon-status.err" ||
		{ fail "status --json failed: $(cat "$BED_DIR/mon-status.err")"; return 1; }
	python3 - "$BED_DIR/mon-status.json" "$1" <<'PY' || fail "status: $1: $(cat "$BED_DIR/mon-status.json")"
import json, sys
o = json.load(open(sys.argv[1]))
d = {(x["domain"], x["job"]): x for x in o["domains"]}
assert eval(sys.argv[2]), sys.argv[2]
PY
}

# mon_metric SERIES VALUE: the metrics file of $DC holds SERIES with VALUE.
mon_metric() {
	grep -qxF "$1 $2" "$BED_DIR/mon.prom" ||
		fail "metrics: expected '$1 $2' in: $(grep -F "${1%%\{*}" "$BED_DIR/mon.prom")"
}

# mon_conf N: domains vvtest-monN1 and vvtest-monN2 (M1, M2) of a job
# opjob, the configuration $DC with its own state and metrics file
# ($BED_DIR/mon.prom, named in the checks as MP).
mon_conf() {
	off_domain "mon${1}1" 1
	off_domain "mon${1}2" 1
	M1=vvtest-mon${1}1
	M2=vvtest-mon${1}2
	daemon_conf "mon$1" '[job opjob]' "domains = $M1 $M2"
	sed -i "s|^metrics_file = .*|metrics_file = $BED_DIR/mon.prom|" "$DC"
	rm -f "$BED_DIR/mon.prom"
}

# Failures before any domain, a typo, one series per (job, domain).
test_monitor_failures_before_any_domain_and_typos() {
	mon_conf a
	expect_rc 0 "$VV" -c "$DC" backup --job opjob
	mon_check 'd["'"$M1"'", "opjob"]["result"] == "success" and d["'"$M1"'", "opjob"]["failures_total"] == 0'
	# A manual run of one domain: a series of its own, the job's stands.
	expect_rc 0 "$VV" -c "$DC" backup $M2
	# Shut off: no snapshot, commit or overlay times for steps that never ran.
	expect_in "(copy "
	expect_in "read as it is)"
	expect_not_in "on the overlay"
	mon_metric 'virtvault_last_run_success{domain="'"$M2"'",job="opjob"}' 1
	mon_metric 'virtvault_last_run_success{domain="'"$M2"'",job="manual"}' 1
	# The repository cannot be opened (here: not one): each domain of the
	# job failed, with the reason.
	sed -i "s|^url = .*|url = file://$BED_DIR/mon-nothere|" "$DC"
	expect_rc 1 "$VV" -c "$DC" backup --job opjob
	mon_check 'all(d[m, "opjob"]["result"] == "failure" and d[m, "opjob"]["failures_total"] == 1 and "mon-nothere" in d[m, "opjob"]["error"] for m in ("'"$M1"'", "'"$M2"'"))'
	mon_metric 'virtvault_failures_total{domain="'"$M1"'",job="opjob"}' 1
	mon_metric 'virtvault_last_run_success{domain="'"$M1"'",job="opjob"}' 0
	sed -i "s|^url = .*|url = file://$BED_DIR/mona-repo|" "$DC"
	# libvirt cannot be reached: the domains the job backed up before failed.
	sed -i "s|^libvirt_uri = .*|libvirt_uri = qemu+unix:///system?socket=$BED_DIR/no-such.sock|" "$DC"
	expect_rc 1 "$VV" -c "$DC" backup --job opjob
	mon_check 'd["'"$M2"'", "opjob"]["failures_total"] == 2 and "no-such.sock" in d["'"$M2"'", "opjob"]["error"]'
	sed -i "s|^libvirt_uri = .*|libvirt_uri = $BED_URI|" "$DC"
	# A typo is the command's error: nothing recorded, no series.
	expect_rc 1 "$VV" -c "$DC" backup nosuchvm
	expect_in "domain nosuchvm: not found at"
	mon_check 'not any(k[0] == "nosuchvm" for k in d)'
	grep -q nosuchvm "$BED_DIR/mon.prom" && fail "a series for a name that is no domain"
	expect_rc 2 "$VV" -c "$DC" backup
	expect_in "name the domains to back up, or give --all or --job NAME"
	# A domain that is gone: its records can be forgotten.
	virsh -q -c "$BED_URI" undefine $M2 >/dev/null
	expect_rc 0 "$VV" -c "$DC" status --forget-gone
	expect_in "forgot 2 run records of $M2"
	mon_check 'not any(k[0] == "'"$M2"'" for k in d) and ("'"$M1"'", "opjob") in d'
	grep -q 'domain="'"$M2"'"' "$BED_DIR/mon.prom" && fail "the gone domain's series stay"
	expect_rc 0 "$VV" -c "$DC" status --forget $M1
	expect_in "forgot 1 run record of $M1"
	# -q: errors only.
	expect_rc 0 "$VV" -q -c "$DC" backup $M1
	[ -z "$OUT" ] || fail "-q printed: $OUT"
}

# Busy, interrupted (SIGINT), killed (-9): each counted as what it is.
test_monitor_busy_interrupted_killed() {
	local pid
	mon_conf b
	expect_rc 0 "$VV" -c "$DC" backup --job opjob
	# Busy: another run holds $M1 (stopped at its copy).
	VIRTVAULT_TEST_STALL=copy "$VV_FAULTS" -q -c "$DC" backup $M1 >"$BED_DIR/mon-hold.log" 2>&1 &
	pid=$!
	wait_for 60 test -f "$DS/stall.$M1" || { kill -9 $pid; return 1; }
	expect_rc 1 "$VV" -c "$DC" backup --job opjob $M1
	expect_in "$M1: SKIPPED (another run holds it)"
	expect_in "another virtvault (pid $pid) is working on it"
	mon_check 'd["'"$M1"'", "opjob"]["result"] == "success" and d["'"$M1"'", "opjob"]["failures_total"] == 0 and d["'"$M1"'", "opjob"]["skipped_total"] == 1 and d["'"$M1"'", "opjob"]["running"]'
	mon_metric 'virtvault_skipped_total{domain="'"$M1"'",job="opjob"}' 1
	mon_metric 'virtvault_failures_total{domain="'"$M1"'",job="opjob"}' 0
	mon_metric 'virtvault_run_in_progress{domain="'"$M1"'"}' 1
	# Interrupted: SIGINT during the held run's copy.
	kill -INT $pid
	rm -f "$DS/stall.$M1"
	wait $pid
	expect_rc 0 cat "$BED_DIR/mon-hold.log"
	expect_in "$M1: INTERRUPTED (its disks were put back; nothing published)"
	expect_not_in "see the errors above"
	mon_check 'd["'"$M1"'", "manual"]["result"] == "interrupted" and "interrupted by a signal" in d["'"$M1"'", "manual"]["error"] and not d["'"$M1"'", "manual"]["running"]'
	mon_metric 'virtvault_last_run_interrupted{domain="'"$M1"'",job="manual"}' 1
	# Killed: status says so at once and names the repair; the next
	# metrics written say so too, until the repair.
	kill9_at copy "$DC" "$DS" $M2 || return 1
	expect_rc 0 "$VV" -c "$DC" status
	expect_in "INTERRUPTED $M2: a backup was killed in phase 'copy'"
	expect_in "run: virtvault repair $M2"
	mon_check 'o["needs_repair"] == [{"domain": "'"$M2"'", "phase": "copy", "run": "virtvault repair '"$M2"'"}]'
	expect_rc 0 "$VV" -c "$DC" backup $M1
	mon_metric 'virtvault_needs_repair{domain="'"$M2"'"}' 1
	expect_rc 0 "$VV" -c "$DC" repair $M2
	expect_rc 0 "$VV" -c "$DC" backup $M1
	grep -q 'virtvault_needs_repair{domain="'"$M2"'"}' "$BED_DIR/mon.prom" &&
		fail "needs_repair stays after the repair"
	mon_check 'o["needs_repair"] == []'
}

# The metrics file's folder missing: config check says so, and a backup
# that cannot write it does not exit 0. Two runs at once: the loser names
# the winner's pid, neither trips over the other's files.
test_monitor_unwritable_metrics_and_two_at_once() {
	local i a b
	mon_conf c
	sed -i "s|^metrics_file = .*|metrics_file = $BED_DIR/no-such-dir/mon.prom|" "$DC"
	expect_rc 2 "$VV" -c "$DC" config check
	expect_in "metrics_file = $BED_DIR/no-such-dir/mon.prom: its folder $BED_DIR/no-such-dir does not exist"
	expect_rc 1 "$VV" -c "$DC" backup $M1
	expect_in "the metrics file $BED_DIR/no-such-dir/mon.prom cannot be written"
	sed -i "s|^metrics_file = .*|metrics_file = $BED_DIR/mon.prom|" "$DC"
	for i in 1 2 3; do
		"$VV" -c "$DC" backup $M1 >"$BED_DIR/mon-a.log" 2>&1 &
		a=$!
		"$VV" -c "$DC" backup $M1 >"$BED_DIR/mon-b.log" 2>&1 &
		b=$!
		wait $a
		wait $b
		cat "$BED_DIR/mon-a.log" "$BED_DIR/mon-b.log" >"$BED_DIR/mon-ab.log"
		grep -q "pid unknown\|cannot write" "$BED_DIR/mon-ab.log" &&
			{ cat "$BED_DIR/mon-ab.log"; fail "two runs at once: $(grep "pid unknown\|cannot write" "$BED_DIR/mon-ab.log")"; }
	done
	[ -z "$(ls "$DS/running")" ] || fail "a running marker is left: $(ls "$DS/running")"
}
