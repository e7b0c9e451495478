#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets (tests/fuzz/corpus/<target>/) from the
fixtures. Run from the source tree: python3 tests/fuzz/make-seeds.py. Seeds are kept
small (a few records from each fixture file) so the committed corpus stays small;
inputs added by hand (regressions, named regress-*) are left alone."""
import glob
import hashlib
import json
import os

TOP = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.path.join(TOP, "tests", "fuzz", "corpus")


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    name = "seed-" + hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def canon(v):
    return json.dumps(v, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load(path):
    with open(os.path.join(TOP, path), encoding="utf-8") as f:
        return json.load(f)


def main():
    # Ashby envelopes: byte 0 picks the status (0: 200, 3: 400, 4: 401, 5: 403, 8: 500),
    # byte 1 the endpoint.
    for i, path in enumerate(sorted(glob.glob(os.path.join(TOP, "fixtures/demo/ashby/*.json")))):
        recs = json.load(open(path, encoding="utf-8"))
        if isinstance(recs, list):
            recs = recs[:2]
        env = {"success": True, "results": recs, "moreDataAvailable": True,
               "nextCursor": "c2", "syncToken": "tok1"}
        put("ashby-envelope", bytes([0, i]) + json.dumps(env).encode())
    for st, body in [
        (0, {"success": False, "errors": ["missing_endpoint_permission"],
             "errorInfo": {"code": "missing_endpoint_permission", "message": "Offers"}}),
        (0, {"success": False, "errorInfo": {"code": "sync_token_expired",
                                             "requestId": "r1", "message": "expired"}}),
        (0, {"success": False, "errors": ["application_not_found"]}),
        (0, {"success": True}),
        (3, {"success": False, "errorInfo": {"code": "invalid_input", "message": "bad"}}),
        (4, {"message": "unauthorised"}),
        (8, "<html>bad gateway</html>"),
    ]:
        put("ashby-envelope", bytes([st, 1]) + (body if isinstance(body, str)
                                                else json.dumps(body)).encode())

    # Humaans: byte 0 picks the error status (0: 400, 2: 403, 5: 422, 7: 500); the body.
    seed = load("fixtures/demo/humaans/seed.json")
    for key in ("people", "jobRoles", "compensations", "locations"):
        rows = seed.get(key) or []
        put("humaans-response", b"\x00" + json.dumps(
            {"total": len(rows), "limit": 100, "skip": 0, "data": rows[:2]}).encode())
    for st, body in [
        (0, {"name": "BadRequest", "message": "Validation failed", "code": 400,
             "className": "bad-request", "errors": [{"path": ["email"], "message": "taken"}],
             "data": {"email": "x@example.org"}}),
        (2, {"name": "Forbidden", "message": "Missing scope documents:write", "code": 403,
             "className": "forbidden", "data": {"scope": "documents:write"}}),
        (5, {"name": "Unprocessable", "message": "bad", "code": 422,
             "errors": {"firstName": "required"}}),
        (7, "upstream timed out"),
    ]:
        put("humaans-response", bytes([st]) + (body if isinstance(body, str)
                                               else json.dumps(body)).encode())

    # Staged records: a few records of each staged extract file, canonical as written.
    for path in sorted(glob.glob(os.path.join(TOP, "fixtures/transform-*/extract/*.json")) +
                       glob.glob(os.path.join(TOP, "fixtures/transform-*/expected/*.json"))):
        v = json.load(open(path, encoding="utf-8"))
        if isinstance(v, list):
            put("records", canon(v[:3]))
    put("records", "[]\n")
    put("records", '[{"id": "a"}, {"id": "b", "x": [1, {"y": "\\u00e9"}]}, 3, "s", null]\n')

    # Plans: the shape of plan/plan.json.
    hires = load("fixtures/transform-demo/expected/new_hires.json")[:3]
    ops = []
    for i, h in enumerate(hires):
        ops.append({"id": h.get("applicationId", h.get("id", "a%d" % i)),
                    "action": ["create", "change", "conflict"][i % 3],
                    "name": "%s %s" % (h.get("firstName", ""), h.get("lastName", "")),
                    "personalEmail": h.get("personalEmail", ""),
                    "steps": [{"op": "createPerson", "body": h}], "warnings": []})
    plan = {"basis": {"extractCommit": "0" * 40, "transformSha256": "1" * 64,
                      "pipelineSha256": "2" * 64, "humaans": {"people/p1": "3" * 64}},
            "operations": ops, "rejects": [{"id": "r1", "reason": "no accepted offer"}]}
    put("plan", canon(plan))
    put("plan", canon({"basis": {}, "operations": []}))
    put("plan", canon({"operations": [{"id": "x", "action": "create", "steps": []}]}))

    # pipeline.json: the default and the fixtures', and one with a byte order mark.
    for path in ["pipelines/ashby-humaans.json"] + sorted(
            glob.glob(os.path.join(TOP, "fixtures/transform-*/pipeline.json"))):
        with open(os.path.join(TOP, path), "rb") as f:
            data = f.read()
        put("pipeline", data)
    put("pipeline", b"\xef\xbb\xbf" + data)

    # overrides.csv: the fixture's, one with a byte order mark, every field.
    with open(os.path.join(TOP, "fixtures/transform-overrides/overrides.csv"), "rb") as f:
        ov = f.read()
    put("overrides", ov)
    put("overrides", b"\xef\xbb\xbf" + ov)
    put("overrides", "application_id,field,value\n"
        "a1,firstName,Ann\na1,middleName,\na1,personalEmail,ann@example.org\n"
        "a1,employmentStartDate,2026-01-05\na1,salaryAmount,85000.50\n"
        "a1,salaryCurrency,GBP\na1,reportingTo,boss@example.org\n"
        "\"a2\",\"location\",\"London, UK\"\n")

    # CSV: the expected CSV outputs, and quoting corner cases.
    for path in sorted(glob.glob(os.path.join(TOP, "fixtures/transform-*/expected/*.csv"))):
        with open(path, "rb") as f:
            put("csv", b"".join(f.readlines()[:6]))
    put("csv", 'a,b\n"multi\nline",x\n"quote "" inside",y\n,\n')


if __name__ == "__main__":
    main()
