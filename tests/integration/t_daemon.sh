# The daemon: schedules on an accelerated clock, parallelism, signals,
# crash recovery, status, metrics, hooks, catch-up and retries.

# off_domain NAME MB: a shut-off domain vvtest-NAME (no OS: it runs in its
# firmware when started) with a 256 MiB qcow2 disk, MB MiB of it random.
off_domain() {
	local d=$BED_DIR/$1
	mkdir -p "$d"
	qemu-img create -q -f qcow2 "$d/disk.qcow2" 256M
	if [ "$2" -gt 0 ]; then
		head -c "${2}M" /dev/urandom >"$d/fill"
		qemu-io -c "write -s $d/fill 0 ${2}M" "$d/disk.qcow2" >/dev/null
		rm -f "$d/fill"
	fi
	cat >"$d/dom.xml" <<XML
<domain type='qemu'><name>vvtest-$1</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64'>hvm</type></os><devices>
<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
<source file='$d/disk.qcow2'/><target dev='vda' bus='virtio'/></disk></devices></domain>
XML
	echo "vvtest-$1" >>"$BED_DIR/domains"
	virsh -q -c "$BED_URI" define "$d/dom.xml" >/dev/null
}

# daemon_conf NAME EXTRA...: a config DC with a shared unencrypted repository;
# EXTRA lines are appended (the jobs).
daemon_conf() {
	DC=$BED_DIR/$1.conf
	DS=$BED_DIR/$1-state
	{
		printf '[agent]\nlibvirt_uri = %s\nstate_dir = %s\nmetrics_file = %s/%s.prom\nmax_parallel = %s\n' \
			"$BED_URI" "$DS" "$BED_DIR" "$1" "${MAXP:-1}"
		printf '[repository]\nurl = file://%s/%s-repo\nencryption = none\n' "$BED_DIR" "$1"
		shift
		printf '%s\n' "$@"
	} >"$DC"
	chmod 600 "$DC"
	"$VV" -q -c "$DC" init >/dev/null
}

# start_daemon LOG [ENV=VALUE...]: the daemon of $DC in the background, DPID.
start_daemon() {
	local log=$1
	shift
	env "$@" "$VV_FAULTS" -c "$DC" daemon >"$log" 2>&1 &
	DPID=$!
	echo "$DPID virtvault-daemon" >>"$BED_DIR/pids"
	wait_for 20 grep -q "daemon started" "$log"
}

# stop_daemon: SIGTERM, and its exit code must be 0.
stop_daemon() {
	kill -TERM "$DPID"
	wait "$DPID" || fail "the daemon exited $?"
}

# peak_runs LOG: the most backups the daemon's LOG shows running at once.
peak_runs() {
	awk '/: backing up / {n++} /backed up: snapshot| failed: / {n--} n > peak {peak = n} END {print peak + 0}' "$1"
}

