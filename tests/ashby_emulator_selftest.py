#!/usr/bin/env python3
"""Self-test of tests/ashby_emulator.py: candidate.list, the drift edits of the control API,
the schema it serves and its error answers.

Run by tests/ashby_emulator_selftest.sh; prints TAP. Usage:
    ashby_emulator_selftest.py EMULATOR ORG_DIR TMPDIR
"""

import base64
import hashlib
import http.client
import json
import os
import sys
import urllib.parse

from taplib import done, is_, ok, start_emulator


APP = "a1000000-0000-4000-8000-%012d"
CAND = "ca000000-0000-4000-8000-%012d"
OFFER_STATUSES = {"WaitingOnApprovalStart", "WaitingOnOfferApproval", "WaitingOnApprovalDefinition",
                  "WaitingOnCandidateResponse", "CandidateAccepted", "CandidateRejected",
                  "OfferCancelled"}
GLOBAL_ROLES = {"Organization Admin", "Elevated Access", "Limited Access", "External Recruiter"}


class Client:
    def __init__(self, port, key="demo-key-full"):
        self.port = port
        self.auth = "Basic " + base64.b64encode((key + ":").encode()).decode()

    def raw(self, method, path, body=None, auth=True):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = self.auth
        data = json.dumps(body).encode() if body is not None else None
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def call(self, endpoint, body=None):
        """An API call: the decoded envelope."""
        st, text = self.raw("POST", "/" + endpoint, body if body is not None else {})
        return json.loads(text)

    def control(self, path, body):
        st, text = self.raw("POST", "/_emulator/" + path, body, auth=False)
        return st, json.loads(text)

    def list_all(self, endpoint, body=None, limit=100):
        """Every page of a list: (records, pages, the last page's syncToken, tokens on earlier pages)."""
        body = dict(body or {}, limit=limit)
        recs, pages, early = [], 0, 0
        while True:
            env = self.call(endpoint, body)
            if not env.get("success"):
                print("# %s answered %r" % (endpoint, code(env)))
                return [], pages, None, early
            pages += 1
            recs += env["results"]
            if not env.get("moreDataAvailable"):
                return recs, pages, env.get("syncToken"), early
            early += "syncToken" in env
            body = dict(body, cursor=env["nextCursor"])

    def get_url(self, url):
        u = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        try:
            conn.request("GET", u.path + "?" + u.query)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()


def code(env):
    return (env.get("errorInfo") or {}).get("code"), env.get("errors")


def main():
    emulator, org, tmp = sys.argv[1:4]
    port_file = os.path.join(tmp, "ashby.port")
    proc, port = start_emulator([emulator, "--org", org], port_file)
    try:
        try:
            run(Client(port))
        except Exception as ex:  # an answer of the wrong shape: report it, do not stop silently
            ok(False, "the self-test runs to the end (stopped by %r)" % ex)
    finally:
        proc.terminate()
        proc.wait(10)
    return done()


