#!/usr/bin/env python3
"""Humaans API emulator for the ashby2humaans tests (Python 3 standard library only).

It implements /work/shared/api/humaans.md (the project's contract) on loopback, strictly: every
route lives under /api, answers in the contract's shapes, and rejects what the contract says the
real API rejects.

Usage:
    humaans_emulator.py [--seed DIR] [--port-file FILE] [--requests FILE]
                        [--state-dump FILE] [--now ISO8601]

    --seed DIR        load the state from DIR/*.json (e.g. fixtures/demo/humaans); the files are
                      merged, each an object of resource name -> list of records (see below)
    --port-file FILE  the server binds 127.0.0.1 on an ephemeral port and writes the port here
                      (written atomically once the socket listens)
    --requests FILE   append one JSON line per /api request (see "Request log")
    --state-dump FILE write the whole state as JSON on exit (SIGTERM, SIGINT)
    --now ISO8601     fixed clock for createdAt/updatedAt (default: the real UTC time)
    --max-inflight N  limit mode: a request arriving while N others are being answered gets
                      429 with Retry-After: 1 (tests/emulator_limit.py)
    --max-rps R       limit mode: a request arriving when R were let through in the last
                      second gets 429 with Retry-After (whole seconds, at least 1)

A test starts it in the background, waits for the port file, sets
HUMAANS_BASE_URL=http://127.0.0.1:$PORT/api and stops it with kill (trap).

Seed format (one or several *.json files in the seed directory, merged in name order):
    {"tokens": [{"id", "token", "label", "scopes": [...], "personId"}],
     "people": [...], "jobRoles": [...], "locations": [...], "compensationTypes": [...],
     "compensations": [...], "documentTypes": [...], "files": [...], "documents": [...],
     "customFields": [...], "customValues": [...]}
Without a seed the state is empty except the token `demo-token` holding every scope.

Authentication and scopes:
    Authorization: Bearer <token>. Unknown or missing token: 401. A token lacking the scope a
    route needs: 403 whose message names the scope ("token lacks the scope 'documents:write'"),
    also given as data.scope. Scopes by route:
        GET  /people, /people/:id        private:read (public:read alone: a public view that hides
                                         new hires, personalEmail and personalPhoneNumber)
        POST/PATCH/DELETE /people        private:write
        GET  /job-roles                  private:read or public:read; POST/PATCH/DELETE private:write
                                         (PATCH /job-roles/:id and /compensations/:id: an
                                         assumption, not in the contract: a correction in place)
        GET  /locations, /custom-fields  private:read or public:read
        GET  /custom-values              private:read; POST/PATCH/DELETE private:write
        GET  /compensation-types, /compensations   compensations:read; writes compensations:write
        GET  /document-types, /documents, /files/:id  documents:read; writes (and POST /files)
                                         documents:write
        GET  /me, /token-info            any valid token

Lists: GET /<resource>?$limit=N&$skip=M&field=value answers {total, limit, skip, data}. $limit
defaults to 100 and is capped at 250; $sort[field]=1|-1 sorts (default: creation order).
Filters: field=value (equality, on the string form), field[$in][]=a&field[$in][]=b (also
field[$in][0]=a), field[$nin][], field[$gte]=, [$gt], [$lte], [$lt], [$ne]. A filter on a field the
resource does not have, an unknown $-parameter or a bad $limit/$skip: 400.

Errors: {"name", "message", "code", "className", "errors"?, "data"?}. Validation failures are
400 (422 when set through the control endpoint: {"validation_status": 422}) with "errors"
mapping each offending field to a message. Unknown id: 404. DELETE answers 200
{"id", "deleted": true}; create 201 with the object; GET/PATCH 200.

Strictness (beyond the contract's list): a person needs firstName and lastName; a newHire also
personalEmail and employmentStartDate, an active person also email. personalEmail and email are
unique ignoring case. Dates are YYYY-MM-DD (a real calendar day). Unknown fields and read-only
fields (id, createdAt, updatedAt) in a write are a 400. A person may hold one custom value per
custom field (a second POST is a 400: PATCH it). Deleting a person removes their job roles,
compensations, documents and custom values, but not the files uploaded for their documents (a file
names no person; as in the real API, presumably, it stays until DELETE /files/:id removes it).
DELETE /documents/:id and DELETE /files/:id remove one record (404 once it is gone).

Request log (--requests, and GET /_emulator/requests): one JSON object per /api request, in
arrival order: {"seq", "method", "path", "query" (name -> list of values), "rawQuery",
"headers" (lower-case names; authorization reduced to "Bearer <redacted>"), "token" (the seed
token's id, never its value, or null), "body" (parsed JSON, text, or for multipart a list of parts
{name, filename, contentType, size, sha256}), "status" (null when the connection was dropped),
"fault" (what was injected, or null)}. Control requests are not logged.
In limit mode a refused request is logged with status 429 and "fault" {"action":
"limit:inflight" or "limit:rps", "status": 429, "retry_after"}; it is answered at once (no
latency) with the contract's error body ({"name": "TooManyRequests", "code": 429, ...}).

Control endpoints (no authentication):
    GET  /_emulator/requests       the request log as a JSON array
    GET  /_emulator/state          the whole state (file bytes replaced by size and sha256)
    POST /_emulator/reset          reload the seed, clear the log and every fault
    POST /_emulator/records        {"resource": "people", "records": [...]}: insert or replace
                                   records by id as given (no validation), e.g. to change
                                   Humaans between a plan and an apply
    POST /_emulator/generate       {"count": 600, "status": "active", "prefix": "gen"}: add
                                   generated people (gen.0001@example.net ...), for paging tests
    POST /_emulator/faults         set fault injection; keys given replace the current ones:
        {"latency_ms": 50,                       every /api answer waits this long
         "faults": [                             scheduled faults, first match wins
            {"method": "POST", "path": "/api/people*",   fnmatch pattern on the path
             "skip": 0,                          let this many matching requests through first
             "times": 1,                         how many requests it hits (-1: every one)
             "status": 429, "retry_after": "2",  answer this status (error body), Retry-After
             "action": "status" | "drop" | "drop_after" | "malformed"}],
               drop: close the connection without answering, the request not carried out;
               drop_after: carry the request out, then close without answering;
               malformed: answer "status" (default 200) with a body that is not JSON
         "random": {"rate": 0.2, "seed": 7, "statuses": [503], "methods": ["GET"]},
               a seeded random share of /api requests fails before being carried out
               ("drop" among the statuses: the connection is closed without an answer,
               the request not carried out; "drop_after": carried out, then closed;
               "retry_after": N goes with the 429s)
         "drop_after_write": N,                  the Nth write (POST/PATCH/DELETE) from now is
                                                 carried out but its connection is closed before
                                                 the answer (a crash after an uncertain write)
         "validation_status": 422,               status of validation failures (400 or 422)
         "clear": true}                          remove every fault first
    GET  /_emulator/faults         the fault configuration and its counters (and "limit": the
                                   limit mode's settings and refusals)
"""

