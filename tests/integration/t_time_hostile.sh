# Hostile and broken times: a snapshot or a lock from the future (planted
# in an unencrypted file:// repository, or imported), --time values out of
# range, and a selector that is both a name and an ID prefix.

# th_repo NAME: a new unencrypted repository of host th; sets TC (its
# config) and TD (its folder).
th_repo() {
	TD=$BED_DIR/th/$1
	TC=$BED_DIR/th/$1.conf
	mkdir -p "$BED_DIR/th/$1.state"
	cat >"$TC" <<CONF
[agent]
host = th
state_dir = $BED_DIR/th/$1.state
[repository]
url = file://$TD
encryption = none
compression = none
lock_wait = 2s
CONF
	chmod 600 "$TC"
	expect_rc 0 "$VV" -c "$TC" init
}

# th_utc OFFSET: now moved by OFFSET (date -d syntax, "-2 hours"), as --time takes it.
th_utc() {
	date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ
}

# th_field FIELD: FIELD of the JSON object on the last line of $OUT.
th_field() {
	tail -n 1 <<<"$OUT" | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"
}

# th_retime FOLDER ID TIME: move manifest ID of FOLDER (a file:// repository)
# to TIME, as someone with write access to the store can: re-encode the
# codec object (unencrypted: its tag is a plain SHA-256) under a new key.
th_retime() {
	python3 - "$1" "$2" "$3" <<'PY'
import glob, hashlib, json, os, struct, subprocess, sys
top, sid, when = sys.argv[1:4]
old, = glob.glob(os.path.join(top, "snapshots", "*", "*", "*-" + sid))
key = os.path.relpath(old, top)
raw = open(old, "rb").read()
assert raw[:4] == b"VVO1" and raw[4:5] == b"M" and not raw[5] & 2, "not a plain manifest"
body = raw[28:-16]
if raw[5] & 1:
    body = subprocess.run(["zstd", "-dqc"], input=body, stdout=subprocess.PIPE, check=True).stdout
m = json.loads(body)
m["time"] = when
plain = json.dumps(m).encode()
stamp = when.replace("-", "").replace(":", "")
newkey = os.path.join(os.path.dirname(key), stamp + "-" + sid)
head = b"VVO1M" + bytes(3) + struct.pack("<Q", len(plain)) + bytes(12)
tag = hashlib.sha256(head + newkey.encode() + plain).digest()[:16]
with open(os.path.join(top, newkey), "wb") as f:
    f.write(head + plain + tag)
os.unlink(old)
PY
}

