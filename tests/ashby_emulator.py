#!/usr/bin/env python3
"""Ashby API emulator for the ashby2humaans tests (Python 3 standard library only).

It implements the contract in the project's api/ashby.md: every call is
``POST /{category}.{method}`` with a JSON body, HTTP Basic auth (the API key as
the user name, empty password), the ``success`` envelope, business errors as
HTTP 200 ``success:false``, ``x-ashby-request-id`` on every answer, ``limit``
(max 100) / ``cursor`` pagination with ``moreDataAvailable`` and ``nextCursor``,
a ``syncToken`` on the last page and incremental answers for a stored token.

Usage::

    ashby_emulator.py --org fixtures/demo/ashby --port-file PORT [--requests LOG]
    ashby_emulator.py --generate 1000 --port-file PORT       # synthetic org, in memory
    ashby_emulator.py ... --max-inflight 4 | --max-rps 5      # limit mode (below)

It binds 127.0.0.1 on an ephemeral port (``--port 0``, the default) and writes
the port number to ``--port-file`` once it is listening.  Stop it with SIGTERM.

The organisation (``--org DIR``) is a set of JSON arrays: applications.json,
candidates.json, offers.json, jobs.json, job_postings.json, departments.json,
locations.json, users.json, custom_fields.json, api_keys.json, files.json.
``api_keys.json`` entries are ``{"id", "secret", "title", "createdAt",
"scopes": [...]}``; the key's modules follow from its scopes (candidates:read
-> Candidates, jobs:read -> Jobs, offers:read -> Offers, organization:read ->
Organization, hiringProcessMetadata:read -> Hiring Process Metadata,
apiKeys:read -> API Keys).  ``files.json`` entries are ``{"handle", "name",
"path"}`` (path relative to the org dir) or carry ``"content_b64"`` instead.

Endpoints (permission module): apiKey.info (API Keys), application.list,
application.info, candidate.info, candidate.list, file.info (Candidates),
offer.list (Offers), job.info, jobPosting.list (Jobs), department.list,
location.list, user.list (Organization), customField.list (Hiring Process
Metadata).  candidate.list is unfiltered (every candidate); its incremental
pass returns the candidates changed since the token.  Accepted and ignored:
``expand`` (application.list/.info, job.info; an array of strings) and
``includeLocationHierarchy`` (location.list).  offer.list filters on
``offerStatus`` / ``acceptanceStatus`` (a value or an array of values).  ``file.info``
answers ``{"url": "http://127.0.0.1:PORT/files/<handle>?sig=<hmac>"}``; that
URL serves the bytes to a plain GET and needs no auth (a wrong sig is 403).

Errors: no Authorization -> 401 (an HTML page, not JSON); an unknown key ->
403 (JSON); a missing module -> 403 ``missing_endpoint_permission`` naming the
module; other errors are HTTP 200 with ``{"success": false, "errorInfo":
{"code", "message", "requestId"}, "errors": [code]}``.  ``null`` for an
optional parameter, ``limit`` outside 1..100, a filter combined with
``syncToken``, or a filter value Ashby does not define (``status: "Foo"``) is
``invalid_input``.  A cursor sent with parameters other than those of the
request that produced it, or one that cannot be decoded (not of the
emulator's ``cu_...`` form), is ``invalid_next_cursor``; a well-formed cursor
the emulator no longer knows is ``next_cursor_expired``.  A sync token that
cannot be decoded (not ``st_...``) is ``sync_token_invalid``.

Sync tokens: the server keeps a version counter; every record carries the
version of its last change.  A token remembers the counter when its pass
started; an incremental pass returns the records whose version is newer.

Limit mode (tests/emulator_limit.py): ``--max-inflight N`` answers a call that
arrives while N others are being answered with HTTP 429, ``Retry-After: 1`` and
the contract's body (``success: false``, ``errorInfo.code`` ``rate_limit_exceeded``);
``--max-rps R`` does the same beyond R calls let through in the last second, with
``Retry-After`` the whole seconds until one leaves it.  Only API calls count (not
the pre-signed file downloads, another host in Ashby); refusals are answered at
once, logged with the fault ``limit:inflight`` or ``limit:rps``, and counted in
``GET /_emulator/state`` (``limit``).

Request log: ``--requests FILE`` gets one JSON line per API or file request:
``{"seq", "method", "path", "endpoint", "headers" (no Authorization),
"auth": {"present": bool, "key": "<key id or null>"}, "body", "status",
"fault"}``.  Control calls under /_emulator/ are not logged.

Control endpoint (no auth):

* ``POST /_emulator/faults`` ``{"latency_ms": 0, "faults": [...], "random":
  {"rate": 0.2, "seed": 1, "status": 503}}`` replaces the fault plan (``"random"``
  may instead give ``"statuses": [429, 503, "drop"]``, one picked at random per
  failing request, and ``"retry_after"`` for the 429s).  A fault
  is ``{"path": "offer.list" (or "files", or omitted for any), "after": 0
  (matching requests to let through first), "times": 1, and one of "status":
  429 (+ "retry_after": 1), "status": 503, "html": true (non-JSON body with
  the status), "drop": true (close the connection without an answer),
  "malformed": true (HTTP 200, truncated JSON), "error": "sync_token_expired"
  (HTTP 200 success:false with that code: any code, e.g. ``cursor_invalid``,
  ``invalid_next_cursor``), "echo_key": true (HTTP 200
  success:false whose errorInfo.message quotes the API key and the Authorization
  header), "latency_ms": N, "cursor_loop": "same"
  (a list page, empty, with moreDataAvailable:true and always the same nextCursor)
  or "cycle" (two cursors in turn), "big_pdf": N (on "files": HTTP 200 streaming a
  PDF of N bytes without Content-Length, closing the connection; the request log
  labels it "big_pdf:sent=<bytes written before the client hung up>")}``.
* ``POST /_emulator/mutate`` ``{"ops": [{"collection": "applications", "id":
  "...", "set": {"status": "Archived", "candidate.name": "X"}}, {"collection":
  "offers", "record": {...}}, {"collection": "applications", "id": "...",
  "delete": true}]}`` (a single op may be posted without ``ops``); dotted keys
  set nested fields.  Each change bumps the record's version (and the
  ``updatedAt`` of applications, jobs, users and departments).
* The drift edits, each one change as Ashby would make it (see
  tests/ashby_edits.py): ``POST /_emulator/candidate-edit`` (a candidate's own
  phone, email or name: only candidate.list sees it),
  ``/_emulator/application-status`` (archive an application, move it back),
  ``/_emulator/offer-resign`` (a new signed letter on the accepted offer),
  ``/_emulator/offer-edit`` (salary, start date),
  ``/_emulator/candidate-merge`` (Ashby's candidateMerge).
* ``POST /_emulator/reset-tokens`` ``{"code": "sync_token_expired"}`` forgets
  every issued token (and cursor); later use of one is answered with ``code``
  (default ``sync_token_expired``; also ``sync_token_invalid``).
  ``{"too_large": N}`` makes an incremental pass with more than N changes
  answer ``incremental_sync_too_large`` (null turns it off).
* ``GET /_emulator/requests`` the request log as a JSON array;
  ``POST /_emulator/requests/clear`` empties the in-memory copy.
* ``GET /_emulator/state`` counters (version, tokens, requests).
"""

