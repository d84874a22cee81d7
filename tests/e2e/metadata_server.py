#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
"""A stand-in for the ECS metadata service (test_check_metadata.sh only).

metadata_server.py ADDRESS PORT MODE LOG EIP

Modes:
  hardening  security hardening mode: PUT /latest/api/token with a TTL header
             gives a token; a GET without that token gets 403
  normal     an older service or normal mode: PUT gets 405; GETs are answered
  normal404  the same, PUT gets 404
  putreset   PUT: the connection is reset, no answer; GETs are answered
  refused    PUT gives a token, but every GET gets 403 (the token refused)
  noput      PUT gets 404, and a GET without a token gets 403
Every request is logged to LOG as one JSON object per line: method, path,
the TTL and token headers (null when absent), and the token issued.
"""
import json
import secrets
import socket
import struct
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

ADDRESS, PORT, MODE, LOG, EIP = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
TTL_HEADER = "X-aliyun-ecs-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aliyun-ecs-metadata-token"
issued = []


def log(handler, **extra):
    entry = {
        "method": handler.command,
        "path": handler.path,
        "ttl": handler.headers.get(TTL_HEADER),
        "token": handler.headers.get(TOKEN_HEADER),
        "headers": len(handler.headers),
    }
    entry.update(extra)
    with open(LOG, "a") as f:
        f.write(json.dumps(entry) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, *args):
        pass

    def answer(self, status, body=""):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        if MODE in ("normal", "noput", "normal404"):
            log(self)
            self.answer(405 if MODE == "normal" else 404, "not supported")
            return
        if MODE == "putreset":
            log(self)
            # RST instead of an answer: an abortive close
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        ttl = self.headers.get(TTL_HEADER)
        if self.path != "/latest/api/token" or not ttl or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            log(self)
            self.answer(400, "bad token request")
            return
        token = secrets.token_urlsafe(32)
        issued.append(token)
        log(self, issued=token)
        self.answer(200, token)

    def do_GET(self):
        log(self)
        token = self.headers.get(TOKEN_HEADER)
        if MODE == "refused" or (MODE in ("hardening", "noput") and token not in issued):
            self.answer(403, "Forbidden")
            return
        if self.path == "/latest/meta-data/eipv4":
            if EIP == "none":  # an instance without an EIP
                self.answer(404, "Not Found")
            else:
                self.answer(200, EIP + "\n")
            return
        self.answer(404, "Not Found")


class Server(HTTPServer):
    def handle_error(self, request, client_address):
        pass  # the reset mode's closed socket: nothing to report


server = Server((ADDRESS, PORT), Handler)
print("listening", flush=True)
server.serve_forever()