# A snapshot dated 2099 is listed with a warning, but never vm1@latest and
# never counted nor removed by retention; by its ID it can still be named.
test_time_future_snapshot_not_latest() {
	local d=$BED_DIR/th/fut g1 g2 evil
	th_repo fut
	mkdir -p "$d"
	head -c 2M /dev/urandom >"$d/good.raw"
	head -c 2M /dev/urandom >"$d/evil.raw"
	expect_rc 0 "$VV" -c "$TC" backup --image "$d/good.raw" --name vm1 --time "$(th_utc '-2 hours')" --json
	g1=$(th_field snapshot)
	expect_rc 0 "$VV" -c "$TC" backup --image "$d/good.raw" --name vm1 --time "$(th_utc '-1 hour')" --json
	g2=$(th_field snapshot)
	# The attacker's bytes, as vm1, then moved to 2099.
	mkdir -p "$d/e" && cp "$d/evil.raw" "$d/e/good.raw"
	expect_rc 0 "$VV" -c "$TC" backup --image "$d/e/good.raw" --name vm1 --json
	evil=$(th_field snapshot)
	th_retime "$TD" "$evil" 2099-01-01T00:00:00Z || fail "cannot plant the future manifest"
	expect_rc 0 "$VV" -c "$TC" list
	expect_in "$evil"
	expect_in "has the time 2099-01-01T00:00:00Z, in the future"
	expect_rc 0 "$VV" -q -c "$TC" list --json
	python3 -c 'import json,sys; l=json.load(sys.stdin); f=[s["snapshot"] for s in l if s.get("future")]; assert f == [sys.argv[1]], l' \
		"$evil" <<<"$OUT" || fail "list --json does not mark the future snapshot: $OUT"
	expect_rc 0 "$VV" -c "$TC" restore vm1@latest --to "$d/r1"
	cmp -s "$d/r1/good.raw" "$d/good.raw" || fail "vm1@latest restored the snapshot from the future"
	expect_rc 0 "$VV" -c "$TC" show vm1@latest --json
	expect_in "\"id\":\"$g2\""
	# Retention: keep-last 1 keeps the genuine newest; the future one is left alone.
	expect_rc 0 "$VV" -c "$TC" forget --keep-last 1 vm1
	expect_in "future (ignored)"
	expect_rc 0 "$VV" -q -c "$TC" list --json
	python3 -c 'import json,sys; got=sorted(s["snapshot"] for s in json.load(sys.stdin)); want=sorted(sys.argv[1:]); assert got == want, (got, want)' \
		"$g2" "$evil" <<<"$OUT" || fail "forget --keep-last 1 kept the wrong snapshots (want $g2 and $evil, $g1 removed): $OUT"
	rm -rf "$d/r2"
	expect_rc 0 "$VV" -c "$TC" restore vm1@latest --to "$d/r2"
	cmp -s "$d/r2/good.raw" "$d/good.raw" || fail "after forget, vm1@latest is not the genuine snapshot"
	# Named by its ID: shown, and removed on purpose.
	expect_rc 0 "$VV" -c "$TC" show "$evil"
	expect_in "2099-01-01T00:00:00Z"
	expect_rc 0 "$VV" -c "$TC" forget "$evil"
	expect_in "removed $evil"
	# Only a future one left: vm1@latest says so rather than choosing it.
	th_retime "$TD" "$g2" 2098-01-01T00:00:00Z || fail "cannot plant the second future manifest"
	expect_rc 1 "$VV" -c "$TC" restore vm1@latest --to "$d/r3"
	expect_in "whose time 2098-01-01T00:00:00Z is in the future"
	expect_rc 0 "$VV" -c "$TC" forget --keep-last 1 vm1
	expect_rc 0 "$VV" -q -c "$TC" list --json
	expect_in "$g2"
}