import argparse
import base64
import copy
import datetime
import fnmatch
import hashlib
import json
import os
import random
import re
import signal
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emulator_limit  # noqa: E402 (--max-inflight, --max-rps: same directory)

ALL_SCOPES = [
    "public:read", "private:read", "private:write", "compensations:read",
    "compensations:write", "documents:read", "documents:write", "webhooks:manage",
]

RESOURCES = [
    "people", "jobRoles", "locations", "compensationTypes", "compensations",
    "documentTypes", "files", "documents", "customFields", "customValues",
]

# URL segment -> state key
ROUTES = {
    "people": "people",
    "job-roles": "jobRoles",
    "locations": "locations",
    "compensation-types": "compensationTypes",
    "compensations": "compensations",
    "document-types": "documentTypes",
    "files": "files",
    "documents": "documents",
    "custom-fields": "customFields",
    "custom-values": "customValues",
}

# Fields of each resource (list filters may use these and only these).
FIELDS = {
    "people": ["id", "companyId", "firstName", "middleName", "lastName", "preferredName", "email",
               "personalEmail", "personalPhoneNumber", "phoneNumber", "employmentStartDate",
               "locationId", "remoteCity", "remoteCountryCode", "status", "source", "sourceId",
               "createdAt", "updatedAt"],
    "jobRoles": ["id", "personId", "jobTitle", "department", "reportingTo", "effectiveDate",
                 "endDate", "note", "createdAt", "updatedAt"],
    "locations": ["id", "label", "city", "countryCode", "country", "createdAt", "updatedAt"],
    "compensationTypes": ["id", "name", "baseType", "createdAt", "updatedAt"],
    "compensations": ["id", "personId", "compensationTypeId", "amount", "currency", "period",
                      "effectiveDate", "endDate", "note", "createdAt", "updatedAt"],
    "documentTypes": ["id", "name", "createdAt", "updatedAt"],
    "files": ["id", "filename", "size", "contentType", "sha256", "createdAt"],
    "documents": ["id", "personId", "documentTypeId", "name", "fileId", "link", "issueDate",
                  "createdAt", "updatedAt"],
    "customFields": ["id", "name", "section", "type", "config", "createdAt", "updatedAt"],
    "customValues": ["id", "personId", "customFieldId", "value", "createdAt", "updatedAt"],
}

READ_ONLY = {"id", "companyId", "createdAt", "updatedAt"}

PERSON_WRITABLE = ["firstName", "middleName", "lastName", "preferredName", "email", "personalEmail",
                   "personalPhoneNumber", "phoneNumber", "employmentStartDate", "locationId",
                   "remoteCity", "remoteCountryCode", "status", "source", "sourceId"]
PERSON_PRIVATE = ["personalEmail", "personalPhoneNumber"]
JOB_ROLE_NESTED = ["jobTitle", "department", "reportingTo", "effectiveDate", "endDate", "note"]
JOB_ROLE_WRITABLE = ["personId"] + JOB_ROLE_NESTED
COMPENSATION_WRITABLE = ["personId", "compensationTypeId", "amount", "currency", "period",
                         "effectiveDate", "endDate", "note"]
DOCUMENT_WRITABLE = ["personId", "documentTypeId", "name", "fileId", "link", "issueDate"]
CUSTOM_VALUE_WRITABLE = ["personId", "customFieldId", "value"]

PERSON_STATUSES = ["active", "newHire", "offboarded"]
PERIODS = ["annual", "monthly", "hourly"]
FIELD_TYPES = ["text", "number", "date", "select", "multiSelect", "boolean"]