test_daemon_runs_jobs_on_schedule_status_metrics_hooks() {
	local log=$BED_DIR/d1.log
	off_domain dm1 2
	# Three runs (00:02, 00:04, 00:06), then none until the next day, twelve
	# minutes away at this clock: the daemon is not stopped in a run.
	daemon_conf d1 '[job often]' 'schedule = 2-6/2 0 * * *' 'domains = vvtest-dm1' \
		"on_success = echo \"ok \$VIRTVAULT_JOB \$VIRTVAULT_DOMAIN \$VIRTVAULT_RESULT \$VIRTVAULT_SNAPSHOT\" >>$BED_DIR/d1-hooks.log" \
		'[job byhand]' 'domains = vvtest-none'
	start_daemon "$log" VIRTVAULT_TEST_CLOCK="1795564800 120"
	expect_rc 0 cat "$log"
	expect_in "job often: next run at 2026-11-25 00:02:00"
	expect_in "job byhand: no schedule"
	# Two virtual minutes a second: a run each second or so.
	wait_for 30 sh -c "[ \$(grep -c 'backed up: snapshot' '$log') -ge 3 ]"
	wait_for 10 sh -c "[ \$(grep -c '^ok often' '$BED_DIR/d1-hooks.log') -ge 3 ]"
	stop_daemon
	expect_rc 0 "$VV" -c "$DC" list vvtest-dm1 --json
	python3 -c 'import json,sys; assert len(json.loads(sys.argv[1])) == 3, sys.argv[1]' "$OUT" ||
		fail "three snapshots expected: $OUT"
	expect_rc 0 cat "$log"
	expect_in "job often: vvtest-dm1 backed up: snapshot"
	expect_in "daemon stopped"
	expect_rc 0 "$VV" -c "$DC" status
	expect_in "often"
	expect_in "vvtest-dm1           often        success"
	expect_rc 0 "$VV" -c "$DC" status --json
	python3 - "$OUT" <<'PY' || fail "status: $OUT"
import json, sys
o = json.loads(sys.argv[1])
d = {x["domain"]: x for x in o["domains"]}["vvtest-dm1"]
assert d["result"] == "success" and len(d["snapshot"]) == 16 and not d["running"], d
assert {j["job"] for j in o["jobs"]} == {"often", "byhand"}, o
# Times in ISO 8601, UTC, as in every JSON output; null for never.
import re
iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
assert all(iso.match(d[k]) for k in ("started", "finished", "last_success")), d
jobs = {j["job"]: j for j in o["jobs"]}
assert iso.match(jobs["often"]["next_run"]) and jobs["byhand"]["next_run"] is None, jobs
PY
	expect_rc 0 cat "$BED_DIR/d1.prom"
	expect_in 'virtvault_last_success_timestamp_seconds{domain="vvtest-dm1",job="often"}'
	expect_in 'virtvault_failures_total{domain="vvtest-dm1",job="often"} 0'
	expect_rc 0 cat "$BED_DIR/d1-hooks.log"
	expect_in "ok often vvtest-dm1 success "
}

test_daemon_max_parallel() {
	local log=$BED_DIR/d2.log
	off_domain dm2 48
	off_domain dm3 48
	# One at a time: every start follows the end of the run before.
	MAXP=1 daemon_conf d2 '[job both]' 'schedule = 0 * * * *' 'domains = vvtest-dm2 vvtest-dm3'
	start_daemon "$log" VIRTVAULT_TEST_CLOCK="1795568395 60"
	wait_for 60 sh -c "grep -c 'backed up: snapshot' '$log' | grep -q 2"
	stop_daemon
	[ "$(peak_runs "$log")" = 1 ] || { cat "$log"; fail "max_parallel = 1 was not respected"; }
	# Two at once.
	MAXP=2 daemon_conf d3 '[job both]' 'schedule = 0 * * * *' 'domains = vvtest-dm2 vvtest-dm3'
	log=$BED_DIR/d3.log
	start_daemon "$log" VIRTVAULT_TEST_CLOCK="1795568395 60"
	wait_for 60 sh -c "grep -c 'backed up: snapshot' '$log' | grep -q 2"
	stop_daemon
	[ "$(peak_runs "$log")" = 2 ] || { cat "$log"; fail "max_parallel = 2 did not run two at once"; }
}

test_daemon_sighup_bad_then_good_config() {
	local log=$BED_DIR/d4.log
	daemon_conf d4 '[job a]' 'schedule = 0 4 * * *' 'domains = vvtest-none'
	start_daemon "$log"
	cp "$DC" "$DC.good"
	printf '[job b]\nschedule = 0 25 * * *\ndomains = x\nbogus_key = 1\n' >>"$DC"
	kill -HUP "$DPID"
	wait_for 20 grep -q "still running on the old one" "$log"
	expect_rc 0 cat "$log"
	expect_in "reload: $DC:"
	expect_in "schedule: '0 25 * * *' is not a valid schedule"
	expect_in "unknown key 'bogus_key'"
	kill -0 "$DPID" || fail "the daemon died on a bad reload"
	sed 's/schedule = 0 4 \* \* \*/schedule = 30 5 * * */' "$DC.good" >"$DC"
	kill -HUP "$DPID"
	wait_for 20 grep -q "configuration reloaded" "$log"
	wait_for 20 grep -q "job a: next run at .* 05:30:00" "$log"
	stop_daemon
}

