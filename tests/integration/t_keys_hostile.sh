# The keys against someone who can write the store: a config stripped of
# its MAC, another repository's config swapped in, the version-1 fixture
# opened untouched and upgraded only by 'key upgrade'; the master key
# exported to the standard output; a webhook's credentials never shown.

KH_FIXTURE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/repo-v1" && pwd)
# legacy.raw of host fixturehost in tests/fixtures/repo-v1, and its password.
KH_FIXTURE_SHA=4b43dbc04ff8f5ede9b2e1c4d8b771a43e2303e98851b0cdbf979ed44bfe8b7a
KH_FIXTURE_PW=fixture-password

# kh_conf NAME [PASSWORD]: a config KC for the encrypted repository KD
# ($BED_DIR/kh/NAME, not created).
kh_conf() {
	KD=$BED_DIR/kh/$1
	KC=$BED_DIR/kh/$1.conf
	mkdir -p "$BED_DIR/kh/$1.state"
	printf '%s\n' "${2:-correct horse battery staple}" >"$BED_DIR/kh/$1.pw"
	chmod 600 "$BED_DIR/kh/$1.pw"
	cat >"$KC" <<CONF
[agent]
host = khhost
state_dir = $BED_DIR/kh/$1.state
[repository]
url = file://$KD
password_file = $BED_DIR/kh/$1.pw
CONF
	chmod 600 "$KC"
}

# kh_config_edit FILE PYTHON: apply PYTHON to the dict c of config FILE.
kh_config_edit() {
	python3 - "$1" "$2" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
exec(sys.argv[2])
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
}

test_keys_hostile_mac_stripped_and_config_swapped() {
	kh_conf strip
	expect_rc 0 "$VV" -c "$KC" init
	head -c 1M /dev/urandom >"$BED_DIR/kh/one.raw"
	expect_rc 0 "$VV" -c "$KC" backup --image "$BED_DIR/kh/one.raw" --name one
	cp "$KD/config" "$BED_DIR/kh/strip.config"
	# The attack of the issue: no MAC, chunks twice as large.
	kh_config_edit "$KD/config" 'del c["mac"]; c["chunk_size"] *= 2'
	cp "$KD/config" "$BED_DIR/kh/strip.edited"
	expect_rc 1 "$VV" -c "$KC" list
	expect_in "the config object has no MAC, but key object keys/"
	expect_in "records that this repository's parameters are authenticated"
	expect_not_in "made before"
	cmp -s "$KD/config" "$BED_DIR/kh/strip.edited" || fail "list wrote the config object: $(cat "$KD/config")"
	# Every command refuses it, the parameters untouched too.
	kh_config_edit "$KD/config" 'c["chunk_size"] //= 2'
	expect_rc 1 "$VV" -c "$KC" backup --image "$BED_DIR/kh/one.raw" --name one
	expect_in "has no MAC"
	expect_rc 1 "$VV" -c "$KC" key list
	expect_in "has no MAC"
	cp "$BED_DIR/kh/strip.config" "$KD/config"
	expect_rc 0 "$VV" -c "$KC" list
	# Another repository's config, same password: its identity changed.
	kh_conf other
	expect_rc 0 "$VV" -c "$KC" init
	cp "$KD/config" "$BED_DIR/kh/strip/config"
	kh_conf strip
	expect_rc 1 "$VV" -c "$KC" list
	expect_in "its identity changed: the config object names repository $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$BED_DIR/kh/other/config")"
	expect_not_in "wrong password"
	cp "$BED_DIR/kh/strip.config" "$KD/config"
	expect_rc 0 "$VV" -c "$KC" list
	expect_in "one"
}