ID_PREFIX = {
    "people": "per", "jobRoles": "jro", "compensations": "cmp", "files": "fil",
    "documents": "doc", "customValues": "cva", "locations": "loc", "compensationTypes": "cty",
    "documentTypes": "dty", "customFields": "cfd",
}

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
AMOUNT_RE = re.compile(r"^\d+(\.\d+)?$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FILTER_RE = re.compile(r"^([A-Za-z0-9_]+)\[\$([a-z]+)\](?:\[(\d*)\])?$")
SORT_RE = re.compile(r"^\$sort\[([A-Za-z0-9_]+)\]$")
OPERATORS = {"in", "nin", "gte", "gt", "lte", "lt", "ne"}
MAX_LIMIT = 250
DEFAULT_LIMIT = 100
WRITE_METHODS = {"POST", "PATCH", "DELETE"}


class ApiError(Exception):
    NAMES = {
        400: ("BadRequest", "bad-request"),
        401: ("NotAuthenticated", "not-authenticated"),
        403: ("Forbidden", "forbidden"),
        404: ("NotFound", "not-found"),
        405: ("MethodNotAllowed", "method-not-allowed"),
        408: ("Timeout", "timeout"),
        409: ("Conflict", "conflict"),
        411: ("LengthRequired", "length-required"),
        413: ("PayloadTooLarge", "payload-too-large"),
        422: ("Unprocessable", "unprocessable"),
        429: ("TooManyRequests", "too-many-requests"),
        500: ("GeneralError", "general-error"),
        502: ("BadGateway", "bad-gateway"),
        503: ("Unavailable", "unavailable"),
        504: ("GatewayTimeout", "gateway-timeout"),
    }

    def __init__(self, status, message, errors=None, data=None, headers=None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors
        self.data = data
        self.headers = headers or {}

    def body(self):
        name, class_name = self.NAMES.get(self.status, ("GeneralError", "general-error"))
        out = {"name": name, "message": self.message, "code": self.status,
               "className": class_name}
        if self.errors:
            out["errors"] = self.errors
        if self.data:
            out["data"] = self.data
        return out


class Invalid(ApiError):
    """A validation failure: 400, or the configured validation status."""

    def __init__(self, message, errors=None):
        super().__init__(400, message, errors=errors)


def is_date(v):
    if not isinstance(v, str) or not DATE_RE.match(v):
        return False
    try:
        datetime.date.fromisoformat(v)
    except ValueError:
        return False
    return True


class Emulator:
    def __init__(self, seed_dir=None, requests_path=None, now=None):
        self.lock = threading.RLock()
        self.seed_dir = seed_dir
        self.requests_path = requests_path
        self.fixed_now = now
        self.requests = []
        self.seq = 0
        self.reset()

    # ---- state -------------------------------------------------------------------------
    def reset(self):
        with self.lock:
            self.state = {r: {} for r in RESOURCES}
            self.tokens = {}
            self.blobs = {}
            self.counter = 0
            self.requests = []
            self.seq = 0
            self.clear_faults()
            if self.seed_dir:
                self.load_seed(self.seed_dir)
            self.reindex_people()
            if not self.tokens:
                self.tokens["demo-token"] = {"id": "demo", "token": "demo-token",
                                             "label": "Demo token", "scopes": list(ALL_SCOPES),
                                             "personId": None}

    def clear_faults(self):
        self.latency_ms = 0
        self.faults = []
        self.random_cfg = None
        self.rng = None
        self.drop_after_write = None
        self.writes_seen = 0
        self.validation_status = 400

    def load_seed(self, seed_dir):
        names = sorted(n for n in os.listdir(seed_dir) if n.endswith(".json"))
        for name in names:
            with open(os.path.join(seed_dir, name), encoding="utf-8") as f:
                doc = json.load(f)
            for t in doc.get("tokens", []):
                self.tokens[t["token"]] = {"id": t.get("id", t["label"]), "token": t["token"],
                                           "label": t.get("label", t["token"]),
                                           "scopes": list(t.get("scopes", [])),
                                           "personId": t.get("personId")}
            for res in RESOURCES:
                for rec in doc.get(res, []):
                    rec = dict(rec)
                    if res == "files" and "contentBase64" in rec:
                        self.blobs[rec["id"]] = base64.b64decode(rec.pop("contentBase64"))
                    self.state[res][rec["id"]] = rec

    # ---- the email index: uniqueness checks stay O(1) with thousands of people ----------
    EMAIL_KEYS = ("email", "personalEmail")

    def reindex_people(self):
        self.email_idx = {k: {} for k in self.EMAIL_KEYS}
        for p in self.state["people"].values():
            self.index_person(p)

    def index_person(self, p):
        for k in self.EMAIL_KEYS:
            v = p.get(k)
            if isinstance(v, str):
                self.email_idx[k].setdefault(v.lower(), set()).add(p["id"])

    def unindex_person(self, p):
        for k in self.EMAIL_KEYS:
            v = p.get(k)
            if isinstance(v, str):
                ids = self.email_idx[k].get(v.lower())
                if ids is not None:
                    ids.discard(p["id"])
                    if not ids:
                        del self.email_idx[k][v.lower()]

    def now(self):
        if self.fixed_now:
            return self.fixed_now
        t = datetime.datetime.now(datetime.timezone.utc)
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)

    def new_id(self, res):
        while True:
            self.counter += 1
            h = hashlib.sha256(("%s:%d" % (res, self.counter)).encode()).digest()
            alnum = base64.b64encode(h).decode().replace("+", "").replace("/", "")
            rid = ID_PREFIX.get(res, "id") + alnum[:21]
            if rid not in self.state[res]:
                return rid

    def dump_state(self):
        with self.lock:
            out = {r: sorted(self.state[r].values(), key=lambda x: x["id"]) for r in RESOURCES}
            out["tokens"] = [{"id": t["id"], "label": t["label"], "scopes": t["scopes"]}
                             for t in self.tokens.values()]
            return copy.deepcopy(out)

    # ---- request log ---------------------------------------------------------------------
    def log_request(self, entry):
        with self.lock:
            self.seq += 1
            entry["seq"] = self.seq
            self.requests.append(entry)
        return entry

    def finish_request(self, entry):
        if not self.requests_path:
            return
        with self.lock:
            with open(self.requests_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry, sort_keys=True) + "\n")

    # ---- faults ----------------------------------------------------------------------------
    def set_faults(self, cfg):
        with self.lock:
            if cfg.get("clear"):
                self.clear_faults()
            if "latency_ms" in cfg:
                self.latency_ms = int(cfg["latency_ms"] or 0)
            if "faults" in cfg:
                self.faults = []
                for f in cfg["faults"] or []:
                    f = dict(f)
                    f.setdefault("method", "*")
                    f.setdefault("path", "*")
                    f.setdefault("skip", 0)
                    f.setdefault("times", 1)
                    f.setdefault("action", "status")
                    if f["action"] not in ("status", "drop", "drop_after", "malformed"):
                        raise ApiError(400, "unknown fault action '%s'" % f["action"])
                    f["seen"] = 0
                    f["fired"] = 0
                    self.faults.append(f)
            if "random" in cfg:
                r = cfg["random"]
                self.random_cfg = dict(r) if r else None
                self.rng = random.Random(r.get("seed", 0)) if r else None
            if "drop_after_write" in cfg:
                n = cfg["drop_after_write"]
                self.drop_after_write = int(n) if n else None
                self.writes_seen = 0
            if "validation_status" in cfg:
                vs = int(cfg["validation_status"])
                if vs not in (400, 422):
                    raise ApiError(400, "validation_status must be 400 or 422")
                self.validation_status = vs

    def faults_info(self):
        with self.lock:
            return {"latency_ms": self.latency_ms, "faults": copy.deepcopy(self.faults),
                    "random": self.random_cfg, "drop_after_write": self.drop_after_write,
                    "writes_seen": self.writes_seen,
                    "validation_status": self.validation_status}

    def pick_fault(self, method, path):
        """The fault for this request, or None. Counters advance under the lock."""
        with self.lock:
            for f in self.faults:
                if f["method"] not in ("*", method):
                    continue
                if not fnmatch.fnmatchcase(path, f["path"]):
                    continue
                f["seen"] += 1
                if f["seen"] <= f["skip"]:
                    continue
                if f["times"] >= 0 and f["fired"] >= f["times"]:
                    continue
                f["fired"] += 1
                return dict(f)
            if self.random_cfg and self.rng:
                methods = self.random_cfg.get("methods")
                if (not methods or method in methods) and \
                        self.rng.random() < float(self.random_cfg.get("rate", 0)):
                    statuses = self.random_cfg.get("statuses") or [503]
                    st = statuses[self.rng.randrange(len(statuses))]
                    if st in ("drop", "drop_after"):
                        return {"action": st, "random": True}
                    return {"action": "status", "status": st,
                            "retry_after": self.random_cfg.get("retry_after"), "random": True}
            if method in WRITE_METHODS and self.drop_after_write:
                self.writes_seen += 1
                if self.writes_seen == self.drop_after_write:
                    self.drop_after_write = None
                    return {"action": "drop_after", "write": self.writes_seen}
        return None

    # ---- authentication --------------------------------------------------------------------
    def authenticate(self, header):
        if not header or not header.startswith("Bearer "):
            raise ApiError(401, "Invalid authentication information (no bearer token)")
        tok = self.tokens.get(header[len("Bearer "):].strip())
        if not tok:
            raise ApiError(401, "Invalid authentication information")
        return tok

    @staticmethod
    def require(tok, *scopes):
        """Pass when the token holds any of `scopes`; else 403 naming the first."""
        if any(s in tok["scopes"] for s in scopes):
            return
        raise ApiError(403, "token lacks the scope '%s'" % scopes[0],
                       data={"scope": scopes[0], "scopes": list(tok["scopes"])})

    # ---- lists -------------------------------------------------------------------------------
    def list_records(self, res, query, records):
        limit = DEFAULT_LIMIT
        skip = 0
        sort = []
        filters = []
        for key, values in query.items():
            if key == "$limit":
                limit = self.int_param(key, values[-1])
                limit = min(limit, MAX_LIMIT)
                continue
            if key == "$skip":
                skip = self.int_param(key, values[-1])
                continue
            m = SORT_RE.match(key)
            if m:
                field = m.group(1)
                self.check_field(res, field)
                if values[-1] not in ("1", "-1"):
                    raise Invalid("$sort[%s] must be 1 or -1" % field)
                sort.append((field, values[-1] == "-1"))
                continue
            if key.startswith("$"):
                raise Invalid("unknown query parameter '%s'" % key)
            m = FILTER_RE.match(key)
            if m:
                field, op = m.group(1), m.group(2)
                if op not in OPERATORS:
                    raise Invalid("unknown operator '$%s' on '%s'" % (op, field))
                self.check_field(res, field)
                filters.append((field, op, values))
                continue
            if "[" in key or not re.match(r"^[A-Za-z0-9_]+$", key):
                raise Invalid("malformed query parameter '%s'" % key)
            self.check_field(res, key)
            filters.append((key, "eq", values))
        filters = [(f, op, set(v) if op in ("in", "nin") else v) for f, op, v in filters]
        out = [r for r in records if all(self.match(r, f, op, v) for f, op, v in filters)]
        for field, desc in reversed(sort):
            out.sort(key=lambda r: self.sort_key(r.get(field)), reverse=desc)
        total = len(out)
        return {"total": total, "limit": limit, "skip": skip, "data": out[skip:skip + limit]}

    @staticmethod
    def int_param(key, v):
        if not re.match(r"^\d+$", v or ""):
            raise Invalid("%s must be a non-negative integer" % key)
        return int(v)

    @staticmethod
    def check_field(res, field):
        if field not in FIELDS[res]:
            raise Invalid("unknown filter field '%s'" % field,
                          errors={field: "not a field of %s" % res})

    @staticmethod
    def as_str(v):
        if v is None:
            return "null"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (list, dict)):
            return json.dumps(v, sort_keys=True)
        return str(v)

    @staticmethod
    def sort_key(v):
        return (v is None, Emulator.as_str(v))

    def match(self, rec, field, op, values):
        if field not in rec:
            return False
        have = self.as_str(rec.get(field))
        if op == "eq":
            return have == values[-1]
        if op == "in":
            return have in values
        if op == "nin":
            return have not in values
        if op == "ne":
            return have != values[-1]
        v = values[-1]
        if rec.get(field) is None:
            return False
        if isinstance(rec.get(field), (int, float)) and not isinstance(rec.get(field), bool):
            try:
                a, b = float(rec[field]), float(v)
            except ValueError:
                raise Invalid("'%s' filter on '%s' needs a number" % (op, field))
        else:
            a, b = have, v
        return {"gte": a >= b, "gt": a > b, "lte": a <= b, "lt": a < b}[op]

    # ---- validation helpers ----------------------------------------------------------------
    def check_body_fields(self, body, writable, what):
        if not isinstance(body, dict):
            raise Invalid("the body of a %s must be a JSON object" % what)
        errors = {}
        for k in body:
            if k in READ_ONLY:
                errors[k] = "is read-only"
            elif k not in writable:
                errors[k] = "is not a field of %s" % what
        if errors:
            k = sorted(errors)[0]
            raise Invalid("%s: '%s' %s" % (what, k, errors[k]), errors=errors)

    @staticmethod
    def check_types(body, what, strings=(), dates=(), required=()):
        errors = {}
        for k in required:
            if body.get(k) in (None, ""):
                errors[k] = "is required"
        for k in strings:
            if k in body and body[k] is not None and not isinstance(body[k], str):
                errors.setdefault(k, "must be a string")
        for k in dates:
            if k in body and body[k] is not None and not is_date(body[k]):
                errors.setdefault(k, "must be a date as YYYY-MM-DD")
        if errors:
            k = sorted(errors)[0]
            raise Invalid("%s: '%s' %s" % (what, k, errors[k]), errors=errors)

    def get_or_404(self, res, rid, what=None):
        rec = self.state[res].get(rid)
        if rec is None:
            raise ApiError(404, "No record found for id '%s'" % rid)
        return rec

    def ref_exists(self, res, rid, field, what):
        if rid is not None and rid not in self.state[res]:
            raise Invalid("%s: '%s' refers to no %s ('%s')" % (what, field, res, rid),
                          errors={field: "unknown id"})

    def stamp(self, rec, created=True):
        t = self.now()
        if created:
            rec["createdAt"] = t
        rec["updatedAt"] = t

    # ---- people ----------------------------------------------------------------------------
    def validate_person(self, body, current=None):
        what = "person"
        allowed = PERSON_WRITABLE + (["jobRole"] if current is None else [])
        if current is not None and isinstance(body, dict) and "jobRole" in body:
            raise Invalid("person: 'jobRole' cannot be changed here, use /job-roles",
                          errors={"jobRole": "not accepted by PATCH"})
        self.check_body_fields(body, allowed, what)
        merged = dict(current or {})
        merged.update({k: v for k, v in body.items() if k != "jobRole"})
        status = merged.get("status") or "active"
        if merged.get("status") is None:
            merged["status"] = status
        if status not in PERSON_STATUSES:
            raise Invalid("person: 'status' must be one of %s" % ", ".join(PERSON_STATUSES),
                          errors={"status": "invalid"})
        required = ["firstName", "lastName"]
        if status == "newHire":
            required += ["personalEmail", "employmentStartDate"]
        elif status == "active":
            required += ["email", "employmentStartDate"]
        strings = [f for f in PERSON_WRITABLE]
        self.check_types(merged, what, strings=strings, dates=["employmentStartDate"],
                         required=required)
        for k in ("email", "personalEmail"):
            v = merged.get(k)
            if v is not None and not EMAIL_RE.match(v):
                raise Invalid("person: '%s' is not an email address" % k,
                              errors={k: "not an email address"})
            if v is None:
                continue
            for oid in self.email_idx[k].get(v.lower(), ()):
                if current is not None and oid == current["id"]:
                    continue
                if oid in self.state["people"]:
                    raise Invalid("person: %s '%s' is already used by another person" % (k, v),
                                  errors={k: "must be unique"})
        if merged.get("remoteCountryCode") is not None and \
                not COUNTRY_RE.match(merged["remoteCountryCode"]):
            raise Invalid("person: 'remoteCountryCode' must be an ISO 3166 alpha-2 code",
                          errors={"remoteCountryCode": "invalid"})
        self.ref_exists("locations", merged.get("locationId"), "locationId", what)
        return merged

    def validate_job_role(self, body, nested, start_date=None):
        what = "job role"
        self.check_body_fields(body, JOB_ROLE_NESTED if nested else JOB_ROLE_WRITABLE, what)
        rec = dict(body)
        if rec.get("effectiveDate") is None and start_date is not None:
            rec["effectiveDate"] = start_date
        required = ["jobTitle", "effectiveDate"] + ([] if nested else ["personId"])
        self.check_types(rec, what, strings=JOB_ROLE_WRITABLE, dates=["effectiveDate", "endDate"],
                         required=required)
        if not nested:
            self.ref_exists("people", rec.get("personId"), "personId", what)
        self.ref_exists("people", rec.get("reportingTo"), "reportingTo", what)
        return rec

    def create_person(self, body):
        merged = self.validate_person(body)
        job = None
        if "jobRole" in body:
            if not isinstance(body["jobRole"], dict):
                raise Invalid("person: 'jobRole' must be an object", errors={"jobRole": "invalid"})
            job = self.validate_job_role(body["jobRole"], True, merged.get("employmentStartDate"))
        person = {f: merged.get(f) for f in PERSON_WRITABLE}
        person["id"] = self.new_id("people")
        person["companyId"] = "demo-company"
        self.stamp(person)
        self.state["people"][person["id"]] = person
        self.index_person(person)
        if job is not None:
            jr = {f: job.get(f) for f in JOB_ROLE_NESTED}
            jr["id"] = self.new_id("jobRoles")
            jr["personId"] = person["id"]
            self.stamp(jr)
            self.state["jobRoles"][jr["id"]] = jr
        return person

    def public_person(self, p):
        out = dict(p)
        for k in PERSON_PRIVATE:
            out.pop(k, None)
        return out

    def delete_person(self, pid):
        self.unindex_person(self.get_or_404("people", pid))
        del self.state["people"][pid]
        # Files are not the person's records: they outlive the person (see the docstring).
        for res in ("jobRoles", "compensations", "documents", "customValues"):
            for rid in [r["id"] for r in self.state[res].values() if r.get("personId") == pid]:
                del self.state[res][rid]

    # ---- other writes ----------------------------------------------------------------------
    def create_compensation(self, body):
        what = "compensation"
        self.check_body_fields(body, COMPENSATION_WRITABLE, what)
        errors = {}
        if "amount" in body and not isinstance(body["amount"], str):
            errors["amount"] = "must be a decimal string such as \"85000\", not a number"
        elif isinstance(body.get("amount"), str) and not AMOUNT_RE.match(body["amount"]):
            errors["amount"] = "must be a decimal string such as \"85000\""
        if errors:
            raise Invalid("compensation: 'amount' %s" % errors["amount"], errors=errors)
        self.check_types(body, what, strings=COMPENSATION_WRITABLE,
                         dates=["effectiveDate", "endDate"],
                         required=["personId", "compensationTypeId", "amount", "currency",
                                   "period", "effectiveDate"])
        if not CURRENCY_RE.match(body["currency"]):
            raise Invalid("compensation: 'currency' must be an ISO 4217 code",
                          errors={"currency": "invalid"})
        if body["period"] not in PERIODS:
            raise Invalid("compensation: 'period' must be one of %s" % ", ".join(PERIODS),
                          errors={"period": "invalid"})
        self.ref_exists("people", body["personId"], "personId", what)
        self.ref_exists("compensationTypes", body["compensationTypeId"], "compensationTypeId",
                        what)
        rec = {f: body.get(f) for f in COMPENSATION_WRITABLE}
        rec["id"] = self.new_id("compensations")
        self.stamp(rec)
        self.state["compensations"][rec["id"]] = rec
        return rec

    def create_document(self, body):
        what = "document"
        self.check_body_fields(body, DOCUMENT_WRITABLE, what)
        self.check_types(body, what, strings=DOCUMENT_WRITABLE, dates=["issueDate"],
                         required=["personId", "name"])
        if not body.get("fileId") and not body.get("link"):
            raise Invalid("document: needs one of 'fileId' or 'link'",
                          errors={"fileId": "fileId or link is required"})
        self.ref_exists("people", body["personId"], "personId", what)
        self.ref_exists("documentTypes", body.get("documentTypeId"), "documentTypeId", what)
        self.ref_exists("files", body.get("fileId"), "fileId", what)
        rec = {f: body.get(f) for f in DOCUMENT_WRITABLE}
        rec["id"] = self.new_id("documents")
        self.stamp(rec)
        self.state["documents"][rec["id"]] = rec
        return rec

    def check_custom_value(self, field, value):
        t = field.get("type")
        choices = (field.get("config") or {}).get("choices") or []
        name = field.get("name")
        bad = None
        if t == "text":
            if not isinstance(value, str):
                bad = "must be a string"
        elif t == "number":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                bad = "must be a JSON number"
        elif t == "date":
            if not is_date(value):
                bad = "must be a date as YYYY-MM-DD"
        elif t == "boolean":
            if not isinstance(value, bool):
                bad = "must be true or false"
        elif t == "select":
            if value not in choices or not isinstance(value, str):
                bad = "must be one of %s" % ", ".join(choices)
        elif t == "multiSelect":
            if not isinstance(value, list) or \
                    any(not isinstance(v, str) or v not in choices for v in value):
                bad = "must be an array of choices among %s" % ", ".join(choices)
        if bad:
            raise Invalid("custom value: '%s' (%s) %s" % (name, t, bad), errors={"value": bad})

    def create_custom_value(self, body):
        what = "custom value"
        self.check_body_fields(body, CUSTOM_VALUE_WRITABLE, what)
        self.check_types(body, what, strings=["personId", "customFieldId"],
                         required=["personId", "customFieldId"])
        if "value" not in body:
            raise Invalid("custom value: 'value' is required", errors={"value": "is required"})
        self.ref_exists("people", body["personId"], "personId", what)
        self.ref_exists("customFields", body["customFieldId"], "customFieldId", what)
        for cv in self.state["customValues"].values():
            if cv["personId"] == body["personId"] and cv["customFieldId"] == body["customFieldId"]:
                raise Invalid("custom value: person '%s' already has a value for field '%s'"
                              % (body["personId"], body["customFieldId"]),
                              errors={"customFieldId": "already set: PATCH /custom-values/%s"
                                      % cv["id"]})
        self.check_custom_value(self.state["customFields"][body["customFieldId"]], body["value"])
        rec = {f: body.get(f) for f in CUSTOM_VALUE_WRITABLE}
        rec["id"] = self.new_id("customValues")
        self.stamp(rec)
        self.state["customValues"][rec["id"]] = rec
        return rec

    def patch_job_role(self, jr, body):
        """PATCH /job-roles/:id (an assumption: not in the contract): a correction in place."""
        merged = dict(jr)
        merged.update(body)
        self.check_body_fields(body, JOB_ROLE_WRITABLE, "job role")
        rec = self.validate_job_role({k: merged.get(k) for k in JOB_ROLE_WRITABLE
                                      if merged.get(k) is not None}, False)
        for k in body:
            jr[k] = rec.get(k)
        self.stamp(jr, created=False)
        return jr

    def patch_compensation(self, comp, body):
        """PATCH /compensations/:id (an assumption: not in the contract): a correction in place."""
        merged = {f: comp.get(f) for f in COMPENSATION_WRITABLE if comp.get(f) is not None}
        merged.update(body)
        self.check_body_fields(body, COMPENSATION_WRITABLE, "compensation")
        probe = self.create_compensation(merged)
        del self.state["compensations"][probe["id"]]
        for k in body:
            comp[k] = probe.get(k)
        self.stamp(comp, created=False)
        return comp

    def patch_custom_value(self, cv, body):
        self.check_body_fields(body, ["value"], "custom value")
        if "value" not in body:
            raise Invalid("custom value: 'value' is required", errors={"value": "is required"})
        self.check_custom_value(self.state["customFields"].get(cv["customFieldId"], {}),
                                body["value"])
        cv["value"] = body["value"]
        self.stamp(cv, created=False)
        return cv

    def create_file(self, parts):
        files = [p for p in parts if p["name"] == "file" and p.get("filename") is not None]
        if len(parts) != 1 or len(files) != 1:
            raise Invalid("files: send exactly one multipart part named 'file' with a filename",
                          errors={"file": "exactly one part 'file' is required"})
        p = files[0]
        rec = {"id": self.new_id("files"), "filename": p["filename"], "size": len(p["data"]),
               "contentType": p.get("contentType"),
               "sha256": hashlib.sha256(p["data"]).hexdigest()}
        rec["createdAt"] = self.now()
        self.state["files"][rec["id"]] = rec
        self.blobs[rec["id"]] = p["data"]
        return rec

    # ---- dispatch ----------------------------------------------------------------------------
    def handle_api(self, method, path, query, body, parts, tok):
        """Return (status, json) or raise ApiError. Called with the lock held."""
        segs = [s for s in path.split("/") if s]
        if not segs or segs[0] != "api":
            raise ApiError(404, "Page not found: %s" % path)
        segs = segs[1:]
        if segs == ["me"] and method == "GET":
            pid = tok.get("personId")
            if pid and pid in self.state["people"]:
                return 200, self.state["people"][pid]
            return 200, {"id": None, "firstName": tok["label"], "lastName": None,
                         "email": None, "status": "active"}
        if segs == ["token-info"] and method == "GET":
            return 200, {"id": tok["id"], "label": tok["label"], "scopes": tok["scopes"]}
        if not segs or segs[0] not in ROUTES or len(segs) > 2:
            raise ApiError(404, "Page not found: %s" % path)
        res = ROUTES[segs[0]]
        rid = urllib.parse.unquote(segs[1]) if len(segs) == 2 else None
        allowed = self.methods_for(res, rid is not None)
        if method not in allowed:
            raise ApiError(405, "Method %s is not allowed on %s" % (method, path))
        self.require(tok, *self.scopes_for(res, method))
        if method in ("POST", "PATCH") and res != "files":
            if body is None:
                raise Invalid("the request needs a JSON body")
        if method == "GET":
            public_view = (res == "people" and "private:read" not in tok["scopes"])
            if rid is not None:
                rec = self.get_or_404(res, rid)
                if public_view:
                    if rec.get("status") == "newHire":
                        raise ApiError(404, "No record found for id '%s'" % rid)
                    rec = self.public_person(rec)
                return 200, rec
            records = list(self.state[res].values())
            if public_view:
                records = [self.public_person(p) for p in records if p.get("status") != "newHire"]
            return 200, self.list_records(res, query, records)
        if method == "DELETE":
            if res == "people":
                self.delete_person(rid)
            else:
                self.get_or_404(res, rid)
                del self.state[res][rid]
                self.blobs.pop(rid, None)
            return 200, {"id": rid, "deleted": True}
        if method == "POST":
            if res == "people":
                return 201, self.create_person(body)
            if res == "jobRoles":
                rec = self.validate_job_role(body, False)
                jr = {f: rec.get(f) for f in JOB_ROLE_WRITABLE}
                jr["id"] = self.new_id("jobRoles")
                self.stamp(jr)
                self.state["jobRoles"][jr["id"]] = jr
                return 201, jr
            if res == "compensations":
                return 201, self.create_compensation(body)
            if res == "documents":
                return 201, self.create_document(body)
            if res == "customValues":
                return 201, self.create_custom_value(body)
            if res == "files":
                if parts is None:
                    raise Invalid("files: the body must be multipart/form-data",
                                  errors={"file": "multipart/form-data required"})
                rec = self.create_file(parts)
                return 201, {"id": rec["id"], "filename": rec["filename"], "size": rec["size"]}
        if method == "PATCH":
            if res == "people":
                cur = self.get_or_404("people", rid)
                merged = self.validate_person(body, cur)
                self.unindex_person(cur)
                for k in body:
                    cur[k] = merged[k]
                self.index_person(cur)
                self.stamp(cur, created=False)
                return 200, cur
            if res == "customValues":
                return 200, self.patch_custom_value(self.get_or_404(res, rid), body)
            if res == "jobRoles":
                return 200, self.patch_job_role(self.get_or_404(res, rid), body)
            if res == "compensations":
                return 200, self.patch_compensation(self.get_or_404(res, rid), body)
        raise ApiError(405, "Method %s is not allowed on %s" % (method, path))

    @staticmethod
    def methods_for(res, with_id):
        read_only = ("locations", "compensationTypes", "documentTypes", "customFields")
        if res in read_only:
            return {"GET"}
        if res == "files":
            return {"GET", "DELETE"} if with_id else {"POST"}
        if not with_id:
            return {"GET", "POST"}
        if res in ("people", "customValues", "jobRoles", "compensations"):
            return {"GET", "PATCH", "DELETE"}
        return {"GET", "DELETE"}

    @staticmethod
    def scopes_for(res, method):
        write = method != "GET"
        if res in ("compensations", "compensationTypes"):
            return ("compensations:write",) if write else ("compensations:read",)
        if res in ("documents", "documentTypes", "files"):
            return ("documents:write",) if write else ("documents:read",)
        if write:
            return ("private:write",)
        if res in ("people",):
            return ("private:read", "public:read")
        if res in ("customValues",):
            return ("private:read",)
        return ("private:read", "public:read")