test_daemon_sigterm_during_copy_leaves_chain_intact() {
	local log=$BED_DIR/d5.log
	daemon_conf d5 '[job live]' 'schedule = * * * * *' "domains = $DOM" 'quiesce = try'
	"$VV" -c "$DC" disks "$DOM" | sed "s/  (read .*)$//" >"$BED_DIR/d5-before"
	start_daemon "$log" VIRTVAULT_TEST_CLOCK="1795564790 10" VIRTVAULT_TEST_STALL=copy
	wait_for 60 test -f "$DS/stall.$DOM"
	expect_rc 1 "$VV" -c "$DC" check-chain "$DOM"
	expect_in "runs on"
	kill -TERM "$DPID"
	# A second signal (once the first was taken: signals do not queue) must
	# not skip the safe point.
	wait_for 20 grep -q "stopping (Terminated)" "$log"
	kill -TERM "$DPID" 2>/dev/null || true
	wait "$DPID" || fail "the daemon exited $?"
	expect_rc 0 cat "$log"
	expect_in "stopping (Terminated)"
	grep -q "already stopping" "$log" || grep -q "repaired; every disk is back" "$log" ||
		fail "the second signal skipped the safe point"
	expect_in "putting its disks back"
	expect_in "daemon stopped"
	expect_rc 0 "$VV" -c "$DC" status
	expect_in "interrupted: the daemon was stopped during the run"
	expect_rc 0 "$VV" -c "$DC" check-chain "$DOM"
	"$VV" -c "$DC" disks "$DOM" | sed "s/  (read .*)$//" >"$BED_DIR/d5-after"
	cmp "$BED_DIR/d5-before" "$BED_DIR/d5-after" || fail "the chain changed"
	[ -z "$(ls "$DOMDIR" | grep virtvault)" ] || fail "an overlay is left"
}

test_daemon_killed_restarted_repairs_and_goes_on() {
	local log=$BED_DIR/d6.log kid
	daemon_conf d6 '[job live]' 'schedule = * * * * *' "domains = $DOM" 'quiesce = try'
	start_daemon "$log" VIRTVAULT_TEST_CLOCK="1795564790 10" VIRTVAULT_TEST_STALL=copy
	wait_for 60 test -f "$DS/stall.$DOM"
	kid=$(cat "$DS/running/$DOM")
	# A manual backup meanwhile does not interleave.
	expect_rc 1 "$VV" -c "$DC" backup "$DOM"
	expect_in "another virtvault (pid $kid) is working on it"
	kill -9 "$DPID" "$kid"
	wait "$DPID" 2>/dev/null
	rm -f "$DS/stall.$DOM"
	expect_rc 1 "$VV" -c "$DC" check-chain "$DOM"
	log=$BED_DIR/d6b.log
	start_daemon "$log" VIRTVAULT_TEST_CLOCK="1795564790 10"
	wait_for 60 grep -q "backed up: snapshot" "$log"
	stop_daemon
	expect_rc 0 cat "$log"
	expect_in "a backup was interrupted; repairing it before scheduling"
	expect_in "domain $DOM: repaired"
	expect_rc 0 "$VV" -c "$DC" check-chain "$DOM"
}

