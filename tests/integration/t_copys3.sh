# virtvault copy with an RGW repository on one side: a 30-night history
# copied file:// -> RGW and RGW -> file:// moves only what the destination
# lacks, and a copy in the admin's bucket outlives an attack on the source
# made with the host's credential (t_attack.sh's bucket, users and helpers).
# A figure measured is also appended to $VV_MEASURE when it is set.

# cs3_repo_lines URL-KIND PASSWORD-FILE: a [repository] body: KIND "file"
# (CS3_DIR/file) or "rgw" (s3://vvcopy-thirty/hosts/cs3, the admin's keys).
cs3_repo_lines() {
	if [ "$1" = file ]; then
		printf 'url = file://%s/file\npassword_file = %s\n' "$CS3_DIR" "$2"
	else
		printf 'url = s3://vvcopy-thirty/hosts/cs3\nendpoint = %s\nregion = us-east-1\n' "$RGW_ENDPOINT"
		printf 'access_key = %s\nsecret_key = %s\npassword_file = %s\n' "$RGW_ACCESS" "$RGW_SECRET" "$2"
	fi
}

# cs3_conf: in CS3_DIR, FC ([repository] file://, [repository rgw]) and RC
# ([repository] the same RGW one, [repository local] the same file:// one),
# each repository with its own password.
cs3_conf() {
	CS3_DIR=$BED_DIR/cs3
	rm -rf "$CS3_DIR"
	mkdir -p "$CS3_DIR"
	printf 'file-side-password\n' >"$CS3_DIR/pf"
	printf 'rgw-side-password\n' >"$CS3_DIR/pr"
	FC=$CS3_DIR/file.conf
	RC=$CS3_DIR/rgw.conf
	{
		printf '[agent]\nlibvirt_uri = %s\nhost = cs3\nstate_dir = %s/state\n' "$BED_URI" "$CS3_DIR"
		printf '[repository]\n'
		cs3_repo_lines file "$CS3_DIR/pf"
		printf '[repository rgw]\n'
		cs3_repo_lines rgw "$CS3_DIR/pr"
	} >"$FC"
	{
		printf '[agent]\nlibvirt_uri = %s\nhost = cs3\nstate_dir = %s/state\n' "$BED_URI" "$CS3_DIR"
		printf '[repository]\n'
		cs3_repo_lines rgw "$CS3_DIR/pr"
		printf '[repository local]\n'
		cs3_repo_lines file "$CS3_DIR/pf"
	} >"$RC"
	chmod 600 "$FC" "$RC" "$CS3_DIR/pf" "$CS3_DIR/pr"
}

# cs3_copied OUTPUT: from copy --json's output (its JSON array after any
# log lines), "COPIED BYTES": how many snapshots were copied and the bytes
# they stored; fails unless every other snapshot was found present.
cs3_copied() {
	python3 -c '
import json, sys
lines = sys.argv[1].splitlines()
o = json.loads("\n".join(lines[[l.startswith("[") for l in lines].index(True):]))
bad = [s for s in o if s["outcome"] not in ("copied", "present")]
assert not bad, bad
c = [s for s in o if s["outcome"] == "copied"]
print(len(c), sum(s["stats"]["bytes_stored"] for s in c))' "$1"
}

# cs3_stored_bytes DIR: the bytes of the chunk and index objects of the file:// repository DIR.
cs3_stored_bytes() {
	find "$1/chunks" "$1/indexes" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'
}

