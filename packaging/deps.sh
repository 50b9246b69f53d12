#!/usr/bin/env bash
# Install the Debian packages virtvault needs to build and to run its tests.
# Idempotent, and silent when everything is there already.
set -euo pipefail

pkgs=(
	# build
	gcc make pkg-config
	libvirt-dev libcurl4-openssl-dev libarchive-dev libssl-dev libinih-dev
	libcmocka-dev libzstd-dev libxml2-dev libjson-c-dev libnbd-dev libblkid-dev libfuse3-dev
	libpng-dev
	# the Debian package (make deb) and the fuzz targets (make fuzz)
	debhelper dpkg-dev lintian clang libclang-rt-14-dev scdoc man-db
	# run time
	qemu-utils
	# test bed: libvirtd and QEMU, disk tools, the guest's packing
	libvirt-daemon-system libvirt-clients qemu-system-x86
	e2fsprogs cpio gzip xz-utils zstd procps bc python3 tzdata openssl
	# UEFI and TPM domains (their NVRAM and TPM state in a backup)
	ovmf swtpm swtpm-tools
	# virtvault mount (fusermount3), reading a guest file system in tests
	fuse3
	# the report rendered headless in tests (t_report.sh)
	chromium
	# the S3 test object store: a one-node Ceph cluster with radosgw
	radosgw ceph-mon ceph-osd curl
	# the guest agent's shared libraries, copied into the guest
	libglib2.0-0 libnuma1 libudev1 liburing2
)

missing=()
for p in "${pkgs[@]}"; do
	case $p in '#'*) continue ;; esac
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]}; run 'make deps' as root" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