test_daemon_catch_up_and_retries() {
	local log=$BED_DIR/d7.log
	off_domain dm7 1
	daemon_conf d7 '[job nightly]' 'schedule = 0 3 * * *' 'domains = vvtest-dm7' 'catch_up = yes' \
		'[job lazy]' 'schedule = 0 3 * * *' 'domains = vvtest-dm7' \
		'[job flaky]' 'schedule = 0 4 * * *' 'domains = vvtest-dm7-gone' 'retries = 2' 'retry_delay = 10m'
	mkdir -p "$DS/jobs"
	# Both last ran two days before the clock's start (2026-11-25 12:00Z).
	echo '{"last_fire": 1795392000}' >"$DS/jobs/nightly.json"
	echo '{"last_fire": 1795392000}' >"$DS/jobs/lazy.json"
	start_daemon "$log" VIRTVAULT_TEST_CLOCK="1795608000 600"
	wait_for 30 grep -q "job nightly: vvtest-dm7 backed up" "$log"
	expect_rc 0 cat "$log"
	expect_in "job nightly: catching up a run missed while the daemon was down"
	expect_not_in "job lazy: catching up"
	stop_daemon
	# A job whose domains are all gone says so.
	expect_rc 1 "$VV" -c "$DC" backup --job flaky --dry-run
	expect_in "flaky selects no domain"
	# A job that fails is retried with backoff, then gives up.
	echo '[job flaky2]' >>"$DC"
	printf 'schedule = 0 13 * * *\ndomains = vvtest-dm7\nretries = 2\nretry_delay = 10m\n' >>"$DC"
	# A hook that hangs is killed at its timeout; one that fails is logged.
	printf 'on_failure = sleep 30\nhook_timeout = 1s\n' >>"$DC"
	printf 'on_success = exit 3\n' >>"$DC"
	virsh -q -c "$BED_URI" undefine vvtest-dm7 --checkpoints-metadata >/dev/null
	virsh -q -c "$BED_URI" define "$BED_DIR/dm7/dom.xml" >/dev/null
	mv "$BED_DIR/dm7/disk.qcow2" "$BED_DIR/dm7/disk.moved"
	log=$BED_DIR/d7b.log
	start_daemon "$log" VIRTVAULT_TEST_CLOCK="1795611540 600"
	wait_for 60 grep -q "no retry left" "$log"
	stop_daemon
	mv "$BED_DIR/dm7/disk.moved" "$BED_DIR/dm7/disk.qcow2"
	expect_rc 0 cat "$log"
	expect_in "job flaky2: vvtest-dm7 failed"
	expect_in "will be tried again in 600s (attempt 2 of 3)"
	expect_in "will be tried again in 1200s (attempt 3 of 3)"
	expect_in "job flaky2, domain vvtest-dm7: the on_failure hook ran over 1s and was killed"
	expect_rc 0 "$VV" -c "$DC" status --json
	expect_in '"result":"failure"'
	expect_in '"failures_total":3'
}

# Hooks run in the background: while one runs, SIGTERM is answered at once
# (the daemon lets the hook finish within hook_timeout before it exits).
test_daemon_hook_does_not_block_signals() {
	local log=$BED_DIR/d9.log
	off_domain dm9 1
	daemon_conf d9 '[job hooked]' 'schedule = * * * * *' 'domains = vvtest-dm9' \
		"on_success = touch $BED_DIR/d9-hook-start; sleep 4; touch $BED_DIR/d9-hook-end" \
		'hook_timeout = 60s'
	start_daemon "$log" VIRTVAULT_TEST_CLOCK="1795564790 10"
	wait_for 60 test -f "$BED_DIR/d9-hook-start"
	kill -TERM "$DPID"
	wait_for 2 grep -q "stopping (Terminated)" "$log"
	[ ! -f "$BED_DIR/d9-hook-end" ] || fail "SIGTERM was answered only after the hook ended"
	wait "$DPID" || fail "the daemon exited $?"
	[ -f "$BED_DIR/d9-hook-end" ] || fail "the hook was cut short"
	expect_rc 0 cat "$log"
	expect_in "daemon stopped"
	virsh -q -c "$BED_URI" undefine vvtest-dm9 --checkpoints-metadata >/dev/null
}

