# `virtvault report`: runs of a domain over days (one failed), their
# copies to a second repository (one failed, caught up the night after), a
# boot record with a real PNG, snapshots of two hosts; the page rendered by
# headless Chromium with no network, its DOM checked against `list --json`
# and the run history, its screenshot kept under build/test-output/report.

# rpt_domain NAME: a shut-off domain vvtest-NAME with a 64 MiB qcow2 disk,
# 2 MiB of it random (no OS: it is never started).
rpt_domain() {
	local d=$BED_DIR/$1
	mkdir -p "$d"
	qemu-img create -q -f qcow2 "$d/disk.qcow2" 64M
	head -c 2M /dev/urandom >"$d/fill"
	qemu-io -c "write -s $d/fill 0 2M" "$d/disk.qcow2" >/dev/null
	rm -f "$d/fill"
	cat >"$d/dom.xml" <<XML
<domain type='qemu'><name>vvtest-$1</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64'>hvm</type></os><devices>
<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
<source file='$d/disk.qcow2'/><target dev='vda' bus='virtio'/></disk></devices></domain>
XML
	echo "vvtest-$1" >>"$BED_DIR/domains"
	virsh -q -c "$BED_URI" define "$d/dom.xml" >/dev/null
}

# rpt_conf FILE HOST STATE REPO EXTRA...: a configuration file.
rpt_conf() {
	local f=$1 host=$2 state=$3 repo=$4
	shift 4
	{
		printf '[agent]\nlibvirt_uri = %s\nhost = %s\nstate_dir = %s\n' "$BED_URI" "$host" "$state"
		printf '[repository]\nurl = file://%s\nencryption = none\n' "$repo"
		printf '%s\n' "$@"
	} >"$f"
	chmod 600 "$f"
}

# rpt_png FILE: a small real PNG (a gradient, 64x40).
rpt_png() {
	python3 - "$1" <<'PY'
import struct, sys, zlib
w, h = 64, 40
raw = b"".join(b"\0" + b"".join(bytes((x * 4, y * 6, 128)) for x in range(w)) for y in range(h))
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY
}

# rpt_chromium OUTFILE ARGS...: headless Chromium with no network at all
# (a network namespace of its own, and no proxy or name that resolves),
# in a PID namespace of its own so that none of its processes outlives it,
# bounded by a timeout.
rpt_chromium() {
	local out=$1
	shift
	timeout -k 5 120 unshare -n -p -f --kill-child --mount-proc \
		chromium --headless --no-sandbox --disable-gpu --user-data-dir="$BED_DIR/report/chromium" \
		--proxy-server=127.0.0.1:9 --host-resolver-rules='MAP * ~NOTFOUND' "$@" \
		>"$out" 2>>"$BED_DIR/report/chromium.log"
}