# --time: strict ISO 8601, 1970 to 9999, not in the future; 1970-01-01T00:00:00Z
# is a time, not "now".
test_time_backup_time_strict() {
	local d=$BED_DIR/th/strict bad t
	th_repo strict
	mkdir -p "$d"
	head -c 1M /dev/urandom >"$d/a.raw"
	for bad in 9999-12-31T23:59:59Z 2099-01-01T00:00:00Z "$(th_utc '+1 hour')" \
		0001-01-01T00:00:00Z 1969-12-31T23:59:59Z 2026-02-30T00:00:00Z 2026-13-01T00:00:00Z \
		2026-01-01T24:00:00Z 2026-1-01T00:00:00Z 1970-01-01T00:00:00+01:00; do
		expect_rc 2 "$VV" -c "$TC" backup --image "$d/a.raw" --name s --time "$bad"
		expect_in "--time '$bad'"
	done
	expect_rc 2 "$VV" -c "$TC" backup --image "$d/a.raw" --name s --time 2099-01-01T00:00:00Z
	expect_in "is in the future"
	expect_in "at most 600s of clock skew"
	expect_rc 2 "$VV" -c "$TC" backup --image "$d/a.raw" --name s --time 2026-02-30T00:00:00Z
	expect_in "a real date"
	# Nothing was published by any of them.
	expect_rc 1 "$VV" -c "$TC" list s
	# Within the skew allowance; the epoch; an offset.
	t=$(th_utc '+5 minutes')
	expect_rc 0 "$VV" -c "$TC" backup --image "$d/a.raw" --name s --time "$t"
	expect_rc 0 "$VV" -c "$TC" backup --image "$d/a.raw" --name s --time 1970-01-01T00:00:00Z
	expect_rc 0 "$VV" -c "$TC" backup --image "$d/a.raw" --name s --time 2026-11-20T03:00:00+01:00
	expect_rc 0 "$VV" -c "$TC" list s --json
	python3 -c 'import json,sys; got=sorted(s["time"] for s in json.load(sys.stdin)); want=sorted(sys.argv[1:]); assert got == want, (got, want)' \
		"$t" 1970-01-01T00:00:00Z 2026-11-20T02:00:00Z <<<"$OUT" || fail "the recorded times: $OUT"
	# Every key as FORMAT.md says: TIME-SID.
	for k in "$TD"/snapshots/th/s/*; do
		[[ $(basename "$k") =~ ^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{16}$ ]] || fail "snapshot key $(basename "$k") breaks YYYYMMDDTHHMMSSZ-SID"
	done
}

# th_tar_time IN OUT TIME: the export IN with its MANIFEST.json's time set to TIME.
th_tar_time() {
	python3 - "$1" "$2" "$3" <<'PY'
import io, json, sys, tarfile
src, dst, when = sys.argv[1:4]
with tarfile.open(src) as a, tarfile.open(dst, "w", format=tarfile.PAX_FORMAT) as b:
    for e in a.getmembers():
        data = a.extractfile(e).read() if e.isfile() else None
        if e.name.endswith("/MANIFEST.json") or e.name == "MANIFEST.json":
            m = json.loads(data)
            m["snapshot"]["time"] = when
            data = json.dumps(m).encode()
            e.size = len(data)
        b.addfile(e, io.BytesIO(data) if data is not None else None)
PY
}

# import: an export whose MANIFEST.json is dated in the future (or not a
# real date) is refused, unless --time says another; --time is checked too.
test_time_import_future() {
	local d=$BED_DIR/th/imp src dst
	th_repo impsrc
	src=$TC
	th_repo impdst
	dst=$TC
	mkdir -p "$d"
	head -c 1M /dev/urandom >"$d/a.raw"
	expect_rc 0 "$VV" -c "$src" backup --image "$d/a.raw" --name vm1
	expect_rc 0 "$VV" -c "$src" export vm1@latest --to "$d/x.tar"
	th_tar_time "$d/x.tar" "$d/future.tar" 2099-01-01T00:00:00Z || fail "cannot craft the export"
	th_tar_time "$d/x.tar" "$d/feb30.tar" 2026-02-30T00:00:00Z || fail "cannot craft the export"
	expect_rc 1 "$VV" -c "$dst" import "$d/future.tar"
	expect_in "2099-01-01T00:00:00Z is in the future"
	expect_in "nothing imported"
	expect_rc 1 "$VV" -c "$dst" import "$d/feb30.tar"
	expect_in "'2026-02-30T00:00:00Z' is not a UTC time"
	expect_rc 1 "$VV" -c "$dst" list vm1
	expect_rc 2 "$VV" -c "$dst" import "$d/x.tar" --time 2099-01-01T00:00:00Z
	expect_in "is in the future"
	# --time overrides the archive's time.
	expect_rc 0 "$VV" -c "$dst" import "$d/future.tar" --time 2026-11-20T00:00:00Z
	expect_rc 0 "$VV" -c "$dst" list vm1 --json
	expect_in '"time":"2026-11-20T00:00:00Z"'
	# The genuine export imports as it is.
	expect_rc 0 "$VV" -c "$dst" import "$d/x.tar"
}

# th_plant_lock FOLDER ID TIME: a lock object of a live-looking exclusive
# holder on another machine, created and refreshed at TIME.
th_plant_lock() {
	mkdir -p "$1/locks"
	printf '{"kind":"exclusive","host":"evil","boot_id":"not-this-machine","pid":1,"what":"prune","created":"%s","refreshed":"%s"}' \
		"$3" "$3" >"$1/locks/$2"
}

# A lock refreshed in 2099 is invalid: locks says so, a backup does not wait
# for it, unlock and prune remove it.
test_time_future_lock() {
	local d=$BED_DIR/th/lk
	th_repo lk
	mkdir -p "$d"
	head -c 1M /dev/urandom >"$d/a.raw"
	th_plant_lock "$TD" 0123456789abcdef 2099-01-01T00:00:00Z
	expect_rc 0 "$VV" -c "$TC" locks
	expect_in "invalid: refreshed 2099-01-01T00:00:00Z is in the future"
	! grep -qE -- '-[0-9]+s' <<<"$OUT" || fail "locks shows a negative age: $OUT"
	expect_rc 0 "$VV" -c "$TC" locks --json
	python3 -c 'import json,sys; l=json.load(sys.stdin)[0]; assert l["invalid"] and l["stale"] and l["age"] is None, l' <<<"$OUT" ||
		fail "locks --json: $OUT"
	expect_rc 0 "$VV" -c "$TC" backup --image "$d/a.raw" --name a
	expect_rc 0 "$VV" -c "$TC" unlock
	expect_in "removed locks/0123456789abcdef"
	expect_in "1 lock removed"
	th_plant_lock "$TD" fedcba9876543210 2099-01-01T00:00:00Z
	expect_rc 0 "$VV" -c "$TC" prune --json
	[ "$(th_field locks_stale)" = 1 ] || fail "prune did not remove the future lock: $OUT"
	expect_rc 0 "$VV" -c "$TC" locks --json
	[ "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<<"$OUT")" = 0 ] ||
		fail "locks left: $OUT"
	# Within the skew allowance a lock is a live one: the backup waits, then gives up.
	th_plant_lock "$TD" 00000000000000aa "$(th_utc '+5 minutes')"
	expect_rc 1 "$VV" -c "$TC" backup --image "$d/a.raw" --name a
	expect_in "is busy"
	expect_rc 0 "$VV" -c "$TC" unlock --force
}

# A name that is also an ID prefix: refused as ambiguous everywhere a
# snapshot is named, with the ways out; NAME@ID and NAME@latest work.
test_time_ambiguous_selector() {
	local d=$BED_DIR/th/amb s p
	th_repo amb
	mkdir -p "$d"
	head -c 1M /dev/urandom >"$d/a.raw"
	head -c 1M /dev/urandom >"$d/b.raw"
	expect_rc 0 "$VV" -c "$TC" backup --image "$d/a.raw" --name vm1 --json
	s=$(th_field snapshot)
	p=${s:0:4}
	# A group named like the start of vm1's snapshot ID.
	expect_rc 0 "$VV" -c "$TC" backup --image "$d/b.raw" --name "$p"
	expect_rc 1 "$VV" -c "$TC" forget "$p"
	expect_in "'$p' is ambiguous"
	expect_in "$p@latest"
	expect_in "vm1@$s"
	expect_rc 1 "$VV" -c "$TC" show "$p"
	expect_in "is ambiguous"
	expect_rc 1 "$VV" -c "$TC" restore "$p" --to "$d/r"
	expect_in "is ambiguous"
	expect_rc 1 "$VV" -c "$TC" verify "$p"
	expect_in "is ambiguous"
	expect_rc 0 "$VV" -q -c "$TC" list --json
	[ "$(python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<<"$OUT")" = 2 ] ||
		fail "an ambiguous forget removed something: $OUT"
	# The ways out.
	expect_rc 0 "$VV" -c "$TC" show "vm1@${s:0:6}" --json
	expect_in "\"id\":\"$s\""
	expect_rc 0 "$VV" -c "$TC" restore "$p@latest" --to "$d/r"
	cmp -s "$d/r/b.raw" "$d/b.raw" || fail "$p@latest is not the group's snapshot"
	expect_rc 0 "$VV" -c "$TC" forget "vm1@$s"
	expect_in "removed $s"
	expect_rc 0 "$VV" -q -c "$TC" list --json
	expect_in "\"name\":\"$p\""
	expect_not_in "\"name\":\"vm1\""
}