test_daemon_keeps_and_prunes() {
	local log=$BED_DIR/dk.log
	off_domain dk1 2
	daemon_conf dk 'prune_schedule = */3 * * * *' '[job kept]' 'schedule = */2 * * * *' \
		'domains = vvtest-dk1' 'keep_last = 2'
	start_daemon "$log" VIRTVAULT_TEST_CLOCK="1795564800 120"
	expect_rc 0 cat "$log"
	expect_in "prune: next run at 2026-11-25 00:03:00"
	wait_for 40 grep -q "prune: done" "$log"
	wait_for 30 sh -c "[ \$(grep -c 'backed up: snapshot' '$log') -ge 4 ]"
	stop_daemon
	expect_rc 0 cat "$log"
	expect_not_in "prune: failed"
	# Each run kept the newest two; the daemon's prune freed the rest.
	expect_rc 0 "$VV" -c "$DC" list vvtest-dk1 --json
	[ "$(json_len)" -le 2 ] || fail "keep_last = 2 left: $OUT"
	expect_rc 0 "$VV" -c "$DC" verify --deep
	expect_in "0 problems"
}

# A manual or timer run leaves the same record as a daemon run: status,
# metrics, the job's hooks; pre_backup/post_backup around each domain.
test_daemon_manual_runs_recorded_with_hooks() {
	local log=$BED_DIR/ops-hooks.log
	off_domain ops 2
	daemon_conf ops '[job j]' 'domains = vvtest-ops' \
		"pre_backup = echo pre \$VIRTVAULT_JOB \$VIRTVAULT_DOMAIN \$VIRTVAULT_PHASE >>$log" \
		"post_backup = echo post \$VIRTVAULT_DOMAIN \$VIRTVAULT_PHASE >>$log" \
		"on_success = echo ok \$VIRTVAULT_RESULT \$VIRTVAULT_SNAPSHOT >>$log" \
		'[job broken]' 'domains = vvtest-ops' 'pre_backup = exit 3' \
		"on_failure = echo failed \$VIRTVAULT_RESULT \$VIRTVAULT_ERROR >>$log"
	expect_rc 0 "$VV" -c "$DC" backup --job j
	expect_rc 0 cat "$log"
	expect_in "pre j vvtest-ops pre"
	expect_in "post vvtest-ops post"
	expect_in "ok success "
	expect_rc 0 "$VV" -c "$DC" status --json
	python3 - "$OUT" <<'PY' || fail "status after a manual run: $OUT"
import json, sys
d = {x["domain"]: x for x in json.loads(sys.argv[1])["domains"]}["vvtest-ops"]
assert d["result"] == "success" and d["job"] == "j" and len(d["snapshot"]) == 16, d
PY
	expect_rc 0 cat "$BED_DIR/ops.prom"
	expect_in 'virtvault_last_success_timestamp_seconds{domain="vvtest-ops",job="j"}'
	# Without a job: recorded as "manual".
	expect_rc 0 "$VV" -c "$DC" backup vvtest-ops
	expect_rc 0 "$VV" -c "$DC" status
	expect_in "manual"
	# A failing pre_backup: the domain is not backed up, nothing touched.
	expect_rc 1 "$VV" -c "$DC" backup --job broken
	expect_in "the pre_backup hook failed (exit 3)"
	expect_in "nothing touched"
	expect_rc 0 cat "$log"
	expect_in "failed failure "
	expect_rc 0 "$VV" -c "$DC" status --json
	python3 - "$OUT" <<'PY' || fail "status after a failed pre_backup: $OUT"
import json, sys
d = {(x["domain"], x["job"]): x for x in json.loads(sys.argv[1])["domains"]}
assert d["vvtest-ops", "broken"]["result"] == "failure" and "pre_backup" in d["vvtest-ops", "broken"]["error"], d
# One series per (job, domain): the other jobs' records stand.
assert d["vvtest-ops", "j"]["result"] == "success" and d["vvtest-ops", "manual"]["result"] == "success", d
PY
	expect_rc 0 "$VV" -c "$DC" check-chain vvtest-ops
}
