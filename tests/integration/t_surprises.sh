# Surprises of an operator's first hour (issue: first hour): checkpoints
# that pile up, a restore that finds its name taken after writing, a
# `disks` that promises what a backup does not do, usage errors that do
# not say what is missing, stats that mix dedup and compression.

# su_conf NAME REPO STATE [LINE...]: configuration $BED_DIR/NAME.conf
# backing up into repository REPO with state folder STATE (shared by
# several configurations: two flows of one domain on one host).
su_conf() {
	local f=$BED_DIR/$1.conf repo=$2
	{
		printf '[agent]\nlibvirt_uri = %s\nstate_dir = %s\n' "$BED_URI" "$3"
		shift 3
		printf '%s\n' "$@"
		printf '[repository]\nurl = file://%s\nencryption = none\n' "$repo"
	} >"$f"
	chmod 600 "$f"
	"$VV" -q -c "$f" init >/dev/null
}

# su_bitmaps FILE: the bitmaps of qcow2 FILE, one a line.
su_bitmaps() {
	qemu-img info -U --output=json "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin).get("format-specific", {}).get("data", {})
for b in d.get("bitmaps", []):
    print(b["name"])'
}

# su_read: "MODE|REASON" of disk.qcow2 in the last backup's JSON ($OUT).
su_read() {
	tail -n1 <<<"$OUT" | python3 -c '
import json, sys
d = json.load(sys.stdin)["domains"][0]
for f in d.get("files", []):
    if f["file"] == "disk.qcow2":
        print("%s|%s" % (f["read_mode"], f["read_reason"]))'
}

# su_checkpoints DOM: its checkpoints, one a line.
su_checkpoints() {
	virsh -q -c "$BED_URI" checkpoint-list "$1" --name | sed '/^$/d'
}

# Two flows (two repositories) of one domain keep one checkpoint each; a
# run killed after its checkpoint leaves none behind once the next runs;
# a flow that has not run for cbt_forget_after, or whose repository is
# gone, loses its checkpoint, bitmap and reference, and its next backup
# reads whole saying why; repair --forget-cbt drops all of a shut-off
# domain's, bitmaps too, so that `virsh undefine` works.
test_surprises_checkpoints_per_flow() {
	local dom=vvtest-su1 st=$BED_DIR/su1-state img=$BED_DIR/su1/disk.qcow2 n ref
	off_domain su1 2
	virsh -q -c "$BED_URI" start "$dom" >/dev/null || { fail "cannot start $dom"; return 1; }
	su_conf su1a $BED_DIR/su1-repo-a "$st"
	su_conf su1b $BED_DIR/su1-repo-b "$st"
	expect_rc 0 "$VV" -c "$BED_DIR/su1a.conf" backup "$dom" --quiesce off --json
	ls "$st/cbt/$dom" >"$BED_DIR/su1-flows-a"
	expect_rc 0 "$VV" -c "$BED_DIR/su1b.conf" backup "$dom" --quiesce off --json
	# Flow b's references: the folder its first backup added.
	ref=$(ls "$st/cbt/$dom" | grep -vxF -f "$BED_DIR/su1-flows-a")
	ref=$st/cbt/$dom/$ref/vda.json
	[ -f "$ref" ] || { fail "no reference of flow b in $st"; return 1; }
	n=$(su_checkpoints "$dom" | wc -l)
	[ "$n" = 2 ] || fail "two flows: expected 2 checkpoints, got $n: $(su_checkpoints "$dom")"
	# Killed after its checkpoint: the next run of the flow drops it.
	kill9_at copy "$BED_DIR/su1a.conf" "$st" "$dom" || { fail "kill -9 at copy"; return 1; }
	n=$(su_checkpoints "$dom" | wc -l)
	[ "$n" = 3 ] || fail "after the kill: expected 3 checkpoints, got $n"
	expect_rc 0 "$VV" -c "$BED_DIR/su1a.conf" backup "$dom" --quiesce off --json
	n=$(su_checkpoints "$dom" | wc -l)
	[ "$n" = 2 ] || fail "after the kill and a run: expected 2 checkpoints, got $n: $(su_checkpoints "$dom")"
	# Flow b has not run for 40 days: a's run drops its checkpoint.
	touch -d '40 days ago' "$ref"
	expect_rc 0 "$VV" -c "$BED_DIR/su1a.conf" -v backup "$dom" --quiesce off --json
	expect_in "have not run for 40 days"
	n=$(su_checkpoints "$dom" | wc -l)
	[ "$n" = 1 ] || fail "flow b stale: expected 1 checkpoint, got $n: $(su_checkpoints "$dom")"
	[ "$(su_bitmaps "$img" | wc -l)" = 1 ] || fail "bitmaps left: $(su_bitmaps "$img")"
	expect_rc 0 "$VV" -c "$BED_DIR/su1b.conf" backup "$dom" --quiesce off --json
	case $(su_read) in
	"full|its reference was dropped: its backups"*"have not run for 40 days"*) ;;
	*) fail "flow b's next read: $(su_read)" ;;
	esac
	# Flow b's repository is gone: a's next run drops b's checkpoint.
	rm -rf "$BED_DIR/su1-repo-b"
	expect_rc 0 "$VV" -c "$BED_DIR/su1a.conf" -v backup "$dom" --quiesce off --json
	expect_in "is gone"
	n=$(su_checkpoints "$dom" | wc -l)
	[ "$n" = 1 ] || fail "repository b gone: expected 1 checkpoint, got $n: $(su_checkpoints "$dom")"
	# Shut off: libvirt deletes no checkpoint; --forget-cbt does, bitmaps too.
	virsh -q -c "$BED_URI" destroy "$dom" >/dev/null
	expect_rc 0 "$VV" -c "$BED_DIR/su1a.conf" repair --forget-cbt "$dom"
	expect_in "1 checkpoint of virtvault dropped"
	[ -z "$(su_checkpoints "$dom")" ] || fail "checkpoints left: $(su_checkpoints "$dom")"
	[ -z "$(su_bitmaps "$img")" ] || fail "bitmaps left: $(su_bitmaps "$img")"
	virsh -q -c "$BED_URI" start "$dom" >/dev/null || { fail "cannot start $dom"; return 1; }
	expect_rc 0 "$VV" -c "$BED_DIR/su1a.conf" backup "$dom" --quiesce off --json
	case $(su_read) in
	"full|its reference was dropped: its checkpoints were dropped by 'virtvault repair --forget-cbt'"*) ;;
	*) fail "after --forget-cbt: $(su_read)" ;;
	esac
	virsh -q -c "$BED_URI" destroy "$dom" >/dev/null
	expect_rc 0 "$VV" -c "$BED_DIR/su1a.conf" repair --forget-cbt "$dom"
	expect_rc 0 virsh -q -c "$BED_URI" undefine "$dom"
}

