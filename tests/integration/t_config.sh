# Configuration and command line, through the real binary.

test_config_three_mistakes_all_reported() {
	local f=$BED_DIR/three.conf
	printf '[agent]\nlog_levle = debug\n\n[repository]\nurl = file:///srv/vv\nchunk_size = 3M\n\n[job nightly]\ndomains = *\nschedule = 0 25 * * *\n' >"$f"
	expect_rc 2 "$VV" -c "$f" config check
	expect_in "$f:2: unknown key 'log_levle' in [agent] (did you mean 'log_level'?)"
	expect_in "$f:6: chunk_size: '3M' is not a power of two from 256K to 16M"
	expect_in "$f:10: schedule: '0 25 * * *' is not a valid schedule: field 2 (hour): 25 is out of range 0-23"
	expect_in "$f: 3 errors"
}

test_config_check_prints_effective_redacted() {
	local f=$BED_DIR/good.conf
	printf '[repository]\nurl = s3://bkt/host1\nendpoint = http://127.0.0.1:7480\naccess_key = AKIDTEST\nsecret_key = s3cr3t-value\npassword_file = %s/pw\n[job nightly]\nschedule = @daily\ndomains = web-*\n' "$BED_DIR" >"$f"
	printf 'pw\n' >"$BED_DIR/pw"
	chmod 600 "$f" "$BED_DIR/pw"
	expect_rc 0 "$VV" -c "$f" config check
	expect_in "secret_key = <redacted>"
	expect_not_in "s3cr3t-value"
	expect_in "access_key = AKIDTEST"
	expect_in "chunk_size = 1M"
	expect_in "[job nightly]"
	# The secret is in the environment instead: still never printed.
	printf '[repository]\nurl = s3://bkt/host1\nencryption = none\n' >"$f"
	OUT=$(AWS_SECRET_ACCESS_KEY=envsecret "$VV" -c "$f" config check 2>&1) || fail "config check failed: $OUT"
	expect_in "secret_key = <redacted>  ; from AWS_SECRET_ACCESS_KEY"
	expect_not_in "envsecret"
}

test_config_secret_file_mode_refused() {
	local f=$BED_DIR/open.conf
	printf '[repository]\nurl = s3://bkt/x\nsecret_key = abc\n' >"$f"
	chmod 644 "$f"
	expect_rc 2 "$VV" -c "$f" config check
	expect_in "$f:3: holds secret_key, but the file is readable by group and others (mode 0644); fix it with: chmod 600 $f"
	expect_not_in "= abc"
	# Every command refuses it, not only config check.
	expect_rc 2 "$VV" -c "$f" disks "$DOM"
}

test_config_from_environment_and_missing_file() {
	OUT=$(VIRTVAULT_CONFIG=$CONF "$VV" config check 2>&1) || fail "$OUT"
	expect_in "effective configuration from $CONF"
	expect_rc 2 "$VV" -c "$BED_DIR/nonexistent.conf" config check
	expect_in "$BED_DIR/nonexistent.conf: cannot open: No such file or directory"
}

test_config_example_is_valid() {
	local f=$BED_DIR/example.conf
	printf 'pw\n' >"$BED_DIR/example.pw"
	chmod 600 "$BED_DIR/example.pw"
	cp "$BED_TOP/packaging/virtvault.conf.example" "$f"
	# Every commented key and section, uncommented, must be valid too.
	sed -i 's/^;\([a-z_]* = \)/\1/; s/^;\(\[[a-z]* [a-z0-9_-]*\]\)$/\1/' "$f"
	sed -i "s|^password_file = .*|password_file = $BED_DIR/example.pw|" "$f"
	# The metrics file's folder must exist (node-exporter's is not here).
	sed -i "s|^metrics_file = .*|metrics_file = $BED_DIR/example.prom|" "$f"
	sed -i "s|^report_file = .*|report_file = $BED_DIR/example.html|" "$f"
	chmod 600 "$f"
	expect_rc 0 "$VV" -c "$f" config check
	expect_in "retry_delay = 300s"
	expect_in "timezone = Europe/Berlin"
}

test_cli_usage_and_exit_codes() {
	expect_rc 0 "$VV" --help
	expect_in "Exit codes:"
	expect_in "3  partial failure"
	expect_rc 0 "$VV" --version
	expect_in "virtvault 0."
	expect_rc 2 "$VV"
	expect_rc 2 "$VV" frobnicate
	expect_in "unknown command 'frobnicate'"
	expect_rc 2 "$VV" --bogus-option
	expect_rc 0 "$VV" disks --help
	expect_in "usage: virtvault disks DOMAIN"
	expect_rc 2 "$VV" -c "$CONF" disks
	expect_rc 0 "$VV" schedule '0 2 * * mon-fri' -n 2 --timezone UTC
	expect_in "02:00:00 UTC"
	expect_rc 2 "$VV" schedule '0 2 * *'
	expect_in "expected 5 fields"
	expect_rc 2 "$VV" -c "$CONF" backup
	expect_rc 2 "$VV" -c "$CONF" backup "$DOM" --all
	# Every help fits 80 columns.
	local c
	for c in "" $("$VV" --help | awk '/^Commands:/ {f = 1; next} /^Options:/ {f = 0} f && /^  [a-z]/ {print $1}'); do
		expect_rc 0 "$VV" $c --help
		awk 'length > 80 {bad = 1; print "too wide: " $0} END {exit bad}' <<<"$OUT" ||
			fail "'virtvault $c --help' is wider than 80 columns"
	done
}

# Test-only fault hooks are compiled into build/virtvault-faults only.
test_config_shipped_binary_has_no_fault_hooks() {
	if grep -q VIRTVAULT_TEST_STALL "$VV"; then
		fail "$VV holds the VIRTVAULT_TEST_STALL fault hook"
	fi
	grep -q VIRTVAULT_TEST_STALL "$VV_FAULTS" || fail "$VV_FAULTS lacks its fault hook"
}
