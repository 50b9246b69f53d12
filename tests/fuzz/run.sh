#!/usr/bin/env bash
# Run libFuzzer targets: run.sh NAME... (FUZZ_SECONDS each, default 60).
# Each starts from its seed corpus (tests/fuzz/corpus/NAME: real objects,
# and every input that once crashed, kept as a regression input) and
# writes what it finds to build/fuzz/corpus/NAME. Prints per target the
# executions and the coverage reached; exits 1 when a target crashed,
# naming the input to keep.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${FUZZ_SECONDS:-60}
failed=0
printf '%-10s %10s %8s %8s %s\n' target execs cov ft result
for t in "$@"; do
	bin=$top/build/fuzz/fuzz_$t
	seeds=$top/tests/fuzz/corpus/$t
	work=$top/build/fuzz/corpus/$t
	log=$top/build/fuzz/$t.log
	mkdir -p "$work" "$seeds"
	before=("" $(ls -d /tmp/vv-fuzz-"$t".* 2>/dev/null))
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$top/build/fuzz/crash-$t-" "$work" "$seeds" >"$log" 2>&1
	rc=$?
	execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -n1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n1 | cut -d' ' -f2)
	# A target leaves nothing in /tmp (its temporary files go with it).
	left=$(ls -d /tmp/vv-fuzz-"$t".* 2>/dev/null | grep -vxF -f <(printf '%s\n' "${before[@]}") || true)
	if [ "$rc" = 0 ] && [ -n "$left" ]; then
		res="LEFT $(echo $left)"
		failed=1
	elif [ "$rc" = 0 ]; then
		res=ok
	else
		res="CRASH (exit $rc)"
		failed=1
	fi
	printf '%-10s %10s %8s %8s %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$res"
	if [ "$rc" != 0 ]; then
		grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" | head -n 8 | sed 's/^/    | /'
		echo "    | keep the input as a regression input: cp build/fuzz/crash-$t-* tests/fuzz/corpus/$t/"
	fi
done
exit $failed
