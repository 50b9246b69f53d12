#!/usr/bin/env bash
# Build the test guest: a Debian cloud kernel and an initramfs holding
# busybox-static, qemu-guest-agent (with the shared libraries it needs), the
# virtio modules and an init that mounts the data disk, starts a writer of
# numbered, checksummed records and the guest agent.
#
# Usage: guest-build.sh OUTDIR
# Leaves OUTDIR/vmlinuz and OUTDIR/initrd.img; a second run with the same
# inputs does nothing (the key of the cache is the package versions and this
# script's own text).
set -euo pipefail

out=${1:?usage: guest-build.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"

kernel_pkg() {
	apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}
kpkg=$(kernel_pkg)
if [ -z "$kpkg" ] && [ "$(id -u)" -eq 0 ]; then
	# No package lists yet on this machine.
	apt-get update -q >/dev/null 2>&1 || true
	kpkg=$(kernel_pkg)
fi
if [ -z "$kpkg" ]; then
	echo "guest-build: cannot find the versioned kernel package of linux-image-cloud-amd64 (run apt-get update)" >&2
	exit 1
fi
pkgs="linux-image-cloud-amd64 $kpkg busybox-static qemu-guest-agent"
key=$( (for p in $pkgs; do apt-cache policy "$p" | awk -v p="$p" '/Candidate/ {print p, $2}'; done
	cat "$0" "$here/guest-init.sh" "$here/guest-writer.sh") | sha256sum | cut -c1-16)
if [ -f "$out/key" ] && [ "$(cat "$out/key")" = "$key" ] &&
	[ -f "$out/vmlinuz" ] && [ -f "$out/initrd.img" ]; then
	exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/vv-guest-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
(
	cd "$work"
	# apt-get download writes into the current directory as _apt when it can.
	chmod 777 "$work"
	apt-get download -q $pkgs >/dev/null 2>"$work/download.err" || {
		cat "$work/download.err" >&2
		exit 1
	}
	for d in ./*.deb; do dpkg-deb -x "$d" pkgroot; done
)

root=$work/initramfs
mkdir -p "$root"/{bin,sbin,dev,proc,sys,run,tmp,data,lib/modules,etc}
cp "$work/pkgroot/bin/busybox" "$root/bin/busybox"
cp "$work/pkgroot/usr/sbin/qemu-ga" "$root/bin/qemu-ga"

# The agent's shared libraries: resolved on this host, whose versions come
# from the same Debian release as the agent itself.
for lib in $(ldd "$work/pkgroot/usr/sbin/qemu-ga" | awk '/=> \// {print $3} /^\t\/lib/ {print $1}'); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

kver=$(basename "$(ls -d "$work"/pkgroot/lib/modules/*)")
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_console virtio_blk; do
	f=$(find "$work/pkgroot/lib/modules/$kver" -name "$m.ko*" | head -n1)
	if [ -z "$f" ]; then
		echo "guest-build: module $m not found in $kpkg" >&2
		exit 1
	fi
	case "$f" in
	*.ko.xz) xz -dc "$f" >"$root/lib/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$root/lib/modules/$m.ko" ;;
	*) cp "$f" "$root/lib/modules/$m.ko" ;;
	esac
done

install -m 0755 "$here/guest-init.sh" "$root/init"
install -m 0755 "$here/guest-writer.sh" "$root/bin/vv-writer"
echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out/initrd.img.tmp"
cp "$work/pkgroot/boot/vmlinuz-$kver" "$out/vmlinuz.tmp"
mv "$out/initrd.img.tmp" "$out/initrd.img"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
echo "$key" >"$out/key"
echo "guest-build: built $out (kernel $kver)"
