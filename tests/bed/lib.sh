# Test bed: a real libvirtd and real TCG guests, for integration tests and
# the demo. Source this file; every function fails loudly and names what it
# was doing. Everything a function starts is recorded under $BED_DIR so that
# bed_teardown stops it by PID and removes it, also after a failure.
#
#   BED_DIR      run-time folder (default: a new one under /tmp)
#   BED_GUEST    built guest cache (default: $TOP/build/guest)

BED_TOP=${BED_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BED_GUEST=${BED_GUEST:-$BED_TOP/build/guest}
BED_URI=${BED_URI:-qemu:///system}

bed_log() { echo "bed: $*" >&2; }

# bed_init: create the run-time folder. qemu runs as libvirt-qemu, so the
# folder must be traversable by it.
bed_init() {
	if [ -z "${BED_DIR:-}" ]; then
		BED_DIR=$(mktemp -d /tmp/vv-bed.XXXXXX)
	fi
	mkdir -p "$BED_DIR"
	chmod 0755 "$BED_DIR"
	: >"$BED_DIR/domains"
	: >"$BED_DIR/pids"
	export BED_DIR
}

# bed_start_libvirt: start virtlogd and libvirtd when they are not running;
# those started here are stopped by bed_teardown.
bed_start_libvirt() {
	local d pid
	# Without udev, /dev/kvm stays root-only; libvirt then finds its cached
	# QEMU capabilities (probed as root) invalid and probes QEMU again on
	# every define, about a minute each. Give it the mode udev would.
	if [ -c /dev/kvm ] && getent group kvm >/dev/null &&
		[ "$(stat -c %G:%a /dev/kvm)" != kvm:660 ]; then
		chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
		bed_log "set /dev/kvm to group kvm, mode 0660 (as udev would)"
	fi
	for d in virtlogd libvirtd; do
		if ! pgrep -x "$d" >/dev/null; then
			"$d" -d || { bed_log "cannot start $d"; return 1; }
			pid=""
			for _ in $(seq 50); do
				pid=$(pgrep -x -n "$d") && break
				sleep 0.1
			done
			[ -n "$pid" ] || { bed_log "$d did not start"; return 1; }
			echo "$pid $d" >>"$BED_DIR/pids"
			bed_log "started $d (pid $pid)"
		fi
	done
	for _ in $(seq 100); do
		virsh -q -c "$BED_URI" uri >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	bed_log "libvirtd at $BED_URI does not answer"
	return 1
}

# bed_build_guest: build (or reuse) the guest kernel and initramfs.
bed_build_guest() {
	bash "$BED_TOP/tests/bed/guest-build.sh" "$BED_GUEST"
}

# bed_make_disks NAME: a 64 MiB qcow2 data disk holding an ext4 filesystem
# made here, and a 16 MiB raw disk with 1 MiB of random data at its start.
bed_make_disks() {
	local name=$1 dir=$BED_DIR/$1
	mkdir -p "$dir"
	truncate -s 64M "$dir/data.raw"
	mkfs.ext4 -q -F -L vvdata "$dir/data.raw"
	qemu-img convert -q -f raw -O qcow2 "$dir/data.raw" "$dir/data.qcow2"
	rm -f "$dir/data.raw"
	truncate -s 16M "$dir/scratch.raw"
	head -c 1M /dev/urandom | dd of="$dir/scratch.raw" conv=notrunc status=none
}

# bed_domain_xml NAME [OPTS]: print the domain XML. OPTS are kernel command
# line switches of the guest (vv.noagent, vv.nowriter).
bed_domain_xml() {
	local name=$1 dir=$BED_DIR/$1
	shift
	cat <<EOF
<domain type='qemu'>
  <name>vvtest-$name</name>
  <memory unit='MiB'>192</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$dir/vmlinuz</kernel>
    <initrd>$dir/initrd.img</initrd>
    <cmdline>console=ttyS0 panic=-1 $*</cmdline>
  </os>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='$dir/data.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$dir/scratch.raw'/>
      <target dev='vdb' bus='virtio'/>
    </disk>
    <serial type='file'>
      <source path='$dir/console.log'/>
      <target port='0'/>
    </serial>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

# bed_up NAME [OPTS]: make disks, define and start vvtest-NAME; unless OPTS
# holds vv.noagent, wait for the guest agent to answer guest-ping.
bed_up() {
	local name=$1 dir=$BED_DIR/$1
	shift
	bed_make_disks "$name" || return 1
	cp "$BED_GUEST/vmlinuz" "$BED_GUEST/initrd.img" "$dir/"
	: >"$dir/console.log"
	bed_domain_xml "$name" "$@" >"$dir/domain.xml"
	echo "vvtest-$name" >>"$BED_DIR/domains"
	virsh -q -c "$BED_URI" define "$dir/domain.xml" >/dev/null || return 1
	virsh -q -c "$BED_URI" start "vvtest-$name" >/dev/null || return 1
	case " $* " in *" vv.noagent "*)
		bed_wait_console "$dir/console.log" "vv-guest: ready" 60
		return ;;
	esac
	bed_wait_agent "vvtest-$name" 60 "$dir/console.log"
}

# bed_wait_console CONSOLE TEXT SECONDS: wait for TEXT in the console log.
bed_wait_console() {
	local console=$1 text=$2 secs=$3 t0
	t0=$(date +%s)
	until grep -qF "$text" "$console" 2>/dev/null; do
		if [ $(($(date +%s) - t0)) -ge "$secs" ]; then
			bed_log "'$text' did not appear on the console within ${secs}s; its tail:"
			tail -n 20 "$console" >&2
			return 1
		fi
		sleep 0.2
	done
}

# bed_wait_agent DOMAIN SECONDS CONSOLE: poll guest-ping until it answers or
# the deadline passes; on failure print the console's tail.
bed_wait_agent() {
	local dom=$1 secs=$2 console=$3 t0
	t0=$(date +%s)
	while [ $(($(date +%s) - t0)) -lt "$secs" ]; do
		if virsh -c "$BED_URI" qemu-agent-command "$dom" '{"execute":"guest-ping"}' \
			--timeout 2 >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.5
	done
	bed_log "guest agent of $dom did not answer within ${secs}s; console tail:"
	tail -n 20 "$console" >&2
	return 1
}

# bed_down NAME: stop and undefine vvtest-NAME (with any snapshot and
# checkpoint metadata); =DOMAIN: the domain of that exact name.
bed_down() {
	local dom=vvtest-$1
	case $1 in =*) dom=${1#=} ;; esac
	virsh -q -c "$BED_URI" destroy -- "$dom" >/dev/null 2>&1
	virsh -q -c "$BED_URI" snapshot-list --name -- "$dom" 2>/dev/null | while read -r s; do
		[ -n "$s" ] && virsh -q -c "$BED_URI" snapshot-delete --metadata -- "$dom" "$s" >/dev/null 2>&1
	done
	virsh -q -c "$BED_URI" undefine --snapshots-metadata --checkpoints-metadata --nvram -- "$dom" >/dev/null 2>&1
	return 0
}

# bed_start_rgw PORT: a one-node Ceph RGW on 127.0.0.1:PORT under the bed;
# sets RGW_ENDPOINT, RGW_ACCESS, RGW_SECRET (the admin, vvtest) and
# RGW_HOST_ACCESS, RGW_HOST_SECRET (user vvhost); RGW_TLS_ENDPOINT (the
# same over https) and RGW_CA (its certificate). Stopped by bed_teardown.
bed_start_rgw() {
	local out
	out=$(bash "$BED_TOP/tests/bed/rgw.sh" start "$BED_DIR/rgw" "$1" 2>"$BED_DIR/rgw-start.log") || {
		bed_log "Ceph RGW did not start:"
		cat "$BED_DIR/rgw-start.log" >&2
		return 1
	}
	read -r RGW_ENDPOINT RGW_ACCESS RGW_SECRET RGW_HOST_ACCESS RGW_HOST_SECRET <<<"$out"
	RGW_TLS_ENDPOINT=$(cat "$BED_DIR/rgw/tls-endpoint")
	RGW_CA=$BED_DIR/rgw/ca.pem
	export RGW_ENDPOINT RGW_ACCESS RGW_SECRET RGW_HOST_ACCESS RGW_HOST_SECRET RGW_TLS_ENDPOINT RGW_CA
}

# bed_teardown: stop every domain and process of this bed, remove its files.
# It runs from EXIT traps under whatever options the caller set: a command
# that fails here (a process already gone) must not cut it short, so the
# options are made local and relaxed.
bed_teardown() {
	local -
	set +e +u +o pipefail
	local d pid name
	[ -n "${BED_DIR:-}" ] && [ -d "$BED_DIR" ] || return 0
	[ -d "$BED_DIR/rgw" ] && bash "$BED_TOP/tests/bed/rgw.sh" stop "$BED_DIR/rgw"
	while read -r d; do
		case $d in
		'') ;;
		vvtest-*) bed_down "${d#vvtest-}" ;;
		*) bed_down "=$d" ;;
		esac
	done <"$BED_DIR/domains"
	# Reverse order: libvirtd before virtlogd.
	tac "$BED_DIR/pids" | while read -r pid name; do
		[ -n "$pid" ] || continue
		kill "$pid" 2>/dev/null || continue
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
		bed_log "stopped $name (pid $pid)"
	done
	# Loop devices over files of the bed (block-device disks).
	losetup -l -n -O NAME,BACK-FILE 2>/dev/null | awk -v d="$BED_DIR/" 'index($2, d) == 1 {print $1}' |
		while read -r l; do losetup -d "$l"; done
	# File systems a test mounted below the bed (a full-disk test that failed).
	awk -v d="$BED_DIR/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r |
		while read -r m; do umount -l "$m"; done
	rm -rf "$BED_DIR"
	return 0
}
