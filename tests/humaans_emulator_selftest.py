#!/usr/bin/env python3
"""Self-test of tests/humaans_emulator.py: its validation rules, scopes, lists and faults.

Run by tests/humaans_emulator_selftest.sh; prints TAP. Usage:
    humaans_emulator_selftest.py EMULATOR SEED_DIR TMPDIR
"""

import hashlib
import http.client
import json
import os
import sys
import urllib.parse

from taplib import done, is_, ok, start_emulator



class Client:
    def __init__(self, port, token="demo-token"):
        self.port = port
        self.token = token

    def call(self, method, path, body=None, token=None, query=None, raw=None, ctype=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {}
        tok = self.token if token is None else token
        if tok:
            headers["Authorization"] = "Bearer " + tok
        data = None
        if raw is not None:
            data = raw
            headers["Content-Type"] = ctype
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if query:
            path += "?" + (query if isinstance(query, str) else urllib.parse.urlencode(query, doseq=True))
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            text = resp.read()
            try:
                js = json.loads(text)
            except ValueError:
                js = None
            return resp.status, js, resp.headers, text
        except (ConnectionError, http.client.RemoteDisconnected) as ex:
            return None, None, None, str(ex).encode()
        finally:
            conn.close()

    def api(self, method, path, body=None, **kw):
        return self.call(method, "/api" + path, body, **kw)

    def control(self, method, path, body=None):
        return self.call(method, "/_emulator/" + path, body, token="")


def newhire(email, **extra):
    p = {"status": "newHire", "firstName": "Test", "lastName": "Hire", "personalEmail": email,
         "employmentStartDate": "2026-03-02"}
    p.update(extra)
    return p


def multipart(name, filename, ctype, data, boundary="XyZBoundary123"):
    body = ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
            "Content-Type: %s\r\n\r\n" % (boundary, name, filename, ctype)).encode()
    body += data + ("\r\n--%s--\r\n" % boundary).encode()
    return body, "multipart/form-data; boundary=" + boundary


def main():
    emulator, seed, tmp = sys.argv[1:4]
    port_file = os.path.join(tmp, "port")
    req_file = os.path.join(tmp, "requests.jsonl")
    dump_file = os.path.join(tmp, "state.json")
    proc, port = start_emulator([emulator, "--seed", seed, "--requests", req_file,
                                 "--state-dump", dump_file, "--now", "2026-11-27T02:00:00.000Z"],
                                port_file)
    try:
        run(Client(port), req_file)
    finally:
        proc.terminate()
        proc.wait(10)
    ok(os.path.exists(dump_file), "--state-dump writes the state on exit")
    if os.path.exists(dump_file):
        st = json.load(open(dump_file))
        ok(any(p["firstName"] == "Renamed" for p in st["people"]), "the dump holds the changes")
        ok("demo-token" not in open(dump_file).read(), "the dump holds no token value")
    return done()