test_s3_copy_thirty_nights_file_and_rgw() {
	local n k t from to id b c got img t0 secs sum_b=0 sum_c=0 file_b=0 ids=()
	t0=$(date +%s.%N)
	cs3_conf
	expect_rc 0 "$VV" -q -c "$FC" init || return 1
	expect_rc 0 "$VV" -q -c "$FC" --repo rgw init || return 1
	img=$CS3_DIR/vm.raw
	head -c 64M /dev/urandom >"$img"
	# Each night: three 64 KiB writes at random places, a backup into one
	# side (every third night the RGW one), copied to the other.
	for n in $(seq 1 30); do
		for k in 1 2 3; do
			dd if=/dev/urandom of="$img" bs=64K count=1 seek=$((RANDOM % 1024)) \
				conv=notrunc status=none
		done
		case $n in 15 | 30) cp "$img" "$CS3_DIR/vm-$n.raw" ;; esac
		t=$(printf '2026-11-%02dT02:00:00Z' "$n")
		if [ $((n % 3)) = 0 ]; then from=$RC to=local; else from=$FC to=rgw; fi
		expect_rc 0 "$VV" -c "$from" backup --image "$img" --name vm --time "$t" --json || return 1
		id=$(tail -n1 <<<"$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["snapshot"])')
		b=$(tail -n1 <<<"$OUT" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bytes_stored"])')
		ids+=("$id")
		expect_rc 0 "$VV" -c "$from" copy vm --to "$to" --json || return 1
		got=$(cs3_copied "$OUT") || { fail "night $n: copy to $to: $OUT"; return 1; }
		[ "${got% *}" = 1 ] || fail "night $n: $got snapshots copied to $to, expected 1: $OUT"
		c=${got#* }
		sum_b=$((sum_b + b))
		sum_c=$((sum_c + c))
		# What the file:// side was given, by its backups or the copies into it.
		if [ "$to" = local ]; then file_b=$((file_b + c)); else file_b=$((file_b + b)); fi
	done
	# Only what the destination lacked moved: the copies stored (nearly)
	# what the backups stored, not the images again and again.
	python3 -c 'import sys; b, c = int(sys.argv[1]), int(sys.argv[2]); sys.exit(0 if 0 < c <= 1.05 * b else 1)' \
		"$sum_b" "$sum_c" || fail "30 copies stored $sum_c bytes, the backups $sum_b (over 1.05x)"
	# The figures are what lies on disk (file:// side, within 0.5%): the
	# copies' own figure is not an undercount.
	k=$(cs3_stored_bytes "$CS3_DIR/file")
	python3 -c 'import sys; d, f = int(sys.argv[1]), int(sys.argv[2]); sys.exit(0 if abs(d - f) <= 0.005 * f else 1)' \
		"$k" "$file_b" || fail "file:// chunks and indexes hold $k bytes, its backups and the copies into it said $file_b"
	# A second copy, either way, moves nothing.
	expect_rc 0 "$VV" -c "$FC" copy --to rgw --json
	[ "$(cs3_copied "$OUT")" = "0 0" ] || fail "a second copy to RGW moved something: $OUT"
	expect_rc 0 "$VV" -c "$RC" copy --to local --json
	[ "$(cs3_copied "$OUT")" = "0 0" ] || fail "a second copy to file:// moved something: $OUT"
	# The middle and the last night restore identically from either side.
	for n in 15 30; do
		for from in "$FC" "$RC"; do
			rm -rf "$CS3_DIR/out"
			expect_rc 0 "$VV" -c "$from" restore "${ids[$((n - 1))]}" --to "$CS3_DIR/out" || return 1
			cmp "$CS3_DIR/vm-$n.raw" "$CS3_DIR/out/vm.raw" ||
				fail "night $n restores differently from $(basename "$from")"
		done
	done
	expect_rc 0 "$VV" -c "$FC" verify --deep
	expect_in "30 snapshots checked (deep): 0 problems"
	expect_rc 0 "$VV" -c "$RC" verify --deep
	expect_in "30 snapshots checked (deep): 0 problems"
	secs=$(echo "$(date +%s.%N) - $t0" | bc)
	printf 'copys3: 30 nights: backups stored %s bytes, copies %s (ratio %s), %.1fs\n' "$sum_b" "$sum_c" \
		"$(echo "scale=4; $sum_c / $sum_b" | bc)" "$secs" | tee -a "${VV_MEASURE:-/dev/null}"
}

# cs3_versions BUCKET PREFIX: every version and delete marker under PREFIX
# (key, version, ETag, size, whether latest), sorted, one a line.
cs3_versions() {
	atk_s3 "$RGW_ACCESS:$RGW_SECRET" GET "/$1?prefix=${2//\//%2F}&versions=" | sed '$d' | python3 -c '
import sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
assert root.tag == ns + "ListVersionsResult", ET.tostring(root)
assert root.findtext(ns + "IsTruncated") in (None, "false"), "listing truncated"
rows = []
for v in list(root.iter(ns + "Version")) + list(root.iter(ns + "DeleteMarker")):
    rows.append(" ".join([v.tag[len(ns):]] + [v.findtext(ns + f) or "-" for f in
        ("Key", "VersionId", "ETag", "Size", "IsLatest")]))
print("\n".join(sorted(rows)))'
}

test_s3_copy_survives_attack_on_source() {
	local src=vvcopy-src dst=vvcopy-dst cc before after k v n=0 denied=0 code out
	atk_bucket $src '["s3:DeleteObject", "s3:DeleteObjectVersion"]' || return 1
	atk_conf cpy $src
	expect_rc 0 "$VV" -c "$HC" init || return 1
	atk_history cpy || return 1
	# The copy's configuration is the trusted side's: the host's HC holds no
	# word of the copy; its bucket and keys are the admin's.
	cc=$BED_DIR/atk-cpy-copy.conf
	printf 'copy-side-password\n' >"$BED_DIR/atk-cpy-copy.pw"
	{
		cat "$HC"
		printf '[repository offsite]\nurl = s3://%s/hosts/cpy\nendpoint = %s\nregion = us-east-1\n' \
			"$dst" "$RGW_ENDPOINT"
		printf 'access_key = %s\nsecret_key = %s\npassword_file = %s\n' \
			"$RGW_ACCESS" "$RGW_SECRET" "$BED_DIR/atk-cpy-copy.pw"
	} >"$cc"
	chmod 600 "$cc" "$BED_DIR/atk-cpy-copy.pw"
	# The copy's bucket is versioned, as an admin would make it (object lock).
	out=$(atk_s3 "$RGW_ACCESS:$RGW_SECRET" PUT "/$dst" -H "x-amz-bucket-object-lock-enabled: true")
	[ "$(tail -n1 <<<"$out")" = 200 ] || { fail "bucket $dst not made: $out"; return 1; }
	expect_rc 0 "$VV" -c "$cc" --repo offsite init || return 1
	expect_rc 0 "$VV" -c "$cc" copy --to offsite || return 1
	[ "$(grep -c '^copied' <<<"$OUT")" = 2 ] || fail "expected 2 copied lines: $OUT"
	before=$(cs3_versions $dst hosts/cpy/) || { fail "listing $dst: $before"; return 1; }
	[ "$(wc -l <<<"$before")" -gt 10 ] ||
		fail "the copy holds few objects: $before"

	# The attack, as vvhost: no delete goes through on the source, every
	# object there is overwritten; the copy's bucket refuses vvhost outright.
	for k in $(atk_keys $src hosts/cpy/); do
		n=$((n + 1))
		out=$(atk_s3 "$RGW_HOST_ACCESS:$RGW_HOST_SECRET" DELETE "/$src/$k")
		[ "$(tail -n1 <<<"$out")" = 403 ] && denied=$((denied + 1))
		head -c 1000 /dev/urandom >"$BED_DIR/atk-junk"
		code=$(atk_s3 "$RGW_HOST_ACCESS:$RGW_HOST_SECRET" PUT "/$src/$k" \
			--data-binary @"$BED_DIR/atk-junk" | tail -n1)
		[ "$code" = 200 ] || fail "overwriting $k: HTTP $code"
	done
	[ "$n" -gt 10 ] && [ "$denied" = "$n" ] || fail "$denied of $n deletes refused on $src"
	for k in $(atk_keys $dst hosts/cpy/); do
		code=$(atk_s3 "$RGW_HOST_ACCESS:$RGW_HOST_SECRET" DELETE "/$dst/$k" | tail -n1)
		[ "$code" = 403 ] || fail "vvhost deleting $dst/$k: HTTP $code"
		code=$(atk_s3 "$RGW_HOST_ACCESS:$RGW_HOST_SECRET" PUT "/$dst/$k" \
			--data-binary @"$BED_DIR/atk-junk" | tail -n1)
		[ "$code" = 403 ] || fail "vvhost overwriting $dst/$k: HTTP $code"
	done
	# The night's copy still runs against the attacked source, and adds nothing.
	expect_rc 0 "$VV" -c "$cc" copy --to offsite
	[ "$(grep -c '^present' <<<"$OUT")" = 2 ] || fail "expected 2 present lines after the attack: $OUT"

	# The copy is byte-untouched: the same versions with the same ETags.
	after=$(cs3_versions $dst hosts/cpy/) || { fail "listing $dst: $after"; return 1; }
	[ "$before" = "$after" ] || fail "the copy's objects changed: $(diff <(echo "$before") <(echo "$after"))"
	# ...and restores every snapshot identically, with no fallback.
	for v in 1 2; do
		out=$BED_DIR/atk-cpy-copyout$v
		rm -rf "$out"
		expect_rc 0 "$VV" -c "$cc" --repo offsite restore "${ATK_IDS[$((v - 1))]}" --to "$out" || return 1
		expect_not_in "older version"
		cmp "$BED_DIR/atk-cpy-v$v/a.raw" "$out/a.raw" || fail "a.raw of snapshot $v differs in the copy"
		cmp "$BED_DIR/atk-cpy-v$v/b.raw" "$out/b.raw" || fail "b.raw of snapshot $v differs in the copy"
	done
	expect_rc 0 "$VV" -c "$cc" --repo offsite verify --deep
	expect_in "2 snapshots checked (deep): 0 problems"
	expect_not_in "attacked"
}
