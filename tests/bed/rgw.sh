#!/usr/bin/env bash
# A throw-away one-node Ceph cluster with a radosgw S3 endpoint on
# 127.0.0.1, all state under one folder:
#   rgw.sh start DIR PORT   start it; prints "endpoint ACCESS SECRET HOST_ACCESS
#                           HOST_SECRET" when S3 answers: the admin (vvtest) and a
#                           second user (vvhost) for a host that a bucket policy
#                           may forbid to delete (tests/integration/t_attack.sh)
#                           It also answers over TLS on PORT + 1000 with a
#                           certificate of its own: DIR/tls-endpoint names the
#                           https endpoint, DIR/ca.pem is the CA a client trusts
#   rgw.sh stop DIR         stop every daemon by the pid in its pid file, remove DIR
# Its placement has a second storage class, COLD (pool default.rgw.cold.data).
# Debian 12's radosgw (Ceph 16) needs a cluster: one ceph-mon, one ceph-osd
# on bluestore in a sparse file, no manager, no authentication (loopback only).
set -euo pipefail

ACCESS=VVTESTACCESSKEY00001
SECRET=vvtest-secret-key-0123456789abcdefghijkl
HOST_ACCESS=VVHOSTACCESSKEY00002
HOST_SECRET=vvhost-secret-key-0123456789abcdefghijk

start() {
	local d=$1 port=$2 tport=$(($2 + 1000)) fsid uuid id t0
	mkdir -p "$d"/{run,log,mon,osd,rgw}
	# Its own certificate for 127.0.0.1, self-signed: the client's ca_file.
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -keyout "$d/tls.key" -out "$d/ca.pem" 2>/dev/null
	fsid=$(cat /proc/sys/kernel/random/uuid)
	cat >"$d/ceph.conf" <<EOF2
[global]
fsid = $fsid
mon host = v2:127.0.0.1:3300
mon initial members = a
ms bind msgr1 = false
auth cluster required = none
auth service required = none
auth client required = none
auth allow insecure global id reclaim = true
ms mon client mode = crc
ms mon service mode = crc
ms mon cluster mode = crc
ms client mode = crc
ms service mode = crc
ms cluster mode = crc
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
run dir = $d/run
pid file = $d/run/\$name.pid
admin socket = $d/run/\$name.asok
log file = $d/log/\$name.log
mon cluster log file = $d/log/cluster.log
mon data = $d/mon/\$cluster-\$id
osd data = $d/osd/\$cluster-\$id
osd objectstore = bluestore
bluestore block create = true
bluestore block size = ${RGW_BLOCK_SIZE:-8589934592}
osd memory target = 536870912
bluestore cache size = 134217728
[client.rgw.vv]
rgw frontends = beast endpoint=127.0.0.1:$port ssl_endpoint=127.0.0.1:$tport ssl_certificate=$d/ca.pem ssl_private_key=$d/tls.key
rgw data = $d/rgw
rgw dns name = 127.0.0.1
EOF2
	local c="-c $d/ceph.conf"
	monmaptool --create --addv a '[v2:127.0.0.1:3300]' --fsid "$fsid" "$d/monmap" >/dev/null
	ceph-mon $c --mkfs -i a --monmap "$d/monmap" >/dev/null
	ceph-mon $c -i a
	timeout 30 ceph $c --connect-timeout 20 osd pool ls >/dev/null
	uuid=$(cat /proc/sys/kernel/random/uuid)
	id=$(timeout 30 ceph $c osd new "$uuid")
	mkdir -p "$d/osd/ceph-$id"
	ceph-osd $c -i "$id" --mkfs --osd-uuid "$uuid" >/dev/null 2>&1
	ceph-osd $c -i "$id"
	radosgw-admin $c user create --uid=vvtest --display-name=vvtest \
		--access-key="$ACCESS" --secret="$SECRET" >/dev/null
	radosgw-admin $c user create --uid=vvhost --display-name=vvhost \
		--access-key="$HOST_ACCESS" --secret="$HOST_SECRET" >/dev/null
	# A second storage class, COLD, in its own pool (storage_class tests).
	radosgw-admin $c zonegroup placement add --rgw-zonegroup default \
		--placement-id default-placement --storage-class COLD >/dev/null
	radosgw-admin $c zone placement add --rgw-zone default --placement-id default-placement \
		--storage-class COLD --data-pool default.rgw.cold.data >/dev/null
	radosgw $c -n client.rgw.vv
	t0=$(date +%s)
	until curl -s -o /dev/null "http://127.0.0.1:$port/"; do
		if [ $(($(date +%s) - t0)) -ge 60 ]; then
			echo "rgw.sh: radosgw did not answer on 127.0.0.1:$port within 60s" >&2
			tail -n 20 "$d"/log/client.rgw.vv.log >&2
			return 1
		fi
		sleep 0.2
	done
	curl -s -o /dev/null --cacert "$d/ca.pem" "https://127.0.0.1:$tport/" || {
		echo "rgw.sh: radosgw answers on 127.0.0.1:$port but not over TLS on $tport" >&2
		tail -n 20 "$d"/log/client.rgw.vv.log >&2
		return 1
	}
	echo "https://127.0.0.1:$tport" >"$d/tls-endpoint"
	echo "http://127.0.0.1:$port $ACCESS $SECRET $HOST_ACCESS $HOST_SECRET"
}

stop() {
	local d=$1 pid
	for f in "$d"/run/*.pid; do
		[ -f "$f" ] || continue
		pid=$(cat "$f")
		kill "$pid" 2>/dev/null || continue
		for _ in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$pid" 2>/dev/null || true
	done
	rm -rf "$d"
}

case "${1:-}" in
start) start "$2" "$3" ;;
stop) stop "$2" ;;
*) echo "usage: rgw.sh start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