test_keys_hostile_v1_fixture_upgraded_only_when_asked() {
	local out=$BED_DIR/kh/v1out
	kh_conf v1 "$KH_FIXTURE_PW"
	cp -a "$KH_FIXTURE" "$KD"
	mkdir -p "$out"
	# Readable as it is, and nothing written: no command upgrades it.
	expect_rc 0 "$VV" -c "$KC" list --host fixturehost
	expect_in "legacy"
	expect_in "its parameters are not authenticated"
	expect_in "'virtvault key upgrade' authenticates them"
	expect_rc 0 "$VV" -c "$KC" key list
	expect_in "3aa4a00710a1f7ad"
	expect_rc 0 "$VV" -c "$KC" restore fixturehost/legacy@latest --to "$out"
	cmp -s "$KD/config" "$KH_FIXTURE/config" || fail "a command other than key upgrade wrote the config: $(cat "$KD/config")"
	diff -r "$KD/keys" "$KH_FIXTURE/keys" >/dev/null || fail "a command other than key upgrade changed keys/"
	[ "$(sha256sum <"$out/legacy.raw" | cut -d' ' -f1)" = "$KH_FIXTURE_SHA" ] ||
		fail "the version-1 snapshot did not restore byte-identical"
	# The explicit upgrade.
	expect_rc 0 "$VV" -c "$KC" key upgrade
	expect_in "are now authenticated"
	expect_in "replaced key 3aa4a00710a1f7ad by key"
	grep -q '"mac"' "$KD/config" || fail "key upgrade wrote no MAC: $(cat "$KD/config")"
	expect_rc 0 "$VV" -c "$KC" key list --json
	python3 -c 'import json,sys; k=json.loads(sys.argv[1]); assert len(k)==1 and k[0]["version"]==2 and k[0]["current"], k' "$OUT" ||
		fail "after the upgrade: $OUT"
	expect_rc 0 "$VV" -c "$KC" key upgrade
	expect_in "is up to date: nothing to do"
	expect_rc 0 "$VV" -c "$KC" list --host fixturehost
	expect_not_in "not authenticated"
	rm -f "$out/legacy.raw"
	expect_rc 0 "$VV" -c "$KC" restore fixturehost/legacy@latest --to "$out"
	[ "$(sha256sum <"$out/legacy.raw" | cut -d' ' -f1)" = "$KH_FIXTURE_SHA" ] ||
		fail "after the upgrade, the snapshot did not restore byte-identical"
	# The window is closed.
	kh_config_edit "$KD/config" 'del c["mac"]'
	expect_rc 1 "$VV" -c "$KC" list --host fixturehost
	expect_in "has no MAC"
}

test_keys_hostile_export_to_stdout() {
	local wd=$BED_DIR/kh/cwd
	kh_conf exp
	expect_rc 0 "$VV" -c "$KC" init
	mkdir -p "$wd"
	(cd "$wd" && "$VV" -c "$KC" key export --to - >"$BED_DIR/kh/exp.key" 2>"$BED_DIR/kh/exp.err") ||
		fail "key export --to - failed: $(cat "$BED_DIR/kh/exp.err")"
	[ ! -e "$wd/-" ] || fail "key export --to - wrote a file named '-'"
	head -n 1 "$BED_DIR/kh/exp.key" | grep -qx 'virtvault master key v1' ||
		fail "the standard output is not the key: $(cat "$BED_DIR/kh/exp.key")"
	grep -q 'exported the master key' "$BED_DIR/kh/exp.key" && fail "the message went to the key's output"
	grep -q 'to the standard output' "$BED_DIR/kh/exp.err" || fail "no message on stderr: $(cat "$BED_DIR/kh/exp.err")"
	# The key opens the repository without a password.
	chmod 600 "$BED_DIR/kh/exp.key"
	sed -i "s|^password_file = .*|master_key_file = $BED_DIR/kh/exp.key|" "$KC"
	expect_rc 0 "$VV" -c "$KC" list
	# --new-password-file -: the standard input.
	kh_conf exp
	(cd "$wd" && printf 'second password\n' | "$VV" -c "$KC" key add --new-password-file -) ||
		fail "key add --new-password-file - failed"
	printf 'second password\n' >"$BED_DIR/kh/exp.pw"
	expect_rc 0 "$VV" -c "$KC" list
}

test_keys_hostile_webhook_credentials_never_shown() {
	local user=HOOKUSER$RANDOM tok=W3BT0K$RANDOM qtok=QT0K$RANDOM port rpid
	off_domain kh1 1
	# A receiver that is down: the failure names the host, not the credentials.
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	daemon_conf khn '[job j]' 'domains = vvtest-kh1' '[notify]' \
		"webhook_url = http://$user:$tok@127.0.0.1:$port/hook?token=$qtok" 'on = always' 'retries = 0' 'timeout = 3s'
	expect_rc 0 "$VV" -c "$DC" config check
	expect_in "webhook_url = http://<redacted>@127.0.0.1:$port/<redacted>"
	expect_not_in "$tok"
	expect_not_in "$user"
	expect_not_in "$qtok"
	expect_rc 0 "$VV" -c "$DC" backup --job j
	expect_in "notify: webhook http://127.0.0.1:$port: not delivered"
	expect_not_in "$tok"
	expect_not_in "$user"
	expect_not_in "$qtok"
	expect_rc 0 "$VV" -c "$DC" status
	expect_not_in "$tok"
	# A receiver that is up gets the credentials (as basic authentication); the log does not.
	start_receiver kh1
	rpid=$(awk '/receiver-kh1$/ {print $1}' "$BED_DIR/pids" | tail -n 1)
	sed -i "s#^webhook_url = .*#webhook_url = http://$user:$tok@127.0.0.1:$RPORT/hook?token=$qtok#" "$DC"
	expect_rc 0 "$VV" -c "$DC" backup --job j
	expect_in "notify: webhook http://127.0.0.1:$RPORT: delivered"
	expect_not_in "$tok"
	expect_not_in "$user"
	[ "$(posts)" = 1 ] || fail "one message expected, got $(posts)"
	kill "$rpid" 2>/dev/null
	wait "$rpid" 2>/dev/null || true
}