import argparse
import base64
import copy
import hashlib
import hmac
import json
import os
import random
import re
import secrets
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ashby_edits  # noqa: E402 (the drift edits of the control API, same directory)
import emulator_limit  # noqa: E402 (--max-inflight, --max-rps: same directory)

COLLECTIONS = {
    "applications": "applications.json",
    "candidates": "candidates.json",
    "offers": "offers.json",
    "jobs": "jobs.json",
    "jobPostings": "job_postings.json",
    "departments": "departments.json",
    "locations": "locations.json",
    "users": "users.json",
    "customFields": "custom_fields.json",
    "apiKeys": "api_keys.json",
    "files": "files.json",
}

SCOPE_MODULE = {
    "candidates:read": "Candidates",
    "jobs:read": "Jobs",
    "offers:read": "Offers",
    "organization:read": "Organization",
    "hiringProcessMetadata:read": "Hiring Process Metadata",
    "apiKeys:read": "API Keys",
}
MODULE_SCOPE = {v: k for k, v in SCOPE_MODULE.items()}

# endpoint -> (module, kind, collection, extra parameters allowed)
ENDPOINTS = {
    "apiKey.info": ("API Keys", "apikey", None, set()),
    "application.list": ("Candidates", "list", "applications", {"status", "createdAfter", "expand"}),
    "application.info": ("Candidates", "info", "applications", {"applicationId", "expand"}),
    "candidate.info": ("Candidates", "info", "candidates", {"id"}),
    "candidate.list": ("Candidates", "list", "candidates", set()),
    "file.info": ("Candidates", "file", "files", {"fileHandle"}),
    "offer.list": ("Offers", "list", "offers", {"applicationId", "offerStatus", "acceptanceStatus"}),
    "job.info": ("Jobs", "info", "jobs", {"id", "expand"}),
    "jobPosting.list": ("Jobs", "plain", "jobPostings", {"listedOnly"}),
    "department.list": ("Organization", "list", "departments", {"includeArchived"}),
    "location.list": ("Organization", "list", "locations", {"includeArchived", "includeLocationHierarchy"}),
    "user.list": ("Organization", "list", "users", {"includeDeactivated"}),
    "customField.list": ("Hiring Process Metadata", "list", "customFields", {"includeArchived"}),
}
LIST_COMMON = {"limit", "cursor", "syncToken"}
FILTERS = {"status", "createdAfter", "applicationId", "offerStatus", "acceptanceStatus"}
# Values Ashby's published schema defines for the filters the emulator checks.
APPLICATION_STATUSES = ("Hired", "Archived", "Active", "Lead")
OFFER_STATUSES = ("WaitingOnApprovalStart", "WaitingOnOfferApproval", "WaitingOnApprovalDefinition",
                  "WaitingOnCandidateResponse", "CandidateAccepted", "CandidateRejected",
                  "OfferCancelled")
