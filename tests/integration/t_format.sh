# Repository formats: a repository of format 2 made by the release before
# format 3 (tests/fixtures/repo-v2) is read and written by its own rules
# (no patches) until 'virtvault upgrade' raises it; init --format 2.

FIXTURE_V2=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures/repo-v2" && pwd)
# What tests/fixtures/repo-v2 holds: formattwo.raw of host fixturehost2,
# 300000 bytes in chunks of 256 KiB, snapshot 5cba333d5a3d432c.
FIXTURE_V2_SHA=a40a0b85b895416f762b57159029458026b53caba84eb4677abe493276983d7a

# fmt_conf NAME URL: a config for this host writing to URL (sets FC).
fmt_conf() {
	FC=$BED_DIR/fmt-$1.conf
	mkdir -p "$BED_DIR/fmt-$1.state"
	printf 'fixture-password\n' >"$BED_DIR/fmt.pw"
	chmod 600 "$BED_DIR/fmt.pw"
	printf '[agent]\nhost = fmthost\nstate_dir = %s/fmt-%s.state\n[repository]\nurl = %s\npassword_file = %s/fmt.pw\n' \
		"$BED_DIR" "$1" "$2" "$BED_DIR" >"$FC"
	chmod 600 "$FC"
}

# fmt_version DIR: the format its config object records.
fmt_version() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["version"])' "$1/config"
}

test_format_v2_fixture_read_written_and_upgraded() {
	local rd=$BED_DIR/v2repo out=$BED_DIR/v2out
	cp -a "$FIXTURE_V2" "$rd"
	mkdir -p "$out"
	fmt_conf v2 "file://$rd"
	expect_rc 0 "$VV" -c "$FC" restore fixturehost2/formattwo@latest --to "$out"
	[ "$(sha256sum <"$out/formattwo.raw" | cut -d' ' -f1)" = "$FIXTURE_V2_SHA" ] ||
		fail "the format-2 snapshot did not restore byte-identical"
	expect_rc 0 "$VV" -c "$FC" verify --deep
	expect_in "0 problems"
	# Written by its own rules: still format 2 after a backup.
	expect_rc 0 "$VV" -c "$FC" backup --image "$out/formattwo.raw" --name formattwo --json
	[ "$(fmt_version "$rd")" = 2 ] || fail "a backup changed the format: $(cat "$rd/config")"
	expect_rc 0 "$VV" -c "$FC" upgrade
	expect_in "is now of format 3"
	[ "$(fmt_version "$rd")" = 3 ] || fail "upgrade did not raise the format: $(cat "$rd/config")"
	expect_rc 0 "$VV" -c "$FC" upgrade
	expect_in "of format 3 already"
	# Its MAC renewed: opened, read and written as before.
	rm -rf "$out" && mkdir -p "$out"
	expect_rc 0 "$VV" -c "$FC" restore fixturehost2/formattwo@latest --to "$out"
	[ "$(sha256sum <"$out/formattwo.raw" | cut -d' ' -f1)" = "$FIXTURE_V2_SHA" ] ||
		fail "after upgrade, the format-2 snapshot did not restore byte-identical"
	expect_rc 0 "$VV" -c "$FC" backup --image "$out/formattwo.raw" --name formattwo --json
	expect_rc 0 "$VV" -c "$FC" verify --deep
	expect_in "0 problems"
	# The config's MAC guards the version: set back by hand, it is refused.
	sed -i 's/"version": *3/"version":2/' "$rd/config"
	expect_rc 1 "$VV" -c "$FC" list
	expect_in "fails its authentication"
}

test_format_init_format_2_and_refusals() {
	local rd=$BED_DIR/f2repo
	fmt_conf f2 "file://$rd"
	expect_rc 2 "$VV" -c "$FC" init --format 1
	expect_in "init --format 1: the formats made are 2 to 3"
	expect_rc 2 "$VV" -c "$FC" init --format x
	expect_rc 0 "$VV" -c "$FC" init --format 2
	expect_in "format 2"
	[ "$(fmt_version "$rd")" = 2 ] || fail "init --format 2 made $(cat "$rd/config")"
	rm -rf "$rd"
	expect_rc 0 "$VV" -c "$FC" init
	expect_in "format 3"
	[ "$(fmt_version "$rd")" = 3 ] || fail "init made $(cat "$rd/config")"
}