def run(c, req_file):
    # authentication and scopes
    st, js, _, _ = c.api("GET", "/me", token="nope")
    is_(st, 401, "an unknown token is 401")
    is_(js and js.get("className"), "not-authenticated", "401 body in the contract's shape")
    st, js, _, _ = c.api("GET", "/me", token="")
    is_(st, 401, "no token is 401")
    st, js, _, _ = c.api("GET", "/me")
    is_((st, js["email"]), (200, "grace.hopper@demo-company.com"), "/me answers the token's owner")
    st, js, _, _ = c.api("GET", "/me", token="read-only-token")
    is_(st, 200, "/me answers for any valid token")
    st, js, _, _ = c.api("GET", "/token-info", token="no-documents-token")
    ok(st == 200 and "documents:write" not in js["scopes"] and "documents:read" in js["scopes"],
       "/token-info lists the token's scopes")
    st, js, _, _ = c.api("POST", "/people", newhire("scope@example.org"), token="read-only-token")
    ok(st == 403 and "private:write" in js["message"], "403 names the missing scope private:write")
    is_(js and js.get("data", {}).get("scope"), "private:write", "403 data.scope names it too")
    st, js, _, _ = c.api("GET", "/compensations", token="read-only-token")
    ok(st == 403 and "compensations:read" in js["message"], "compensations need compensations:read")
    st, js, _, _ = c.api("GET", "/people", token="read-only-token", query={"$limit": "250"})
    ok(st == 200 and all(p["status"] != "newHire" and "personalEmail" not in p for p in js["data"]),
       "public:read sees no new hire and no personal email")

    # lists
    st, js, _, _ = c.api("GET", "/people")
    ok(st == 200 and set(js) == {"total", "limit", "skip", "data"}, "list envelope")
    is_((js["total"], js["limit"], js["skip"]), (8, 100, 0), "default limit 100 and the seed's 8 people")
    st, js, _, _ = c.control("POST", "generate", {"count": 600})
    is_(st, 200, "generate 600 people")
    st, js, _, _ = c.api("GET", "/people", query={"$limit": "1000"})
    is_((js["total"], js["limit"], len(js["data"])), (608, 250, 250), "$limit is capped at 250")
    seen = []
    skip = 0
    while True:
        st, js, _, _ = c.api("GET", "/people", query={"$limit": "250", "$skip": str(skip)})
        if not js["data"]:
            break
        seen += [p["id"] for p in js["data"]]
        skip += len(js["data"])
        if skip >= js["total"]:
            break
    is_((len(seen), len(set(seen))), (608, 608), "paging with $skip visits every person once")
    st, js, _, _ = c.api("GET", "/people", query="id[$in][]=per-ada-lovelace&id[$in][]=per-alan-turing")
    is_(sorted(p["id"] for p in js["data"]), ["per-ada-lovelace", "per-alan-turing"], "[$in][] filter")
    st, js, _, _ = c.api("GET", "/people", query="id[$in][0]=per-ada-lovelace&$limit=5")
    is_([p["id"] for p in js["data"]], ["per-ada-lovelace"], "[$in][0] filter")
    st, js, _, _ = c.api("GET", "/people", query="employmentStartDate[$gte]=2022-01-01&status=active")
    is_([p["id"] for p in js["data"]], ["per-edsger-dijkstra"], "[$gte] with an equality filter")
    st, js, _, _ = c.api("GET", "/people", query={"personalEmail": "CONFLICT.person@example.org"})
    is_(js["total"], 0, "personalEmail= matches exactly (case matters)")
    st, js, _, _ = c.api("GET", "/people", query={"favouriteColour": "blue"})
    ok(st == 400 and "favouriteColour" in js["message"], "an unknown filter field is 400")
    st, js, _, _ = c.api("GET", "/people", query={"$limit": "-1"})
    is_(st, 400, "a negative $limit is 400")
    st, js, _, _ = c.api("GET", "/people", query={"$frobnicate": "1"})
    is_(st, 400, "an unknown $ parameter is 400")
    st, js, _, _ = c.api("GET", "/job-roles", query={"personId": "per-ada-lovelace"})
    is_([j["jobTitle"] for j in js["data"]], ["Engineering Manager"], "job roles by personId")
    c.control("POST", "reset")

    # people
    st, js, _, _ = c.api("POST", "/people", newhire("Conflict.Person@EXAMPLE.org"))
    ok(st == 400 and "already used" in js["message"] and "personalEmail" in js.get("errors", {}),
       "a duplicate personalEmail ignoring case is 400 with a message")
    st, js, _, _ = c.api("POST", "/people", {"status": "newHire", "firstName": "A", "lastName": "B",
                                             "employmentStartDate": "2026-03-02"})
    ok(st == 400 and "personalEmail" in js["message"], "a new hire needs personalEmail")
    st, js, _, _ = c.api("POST", "/people", newhire("dt@example.org", employmentStartDate="2026-03-02T00:00:00Z"))
    ok(st == 400 and "employmentStartDate" in js["message"], "a datetime is not a date")
    st, js, _, _ = c.api("POST", "/people", newhire("dt@example.org", employmentStartDate="2026-02-30"))
    is_(st, 400, "an impossible date is rejected")
    st, js, _, _ = c.api("POST", "/people", newhire("uk@example.org", shoeSize="44"))
    ok(st == 400 and "shoeSize" in js["message"], "an unknown field is 400")
    st, js, _, _ = c.api("POST", "/people", newhire("ro@example.org", id="mine"))
    ok(st == 400 and "read-only" in js["message"], "a read-only field is 400")
    st, js, _, _ = c.api("POST", "/people", newhire("loc@example.org", locationId="loc-nowhere"))
    is_(st, 400, "an unknown locationId is 400")
    st, js, _, _ = c.api("POST", "/people", newhire("new.hire@example.org", locationId="loc-london-hq",
                                                    jobRole={"jobTitle": "Engineer", "department": "Engineering",
                                                             "reportingTo": "per-ada-lovelace"}))
    ok(st == 201 and js["id"] and js["status"] == "newHire" and "jobRole" not in js,
       "create a new hire with a nested job role: 201, no jobRole in the answer")
    pid = js["id"]
    is_(js["createdAt"], "2026-11-27T02:00:00.000Z", "--now fixes the clock")
    st, js, _, _ = c.api("GET", "/job-roles", query={"personId": pid})
    is_([(j["jobTitle"], j["effectiveDate"], j["reportingTo"]) for j in js["data"]],
        [("Engineer", "2026-03-02", "per-ada-lovelace")], "the job role's effectiveDate defaults to the start date")
    st, js, _, _ = c.api("POST", "/people", newhire("jr@example.org", jobRole={"jobTitle": "X", "reportingTo": "per-ghost"}))
    is_(st, 400, "a jobRole reporting to an unknown person is 400")
    st, js, _, _ = c.api("PATCH", "/people/" + pid, {"firstName": "Renamed"})
    ok(st == 200 and js["firstName"] == "Renamed" and js["lastName"] == "Hire", "PATCH changes only what is sent")
    st, js, _, _ = c.api("PATCH", "/people/" + pid, {"jobRole": {"jobTitle": "Boss"}})
    is_(st, 400, "PATCH does not take jobRole")
    st, js, _, _ = c.api("PATCH", "/people/" + pid, {"personalEmail": "GRACE.HOPPER@example.org"})
    is_(st, 400, "PATCH keeps personalEmail unique")
    st, js, _, _ = c.api("PATCH", "/people/" + pid, {"personalEmail": "New.Hire@example.org"})
    is_(st, 200, "PATCH may recase its own personalEmail")
    st, js, _, _ = c.api("GET", "/people/nope")
    ok(st == 404 and js["className"] == "not-found", "an unknown id is 404")
    st, js, _, _ = c.api("POST", "/people", {"status": "newHire", "firstName": "V"}, )
    is_(st, 400, "missing fields are 400")
    c.control("POST", "faults", {"validation_status": 422})
    st, js, _, _ = c.api("POST", "/people", {"status": "newHire", "firstName": "V"})
    is_(st, 422, "validation_status 422 switches validation failures to 422")
    c.control("POST", "faults", {"validation_status": 400})

    # compensations
    base = {"personId": pid, "compensationTypeId": "cty-salary", "amount": "85000", "currency": "GBP",
            "period": "annual", "effectiveDate": "2026-03-02"}
    st, js, _, _ = c.api("POST", "/compensations", dict(base, amount=85000))
    ok(st == 400 and "decimal string" in js["message"], "a numeric amount is rejected")
    st, js, _, _ = c.api("POST", "/compensations", {k: v for k, v in base.items() if k != "period"})
    ok(st == 400 and "period" in js["message"], "period is required")
    st, js, _, _ = c.api("POST", "/compensations", dict(base, period="weekly"))
    is_(st, 400, "an unknown period is rejected")
    st, js, _, _ = c.api("POST", "/compensations", dict(base, amount="85000.50"))
    ok(st == 201 and js["amount"] == "85000.50", "a compensation is created with a decimal string")
    cmp_id = js["id"]

    # files and documents
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 40
    body, ctype = multipart("file", "offer.pdf", "application/pdf", pdf)
    st, js, _, _ = c.api("POST", "/files", raw=body, ctype=ctype, token="no-documents-token")
    ok(st == 403 and "documents:write" in js["message"], "upload needs documents:write")
    st, js, _, _ = c.api("POST", "/files", raw=body, ctype=ctype)
    ok(st == 201 and js["filename"] == "offer.pdf" and js["size"] == len(pdf), "upload answers 201 {id, filename, size}")
    fid = js["id"]
    body2, ctype2 = multipart("attachment", "offer.pdf", "application/pdf", pdf)
    st, js, _, _ = c.api("POST", "/files", raw=body2, ctype=ctype2)
    is_(st, 400, "a part not named file is 400")
    st, js, _, _ = c.api("POST", "/documents", {"personId": pid, "documentTypeId": "dty-offer-letter", "name": "Offer"})
    ok(st == 400 and "fileId" in js["message"], "a document needs fileId or link")
    st, js, _, _ = c.api("POST", "/documents", {"personId": pid, "documentTypeId": "dty-offer-letter",
                                                "fileId": fid, "issueDate": "2026-02-01"})
    ok(st == 400 and "name" in js["message"], "a document needs a name")
    st, js, _, _ = c.api("POST", "/documents", {"personId": pid, "documentTypeId": "dty-offer-letter",
                                                "name": "offer.pdf", "fileId": fid, "issueDate": "2026-02-01"})
    is_(st, 201, "a document is created")

    # custom values
    cases = [("cfd-laptop", 12, "Mac"), ("cfd-signing-bonus", "5000", 5000),
             ("cfd-visa-expiry", "01/02/2027", "2027-02-01"), ("cfd-relocation", "yes", True),
             ("cfd-tshirt-size", "XXL", "M"), ("cfd-dietary", "Vegan", ["Vegan", "Halal"])]
    for field, bad, good in cases:
        st, js, _, _ = c.api("POST", "/custom-values", {"personId": pid, "customFieldId": field, "value": bad})
        is_(st, 400, "custom value %s rejects %r" % (field, bad))
        st, js, _, _ = c.api("POST", "/custom-values", {"personId": pid, "customFieldId": field, "value": good})
        is_(st, 201, "custom value %s accepts %r" % (field, good))
    st, js, _, _ = c.api("POST", "/custom-values", {"personId": pid, "customFieldId": "cfd-dietary", "value": ["Kosher"]})
    is_(st, 400, "a second value for the same field is 400")
    st, js, _, _ = c.api("GET", "/custom-values", query={"personId": pid, "customFieldId": "cfd-dietary"})
    cv = js["data"][0]["id"]
    st, js, _, _ = c.api("PATCH", "/custom-values/" + cv, {"value": ["Kosher"]})
    ok(st == 200 and js["value"] == ["Kosher"], "PATCH a custom value")
    st, js, _, _ = c.api("PATCH", "/custom-values/" + cv, {"value": ["Pizza"]})
    is_(st, 400, "PATCH validates the value by type")

    # delete
    st, js, _, _ = c.api("DELETE", "/people/" + pid)
    is_((st, js), (200, {"id": pid, "deleted": True}), "DELETE answers {id, deleted: true}")
    st, state, _, _ = c.control("GET", "state")
    ok(not [r for res in ("jobRoles", "compensations", "documents", "customValues")
            for r in state[res] if r.get("personId") == pid], "deleting a person removes their records")
    ok(cmp_id not in [r["id"] for r in state["compensations"]], "their compensation is gone")
    ok(fid in [f["id"] for f in state["files"]] and
       [f["sha256"] for f in state["files"] if f["id"] == fid] == [hashlib.sha256(pdf).hexdigest()],
       "the state records the file's sha256")

    # faults
    c.control("POST", "faults", {"faults": [{"method": "GET", "path": "/api/locations", "status": 429,
                                             "retry_after": "3", "times": 2}]})
    r1 = c.api("GET", "/locations")
    r2 = c.api("GET", "/locations")
    r3 = c.api("GET", "/locations")
    ok(r1[0] == 429 and r1[2]["Retry-After"] == "3" and r2[0] == 429 and r3[0] == 200,
       "a scheduled 429 with Retry-After fires `times` times")
    c.control("POST", "faults", {"faults": [{"path": "/api/people", "action": "drop"}]})
    st, _, _, _ = c.api("GET", "/people")
    is_(st, None, "drop closes the connection without an answer")
    c.control("POST", "faults", {"faults": [{"path": "/api/document-types", "action": "malformed"}]})
    st, js, _, text = c.api("GET", "/document-types")
    ok(st == 200 and js is None, "malformed answers a body that is not JSON")
    c.control("POST", "faults", {"faults": [], "drop_after_write": 2})
    st1, js1, _, _ = c.api("POST", "/people", newhire("w1@example.org"))
    st2, _, _, _ = c.api("POST", "/people", newhire("w2@example.org"))
    st3, _, _, _ = c.api("POST", "/people", newhire("w3@example.org"))
    ok(st1 == 201 and st2 is None and st3 == 201, "drop_after_write drops the answer to the 2nd write only")
    st, js, _, _ = c.api("GET", "/people", query={"personalEmail": "w2@example.org"})
    is_(js["total"], 1, "... but the 2nd write was carried out")
    c.control("POST", "faults", {"random": {"rate": 0.5, "seed": 3, "statuses": [503]}})
    codes = [c.api("GET", "/locations")[0] for _ in range(40)]
    ok(20 - 12 <= codes.count(503) <= 20 + 12 and set(codes) <= {200, 503}, "random failures at about the rate")
    c.control("POST", "faults", {"clear": True})
    codes = [c.api("GET", "/locations")[0] for _ in range(5)]
    is_(set(codes), {200}, "clear removes every fault")

    # request log
    st, log, _, _ = c.control("GET", "requests")
    ok(all(e["headers"].get("authorization", "Bearer <redacted>") == "Bearer <redacted>" for e in log),
       "the request log redacts the token")
    text = open(req_file).read()
    ok("demo-token" not in text and "no-documents-token" not in text, "the log file holds no token value")
    ups = [json.loads(line) for line in text.splitlines() if '"/api/files"' in line]
    ok(any(isinstance(e["body"], list) and e["body"][0]["sha256"] == hashlib.sha256(pdf).hexdigest()
           and e["body"][0]["filename"] == "offer.pdf" and e["body"][0]["size"] == len(pdf) for e in ups),
       "the log records an upload's name, size and sha256")
    st, js, _, _ = c.api("POST", "/people", newhire("final@example.org", firstName="Renamed"))
    is_(st, 201, "a last write for the state dump")


if __name__ == "__main__":
    sys.exit(main())
