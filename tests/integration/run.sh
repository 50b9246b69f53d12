#!/usr/bin/env bash
# Integration tests: the real virtvault against a real libvirtd and a real
# TCG guest. Brings the test bed up, runs every test_* function of the
# t_*.sh files (or only those matching $1), tears everything down (also on
# failure or interrupt) and prints "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/tests/bed/lib.sh"
. "$here/lib.sh"

filter=${1:-}
# Times in the tests' expectations are UTC, whatever the host says.
export TZ=UTC
# VV: the program under test (check-asan gives its sanitizer build).
VV=${VV:-$top/virtvault}
export VV
[ -x "$VV" ] || { echo "run.sh: build virtvault first (make)" >&2; exit 1; }
# The same program with the sequence's fault hooks, for tests that stop a
# backup at a known phase (make integration builds it).
VV_FAULTS=${VV_FAULTS:-$top/build/virtvault-faults}
export VV_FAULTS
[ -x "$VV_FAULTS" ] || { echo "run.sh: build $VV_FAULTS first (make integration)" >&2; exit 1; }

bed_init
trap 'bed_teardown' EXIT
trap 'exit 130' INT TERM

t0=$(date +%s.%N)
bed_start_libvirt || exit 1
bed_build_guest || exit 1
t1=$(date +%s.%N)
bed_up it1 || exit 1
t2=$(date +%s.%N)
printf 'bed: guest built in %.1fs; cold start to guest agent answering: %.1fs\n' \
	"$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)"
# The object store, when tests of it run (a filter may pick some of them:
# the test functions are declared once the files are sourced, below).
needs_rgw=no
for f in "$here"/t_*.sh; do
	grep -o '^test_s3_[a-z0-9_]*' "$f"
done | grep -q -- "$filter" && needs_rgw=yes
if [ "$needs_rgw" = yes ]; then
	t3=$(date +%s.%N)
	bed_start_rgw 7480 || exit 1
	printf 'bed: Ceph RGW answering at %s after %.1fs\n' "$RGW_ENDPOINT" "$(echo "$(date +%s.%N) - $t3" | bc)"
fi

# The domain every test may use; tests that change it put it back.
DOM=vvtest-it1
DOMDIR=$BED_DIR/it1
CONF=$BED_DIR/virtvault.conf
mkdir -p "$BED_DIR/state"
cat >"$CONF" <<CONF_EOF
[agent]
libvirt_uri = $BED_URI
state_dir = $BED_DIR/state

[repository]
url = file://$BED_DIR/repo
encryption = none
CONF_EOF
chmod 600 "$CONF"
export DOM DOMDIR CONF

# Every file's helpers share one shell: a name defined twice would
# silently replace the first file's.
dups=$(grep -ho '^[A-Za-z_][A-Za-z0-9_]*()' "$here"/t_*.sh "$here/lib.sh" | sort | uniq -d)
if [ -n "$dups" ]; then
	echo "run.sh: functions defined in two test files: $dups" >&2
	exit 1
fi
for f in "$here"/t_*.sh; do
	. "$f"
done

passed=0
failed=0
failures=()
for t in $(declare -F | awk '{print $3}' | grep '^test_' ); do
	case "$t" in *"$filter"*) ;; *) continue ;; esac
	log=$BED_DIR/$t.log
	s=$(date +%s.%N)
	export VV_FAILMARK=$BED_DIR/$t.failed
	rm -f "$VV_FAILMARK"
	if (set -e; "$t") >"$log" 2>&1 && [ ! -e "$VV_FAILMARK" ]; then
		passed=$((passed + 1))
		printf 'PASS %-40s %5.1fs\n' "$t" "$(echo "$(date +%s.%N) - $s" | bc)"
	else
		failed=$((failed + 1))
		failures+=("$t")
		printf 'FAIL %-40s %5.1fs\n' "$t" "$(echo "$(date +%s.%N) - $s" | bc)"
		sed 's/^/    | /' "$log"
	fi
done
[ ${#failures[@]} -eq 0 ] || echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