test_report_html_json_in_chromium() {
	local dir=$BED_DIR/report st=$BED_DIR/report/state c=$BED_DIR/report/a.conf
	local cb=$BED_DIR/report/b.conf repo=$BED_DIR/report/repo dom=vvtest-rp1
	local outdir=${VV_TEST_OUTPUT:-$top/build/test-output}/report d t
	command -v chromium >/dev/null || { fail "chromium is not installed (packaging/deps.sh)"; return 1; }
	mkdir -p "$dir" "$outdir"
	rm -f "$outdir/report.png" "$outdir/report.html"
	rpt_domain rp1
	rpt_conf "$c" hosta "$st" "$repo" '[job nightly]' "domains = $dom" 'schedule = 0 2 * * *' \
		'keep_last = 2' 'keep_daily = 3' 'copy_to = off' '[repository off]' "url = file://$dir/off" \
		'encryption = none'
	rpt_conf "$cb" hostb "$dir/state-b" "$repo"
	expect_rc 0 "$VV" -q -c "$c" init
	expect_rc 0 "$VV" -q -c "$c" --repo off init
	# Five nights of the job (their snapshots dated back), each a run in the
	# history, each copied to [repository off]; on the second night the copy
	# fails (the destination is away), the third night copies both.
	for d in 6 5 4 3 2; do
		t=$(date -u -d "-$d days" +%Y-%m-%dT02:00:00Z)
		[ "$d" != 5 ] || mv "$dir/off" "$dir/off.away"
		expect_rc 0 "$VV" -c "$c" backup --job nightly --time "$t"
		[ "$d" != 5 ] || { expect_in "copy to [repository off] failed"; mv "$dir/off.away" "$dir/off"; }
		qemu-io -c "write -P $d 0 256k" "$BED_DIR/rp1/disk.qcow2" >/dev/null
	done
	expect_rc 0 "$VV" -c "$c" --repo off list --json
	echo "$OUT" >"$dir/list-off.json"
	# One failure: the disk is gone for a moment.
	mv "$BED_DIR/rp1/disk.qcow2" "$BED_DIR/rp1/disk.away"
	expect_rc 1 "$VV" -q -c "$c" backup "$dom"
	mv "$BED_DIR/rp1/disk.away" "$BED_DIR/rp1/disk.qcow2"
	# Another host's snapshots of a plain image, and of this host too (no job keeps it).
	head -c 1M /dev/urandom >"$dir/img.raw"
	expect_rc 0 "$VV" -q -c "$cb" backup --image "$dir/img.raw" --name files --time "$(date -u -d '-3 days' +%Y-%m-%dT05:00:00Z)"
	expect_rc 0 "$VV" -q -c "$c" backup --image "$dir/img.raw" --name files --time "$(date -u -d '-1 days' +%Y-%m-%dT05:00:00Z)"
	# The history holds six runs; an old one (before the period) and a damaged line are added.
	[ "$(wc -l <"$st/history/$dom@nightly.jsonl")" = 5 ] || fail "5 lines expected in the nightly history"
	[ "$(wc -l <"$st/history/$dom@manual.jsonl")" = 1 ] || fail "1 line expected in the manual history"
	python3 - "$st/history/$dom@nightly.jsonl" <<'PY'
import json, sys, time
p = sys.argv[1]
lines = open(p).read().splitlines()
old = json.loads(lines[0])
old["started"] = int(time.time()) - 40 * 86400
old["finished"] = old["started"] + 60
open(p, "w").write(json.dumps(old) + "\n" + "{\"domain\": \"cut by a cra\n" + "\n".join(lines) + "\n")
PY
	# The last boot check, as the boot branch writes it, with a screenshot.
	mkdir -p "$st/boot"
	rpt_png "$st/boot/$dom.png"
	python3 - "$st/boot/$dom.json" "$dom" <<'PY'
import json, sys, time
now = int(time.time())
json.dump({"domain": sys.argv[2], "job": "nightly", "snapshot": "0123456789abcdef", "snapshot_host": "hosta",
           "ok": False, "started": now - 600, "finished": now - 500, "seconds_to_agent": -1,
           "command": "cat /etc/hostname", "command_exit": 1, "output": "<b>bold</b> & <script>x</script>",
           "screenshot": True, "reason": "the agent <did not> answer in 90 s"}, open(sys.argv[1], "w"))
PY
	expect_rc 0 "$VV" -c "$c" report --html "$dir/report.html"
	[ "$(stat -c %a "$dir/report.html")" = 644 ] || fail "the report's mode is not 0644"
	expect_rc 0 "$VV" -c "$c" report --json
	echo "$OUT" >"$dir/report.json"
	expect_rc 0 "$VV" -c "$c" list --json
	echo "$OUT" >"$dir/list.json"
	expect_rc 0 "$VV" -c "$c" report --host hostb --json
	echo "$OUT" >"$dir/report-b.json"
	expect_rc 2 "$VV" -c "$c" report --json --html "$dir/x.html"
	expect_rc 2 "$VV" -c "$c" report --days 0 --json
	expect_rc 2 "$VV" -c "$c" report
	# Rendered with the network off: a screenshot, and the DOM as Chromium built it.
	rpt_chromium "$dir/dom.html" --dump-dom "file://$dir/report.html" || fail "chromium --dump-dom failed"
	rpt_chromium /dev/null --screenshot="$outdir/report.png" --window-size=1200,2000 \
		"file://$dir/report.html" || fail "chromium --screenshot failed"
	cp "$dir/report.html" "$outdir/report.html"
	python3 - "$outdir/report.png" <<'PY' || fail "no screenshot of the report"
import sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n" and len(b) > 20000, len(b)
PY
	echo "report screenshot: $outdir/report.png"
	python3 - "$dir" "$dom" "$st/boot/$dom.png" <<'PY' || fail "the report's DOM or JSON does not match"
import base64, collections, html.parser, json, sys
d, dom, png = sys.argv[1], sys.argv[2], sys.argv[3]
lst = json.load(open(d + "/list.json"))
rep = json.load(open(d + "/report.json"))
repb = json.load(open(d + "/report-b.json"))

class P(html.parser.HTMLParser):
    def __init__(s):
        super().__init__()
        s.stack, s.els, s.text = [], [], collections.defaultdict(str)
    def handle_starttag(s, tag, attrs):
        a = dict(attrs)
        e = {"tag": tag, "a": a, "anc": [x["a"] for x in s.stack]}
        s.els.append(e)
        if tag not in ("img", "meta", "br", "hr", "input", "link"):
            s.stack.append(e)
    def handle_startendtag(s, tag, attrs):
        s.els.append({"tag": tag, "a": dict(attrs), "anc": [x["a"] for x in s.stack]})
    def handle_endtag(s, tag):
        if any(x["tag"] == tag for x in s.stack):
            while s.stack.pop()["tag"] != tag:
                pass
    def handle_data(s, t):
        for x in s.stack:
            x.setdefault("text", "")
            x["text"] += t

p = P()
page = open(d + "/dom.html").read()
p.feed(page)
els = p.els
def inside(e, key, val):
    return any(x.get(key) == val for x in e["anc"])

# Nothing from outside: no script, no stylesheet link, no remote source.
assert not [e for e in els if e["tag"] in ("script", "link", "iframe")], "script or link"
for e in els:
    for k in ("src", "href"):
        v = e["a"].get(k)
        assert v is None or v.startswith("#") or v.startswith("data:image/png;base64,"), (k, v)
assert any(e["tag"] == "meta" and e["a"].get("name") == "viewport" for e in els)
assert "@media print" in page

# The domain's runs: six in the period (the old line and the damaged one are not).
runs = [r for r in [x for x in rep["domains"] if x["domain"] == dom][0]["runs"]]
assert len(runs) == 6, runs
assert sum(r["result"] != "success" for r in runs) == 1, runs
assert rep["history_damaged_lines"] == 1, rep["history_damaged_lines"]
ok = [r for r in runs if r["result"] == "success"]
assert all(r["read_modes"] and r["seconds"] > 0 and r["bytes_read"] > 0 for r in ok), ok
sec = [e for e in els if e["tag"] == "section" and e["a"].get("data-domain") == dom][0]
assert sec["a"]["data-runs"] == "6" and sec["a"]["data-failures"] == "1", sec["a"]
plots = {e["a"]["data-plot"]: e for e in els if e["tag"] == "svg" and inside(e, "data-domain", dom)}
assert set(plots) == {"duration", "bytes", "overlay", "mode"}, plots.keys()
def pts(plot, cls=None):
    return [e for e in els if e["tag"] == "circle" and inside(e, "data-plot", plot) and inside(e, "data-domain", dom)
            and "pt" in e["a"]["class"].split() and (cls is None or cls in e["a"]["class"].split())]
for plot in ("duration", "overlay", "mode"):
    assert len(pts(plot)) == 6, (plot, len(pts(plot)))
    assert plots[plot]["a"]["data-points"] == "6"
assert len(pts("bytes", "s-read")) == 6 and len(pts("bytes", "s-stored")) == 6
assert len(pts("mode", "mode-failed")) == 1
assert len(pts("mode", "mode-full")) + len(pts("mode", "mode-incremental")) == 5
# The failures' messages are on the page: the backup that failed, and the
# copy that failed on the second night (their order is by the second each
# started, which the runs here may share).
err = [r for r in runs if r["result"] != "success"][0]["error"]
cerr = [r["copy"]["error"] for r in runs if r["copy"] and r["copy"]["result"] == "failure"]
assert len(cerr) == 1 and "off" in cerr[0], cerr
cells = [e for e in els if e["tag"] == "td" and e["a"].get("class") == "err" and inside(e, "data-domain", dom)]
assert err and sorted(c.get("text") for c in cells) == sorted([err, cerr[0]]), (err, cerr, cells)
kinds = [e["a"]["data-kind"] for e in els if e["tag"] == "tr" and "data-kind" in e["a"] and inside(e, "data-domain", dom)]
assert sorted(kinds) == ["backup", "copy"], kinds
# The copies: each night's run made one, in the order of the nights (the
# failed run, of no job, none); the last succeeded and left nothing
# behind, after one failure.
nightly = [r for r in runs if r["job"] == "nightly"]
assert [r["copy"]["result"] for r in nightly] == ["success", "failure", "success", "success", "success"], nightly
assert [r["copy"]["snapshots"] for r in nightly] == [1, 0, 2, 1, 1], nightly
assert [r["copy"] for r in runs if r["job"] != "nightly"] == [None], runs
drep = [x for x in rep["domains"] if x["domain"] == dom][0]
assert drep["copy_failures"] == 1 and len(drep["copies"]) == 1, drep["copies"]
cp = drep["copies"][0]
assert (cp["job"], cp["repository"], cp["result"], cp["missing"], cp["failures_total"]) == \
    ("nightly", "off", "success", 0, 1), cp
assert cp["last_success"] == cp["finished"], cp
off = json.load(open(d + "/list-off.json"))
assert sorted(s["snapshot"] for s in off) == sorted(s["snapshot"] for s in lst if s["name"] == dom), off
assert sec["a"]["data-copy-failures"] == "1", sec["a"]
crow = [e for e in els if e["tag"] == "tr" and "data-result" in e["a"] and inside(e, "data-domain", dom)]
assert [(e["a"]["data-job"], e["a"]["data-repository"], e["a"]["data-result"], e["a"]["data-missing"])
        for e in crow] == [("nightly", "off", "success", "0")], crow
assert "1 of their copies failed" in sec["text"], sec["text"]
# The boot check: its screenshot embedded as it is on disk; outside text escaped.
imgs = [e for e in els if e["tag"] == "img" and inside(e, "data-domain", dom)]
assert len(imgs) == 1
assert base64.b64decode(imgs[0]["a"]["src"].split(",", 1)[1]) == open(png, "rb").read()
assert not [e for e in els if e["tag"] in ("b",)], "unescaped output"
assert "<b>bold</b> & <script>x</script>" in sec["text"], "output not shown as text"
assert "the agent <did not> answer in 90 s" in sec["text"]
assert "No verify recorded" in sec["text"]

# The repository: counts and sizes as `list --json` says.
repo = [e for e in els if e["tag"] == "section" and e["a"].get("id") == "repository"][0]
assert int(repo["a"]["data-snapshots"]) == len(lst) == rep["repository"]["snapshots"], (repo["a"], len(lst))
assert int(repo["a"]["data-stored"]) == sum(s["stored"] for s in lst)
for plot in ("repo-stored", "repo-chunks"):
    n = [e for e in els if e["tag"] == "circle" and inside(e, "data-plot", plot)]
    assert len(n) == len(lst), (plot, len(n))
groups = collections.Counter((s["host"], s["name"]) for s in lst)
tables = [e for e in els if e["tag"] == "table" and "snapshots" in e["a"].get("class", "")]
assert {(t["a"]["data-host"], t["a"]["data-name"]): int(t["a"]["data-count"]) for t in tables} == dict(groups), tables
bysnap = {s["snapshot"]: s for s in lst}
rows = [e for e in els if e["tag"] == "tr" and "data-snapshot" in e["a"]]
assert len(rows) == len(lst)
for r in rows:
    s = bysnap[r["a"]["data-snapshot"]]
    cells = [e for e in els if e["tag"] == "td" and "data-bytes" in e["a"] and r["a"] in e["anc"]]
    assert [int(x["a"]["data-bytes"]) for x in cells] == [s["size"], s["stored"]], (cells, s)
# Retention: the job's rules keep all five (last 2, daily 3), each with an expiry date.
g = [x for x in rep["repository"]["groups"] if x["name"] == dom][0]
assert g["job"] == "nightly" and len(g["snapshots"]) == 5, g
assert all(s["kept_by"] in ("last", "daily") and s["expires"] for s in g["snapshots"]), g
ex = [s["expires"] for s in g["snapshots"]]
assert ex == sorted(ex, reverse=True) and len(set(ex)) == 5, ex
other = [x for x in rep["repository"]["groups"] if x["host"] == "hostb"][0]
assert other["expiry_basis"].startswith("another host"), other
# --host hostb: only its snapshot; this host's runs not shown.
assert repb["repository"]["snapshots"] == 1 and not repb["runs_shown"], repb["repository"]
assert all(not x["runs"] for x in repb["domains"]), repb["domains"]
PY
}

