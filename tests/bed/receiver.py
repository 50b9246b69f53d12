#!/usr/bin/env python3
"""A webhook receiver for the notification tests, on 127.0.0.1 only.

receiver.py PORTFILE LOG [--status N] [--tls CERT KEY]

Binds a free port and writes it to PORTFILE; appends every POST as one JSON
line {"path", "content_type", "body"} to LOG and answers N (default 200).
"""
import http.server
import json
import ssl
import sys


def main():
    portfile, log = sys.argv[1], sys.argv[2]
    status, tls = 200, None
    rest = sys.argv[3:]
    while rest:
        if rest[0] == "--status":
            status, rest = int(rest[1]), rest[2:]
        elif rest[0] == "--tls":
            tls, rest = (rest[1], rest[2]), rest[3:]
        else:
            sys.exit("receiver: unknown argument " + rest[0])

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n).decode()
            with open(log, "a") as f:
                f.write(json.dumps({"path": self.path,
                                    "content_type": self.headers.get("Content-Type"),
                                    "body": json.loads(body)}) + "\n")
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*tls)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


main()