# disks says how a shut-off domain's qcow2 disk is read: whole; an
# incremental read with nothing to skip says why.
test_surprises_disks_read_note() {
	local dom=vvtest-su2
	off_domain su2 0
	su_conf su2 $BED_DIR/su2-repo "$BED_DIR/su2-state"
	expect_rc 0 "$VV" -c "$BED_DIR/su2.conf" disks "$dom"
	expect_in "(read whole while the domain is shut off"
	expect_not_in "incremental"
	expect_rc 0 "$VV" -c "$BED_DIR/su2.conf" backup "$dom" --json
	case $(su_read) in full\|*"shut off"*) ;; *) fail "shut-off read: $(su_read)" ;; esac
	virsh -q -c "$BED_URI" start "$dom" >/dev/null || { fail "cannot start $dom"; return 1; }
	expect_rc 0 "$VV" -c "$BED_DIR/su2.conf" disks "$dom"
	expect_in "(read incremental"
	expect_rc 0 "$VV" -c "$BED_DIR/su2.conf" backup "$dom" --quiesce off --json
	expect_rc 0 "$VV" -c "$BED_DIR/su2.conf" backup "$dom" --quiesce off --json
	case $(su_read) in
	"incremental|"*"nothing to skip: each of the 1 chunk of its"*"qcow2 metadata"*) ;;
	*) fail "an incremental read of one chunk: $(su_read)" ;;
	esac
	virsh -q -c "$BED_URI" destroy "$dom" >/dev/null
	expect_rc 0 "$VV" -c "$BED_DIR/su2.conf" repair --forget-cbt "$dom"
}

# restore --define refuses a taken name before writing a byte, naming --name.
test_surprises_restore_define_name_taken() {
	local dom=vvtest-su3 to=$BED_DIR/su3-restore
	off_domain su3 1
	su_conf su3 $BED_DIR/su3-repo "$BED_DIR/su3-state"
	expect_rc 0 "$VV" -c "$BED_DIR/su3.conf" backup "$dom"
	expect_rc 1 "$VV" -c "$BED_DIR/su3.conf" restore "$dom@latest" --to "$to" --define --name "$dom"
	expect_in "domain $dom exists already"
	expect_in "--name NEW"
	[ ! -e "$to" ] || fail "the refused restore wrote $(ls -R "$to")"
	# The default name, taken too.
	sed "s/vvtest-su3</vvtest-su3-restored</" "$BED_DIR/su3/dom.xml" >"$BED_DIR/su3/dom2.xml"
	echo "vvtest-su3-restored" >>"$BED_DIR/domains"
	virsh -q -c "$BED_URI" define "$BED_DIR/su3/dom2.xml" >/dev/null
	expect_rc 1 "$VV" -c "$BED_DIR/su3.conf" restore "$dom@latest" --to "$to" --define
	expect_in "domain vvtest-su3-restored exists already"
	[ ! -e "$to" ] || fail "the refused restore wrote $(ls -R "$to")"
	expect_rc 1 "$VV" -c "$BED_DIR/su3.conf" restore "$dom@latest" --to "$to" --define --instant
	expect_in "domain vvtest-su3-restored exists already"
	[ ! -e "$to" ] || fail "the refused instant restore wrote $(ls -R "$to")"
}

