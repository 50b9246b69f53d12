#!/usr/bin/env bash
# The Debian package, as an administrator meets it: built by 'make deb'
# (lintian without errors), installed with dpkg -i, run, its files and
# modes checked, its systemd units verified, removed and purged. Part of
# 'make check'; leaves the machine as it found it, also on failure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
failed=0
fail() { echo "FAIL: $*"; failed=1; }

deb=$(ls "$top"/build/deb-out/virtvault_*_amd64.deb 2>/dev/null | head -n1)
[ -n "$deb" ] || { echo "package: build it first (make deb)"; exit 1; }
if dpkg-query -W -f='${Status}' virtvault 2>/dev/null | grep -q installed; then
	echo "package: virtvault is installed on this machine already; not touching it"
	exit 1
fi
cleanup() {
	dpkg --purge virtvault >/dev/null 2>&1
	rm -f /etc/virtvault/password
	rmdir /etc/virtvault 2>/dev/null
	return 0
}
trap cleanup EXIT

dpkg -i "$deb" >/dev/null || { echo "FAIL: dpkg -i $deb"; exit 1; }
v=$(/usr/bin/virtvault --version) || fail "virtvault --version failed"
[ "$v" = "virtvault $(dpkg-deb -f "$deb" Version)" ] || fail "--version says '$v'"
[ "$(stat -c %a /etc/virtvault/virtvault.conf)" = 600 ] ||
	fail "/etc/virtvault/virtvault.conf is mode $(stat -c %a /etc/virtvault/virtvault.conf)"
[ "$(stat -c %a /var/lib/virtvault)" = 700 ] || fail "/var/lib/virtvault is mode $(stat -c %a /var/lib/virtvault)"
dpkg-query -W -f='${Conffiles}\n' virtvault | grep -q /etc/virtvault/virtvault.conf ||
	fail "the configuration is not a conffile"
# The installed example, as shipped, once its password file exists.
printf 'package-test-password\n' >/etc/virtvault/password
chmod 600 /etc/virtvault/password
out=$(/usr/bin/virtvault config check 2>&1) || fail "config check of the installed example: $out"
grep -q "url = file:///var/backups/virtvault" <<<"$out" || fail "config check printed: $out"
[ -e /usr/share/bash-completion/completions/virtvault ] || fail "no bash completion installed"
# The documents an operator reads first (dh_compress may gzip them).
for d in README.md FORMAT.md SECURITY.md; do
	[ -e "/usr/share/doc/virtvault/$d" ] || [ -e "/usr/share/doc/virtvault/$d.gz" ] ||
		fail "/usr/share/doc/virtvault/$d is not installed"
done
# One version: the package's is the one the man pages show.
zcat /usr/share/man/man8/virtvault.8.gz | grep -q "virtvault $(dpkg-deb -f "$deb" Version)" ||
	fail "virtvault(8) does not show version $(dpkg-deb -f "$deb" Version)"
# The man pages the units name.
if command -v man >/dev/null; then
	man -w 8 virtvault >/dev/null 2>&1 || fail "man virtvault(8) does not resolve"
	man -w 5 virtvault.conf >/dev/null 2>&1 || fail "man virtvault.conf(5) does not resolve"
fi
# The units, as systemd reads them (offline).
if command -v systemd-analyze >/dev/null; then
	for u in virtvault.service virtvault-backup@.service virtvault-backup@.timer \
		virtvault-prune.service virtvault-prune.timer \
		virtvault-bootcheck@.service virtvault-bootcheck@.timer; do
		unit=/lib/systemd/system/$u
		[ "${u%@*}" != "$u" ] && unit=/lib/systemd/system/${u/@/@nightly}
		[ -e "$unit" ] || cp "/lib/systemd/system/$u" "$unit"
		out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$unit" 2>&1) ||
			fail "systemd-analyze verify $u: $out"
		[ "$unit" != "/lib/systemd/system/$u" ] && rm -f "$unit"
	done
else
	echo "package: systemd-analyze is not here: units not verified"
fi
grep -q "^ExecStart=/usr/bin/virtvault daemon$" /lib/systemd/system/virtvault.service ||
	fail "the daemon unit does not run /usr/bin/virtvault"
# Removed: the configuration and the state stay; purged: both go.
dpkg -r virtvault >/dev/null || fail "dpkg -r"
[ -e /etc/virtvault/virtvault.conf ] || fail "dpkg -r removed the configuration"
[ -d /var/lib/virtvault ] || fail "dpkg -r removed the state folder"
[ ! -e /usr/bin/virtvault ] || fail "dpkg -r left /usr/bin/virtvault"
# Purged: the password the administrator wrote stays (it may be the only
# copy that opens the repository), and purge says so.
out=$(dpkg --purge virtvault 2>&1) || fail "dpkg --purge: $out"
[ ! -e /etc/virtvault/virtvault.conf ] || fail "purge left the configuration"
[ ! -e /var/lib/virtvault ] || fail "purge left the state folder"
[ "$(cat /etc/virtvault/password 2>/dev/null)" = package-test-password ] ||
	fail "purge removed or changed /etc/virtvault/password"
grep -q "purge keeps these files" <<<"$out" && grep -q "/etc/virtvault/password" <<<"$out" ||
	fail "purge kept /etc/virtvault/password without a word: $out"
if [ $failed = 0 ]; then
	echo "package: $(basename "$deb") ($(du -k "$deb" | cut -f1) KiB) installs, runs, verifies and purges cleanly"
fi
exit $failed
