#!/bin/busybox sh
# PID 1 of the test guest. Kernel command line switches:
#   vv.noagent  do not start qemu-guest-agent
#   vv.nowriter do not start the record writer
#   vv.nodata   do not mount /dev/vda (a guest that never writes its disks)
/bin/busybox --install -s /bin
export PATH=/bin:/sbin

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev

for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev \
	virtio_pci virtio_console virtio_blk; do
	insmod /lib/modules/$m.ko || echo "vv-guest: insmod $m failed"
done
echo "vv-guest: modules loaded"

# Devices appear asynchronously after the driver binds.
wait_for() {
	n=0
	while [ $n -lt 100 ]; do
		for f in $1; do
			[ -e "$f" ] && { echo "$f"; return 0; }
		done
		usleep 100000
		n=$((n + 1))
	done
	return 1
}

cmdline=$(cat /proc/cmdline)
case "$cmdline" in *vv.nowriter*) writer=no ;; *) writer=yes ;; esac
case "$cmdline" in *vv.noagent*) agent=no ;; *) agent=yes ;; esac

case "$cmdline" in *vv.nodata*) data=no ;; *) data=yes ;; esac

if [ $data = yes ] && wait_for /dev/vda >/dev/null; then
	if mount -t ext4 /dev/vda /data; then
		echo "vv-guest: /data mounted"
		[ $writer = yes ] && { /bin/vv-writer /data/records.log & }
	else
		echo "vv-guest: cannot mount /dev/vda"
	fi
fi

if [ $agent = yes ]; then
	port=$(wait_for '/dev/vport*p1')
	if [ -n "$port" ]; then
		qemu-ga -m virtio-serial -p "$port" -t /run -f /run/qemu-ga.pid &
		echo "vv-guest: qemu-ga started on $port"
	else
		echo "vv-guest: no virtio-serial port for the agent"
	fi
fi

echo "vv-guest: ready"
while :; do
	sleep 3600
done