ACCEPTANCE_STATUSES = ("Accepted", "Declined", "Pending", "Created", "Cancelled", "WaitingOnResponse")
# What the emulator issues; anything else cannot be decoded (invalid_next_cursor,
# sync_token_invalid), while a well-formed one it no longer knows has expired.
CURSOR_RE = re.compile(r"^cu_[A-Za-z0-9_-]{16}$")
TOKEN_RE = re.compile(r"^st_[A-Za-z0-9_-]{16}$")
# Records whose updatedAt moves with each change (Ashby serves it on these).
TIMESTAMPED = ("applications", "jobs", "users", "departments")
NOT_FOUND = {
    "applications": "application_not_found",
    "candidates": "candidate_not_found",
    "jobs": "job_not_found",
    "offers": "offer_not_found",
}
EPOCH = 1769904000  # 2026-02-01T00:00:00Z: updatedAt of mutated records is EPOCH + version seconds


def iso_at(version):
    t = time.gmtime(EPOCH + version)
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", t)


class Org:
    """The organisation and every piece of server-side state, behind one lock."""

    def __init__(self, data, files_dir=None):
        self.lock = threading.RLock()
        self.col = {name: list(data.get(name, [])) for name in COLLECTIONS}
        self.files_dir = files_dir
        self.version = 1
        self.ver = {name: {} for name in COLLECTIONS}  # collection -> id -> version
        self.idx = {name: {} for name in COLLECTIONS}  # collection -> id -> record
        for name in COLLECTIONS:
            self.set_collection(name, self.col[name])
        self.tokens = {}  # token -> (endpoint, version)
        self.cursors = {}  # cursor -> (params-without-cursor, ids, offset, token-version)
        self.reset_code = "sync_token_expired"
        self.too_large = None
        self.secret = secrets.token_bytes(16)
        self.faults = []
        self.latency_ms = 0
        self.rand = None
        self.rand_rate = 0.0
        self.rand_status = 503
        self.rand_statuses = None
        self.rand_retry_after = None
        self.requests = []
        self.seq = 0

    @staticmethod
    def key_of(name, rec):
        return rec.get("handle") if name == "files" else rec.get("id")

    def set_collection(self, name, recs):
        """Replace a collection (keeps the id index: lookups stay O(1) for large orgs)."""
        self.col[name] = list(recs)
        self.idx[name] = {}
        for r in self.col[name]:
            k = self.key_of(name, r)
            self.idx[name][k] = r
            self.ver[name].setdefault(k, 1)

    def find(self, name, key):
        return self.idx[name].get(key) if isinstance(key, str) else None

    def bump(self, name, rec):
        self.version += 1
        self.ver[name][self.key_of(name, rec)] = self.version
        if name in TIMESTAMPED:
            rec["updatedAt"] = iso_at(self.version)

    def mutate(self, op):
        name = op.get("collection")
        if name not in self.col:
            raise ValueError("unknown collection %r" % name)
        if "record" in op:
            rec = copy.deepcopy(op["record"])
            key = self.key_of(name, rec)
            if not key:
                raise ValueError("record without id")
            old = self.find(name, key)
            if old is not None:
                self.col[name].remove(old)
            self.col[name].append(rec)
            self.idx[name][key] = rec
            self.bump(name, rec)
            return
        rec = self.find(name, op.get("id"))
        if rec is None:
            raise ValueError("no %s record %r" % (name, op.get("id")))
        if op.get("delete"):
            self.col[name].remove(rec)
            self.idx[name].pop(op["id"], None)
            self.ver[name].pop(op["id"], None)
            self.version += 1
            return
        for k, v in (op.get("set") or {}).items():
            parts = k.split(".")
            cur = rec
            for p in parts[:-1]:
                if not isinstance(cur.get(p), dict):
                    cur[p] = {}
                cur = cur[p]
            if v is None and op.get("unset_null", True):
                cur.pop(parts[-1], None)
            else:
                cur[parts[-1]] = v
        self.bump(name, rec)

    def file_bytes(self, rec):
        if "content_b64" in rec:
            return base64.b64decode(rec["content_b64"])
        if "path" in rec and self.files_dir:
            with open(os.path.join(self.files_dir, rec["path"]), "rb") as f:
                return f.read()
        return b""

    def sig(self, handle):
        return hmac.new(self.secret, handle.encode(), hashlib.sha256).hexdigest()[:32]


