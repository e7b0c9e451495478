#!/usr/bin/env python3
"""A loopback HTTP server with scripted misbehaviour, for the http layer's tests.

usage: flaky_server.py PORTFILE LOGFILE

Binds 127.0.0.1 on an ephemeral port, writes the port to PORTFILE, and logs
every request as one JSON line to LOGFILE: method, path, headers, body (text,
latin-1 decoded so bytes survive), the client's port and the arrival time.

Paths:
  /seq/STEP,STEP,...[?anything]  answers the Nth request to the same full
      target (path and query) with the Nth step (the last repeats):
        200, 400, 503 ...   that status, JSON body {"n": N}
        429-S, 503-S        that status with Retry-After: S
        drop                read the request, close without answering
        sleepMS             sleep MS milliseconds, then 200
  /big/N[?chunked=1]  N bytes of 'x' (chunked without Content-Length if asked)
  /echo               200 with the request body echoed back
  /redirect?to=PATH   302 to PATH on this server
Every response carries X-Request-Id: req-N (N counts all requests).
"""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
counts = {}
total = [0]
log = None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def record(self, body):
        with lock:
            total[0] += 1
            n = counts.get(self.path, 0) + 1
            counts[self.path] = n
            entry = {
                "method": self.command,
                "path": self.path,
                "headers": {k: v for k, v in self.headers.items()},
                "body": body.decode("latin-1"),
                "peer": self.client_address[1],
                "t": time.time(),
                "n": n,
            }
            log.write(json.dumps(entry) + "\n")
            log.flush()
            return n, total[0]

    def answer(self, status, body=b"", headers=None, rid=0):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Request-Id", "req-%d" % rid)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        n, rid = self.record(body)
        path, _, query = self.path.partition("?")
        if path.startswith("/seq/"):
            steps = path[5:].split(",")
            step = steps[min(n, len(steps)) - 1]
            if step == "drop":
                self.close_connection = True
                return
            if step.startswith("sleep"):
                time.sleep(int(step[5:]) / 1000.0)
                step = "200"
            status, _, after = step.partition("-")
            headers = {"Retry-After": after} if after else {}
            self.answer(int(status), json.dumps({"n": n}).encode(), headers, rid)
        elif path.startswith("/big/"):
            size = int(path[5:])
            if "chunked=1" in query:
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                left = size
                while left > 0:
                    k = min(left, 8192)
                    self.wfile.write(b"%x\r\n" % k + b"x" * k + b"\r\n")
                    left -= k
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.answer(200, b"x" * size, None, rid)
        elif path == "/echo":
            self.answer(200, body, None, rid)
        elif path == "/redirect":
            to = query[3:] if query.startswith("to=") else "/"
            self.answer(302, b"", {"Location": to}, rid)
        else:
            self.answer(404, b'{"error":"not found"}', None, rid)

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that time out or hang up are part of the script


def main():
    global log
    portfile, logfile = sys.argv[1], sys.argv[2]
    log = open(logfile, "a", encoding="utf-8")
    server = Server(("127.0.0.1", 0), Handler)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    server.serve_forever()


if __name__ == "__main__":
    main()
