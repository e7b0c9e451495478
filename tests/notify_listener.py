#!/usr/bin/env python3
"""A loopback stand-in for a Slack-compatible incoming webhook (standard library only).

    notify_listener.py --port-file FILE --messages FILE [--status N]

Listens on 127.0.0.1 (port 0), writes its port to --port-file, and appends every POST it
receives to --messages as one JSON line {"path": ..., "contentType": ..., "body": <parsed JSON
or the raw text>}. Answers --status (default 200) with "ok", as Slack does.
"""
import argparse
import http.server
import json


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--messages", required=True)
    ap.add_argument("--status", type=int, default=200)
    args = ap.parse_args()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n).decode("utf-8", "replace")
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw
            with open(args.messages, "a", encoding="utf-8") as f:
                f.write(json.dumps({"path": self.path,
                                    "contentType": self.headers.get("Content-Type"),
                                    "body": body}) + "\n")
            self.send_response(args.status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, fmt, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    import os
    os.replace(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
