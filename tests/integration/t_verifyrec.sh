# The record of the last verify of each snapshot group (state/verifyrec.h):
# two groups (host, name) of plain images; a quick and a deep verify record
# both as ok; a chunk of one group corrupted, a deep verify records that
# group as failed with the problem and the other as ok; `report --json`
# shows them per domain, the metrics file has their series.

test_verifyrec_records_report_metrics() {
	local dir=$BED_DIR/verifyrec c=$BED_DIR/verifyrec/a.conf st=$BED_DIR/verifyrec/state
	local repo=$BED_DIR/verifyrec/repo prom=$BED_DIR/verifyrec/vv.prom bad
	mkdir -p "$dir"
	{
		printf '[agent]\nlibvirt_uri = %s\nhost = hostv\nstate_dir = %s\nmetrics_file = %s\n' \
			"$BED_URI" "$st" "$prom"
		printf '[repository]\nurl = file://%s\nencryption = none\n' "$repo"
	} >"$c"
	chmod 600 "$c"
	head -c 3M /dev/urandom >"$dir/one.raw"
	head -c 2M /dev/urandom >"$dir/two.raw"
	expect_rc 0 "$VV" -q -c "$c" init || return 1
	expect_rc 0 "$VV" -q -c "$c" backup --image "$dir/one.raw" --name one || return 1
	find "$repo/chunks" -type f | sort >"$dir/chunks-one"
	expect_rc 0 "$VV" -q -c "$c" backup --image "$dir/two.raw" --name two || return 1
	expect_rc 0 "$VV" -q -c "$c" backup --image "$dir/two.raw" --name two || return 1
	# A chunk that only group "two" uses: one its backups added.
	bad=$(find "$repo/chunks" -type f | sort | comm -13 "$dir/chunks-one" - | head -n 1)
	[ -n "$bad" ] || { fail "no chunk of group two found"; return 1; }

	expect_rc 0 "$VV" -q -c "$c" verify || return 1
	python3 - "$st" quick <<'PY' || fail "the quick verify's records"
import json, sys
st, mode = sys.argv[1], sys.argv[2]
for name, n in (("one", 1), ("two", 2)):
    r = json.load(open(f"{st}/verify/hostv@{name}.json"))
    assert r["host"] == "hostv" and r["name"] == name, r
    assert r["ok"] is True and r["problems"] == 0 and r["messages"] == [], r
    assert r["deep"] is (mode == "deep") and r["snapshots"] == n and len(r["ids"]) == n, r
    assert r["finished"] >= r["started"] > 0, r
PY
	expect_rc 0 "$VV" -q -c "$c" verify --deep || return 1
	python3 - "$st" deep <<'PY' || fail "the deep verify's records"
import json, sys
st = sys.argv[1]
for name in ("one", "two"):
    r = json.load(open(f"{st}/verify/hostv@{name}.json"))
    assert r["ok"] is True and r["deep"] is True and r["chunks_read"] > 0 and r["bytes_read"] >= 5 << 20, r
PY

	# Corrupt it: a deep verify finds it, in group "two" only.
	printf 'corrupted by t_verifyrec' | dd of="$bad" bs=1 seek=40 conv=notrunc status=none
	expect_rc 1 "$VV" -q -c "$c" verify --deep || return 1
	python3 - "$st" <<'PY' || fail "the records after the corruption"
import json, sys
st = sys.argv[1]
one = json.load(open(f"{st}/verify/hostv@one.json"))
two = json.load(open(f"{st}/verify/hostv@two.json"))
assert one["ok"] is True and one["problems"] == 0, one
assert two["ok"] is False and two["problems"] >= 2 and two["deep"] is True, two
assert len(two["messages"]) == 2 and all("snapshot " in m and "offset" in m for m in two["messages"]), two
PY
	expect_rc 0 "$VV" -c "$c" report --json || return 1
	echo "$OUT" >"$dir/report.json"
	python3 - "$dir/report.json" <<'PY' || fail "report --json: the verifies per domain"
import json, sys
rep = json.load(open(sys.argv[1]))
v = {d["domain"]: d["verify"] for d in rep["domains"]}
assert v["one"]["result"] == "ok" and v["one"]["mode"] == "deep" and v["one"]["problems"] == 0, v
assert v["one"]["snapshots"] == 1 and v["one"]["host"] == "hostv" and v["one"]["messages"] == [], v
assert v["two"]["result"] == "failed" and v["two"]["ok"] is False and v["two"]["snapshots"] == 2, v
assert v["two"]["problems"] >= 2 and "offset" in v["two"]["messages"][0], v
assert len(v["two"]["snapshot_ids"]) == 2 and v["two"]["chunks_read"] > 0, v
PY
	expect_rc 0 "$VV" -c "$c" report --html "$dir/report.html" || return 1
	OUT=$(cat "$dir/report.html")
	expect_not_in "No verify recorded"
	expect_in 'class="verify" data-ok="0"'
	OUT=$(cat "$prom" 2>/dev/null)
	expect_in '# TYPE virtvault_verify_success gauge'
	expect_in '# HELP virtvault_verify_timestamp_seconds '
	expect_in 'virtvault_verify_success{name="one",host="hostv"} 1'
	expect_in 'virtvault_verify_success{name="two",host="hostv"} 0'
	expect_in 'virtvault_verify_timestamp_seconds{name="two",host="hostv"} '
}
