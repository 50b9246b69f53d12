# Import of hostile archives (a lying sparse map, a cut export, a
# MANIFEST.json that names a file twice, a huge declared size, control
# characters, links, compressions that need a program) and export onto a
# full disk. Archives are made by hostile_tar.py; nothing needs a guest.

# hostile_conf NAME: an unencrypted file:// repository HC (256K chunks).
hostile_conf() {
	HD=$BED_DIR/hostile-$1
	HC=$HD.conf
	rm -rf "$HD"
	mkdir -p "$HD"
	printf '[agent]\nstate_dir = %s/state\n[repository]\nurl = file://%s/repo\nencryption = none\nchunk_size = 256K\n' \
		"$HD" "$HD" >"$HC"
	chmod 600 "$HC"
	"$VV" -q -c "$HC" init >/dev/null
}

# hostile KIND: archive KIND of hostile_tar.py, as $HD/KIND.tar.
hostile() {
	python3 "$top/tests/integration/hostile_tar.py" "$1" "$HD/$1.tar"
}

# no_snapshot: the repository of HC holds no snapshot.
no_snapshot() {
	expect_rc 0 "$VV" -c "$HC" list --json
	[ "$(json_len)" = 0 ] || fail "a snapshot was published: $OUT"
}

test_import_hostile_sparse_map() {
	hostile_conf sparse
	for k in sparse-uaf sparse-foreign sparse-beyond; do
		hostile $k
		expect_rc 1 "$VV" -c "$HC" import "$HD/$k.tar" --name x
		expect_in "entry disk.raw"
		expect_in "sparse map"
	done
	no_snapshot
}

# An export of two images, for the cut and forged ones.
two_image_export() {
	head -c 600000 /dev/urandom >"$HD/a.raw"
	head -c 700000 /dev/urandom >"$HD/b.raw"
	expect_rc 0 "$VV" -q -c "$HC" backup --image "$HD/a.raw" "$HD/b.raw" --name two
	expect_rc 0 "$VV" -q -c "$HC" export two@latest --to "$HD/two.tar"
	expect_rc 0 "$VV" -q -c "$HC" forget two@latest
}

# cut_before TAR MEMBER OUT: TAR up to the header of its entry ending in MEMBER.
cut_before() {
	python3 -c '
import sys, tarfile
t = tarfile.open(sys.argv[1])
m = [m for m in t.getmembers() if m.name.endswith("/" + sys.argv[2])][0]
data = open(sys.argv[1], "rb").read()
open(sys.argv[3], "wb").write(data[:m.offset])
' "$1" "$2" "$3"
}

test_import_hostile_cut_export() {
	local m
	hostile_conf cut
	two_image_export
	cut_before "$HD/two.tar" MANIFEST.json "$HD/nomanifest.tar"
	cut_before "$HD/two.tar" b.raw "$HD/nob.tar"
	for m in nomanifest nob; do
		expect_rc 1 "$VV" -c "$HC" import "$HD/$m.tar" --name cut
		expect_in "cut short: no end-of-archive marker at byte"
	done
	# The same, re-tarred whole but without MANIFEST.json: a damaged export.
	python3 -c '
import sys, tarfile
src = tarfile.open(sys.argv[1])
with tarfile.open(sys.argv[2], "w", format=tarfile.PAX_FORMAT) as out:
    for m in src.getmembers():
        if not m.name.endswith("/MANIFEST.json"):
            out.addfile(m, src.extractfile(m) if m.isfile() else None)
' "$HD/two.tar" "$HD/damaged.tar"
	expect_rc 1 "$VV" -c "$HC" import "$HD/damaged.tar" --name cut
	expect_in "a damaged export"
	no_snapshot
	expect_rc 0 "$VV" -c "$HC" import "$HD/two.tar"
}

