# Helpers for integration tests: assertions that say what they expected.

# fail MESSAGE: report a failed check. It also marks the running test as
# failed (run.sh reads $VV_FAILMARK): errexit does not reach into a test
# run as a condition, so a check that fails mid-test must still count.
fail() {
	echo "FAIL: $*" >&2
	if [ -n "${VV_FAILMARK:-}" ]; then
		echo "$*" >>"$VV_FAILMARK"
	fi
	return 1
}

# expect_rc WANT CMD...: run CMD, keep its output in $OUT, check its exit code.
expect_rc() {
	local want=$1 rc=0
	shift
	OUT=$("$@" 2>&1) || rc=$?
	if [ "$rc" != "$want" ]; then
		echo "$OUT" >&2
		fail "'$*' exited $rc, expected $want"
		return 1
	fi
	return 0
}

# expect_in TEXT: $OUT contains TEXT (fixed string).
expect_in() {
	if ! grep -qF -- "$1" <<<"$OUT"; then
		echo "$OUT" >&2
		fail "output lacks '$1'"
		return 1
	fi
}

# expect_not_in TEXT: $OUT does not contain TEXT.
expect_not_in() {
	if grep -qF -- "$1" <<<"$OUT"; then
		echo "$OUT" >&2
		fail "output contains '$1'"
		return 1
	fi
}

# wait_for SECONDS CMD...: poll CMD until it succeeds or the deadline passes.
wait_for() {
	local secs=$1 t0
	shift
	t0=$(date +%s)
	until "$@" >/dev/null 2>&1; do
		[ $(($(date +%s) - t0)) -lt "$secs" ] || { fail "timed out after ${secs}s waiting for: $*"; return 1; }
		sleep 0.2
	done
}

# kill_at POINT LOG CMD...: run CMD (the fault build) in the background until
# it stops at POINT (common/fault.h), then kill it with -9; its output in
# LOG. Returns 1 (failed, the process stopped) when it never got there.
kill_at() {
	local point=$1 log=$2 pid
	shift 2
	rm -f "$log.stall"
	VIRTVAULT_TEST_STALL=$point VIRTVAULT_TEST_STALL_MARKER=$log.stall "$@" >"$log" 2>&1 &
	pid=$!
	wait_for 60 test -e "$log.stall" || {
		kill -9 $pid
		wait $pid 2>/dev/null
		cat "$log"
		return 1
	}
	kill -9 $pid
	wait $pid 2>/dev/null || true
	rm -f "$log.stall"
}

# guest_exec DOM CMD: run CMD with /bin/sh in the guest through the agent,
# print its standard output.
guest_exec() {
	local dom=$1 cmd=$2 pid out
	pid=$(virsh -c "$BED_URI" qemu-agent-command "$dom" \
		"{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/bin/sh\",\"arg\":[\"-c\",\"$cmd\"],\"capture-output\":true}}" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["return"]["pid"])') || return 1
	for _ in $(seq 100); do
		out=$(virsh -c "$BED_URI" qemu-agent-command "$dom" \
			"{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}") || return 1
		if python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["return"]["exited"] else 1)' <<<"$out"; then
			python3 -c 'import base64,json,sys; r=json.load(sys.stdin)["return"]; sys.stdout.write(base64.b64decode(r.get("out-data","")).decode())' <<<"$out"
			return 0
		fi
		sleep 0.1
	done
	fail "guest-exec of '$cmd' in $dom did not finish"
}

# kill9_at PHASE CONF STATE DOM: a backup of DOM (configuration CONF, whose
# state folder is STATE) stopped at PHASE by the fault build, then killed
# with SIGKILL there.
kill9_at() {
	local ph=$1 conf=$2 state=$3 dom=$4 pid log=$BED_DIR/kill9-$4.log
	VIRTVAULT_TEST_STALL=$ph "$VV_FAULTS" -q -c "$conf" backup "$dom" >"$log" 2>&1 &
	pid=$!
	wait_for 60 test -f "$state/stall.$dom" || { kill -9 $pid; cat "$log"; return 1; }
	kill -9 $pid
	wait $pid 2>/dev/null
	rm -f "$state/stall.$dom"
}