def parse_multipart(content_type, data):
    m = re.search(r'boundary="?([^";]+)"?', content_type or "")
    if not m:
        raise Invalid("multipart body without a boundary")
    boundary = b"--" + m.group(1).encode()
    parts = []
    chunks = data.split(boundary)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        raise Invalid("malformed multipart body")
    for chunk in chunks[1:-1]:
        if chunk.startswith(b"\r\n"):
            chunk = chunk[2:]
        if chunk.endswith(b"\r\n"):
            chunk = chunk[:-2]
        head, sep, payload = chunk.partition(b"\r\n\r\n")
        if not sep:
            raise Invalid("malformed multipart part")
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        disp = headers.get("content-disposition", "")
        name = re.search(r'\bname="([^"]*)"', disp)
        fname = re.search(r'\bfilename="([^"]*)"', disp)
        parts.append({"name": name.group(1) if name else None,
                      "filename": fname.group(1) if fname else None,
                      "contentType": headers.get("content-type"), "data": payload})
    return parts


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "humaans-emulator/1"
    emu = None  # set by main
    limiter = emulator_limit.Limiter()  # inactive unless main sets --max-inflight/--max-rps
    # One write per answer and no Nagle: otherwise every call waits on a delayed ACK (~40 ms).
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PATCH(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                line = self.rfile.readline()
                n = int(line.split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(n)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send_json(self, status, obj, headers=None, raw=None):
        data = raw if raw is not None else (json.dumps(obj) + "\n").encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def drop(self):
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def dispatch(self):
        emu = self.emu
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        raw = self.read_body()
        if path.startswith("/_emulator/"):
            return self.control(path, raw)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        ctype = self.headers.get("Content-Type", "")
        auth = self.headers.get("Authorization")
        headers = {}
        for k, v in self.headers.items():
            k = k.lower()
            if k == "authorization":
                v = (v.split(" ", 1)[0] + " <redacted>") if v else v
            headers[k] = v
        entry = {"method": self.command, "path": path, "query": query, "rawQuery": url.query,
                 "headers": headers, "token": None, "body": None, "status": None, "fault": None}
        body = None
        parts = None
        bad_body = None
        if raw:
            if ctype.startswith("multipart/form-data"):
                try:
                    parts = parse_multipart(ctype, raw)
                    entry["body"] = [{"name": p["name"], "filename": p["filename"],
                                      "contentType": p["contentType"], "size": len(p["data"]),
                                      "sha256": hashlib.sha256(p["data"]).hexdigest()}
                                     for p in parts]
                except ApiError as ex:
                    bad_body = ex
                    entry["body"] = {"size": len(raw),
                                     "sha256": hashlib.sha256(raw).hexdigest()}
            else:
                try:
                    body = json.loads(raw.decode("utf-8"))
                    entry["body"] = body
                except (ValueError, UnicodeDecodeError):
                    entry["body"] = raw.decode("utf-8", "replace")
                    bad_body = Invalid("the body is not valid JSON")
        with emu.lock:
            tok = emu.tokens.get(auth[len("Bearer "):].strip()) \
                if auth and auth.startswith("Bearer ") else None
            entry["token"] = tok["id"] if tok else None
        emu.log_request(entry)
        refused = self.limiter.enter() if self.limiter.active else None
        if refused is not None:
            return self.refuse(entry, *refused)
        try:
            if emu.latency_ms:
                time.sleep(emu.latency_ms / 1000.0)
            fault = emu.pick_fault(self.command, path)
            if fault:
                entry["fault"] = {k: fault[k] for k in ("action", "status", "retry_after")
                                  if fault.get(k) is not None}
                action = fault.get("action", "status")
                if action == "drop":
                    self.drop()
                    return
                if action == "malformed":
                    entry["status"] = int(fault.get("status") or 200)
                    self.send_json(entry["status"], None, raw=b'{"total": 3, "data": [{"id": ')
                    return
                if action == "status":
                    st = int(fault.get("status") or 503)
                    hdrs = {}
                    if fault.get("retry_after") is not None:
                        hdrs["Retry-After"] = str(fault["retry_after"])
                    err = ApiError(st, "injected failure (%d)" % st, headers=hdrs)
                    entry["status"] = st
                    self.send_json(st, err.body(), headers=hdrs)
                    return
            status, out, hdrs = self.run_api(path, query, body, parts, auth, bad_body)
            entry["status"] = status
            if fault and fault.get("action") == "drop_after":
                entry["status"] = None
                entry["fault"]["carriedOut"] = status
                self.drop()
                return
            self.send_json(status, out, headers=hdrs)
        finally:
            if self.limiter.active:
                self.limiter.leave()
            emu.finish_request(entry)

    def refuse(self, entry, reason, retry_after):
        """Limit mode: 429 in the contract's error shape, before anything else."""
        lim = self.limiter
        msg = ("too many requests: more than %s in flight" % lim.max_inflight
               if reason == "inflight" else
               "too many requests: more than %g a second" % lim.max_rps)
        hdrs = {"Retry-After": str(retry_after)}
        entry["status"] = 429
        entry["fault"] = {"action": "limit:" + reason, "status": 429,
                          "retry_after": str(retry_after)}
        try:
            self.send_json(429, ApiError(429, msg, headers=hdrs).body(), headers=hdrs)
        finally:
            self.emu.finish_request(entry)

    def run_api(self, path, query, body, parts, auth, bad_body):
        emu = self.emu
        with emu.lock:
            try:
                tok = emu.authenticate(auth)
                if bad_body is not None:
                    raise bad_body
                status, out = emu.handle_api(self.command, path, query, body, parts, tok)
                return status, copy.deepcopy(out), {}
            except ApiError as ex:
                st = ex.status
                if isinstance(ex, Invalid):
                    st = emu.validation_status
                ex.status = st
                return st, ex.body(), ex.headers

    def control(self, path, raw):
        emu = self.emu
        try:
            body = json.loads(raw.decode("utf-8")) if raw else {}
        except ValueError:
            return self.send_json(400, ApiError(400, "the body is not valid JSON").body())
        try:
            if path == "/_emulator/requests" and self.command == "GET":
                with emu.lock:
                    return self.send_json(200, copy.deepcopy(emu.requests))
            if path == "/_emulator/state" and self.command == "GET":
                return self.send_json(200, emu.dump_state())
            if path == "/_emulator/reset" and self.command == "POST":
                emu.reset()
                return self.send_json(200, {"reset": True})
            if path == "/_emulator/faults" and self.command == "POST":
                emu.set_faults(body)
                return self.send_json(200, emu.faults_info())
            if path == "/_emulator/faults" and self.command == "GET":
                return self.send_json(200, dict(emu.faults_info(), limit=self.limiter.info()))
            if path == "/_emulator/records" and self.command == "POST":
                res = body.get("resource")
                if res not in RESOURCES:
                    raise ApiError(400, "unknown resource '%s'" % res)
                with emu.lock:
                    for rec in body.get("records", []):
                        emu.state[res][rec["id"]] = dict(rec)
                    if res == "people":
                        emu.reindex_people()
                return self.send_json(200, {"resource": res,
                                            "count": len(body.get("records", []))})
            if path == "/_emulator/generate" and self.command == "POST":
                n = int(body.get("count", 0))
                status = body.get("status", "active")
                prefix = body.get("prefix", "gen")
                ids = []
                with emu.lock:
                    for i in range(1, n + 1):
                        p = {f: None for f in PERSON_WRITABLE}
                        p.update({"id": emu.new_id("people"), "companyId": "demo-company",
                                  "firstName": "Gen%04d" % i, "lastName": prefix.capitalize(),
                                  "email": "%s.%04d@demo-company.com" % (prefix, i),
                                  "personalEmail": "%s.%04d@example.net" % (prefix, i),
                                  "employmentStartDate": "2020-01-01", "status": status})
                        emu.stamp(p)
                        emu.state["people"][p["id"]] = p
                        emu.index_person(p)
                        ids.append(p["id"])
                return self.send_json(200, {"count": n, "ids": ids})
            raise ApiError(404, "unknown control endpoint %s %s" % (self.command, path))
        except ApiError as ex:
            return self.send_json(ex.status, ex.body())
        except (KeyError, TypeError, ValueError) as ex:
            return self.send_json(400, ApiError(400, "bad control request: %s" % ex).body())


def main(argv=None):
    ap = argparse.ArgumentParser(description="Humaans API emulator (tests only)")
    ap.add_argument("--seed", help="directory of seed *.json files")
    ap.add_argument("--port-file", help="write the listening port here")
    ap.add_argument("--requests", help="append a JSON line per /api request here")
    ap.add_argument("--state-dump", help="write the state as JSON here on exit")
    ap.add_argument("--now", help="fixed timestamp for createdAt/updatedAt")
    ap.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    emulator_limit.add_arguments(ap)
    args = ap.parse_args(argv)

    emu = Emulator(args.seed, args.requests, args.now)
    Handler.emu = emu
    Handler.limiter = emulator_limit.from_args(args)
    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    port = srv.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        srv.serve_forever(poll_interval=0.1)
    finally:
        if args.state_dump:
            with open(args.state_dump, "w", encoding="utf-8") as f:
                json.dump(emu.dump_state(), f, indent=2, sort_keys=True)
                f.write("\n")
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