# [agent] report_file: the daemon writes the page after each job run (three
# runs on an accelerated clock), atomically, mode 0644, naming its runs.
test_report_daemon_writes_report_file() {
	local dir=$BED_DIR/report-d c=$BED_DIR/report-d/d.conf log=$BED_DIR/report-d/daemon.log pid rf
	rf=$dir/www/report.html
	mkdir -p "$dir/www"
	rpt_domain rp2
	rpt_conf "$c" hostd "$dir/state" "$dir/repo" "report_file = $rf" \
		'[job often]' 'schedule = 2-6/2 0 * * *' 'domains = vvtest-rp2'
	# report_file belongs to [agent]: move the line up there.
	python3 - "$c" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().splitlines()
rf = [l for l in lines if l.startswith("report_file")][0]
lines.remove(rf)
lines.insert(1, rf)
open(p, "w").write("\n".join(lines) + "\n")
PY
	expect_rc 0 "$VV" -q -c "$c" init
	expect_rc 0 "$VV" -c "$c" config check
	# A folder that is not there: config check says so.
	sed "s|^report_file = .*|report_file = $dir/nowhere/r.html|" "$c" >"$dir/bad.conf"
	chmod 600 "$dir/bad.conf"
	expect_rc 2 "$VV" -c "$dir/bad.conf" config check
	expect_in "report_file = $dir/nowhere/r.html: its folder $dir/nowhere does not exist"
	VIRTVAULT_TEST_CLOCK="1795564800 120" "$VV" -c "$c" daemon >"$log" 2>&1 &
	pid=$!
	echo "$pid virtvault-daemon" >>"$BED_DIR/pids"
	wait_for 20 grep -q "daemon started" "$log"
	wait_for 40 sh -c "[ \$(grep -c 'backed up: snapshot' '$log') -ge 3 ]"
	# Each run's report follows its run: the third one names three runs.
	wait_for 30 grep -q 'data-domain="vvtest-rp2" data-runs="3"' "$rf"
	kill -TERM "$pid"
	wait "$pid" || fail "the daemon exited $?"
	[ "$(stat -c %a "$rf")" = 644 ] || fail "report_file's mode is $(stat -c %a "$rf")"
	[ ! -e "$rf.tmp" ] || fail "a temporary file of the report was left"
	expect_rc 0 cat "$log"
	expect_not_in "report hook failed"
	OUT=$(grep -o '<circle class="pt s-duration' "$rf" | wc -l)
	[ "$OUT" = 3 ] || fail "3 points expected in the duration plot, got $OUT"
}
