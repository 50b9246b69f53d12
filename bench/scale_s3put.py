#!/usr/bin/env python3
"""Synthetic chunk objects on S3 for 'make bench-scale'.

    scale_s3put.py ENDPOINT ACCESS SECRET BUCKET PREFIX THREADS <NAMES

PUTs an empty object BUCKET/PREFIXchunks/XX/NAME for each NAME read from
the standard input (64 hex digits a line, from 'scale_chunks --list'),
THREADS at once over kept-alive connections, signed with AWS SigV4
(path style, region us-east-1, as the test bed's RGW takes it). Only for
the loopback test bed: plain HTTP. Prints the count put; exit 1 on the
first request that fails (its status and key on stderr).
"""
import datetime
import hashlib
import hmac
import http.client
import queue
import sys
import threading
import urllib.parse

REGION, SERVICE = "us-east-1", "s3"


def signed_headers(host, path, access, secret):
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    payload = "UNSIGNED-PAYLOAD"
    canonical = "\n".join(["PUT", path, "", f"host:{host}", f"x-amz-content-sha256:{payload}",
                           f"x-amz-date:{amz_date}", "", "host;x-amz-content-sha256;x-amz-date", payload])
    scope = f"{day}/{REGION}/{SERVICE}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (day, REGION, SERVICE, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {"Host": host, "x-amz-date": amz_date, "x-amz-content-sha256": payload, "Content-Length": "0",
            "Authorization": f"AWS4-HMAC-SHA256 Credential={access}/{scope}, "
                             f"SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={sig}"}


def main():
    endpoint, access, secret, bucket, prefix, threads = sys.argv[1:7]
    u = urllib.parse.urlparse(endpoint)
    host = u.netloc
    work = queue.Queue(maxsize=10000)
    failed = []
    done = [0]
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
        while True:
            name = work.get()
            if name is None:
                break
            if failed:
                continue
            path = f"/{bucket}/{prefix}chunks/{name[:2]}/{name}"
            conn.request("PUT", path, body=b"", headers=signed_headers(host, path, access, secret))
            r = conn.getresponse()
            r.read()
            if r.status != 200:
                failed.append(f"{r.status} {r.reason} for {path}")
                continue
            with lock:
                done[0] += 1
        conn.close()

    ts = [threading.Thread(target=worker) for _ in range(int(threads))]
    for t in ts:
        t.start()
    for line in sys.stdin:
        name = line.strip()
        if name:
            work.put(name)
    for _ in ts:
        work.put(None)
    for t in ts:
        t.join()
    if failed:
        print(f"scale_s3put: {failed[0]}", file=sys.stderr)
        sys.exit(1)
    print(done[0])


if __name__ == "__main__":
    main()