# forge_manifest TAR OUT PYEXPR: TAR with its MANIFEST.json's object m
# changed by PYEXPR (python, m in scope).
forge_manifest() {
	python3 -c '
import io, json, sys, tarfile
src = tarfile.open(sys.argv[1])
with tarfile.open(sys.argv[2], "w", format=tarfile.PAX_FORMAT) as out:
    for ti in src.getmembers():
        f = src.extractfile(ti) if ti.isfile() else None
        if ti.name.endswith("/MANIFEST.json"):
            m = json.load(f)
            exec(sys.argv[3])
            data = json.dumps(m).encode()
            ti.size = len(data)
            f = io.BytesIO(data)
        out.addfile(ti, f)
' "$1" "$2" "$3"
}

test_import_hostile_manifest_names_twice() {
	hostile_conf twice
	two_image_export
	forge_manifest "$HD/two.tar" "$HD/twice.tar" 'm["files"][1] = dict(m["files"][0])'
	expect_rc 1 "$VV" -c "$HC" import "$HD/twice.tar"
	expect_in "names a.raw twice"
	forge_manifest "$HD/two.tar" "$HD/inject.tar" 'm["files"][0]["path"] = "/etc/shadow\nINJECT"'
	expect_rc 1 "$VV" -c "$HC" import "$HD/inject.tar"
	expect_in "control character"
	no_snapshot
}

test_import_hostile_huge_size() {
	local t0
	hostile_conf huge
	hostile huge-50
	expect_rc 1 "$VV" -c "$HC" import "$HD/huge-50.tar" --name huge
	expect_in "an import takes files of up to 70368744177664 bytes (64 TiB)"
	no_snapshot
	# 4 TiB of holes around 4 KiB of data: quick, and restored as declared.
	hostile huge-42
	t0=$(date +%s)
	expect_rc 0 "$VV" -q -c "$HC" import "$HD/huge-42.tar" --name huge
	[ $(($(date +%s) - t0)) -le 120 ] || fail "4 TiB of holes took $(($(date +%s) - t0))s"
	expect_rc 0 "$VV" -c "$HC" show huge@latest --json
	python3 -c 'import json,sys; f=json.loads(sys.argv[1])["files"][0]; assert f["size"] == 2**42, f' "$OUT" ||
		fail "the 4 TiB file is not recorded as 4 TiB"
}

test_import_hostile_names_links_filters() {
	hostile_conf names
	hostile ctl-name
	expect_rc 1 "$VV" -c "$HC" import "$HD/ctl-name.tar" --name x
	expect_in 'evil\x0a\x1b[31mFAKE.raw'
	expect_not_in $'\x1b'
	hostile hardlink
	expect_rc 1 "$VV" -c "$HC" import "$HD/hardlink.tar" --name x
	expect_in "entry b.raw is a hard link"
	# lzop's magic: refused by name, never handed to a program.
	printf '\x89LZO\x00\r\n\x1a\n0000000000000000000000000000' >"$HD/x.tar.lzo"
	expect_rc 1 "$VV" -c "$HC" import "$HD/x.tar.lzo" --name x
	expect_in "compressed with lzop, which virtvault does not decode"
	no_snapshot
	# A plain tar's domain.xml: said not imported; the image is.
	head -c 5000 /dev/urandom >"$HD/disk.raw"
	echo '<domain/>' >"$HD/domain.xml"
	tar -cf "$HD/plainxml.tar" -C "$HD" disk.raw domain.xml
	expect_rc 0 "$VV" -c "$HC" import "$HD/plainxml.tar" --name plainxml
	expect_in "its domain XML is not imported"
}

test_import_hostile_export_full_disk() {
	local VV_SHIM=${VV_SHIM:-$top/build/tests/libvvshim.so}
	hostile_conf full
	head -c 3000000 /dev/urandom >"$HD/a.raw"
	expect_rc 0 "$VV" -q -c "$HC" backup --image "$HD/a.raw" --name full
	expect_rc 1 shim VV_SHIM_ENOSPC="full.tar.virtvault-partial" -- "$VV" -c "$HC" export full@latest --to "$HD/full.tar"
	expect_in "export to $HD/full.tar"
	expect_in "No space left on device"
	[ ! -e "$HD/full.tar" ] && [ ! -e "$HD/full.tar.virtvault-partial" ] || fail "a failed export left a file"
}