# A usage error names what is missing; repair of a name that is no domain fails.
test_surprises_usage_names_missing() {
	expect_rc 2 "$VV" -c "$CONF" restore "$DOM@latest"
	expect_in "where to is missing: --to DIR"
	expect_rc 2 "$VV" -c "$CONF" restore --to /nonexistent
	expect_in "SNAPSHOT is missing"
	expect_rc 2 "$VV" -c "$CONF" disks
	expect_in "disks: DOMAIN is missing"
	expect_rc 2 "$VV" -c "$CONF" mount x
	expect_in "mount: DIR is missing"
	expect_rc 2 "$VV" -c "$CONF" diff a
	expect_in "diff: SNAPSHOT2 is missing"
	expect_rc 2 "$VV" -c "$CONF" show a b
	expect_in "show: 'b' is one operand too many"
	expect_rc 2 "$VV" -c "$CONF" export a
	expect_in "export: --to FILE|- is missing"
	expect_rc 2 "$VV" -c "$CONF" repair
	expect_in "repair: DOMAIN... is missing"
	expect_rc 2 "$VV" -c "$CONF" import
	expect_in "import: FILE|- is missing"
	expect_rc 2 "$VV" -c "$CONF" key export
	expect_in "key export: --to FILE is missing"
	expect_rc 2 "$VV" -c "$CONF" key remove
	expect_in "key remove: KID is missing"
	expect_rc 1 "$VV" -c "$CONF" repair nosuchvm
	expect_in "domain nosuchvm: not found at $BED_URI"
	expect_not_in "nothing to repair"
	expect_rc 1 "$VV" -c "$CONF" repair --forget-cbt nosuchvm
	expect_in "domain nosuchvm: not found at $BED_URI"
	expect_rc 0 "$VV" -c "$CONF" repair "$DOM"
	expect_in "nothing to repair"
}

# stats shows dedup and compression apart; diff gives a removed file's size.
test_surprises_stats_and_diff() {
	local d=$BED_DIR/su4 a b
	mkdir -p "$d"
	su_conf su4 $BED_DIR/su4-repo "$BED_DIR/su4-state"
	# 4 MiB of text (compresses well), twice; 3 MiB of random data.
	yes "virtvault compresses this line well" | head -c 4M >"$d/a.img"
	cp "$d/a.img" "$d/a2.img"
	head -c 3M /dev/urandom >"$d/b.img"
	expect_rc 0 "$VV" -c "$BED_DIR/su4.conf" backup --image "$d/a.img" "$d/a2.img" "$d/b.img" --name imgs --json
	a=$(tail -n1 <<<"$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["snapshot"])')
	expect_rc 0 "$VV" -c "$BED_DIR/su4.conf" backup --image "$d/a.img" --name imgs --json
	b=$(tail -n1 <<<"$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["snapshot"])')
	expect_rc 0 "$VV" -c "$BED_DIR/su4.conf" stats "$a" --json
	python3 - "$OUT" <<'PY' || fail "stats: $OUT"
import json, sys
g = json.loads(sys.argv[1])["groups"][0]
assert g["logical_bytes"] == 11 << 20, g
# a.img and a2.img are one another's copy: 7 MiB of chunks, 4 of them text.
assert g["unique_bytes"] == 7 << 20, g
assert abs(g["dedup_ratio"] - 11 / 7) < 0.01, g
assert 1.5 < g["compression_ratio"] < 3, g
PY
	expect_rc 0 "$VV" -c "$BED_DIR/su4.conf" stats "$a"
	expect_in "COMPRESS"
	expect_rc 0 "$VV" -c "$BED_DIR/su4.conf" diff "$a" "$b"
	grep -E '^b\.img +removed +0 +0 +3 +3(\.0)? MiB' <<<"$OUT" >/dev/null ||
		fail "diff: a removed file's size: $OUT"
	expect_rc 0 "$VV" -c "$BED_DIR/su4.conf" diff "$a" "$b" --json
	python3 - "$OUT" <<'PY' || fail "diff --json: $OUT"
import json, sys
d = {f["file"]: f for f in json.loads(sys.argv[1])}
assert d["b.img"]["status"] == "removed" and d["b.img"]["bytes_removed"] == 3 << 20, d
PY
}
