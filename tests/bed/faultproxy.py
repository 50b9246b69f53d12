#!/usr/bin/env python3
"""A fault-injecting HTTP proxy for the S3 tests, on loopback only.

    faultproxy.py LISTEN_PORT UPSTREAM_PORT MODE [PIDFILE]

Forwards each request to 127.0.0.1:UPSTREAM_PORT unchanged (the Host
header too, so SigV4 signatures stay valid) and injects faults by MODE:

    flaky   every 5th request answers 503 SlowDown, every 7th 500, every
            11th GET's body is cut (connection reset mid-body), every 13th
            request stalls for 5 s before any answer; one request (method
            and path with its query) is faulted at most twice, so a client
            that retries gets through on its third attempt at the latest
            (the counter is shared by parallel requests: without that bound
            one request could meet six faults in a row by chance)
    down    every request answers 503 SlowDown
    partfail  the upload of part 2 of any multipart upload answers 400
    skewed  every request answers 403 RequestTimeTooSkewed, its Date an
            hour ahead of this host's clock
    pass    no fault

Counts of what it did are printed to stderr when it stops (SIGTERM). With
FAULTPROXY_LOG=FILE in the environment, each request is also appended to
FILE as a line "METHOD PATH" (the path with its query), in arrival order.
"""
import http.client
import http.server
import os
import signal
import socket
import sys
import threading
import time

listen_port, upstream_port, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
counter = 0
lock = threading.Lock()
request_log = open(os.environ["FAULTPROXY_LOG"], "a", buffering=1) if os.environ.get("FAULTPROXY_LOG") else None
faulted = {}
stats = {"skewed": 0, "requests": 0, "slowdown": 0, "error500": 0, "cut": 0, "stall": 0, "badpart": 0}

SLOWDOWN = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
            b'<Message>Please reduce your request rate.</Message></Error>')
INTERNAL = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code>'
            b'<Message>injected</Message></Error>')


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes: with Nagle's algorithm the body
    # waits for the client's delayed ACK, 40 ms on every answer.
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def fault(self):
        global counter
        with lock:
            counter += 1
            n = counter
            stats["requests"] += 1
            if request_log:
                request_log.write(f"{self.command} {self.path}\n")
        if mode == "down":
            return "slowdown"
        if mode == "skewed":
            return "skewed"
        if mode == "partfail":
            return "badpart" if self.command == "PUT" and "partNumber=2&" in self.path + "&" else None
        if mode != "flaky":
            return None
        f = None
        if n % 13 == 0:
            f = "stall"
        elif n % 5 == 0:
            f = "slowdown"
        elif n % 7 == 0:
            f = "error500"
        elif n % 11 == 0 and self.command == "GET":
            f = "cut"
        if f is None:
            return None
        key = (self.command, self.path)
        with lock:
            if faulted.get(key, 0) >= 2:
                return None
            faulted[key] = faulted.get(key, 0) + 1
        return f

    def answer(self, code, body):
        self.send_response(code)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        f = self.fault()
        if f:
            with lock:
                stats[f] += 1
        if f == "slowdown":
            return self.answer(503, SLOWDOWN)
        if f == "error500":
            return self.answer(500, INTERNAL)
        if f == "skewed":
            body = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>RequestTimeTooSkewed</Code>'
                    b'<Message>The difference between the request time and the current time is too large.</Message></Error>')
            self.send_response_only(403)
            self.send_header("Date", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 3600)))
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if f == "badpart":
            return self.answer(400, b'<?xml version="1.0"?><Error><Code>InvalidPart</Code></Error>')
        if f == "stall":
            time.sleep(5)
            self.close_connection = True
            return
        conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=60)
        headers = {k: v for k, v in self.headers.items()}
        conn.request(self.command, self.path, body=body if (body or self.command in ("PUT", "POST")) else None,
                     headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if f == "cut" and self.command == "GET" and len(data) > 16:
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", listen_port), Handler)
    server.daemon_threads = True

    def stop(*_):
        print("faultproxy: " + " ".join(f"{k}={v}" for k, v in stats.items()), file=sys.stderr)
        sys.stderr.flush()
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    if len(sys.argv) > 4:
        with open(sys.argv[4], "w") as f:
            f.write(f"{os.getpid()}\n")
    server.serve_forever()


if __name__ == "__main__":
    main()