def load_org(directory):
    data = {}
    for name, fname in COLLECTIONS.items():
        path = os.path.join(directory, fname)
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                data[name] = json.load(f)
    return Org(data, files_dir=directory)


class BusinessError(Exception):
    def __init__(self, code, message, status=200):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AshbyEmulator/1.0"
    # One write per answer and no Nagle: otherwise every call waits on a delayed ACK.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):  # quiet: the request log is the record
        pass

    # -- plumbing -------------------------------------------------------

    @property
    def org(self):
        return self.server.org

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send(self, status, body, ctype="application/json", extra=None, rid=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if rid:
            self.send_header("x-ashby-request-id", rid)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        return status

    def log_request_line(self, method, path, endpoint, auth_key, auth_present, body, status, fault):
        headers = {k: v for k, v in self.headers.items() if k.lower() != "authorization"}
        org = self.org
        with org.lock:
            org.seq += 1
            entry = {
                "seq": org.seq,
                "method": method,
                "path": path,
                "endpoint": endpoint,
                "headers": headers,
                "auth": {"present": auth_present, "key": auth_key},
                "body": body,
                "status": status,
                "fault": fault,
            }
            org.requests.append(entry)
            if self.server.requests_file:
                with open(self.server.requests_file, "a", encoding="utf-8") as f:
                    f.write(json.dumps(entry, sort_keys=True) + "\n")

    def pick_fault(self, endpoint):
        org = self.org
        with org.lock:
            for f in org.faults:
                p = f.get("path")
                if p not in (None, endpoint):
                    continue
                if f.get("times", 1) <= 0:
                    continue
                if f.get("after", 0) > 0:
                    f["after"] -= 1
                    continue
                f["times"] = f.get("times", 1) - 1
                return f
            if org.rand is not None and org.rand.random() < org.rand_rate:
                if org.rand_statuses:
                    st = org.rand_statuses[org.rand.randrange(len(org.rand_statuses))]
                    if st == "drop":
                        return {"drop": True, "random": True}
                    return {"status": int(st), "retry_after": org.rand_retry_after,
                            "random": True}
                return {"status": org.rand_status, "random": True}
        return None

    def apply_fault(self, fault, rid):
        """Answer according to a fault; returns (status, label) or None to go on."""
        if fault.get("latency_ms"):
            time.sleep(fault["latency_ms"] / 1000.0)
        if fault.get("drop"):
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return (0, "drop")
        if fault.get("cursor_loop"):
            with self.org.lock:
                fault["_n"] = fault.get("_n", 0) + 1
                n = fault["_n"]
            cur = "loop-b" if fault["cursor_loop"] == "cycle" and n % 2 == 0 else "loop-a"
            st = self.send(200, {"success": True, "results": [], "moreDataAvailable": True,
                                 "nextCursor": cur}, rid=rid)
            return (st, "cursor_loop")
        if fault.get("big_pdf"):
            return (200, "big_pdf:sent=%d" % self.stream_pdf(int(fault["big_pdf"]), rid))
        if fault.get("malformed"):
            self.send(200, b'{"success": true, "results": [{"id": "trunc', rid=rid)
            return (200, "malformed")
        if fault.get("echo_key"):
            # A server that quotes the credentials back in its error text.
            h = self.headers.get("Authorization") or ""
            try:
                user = base64.b64decode(h[6:]).decode().split(":", 1)[0]
            except Exception:
                user = ""
            msg = "the key %s (header %s) is not valid here" % (user, h)
            st = self.send(200, envelope_error(fault.get("code", "invalid_input"), msg, rid), rid=rid)
            return (st, "echo_key")
        if fault.get("error"):
            code = fault["error"]
            st = self.send(200, envelope_error(code, "injected " + code, rid), rid=rid)
            return (st, "error:" + code)
        status = fault.get("status")
        if status:
            extra = {}
            if fault.get("retry_after") is not None:
                extra["Retry-After"] = str(fault["retry_after"])
            if fault.get("html") or status >= 500:
                self.send(status, "<html><body><h1>%d</h1>upstream trouble</body></html>" % status,
                          ctype="text/html", extra=extra, rid=rid)
            else:
                code = "rate_limit_exceeded" if status == 429 else "injected"
                self.send(status, envelope_error(code, "injected %d" % status, rid), extra=extra, rid=rid)
            return (status, "status:%d" % status)
        return None

    def stream_pdf(self, total, rid):
        """A hostile file host: `total` bytes of "PDF", no Content-Length; returns bytes written."""
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Connection", "close")
        self.send_header("x-ashby-request-id", rid)
        self.end_headers()
        chunk = b"%PDF-" + b"0" * (65536 - 5)
        sent = 0
        try:
            self.wfile.flush()
            while sent < total:
                part = chunk[:min(len(chunk), total - sent)]
                self.wfile.write(part)
                self.wfile.flush()
                sent += len(part)
                chunk = b"0" * 65536
        except OSError:
            pass
        return sent

    # -- HTTP verbs -------------------------------------------------------

    def do_GET(self):
        u = urlsplit(self.path)
        if u.path.startswith("/_emulator/"):
            return self.control_get(u.path)
        if u.path.startswith("/files/"):
            return self.serve_file(u)
        rid = new_rid()
        st = self.send(405, envelope_error("method_not_allowed", "use POST", rid), rid=rid)
        self.log_request_line("GET", u.path, None, None, "Authorization" in self.headers, None, st, None)

    def do_POST(self):
        u = urlsplit(self.path)
        raw = self.read_body()
        if u.path.startswith("/_emulator/"):
            return self.control_post(u.path, raw)
        self.api(u.path, raw)

    # -- files ------------------------------------------------------------

    def serve_file(self, u):
        org = self.org
        handle = u.path[len("/files/"):]
        rid = new_rid()
        auth_present = "Authorization" in self.headers
        fault = self.pick_fault("files")
        if org.latency_ms:
            time.sleep(org.latency_ms / 1000.0)
        if fault:
            res = self.apply_fault(fault, rid)
            if res:
                self.log_request_line("GET", u.path, "files", None, auth_present, None, res[0], res[1])
                return
        sig = parse_qs(u.query).get("sig", [""])[0]
        with org.lock:
            rec = org.find("files", handle)
            ok = rec is not None and hmac.compare_digest(sig, org.sig(handle))
            data = org.file_bytes(rec) if ok else b""
        if not ok:
            st = self.send(403, "<Error>SignatureDoesNotMatch</Error>", ctype="application/xml", rid=rid)
        else:
            st = self.send(200, data, ctype="application/pdf", rid=rid)
        self.log_request_line("GET", u.path, "files", None, auth_present, None, st, None)

    # -- control ------------------------------------------------------------

    def control_get(self, path):
        org = self.org
        with org.lock:
            if path == "/_emulator/requests":
                return self.send(200, org.requests)
            if path == "/_emulator/state":
                return self.send(200, {"version": org.version, "tokens": len(org.tokens),
                                       "cursors": len(org.cursors), "requests": org.seq,
                                       "counts": {k: len(v) for k, v in org.col.items()},
                                       "limit": self.server.limiter.info()})
        self.send(404, {"error": "unknown control path"})

    def control_post(self, path, raw):
        org = self.org
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return self.send(400, {"error": "bad json"})
        with org.lock:
            if path == "/_emulator/faults":
                org.faults = [dict(f) for f in body.get("faults", [])]
                org.latency_ms = body.get("latency_ms", 0)
                r = body.get("random")
                if r:
                    org.rand = random.Random(r.get("seed", 0))
                    org.rand_rate = float(r.get("rate", 0))
                    org.rand_status = int(r.get("status", 503))
                    org.rand_statuses = list(r.get("statuses") or []) or None
                    org.rand_retry_after = r.get("retry_after")
                else:
                    org.rand = None
                return self.send(200, {"ok": True})
            if path == "/_emulator/mutate":
                ops = body.get("ops", [body] if "collection" in body else [])
                try:
                    for op in ops:
                        org.mutate(op)
                except ValueError as ex:
                    return self.send(400, {"error": str(ex)})
                return self.send(200, {"ok": True, "version": org.version})
            if path == "/_emulator/reset-tokens":
                org.tokens.clear()
                org.cursors.clear()
                if "code" in body:
                    org.reset_code = body["code"]
                if "too_large" in body:
                    org.too_large = body["too_large"]
                return self.send(200, {"ok": True})
            if path == "/_emulator/requests/clear":
                org.requests = []
                return self.send(200, {"ok": True})
            edit = ashby_edits.CONTROL.get(path)
            if edit is not None:
                try:
                    res = edit(org, body)
                except ValueError as ex:
                    return self.send(400, {"error": str(ex)})
                return self.send(200, dict(res, ok=True, version=org.version))
        self.send(404, {"error": "unknown control path"})

    # -- the API --------------------------------------------------------------

    def auth(self):
        """(key record or None, present, key id); raises nothing."""
        h = self.headers.get("Authorization")
        if not h:
            return None, False, None
        if not h.startswith("Basic "):
            return None, True, None
        try:
            user = base64.b64decode(h[6:]).decode().split(":", 1)[0]
        except Exception:
            return None, True, None
        with self.org.lock:
            for k in self.org.col["apiKeys"]:
                if k.get("secret") and hmac.compare_digest(k["secret"], user):
                    return k, True, k.get("id")
        return None, True, None

    def api(self, path, raw):
        limiter = self.server.limiter
        refused = limiter.enter() if limiter.active else None
        if refused is None:
            try:
                return self.api_call(path, raw)
            finally:
                if limiter.active:
                    limiter.leave()
        # Limit mode: refused before anything else, in the contract's 429 shape.
        reason, retry_after = refused
        rid = new_rid()
        endpoint = path.lstrip("/")
        _, present, key_id = self.auth()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = "<invalid json>"
        msg = ("rate limit exceeded: more than %s requests in flight" % limiter.max_inflight
               if reason == "inflight" else
               "rate limit exceeded: more than %g requests a second" % limiter.max_rps)
        st = self.send(429, envelope_error("rate_limit_exceeded", msg, rid), rid=rid,
                       extra={"Retry-After": str(retry_after)})
        self.log_request_line("POST", path, endpoint, key_id, present, body, st, "limit:" + reason)

    def api_call(self, path, raw):
        org = self.org
        rid = new_rid()
        endpoint = path.lstrip("/")
        key, present, key_id = self.auth()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = "<invalid json>"

        def done(status, label=None):
            self.log_request_line("POST", path, endpoint, key_id, present, body, status, label)

        if org.latency_ms:
            time.sleep(org.latency_ms / 1000.0)
        fault = self.pick_fault(endpoint)
        if fault:
            res = self.apply_fault(fault, rid)
            if res:
                return done(*res)
        if not present:
            st = self.send(401, "<html><body><h1>401 Unauthorized</h1></body></html>",
                           ctype="text/html", rid=rid, extra={"WWW-Authenticate": 'Basic realm="ashby"'})
            return done(st)
        if key is None or key.get("deactivated"):
            st = self.send(403, envelope_error("invalid_api_key", "the API key is not valid", rid), rid=rid)
            return done(st)
        spec = ENDPOINTS.get(endpoint)
        if spec is None:
            st = self.send(404, envelope_error("not_found", "unknown endpoint %s" % endpoint, rid), rid=rid)
            return done(st)
        module = spec[0]
        modules = {SCOPE_MODULE.get(s) for s in key.get("scopes", [])}
        if module not in modules:
            msg = ("The API key is missing the %s permission (%s) required by %s"
                   % (module, MODULE_SCOPE[module], endpoint))
            st = self.send(403, envelope_error("missing_endpoint_permission", msg, rid), rid=rid)
            return done(st)
        try:
            if not self.headers.get("Content-Type", "").startswith("application/json"):
                raise BusinessError("invalid_input", "Content-Type must be application/json")
            if not isinstance(body, dict):
                raise BusinessError("invalid_input", "the body must be a JSON object")
            for k, v in body.items():
                if v is None:
                    raise BusinessError("invalid_input", "parameter %s is null: leave it out" % k)
            with org.lock:
                result = self.dispatch(endpoint, spec, body, key)
            result["success"] = True
            st = self.send(200, result, rid=rid)
        except BusinessError as ex:
            st = self.send(ex.status, envelope_error(ex.code, ex.message, rid), rid=rid)
        done(st)

    def dispatch(self, endpoint, spec, body, key):
        org = self.org
        module, kind, colname, allowed = spec
        unknown = set(body) - allowed - (LIST_COMMON if kind == "list" else set())
        if unknown:
            raise BusinessError("invalid_input", "unknown parameter %s" % sorted(unknown)[0])
        exp = body.get("expand", [])
        if not isinstance(exp, list) or not all(isinstance(x, str) for x in exp):
            raise BusinessError("invalid_input", "expand must be an array of strings")
        if kind == "apikey":
            return {"results": {"title": key.get("title", key.get("id")),
                                "createdAt": key.get("createdAt", "2026-01-01T00:00:00.000Z"),
                                "scopes": list(key.get("scopes", []))}}
        if kind == "info":
            (param,) = allowed - {"expand"}
            want = body.get(param)
            if not isinstance(want, str):
                raise BusinessError("invalid_input", "%s is required" % param)
            rec = org.find(colname, want)
            if rec is None:
                raise BusinessError(NOT_FOUND[colname], "no %s with id %s" % (colname[:-1], want))
            return {"results": copy.deepcopy(rec)}
        if kind == "file":
            h = body.get("fileHandle")
            if not isinstance(h, str):
                raise BusinessError("invalid_input", "fileHandle is required")
            rec = org.find("files", h)
            if rec is None:
                raise BusinessError("invalid_input", "unknown fileHandle")
            host, port = self.server.server_address[:2]
            return {"results": {"url": "http://%s:%d/files/%s?sig=%s" % (host, port, h, org.sig(h))}}
        if kind == "plain":
            return {"results": copy.deepcopy(org.col[colname])}
        return self.list_page(endpoint, colname, body)

    def list_page(self, endpoint, colname, body):
        org = self.org
        limit = body.get("limit", 100)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1 or limit > 100:
            raise BusinessError("invalid_input", "limit must be between 1 and 100")
        token = body.get("syncToken")
        if token is not None and FILTERS & set(body):
            raise BusinessError("invalid_input", "filters cannot be combined with syncToken")
        self.check_filters(endpoint, body)
        params = {k: v for k, v in body.items() if k != "cursor"}
        cursor = body.get("cursor")
        if cursor is not None:
            if not isinstance(cursor, str) or not CURSOR_RE.match(cursor):
                raise BusinessError("invalid_next_cursor", "the cursor cannot be decoded")
            state = org.cursors.get(cursor)
            if state is None:
                raise BusinessError("next_cursor_expired", "the cursor has expired")
            if state[0] != params:
                raise BusinessError("invalid_next_cursor",
                                    "a cursor must be sent with the parameters of the first request")
            _, ids, offset, base = state
            del org.cursors[cursor]
        else:
            since = None
            if token is not None:
                if not isinstance(token, str) or not TOKEN_RE.match(token):
                    raise BusinessError("sync_token_invalid", "the sync token cannot be decoded")
                t = org.tokens.get(token)
                if t is None:
                    raise BusinessError(org.reset_code, "the sync token is no longer valid")
                if t[0] != endpoint:
                    raise BusinessError("sync_token_invalid", "the sync token belongs to another list")
                since = t[1]
            recs = [r for r in org.col[colname] if self.keep(endpoint, r, body)]
            if since is not None:
                recs = [r for r in recs if org.ver[colname].get(r.get("id"), 0) > since]
                if org.too_large is not None and len(recs) > org.too_large:
                    raise BusinessError("incremental_sync_too_large", "too many changes: do a full sync")
            ids = [r.get("id") for r in recs]
            offset = 0
            base = org.version
        page_ids = ids[offset:offset + limit]
        out = []
        for i in page_ids:
            r = org.find(colname, i)
            if r is not None:
                out.append(copy.deepcopy(r))
        res = {"results": out}
        if offset + limit < len(ids):
            c = "cu_" + secrets.token_urlsafe(12)
            org.cursors[c] = (params, ids, offset + limit, base)
            res["moreDataAvailable"] = True
            res["nextCursor"] = c
        else:
            res["moreDataAvailable"] = False
            if not (FILTERS & set(body)):
                t = "st_" + secrets.token_urlsafe(12)
                org.tokens[t] = (endpoint, base)
                res["syncToken"] = t
        return res

    @staticmethod
    def check_filters(endpoint, body):
        """An unknown filter value is invalid_input (Ashby does not answer an empty list)."""
        def check(param, allowed, many):
            if param not in body:
                return
            v = body[param]
            vals = v if (many and isinstance(v, list)) else [v]
            for x in vals:
                if x not in allowed:
                    raise BusinessError("invalid_input", "%s: unknown value %r" % (param, x))
        if endpoint == "application.list":
            check("status", APPLICATION_STATUSES, False)
        if endpoint == "offer.list":
            check("offerStatus", OFFER_STATUSES, True)
            check("acceptanceStatus", ACCEPTANCE_STATUSES, True)

    @staticmethod
    def keep(endpoint, r, body):
        if endpoint == "application.list":
            if "status" in body and r.get("status") != body["status"]:
                return False
            if "createdAfter" in body:
                ca = r.get("createdAt", "")
                ms = iso_ms(ca)
                if ms is None or ms <= body["createdAfter"]:
                    return False
        if endpoint == "offer.list":
            for param in ("offerStatus", "acceptanceStatus"):
                want = body.get(param)
                if want is not None and r.get(param) not in (want if isinstance(want, list) else [want]):
                    return False
            if "applicationId" in body:
                return r.get("applicationId") == body["applicationId"]
        if endpoint in ("department.list", "location.list", "customField.list"):
            if not body.get("includeArchived", False) and r.get("isArchived"):
                return False
        if endpoint == "user.list":
            if not body.get("includeDeactivated", False) and r.get("isEnabled") is False:
                return False
        return True


def iso_ms(s):
    try:
        t = time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")
    except (ValueError, TypeError):
        return None
    import calendar
    return calendar.timegm(t) * 1000


def new_rid():
    return "req_" + uuid.uuid4().hex[:20]


def envelope_error(code, message, rid):
    return {"success": False,
            "errorInfo": {"code": code, "message": message, "requestId": rid},
            "errors": [code]}


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A dropped connection (fault injection) is expected: no traceback.
        if not isinstance(sys.exc_info()[1], (ConnectionError, OSError)):
            super().handle_error(request, client_address)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Ashby API emulator (see the module docstring)")
    ap.add_argument("--org", help="organisation directory (JSON files)")
    ap.add_argument("--generate", type=int, metavar="N", help="synthetic organisation of N hires")
    ap.add_argument("--seed", type=int, default=1, help="seed for --generate")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="write the port here once listening")
    ap.add_argument("--requests", help="append a JSON line per request to this file")
    emulator_limit.add_arguments(ap)
    args = ap.parse_args(argv)
    limiter = emulator_limit.from_args(args)

    if args.generate is not None:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import gen_org
        data, files = gen_org.generate(args.generate, args.seed)
        org = Org(data)
        org.set_collection("files", files)
    elif args.org:
        org = load_org(args.org)
    else:
        ap.error("--org DIR or --generate N is required")

    srv = Server(("127.0.0.1", args.port), Handler)
    srv.org = org
    srv.limiter = limiter
    srv.requests_file = args.requests
    if args.requests:
        open(args.requests, "a").close()
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.replace(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        srv.server_close()


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    main()