def run(c):
    # -- candidate.list: the full pass ------------------------------------------------------
    cands, pages, ctok, early = c.list_all("candidate.list")
    is_((len(cands), pages), (231, 3), "candidate.list: every candidate (hired or not), 3 pages of 100")
    ok(ctok is not None and early == 0, "the sync token comes on the last page only")
    is_(len({x["id"] for x in cands}), 231, "no candidate twice")
    ok(all(isinstance(x.get("fileHandles"), list) and x.get("profileUrl") for x in cands),
       "every candidate has fileHandles and profileUrl")
    apps, _, atok, _ = c.list_all("application.list")
    _, _, otok, _ = c.list_all("offer.list")
    is_(c.list_all("candidate.list", {"syncToken": ctok})[0], [], "an unchanged incremental pass is empty")
    ctok = c.list_all("candidate.list", {"syncToken": ctok})[2]
    env = c.call("candidate.list", {"limit": 10, "status": "Hired"})
    is_(code(env)[0], "invalid_input", "candidate.list takes no filter")

    # -- a candidate-only edit: only candidate.list sees it --------------------------------
    c2 = CAND % 2
    before = c.call("application.info", {"applicationId": APP % 2})["results"]
    st, res = c.control("candidate-edit", {"id": c2, "phone": "+49 30 999999", "email": "zoe@new.example.de"})
    is_(st, 200, "candidate-edit answers 200")
    got, _, ctok2, _ = c.list_all("candidate.list", {"syncToken": ctok})
    is_([x["id"] for x in got], [c2], "candidate.list's incremental pass returns the edited candidate")
    is_((got[0]["primaryPhoneNumber"]["value"], got[0]["primaryEmailAddress"]["value"]),
        ("+49 30 999999", "zoe@new.example.de"), "with the new phone and email")
    is_([p["value"] for p in got[0]["phoneNumbers"] if p["isPrimary"]], ["+49 30 999999"],
        "phoneNumbers holds the new primary number")
    is_(len([e for e in got[0]["emailAddresses"] if not e["isPrimary"]]), 1, "the Work address is kept")
    is_(c.list_all("application.list", {"syncToken": atok})[0], [],
        "application.list's incremental pass does not return its application")
    after = c.call("application.info", {"applicationId": APP % 2})["results"]
    is_(after["updatedAt"], before["updatedAt"], "the application's updatedAt does not move")
    is_(after["candidate"].get("primaryPhoneNumber", {}).get("value"), "+49 30 999999",
        "the candidate summary in the application shows the new phone (a full pass sees it)")
    is_(c.call("candidate.info", {"id": c2})["results"]["primaryPhoneNumber"]["value"], "+49 30 999999",
        "candidate.info serves the new phone")
    st, _ = c.control("candidate-edit", {"id": CAND % 13, "name": "Kenji W. Watanabe", "phone": None})
    got = c.list_all("candidate.list", {"syncToken": ctok2})[0]
    is_([(x["id"], x["name"], "primaryPhoneNumber" in x) for x in got], [(CAND % 13, "Kenji W. Watanabe", False)],
        "a name edit and a removed phone are candidate-only changes too")
    st, res = c.control("candidate-edit", {"id": "nope", "phone": "1"})
    is_(st, 400, "candidate-edit of an unknown candidate is refused")

    # -- application-status: archive, move back ---------------------------------------------
    _, _, atok, _ = c.list_all("application.list")
    st, res = c.control("application-status", {"applicationId": APP % 5, "status": "Archived"})
    got, _, atok2, _ = c.list_all("application.list", {"syncToken": atok})
    is_([(a["id"], a["status"]) for a in got], [(APP % 5, "Archived")],
        "application-status: the archived application is in the incremental pass")
    ok(got and got[0]["updatedAt"] > before["updatedAt"] and got[0]["updatedAt"] == res.get("updatedAt"),
       "its updatedAt moved")
    ok(got and got[0]["currentInterviewStage"]["type"] == "Archived" and "archiveReason" in got[0],
       "its stage is Archived, with an archive reason")
    c.control("application-status", {"applicationId": APP % 5, "status": "Hired"})
    got = c.list_all("application.list", {"syncToken": atok2})[0]
    is_([(a["id"], a["status"], "archiveReason" in a, a["currentInterviewStage"]["type"]) for a in got],
        [(APP % 5, "Hired", False, "Hired")], "moved back to Hired: no archive reason")
    st, _ = c.control("application-status", {"applicationId": APP % 5, "status": "Gone"})
    is_(st, 400, "an unknown status is refused")

    # -- offer-resign: a new signed letter ---------------------------------------------------
    _, _, atok, _ = c.list_all("application.list")
    _, _, otok, _ = c.list_all("offer.list")
    st, res = c.control("offer-resign", {"applicationId": APP % 1})
    is_(st, 200, "offer-resign answers 200")
    got = c.list_all("offer.list", {"syncToken": otok})[0]
    is_([(o["applicationId"], o["acceptanceStatus"]) for o in got], [(APP % 1, "Accepted")],
        "offer.list's incremental pass returns the re-signed offer")
    fh = got[0]["latestVersion"]["fileHandles"] if got else []
    is_([h["handle"] for h in fh if "(signed)" in h["name"]], [res.get("handle")],
        "the new handle replaces the signed letter")
    is_([h["name"] for h in fh if "(signed)" not in h["name"]], ["Offer Letter - Bennett.pdf"],
        "the unsigned letter is kept")
    url = c.call("file.info", {"fileHandle": res["handle"]})["results"]["url"]
    st, data = c.get_url(url)
    is_((st, hashlib.sha256(data).hexdigest(), len(data)), (200, res["sha256"], res["size"]),
        "the new handle serves the new bytes")
    url = c.call("file.info", {"fileHandle": "hdl_000001_1_signed"})["results"]["url"]
    st, old = c.get_url(url)
    ok(st == 200 and old[:5] == b"%PDF-" and old != data, "the old letter is still served, and differs")
    got = c.list_all("application.list", {"syncToken": atok})[0]
    is_([a["id"] for a in got], [APP % 1], "the application's updatedAt moved with the offer")
    st, res4 = c.control("offer-resign", {"applicationId": APP % 4})
    fh = [o for o in c.call("offer.list", {"applicationId": APP % 4})["results"]][0]["latestVersion"]["fileHandles"]
    is_([h["name"] for h in fh], ["Offer Letter - Kowalski (signed).pdf", "Offer Letter - Kowalski.pdf"],
        "re-signing an unsigned-only offer adds a signed letter first")
    st, _ = c.control("offer-resign", {"applicationId": APP % 14})
    is_(st, 400, "offer-resign of an application without an accepted offer is refused")

    # -- offer-edit: salary and start date ---------------------------------------------------
    _, _, otok, _ = c.list_all("offer.list")
    st, _ = c.control("offer-edit", {"applicationId": APP % 2, "salary": {"currencyCode": "EUR", "value": 75000},
                                     "startDate": "2026-05-04"})
    got = c.list_all("offer.list", {"syncToken": otok})[0]
    is_([(o["applicationId"], o["latestVersion"]["salary"], o["latestVersion"]["startDate"]) for o in got],
        [(APP % 2, {"currencyCode": "EUR", "value": 75000}, "2026-05-04T00:00:00.000Z")],
        "offer-edit: the new salary and start date in the incremental pass")

    # -- candidate-merge ---------------------------------------------------------------------
    _, _, ctok, _ = c.list_all("candidate.list")
    _, _, atok, _ = c.list_all("application.list")
    new_id = CAND % 903
    st, res = c.control("candidate-merge", {"from": CAND % 3, "into": new_id})
    is_((res.get("deletedCandidate"), res.get("mergedCandidate"), res.get("applicationIds")),
        ({"id": CAND % 3}, {"id": new_id}, [APP % 3]), "candidate-merge answers like the candidateMerge webhook")
    is_(c.call("application.info", {"applicationId": APP % 3})["results"]["candidate"]["id"], new_id,
        "the application now names the merged candidate")
    is_(code(c.call("candidate.info", {"id": CAND % 3}))[0], "candidate_not_found", "the deleted candidate is gone")
    got = c.list_all("candidate.list", {"syncToken": ctok})[0]
    is_([(x["id"], x["applicationIds"]) for x in got], [(new_id, [APP % 3])],
        "candidate.list's incremental pass returns the merged candidate with the application")
    is_([a["id"] for a in c.list_all("application.list", {"syncToken": atok})[0]], [APP % 3],
        "the application's updatedAt moved")
    _, _, atok, _ = c.list_all("application.list")
    c.control("candidate-merge", {"from": new_id, "into": CAND % 904, "touch_applications": False})
    is_(c.list_all("application.list", {"syncToken": atok})[0], [],
        "touch_applications false: the merge leaves the application's updatedAt alone")

    # -- errors ------------------------------------------------------------------------------
    env = c.call("application.list", {"limit": 10, "status": "Offered"})
    is_(code(env), ("invalid_input", ["invalid_input"]),
        "an unknown status filter is invalid_input (errors[] holds the code), not an empty list")
    is_(len(c.call("application.list", {"limit": 100, "status": "Hired"})["results"]), 26, "a known status filters")
    is_(code(c.call("application.list", {"limit": 10, "cursor": "garbage!"}))[0], "invalid_next_cursor",
        "an undecodable cursor is invalid_next_cursor")
    is_(code(c.call("application.list", {"limit": 10, "cursor": "cu_" + "A" * 16}))[0], "next_cursor_expired",
        "a well-formed cursor the emulator does not know has expired")
    is_(code(c.call("candidate.list", {"limit": 10, "syncToken": "not a token"}))[0], "sync_token_invalid",
        "an undecodable sync token is sync_token_invalid")
    is_(code(c.call("candidate.list", {"limit": 10, "syncToken": "st_" + "A" * 16}))[0], "sync_token_expired",
        "a well-formed unknown sync token has expired")
    c.control("faults", {"faults": [{"path": "candidate.list", "after": 1, "error": "cursor_invalid"}]})
    first = c.call("candidate.list", {"limit": 100})
    env = c.call("candidate.list", {"limit": 100, "cursor": first.get("nextCursor")})
    is_((env.get("success"), code(env)), (False, ("cursor_invalid", ["cursor_invalid"])),
        "a cursor_invalid fault is injected on the second page")
    ok(c.call("candidate.list", {"limit": 1}).get("success"), "once only")
    c.control("faults", {})

    # -- parameters Ashby defines ------------------------------------------------------------
    ok(c.call("application.info", {"applicationId": APP % 1, "expand": ["openings"]}).get("success"),
       "application.info takes expand")
    ok(c.call("application.list", {"limit": 5, "expand": ["openings"]}).get("success"),
       "application.list takes expand")
    ok(c.call("job.info", {"id": "70b00000-0000-4000-8000-000000000001", "expand": ["location"]}).get("success"),
       "job.info takes expand")
    is_(code(c.call("job.info", {"id": "70b00000-0000-4000-8000-000000000001", "expand": "location"}))[0],
        "invalid_input", "expand must be an array")
    ok(c.call("location.list", {"limit": 100, "includeLocationHierarchy": True}).get("success"),
       "location.list takes includeLocationHierarchy")
    got = c.call("offer.list", {"limit": 100, "acceptanceStatus": ["Declined"]})["results"]
    ok(got and all(o["acceptanceStatus"] == "Declined" for o in got), "offer.list filters on acceptanceStatus")
    got = c.call("offer.list", {"limit": 100, "offerStatus": ["CandidateAccepted"]})["results"]
    ok(got and all(o["offerStatus"] == "CandidateAccepted" for o in got), "offer.list filters on offerStatus")
    is_(code(c.call("offer.list", {"limit": 100, "offerStatus": ["OfferAccepted"]}))[0], "invalid_input",
        "an offerStatus Ashby does not define is invalid_input")

    # -- the schema served -------------------------------------------------------------------
    offers = c.list_all("offer.list")[0]
    is_(sorted({o["offerStatus"] for o in offers} - OFFER_STATUSES), [], "offerStatus values are Ashby's")
    users = c.list_all("user.list", {"includeDeactivated": True})[0]
    is_(sorted({u["globalRole"] for u in users} - GLOBAL_ROLES), [], "globalRole values are Ashby's")
    ok(all(u.get("updatedAt") for u in users), "users have updatedAt")
    depts = c.list_all("department.list", {"includeArchived": True})[0]
    ok(all(d.get("createdAt") and d.get("updatedAt") for d in depts), "departments have createdAt and updatedAt")
    ok(c.call("job.info", {"id": "70b00000-0000-4000-8000-000000000001"})["results"].get("updatedAt"),
       "jobs have updatedAt")
    cfs = c.list_all("customField.list", {"includeArchived": True})[0]
    ok(all(isinstance(f.get("isRequired"), bool) for f in cfs), "custom fields have isRequired")
    apps = c.list_all("application.list")[0]
    ok(all(isinstance(a["source"].get("isArchived"), bool) and a["currentInterviewStage"].get("interviewPlanId")
           for a in apps), "applications have source.isArchived and the stage's interviewPlanId")
    locs = c.list_all("location.list", {"includeArchived": True})[0]
    countries = [l["address"]["postalAddress"]["addressCountry"] for l in locs]
    ok(any(len(x) == 2 for x in countries) and any(len(x) > 2 for x in countries),
       "addressCountry: both a two-letter code and a country name occur")


if __name__ == "__main__":
    sys.exit(main())
