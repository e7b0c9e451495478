"""The drift edits of the Ashby emulator's control API (Python 3 standard library only).

Each is one change made the way Ashby makes it, for the tests of what the tool
sees on the nights after the first.  tests/ashby_emulator.py serves them as
``POST /_emulator/<name>`` (no auth) and answers ``{"ok": true, "version": N,
...}`` or HTTP 400 ``{"error": "..."}``; the org lock is held by the caller.

``candidate-edit`` ``{"id": "<candidate id>", "phone": "+44 ...", "email":
"x@example.org", "name": "New Name"}`` (any of the three; ``null`` removes a
phone or email).  A change to the candidate's own fields: candidate.info and
candidate.list serve it, and the candidate summary inside its applications
shows it too (Ashby renders that summary from the candidate), but the
application's version and ``updatedAt`` do not move, so an incremental
application.list does not return it.  Only candidate.list's incremental pass
does.

``application-status`` ``{"applicationId": "...", "status": "Archived"}``
(``Hired``, ``Archived``, ``Active``, ``Lead``).  Sets the status, the
matching ``currentInterviewStage`` and, for ``Archived``, an
``archiveReason`` (removed otherwise).  The application's ``updatedAt`` moves.

``offer-resign`` ``{"applicationId": "..."}`` (or ``"offerId"``; optional
``"name"`` for the file).  The candidate signs the accepted offer again: a new
file handle with new PDF bytes replaces the signed letter in the offer's
``latestVersion.fileHandles`` (or joins them, first, when there was only an
unsigned one); the old handle stays downloadable.  The offer changes (an
incremental offer.list returns it) and the application's ``updatedAt``
moves.  Answers ``{"offerId", "handle", "name", "sha256", "size"}``.

``offer-edit`` ``{"applicationId": "..." (or "offerId"), "salary":
{"currencyCode": "GBP", "value": 90000} (null removes it), "startDate":
"2026-05-04"}``.  Changes the accepted offer's latest version; the offer
changes and the application's ``updatedAt`` moves.

``candidate-merge`` ``{"from": "<candidate id>", "into": "<candidate id>"}``
(Ashby's candidateMerge: ``from`` is the deleted candidate, ``into`` the
merged one; an ``into`` that does not exist yet is created as a copy of
``from`` under that id).  Every application of ``from`` now names ``into``
(id and summary); ``from`` is gone (candidate.info answers
candidate_not_found); ``into`` changes (candidate.list returns it).  The
applications' ``updatedAt`` moves unless ``"touch_applications": false``.
Answers the webhook's ``{"deletedCandidate": {"id"}, "mergedCandidate":
{"id"}}`` and the moved ``applicationIds``.
"""

import base64
import copy
import hashlib

import gen_org  # the demo's stages and PDF maker (same directory)

STATUSES = ("Hired", "Archived", "Active", "Lead")
SUMMARY_KEYS = ("primaryEmailAddress", "primaryPhoneNumber")


def _candidate(org, cid):
    rec = org.find("candidates", cid)
    if rec is None:
        raise ValueError("no candidate %r" % cid)
    return rec


def _application(org, aid):
    rec = org.find("applications", aid)
    if rec is None:
        raise ValueError("no application %r" % aid)
    return rec


def _summary(cand):
    s = {"id": cand["id"], "name": cand.get("name")}
    for k in SUMMARY_KEYS:
        if cand.get(k):
            s[k] = copy.deepcopy(cand[k])
    return s


def _set_primary(cand, one, many, value, typ):
    """Replace the primary entry of a contact list (emails or phones); None removes it."""
    rest = [x for x in cand.get(many) or [] if not x.get("isPrimary")]
    if value is None:
        cand.pop(one, None)
        cand[many] = rest
        return
    old = cand.get(one) or {}
    rec = {"value": value, "type": old.get("type", typ), "isPrimary": True}
    cand[one] = rec
    cand[many] = [dict(rec)] + rest


def candidate_edit(org, body):
    cand = _candidate(org, body.get("id"))
    if not set(body) & {"phone", "email", "name"}:
        raise ValueError("nothing to edit: give phone, email or name")
    if "phone" in body:
        _set_primary(cand, "primaryPhoneNumber", "phoneNumbers", body["phone"], "Mobile")
    if "email" in body:
        _set_primary(cand, "primaryEmailAddress", "emailAddresses", body["email"], "Personal")
    if "name" in body:
        if not isinstance(body["name"], str) or not body["name"]:
            raise ValueError("name must be a non-empty string")
        cand["name"] = body["name"]
    org.bump("candidates", cand)
    # The summary is rendered from the candidate: it shows, the application does not change.
    for app in org.col["applications"]:
        if (app.get("candidate") or {}).get("id") == cand["id"]:
            app["candidate"] = _summary(cand)
    return {"candidateId": cand["id"]}


def application_status(org, body):
    app = _application(org, body.get("applicationId"))
    status = body.get("status")
    if status not in STATUSES:
        raise ValueError("status must be one of %s" % ", ".join(STATUSES))
    app["status"] = status
    app["currentInterviewStage"] = gen_org.stage(status)
    if status == "Archived":
        app["archiveReason"] = gen_org.archive_reason()
    else:
        app.pop("archiveReason", None)
    org.bump("applications", app)
    return {"applicationId": app["id"], "updatedAt": app["updatedAt"]}


def _accepted_offer(org, body):
    if body.get("offerId"):
        off = org.find("offers", body["offerId"])
        if off is None:
            raise ValueError("no offer %r" % body["offerId"])
        return off
    aid = body.get("applicationId")
    _application(org, aid)
    offs = [o for o in org.col["offers"]
            if o.get("applicationId") == aid and o.get("acceptanceStatus") == "Accepted"]
    if not offs:
        raise ValueError("application %r has no accepted offer" % aid)
    return offs[-1]


def _touch(org, off, body):
    """The offer changed; so did its application (its updatedAt moves)."""
    org.bump("offers", off)
    app = org.find("applications", off.get("applicationId"))
    if app is not None and body.get("touch_application", True):
        org.bump("applications", app)


def _is_signed(name):
    n = (name or "").lower()
    return "signed" in n and "unsigned" not in n


def offer_resign(org, body):
    off = _accepted_offer(org, body)
    lv = off.setdefault("latestVersion", {})
    handles = list(lv.get("fileHandles") or [])
    signed = [h for h in handles if _is_signed(h.get("name"))]
    pdfs = [h for h in handles if (h.get("name") or "").lower().endswith(".pdf")]
    name = body.get("name")
    if not name:
        if signed:
            name = signed[0]["name"]
        elif pdfs:
            name = pdfs[0]["name"][:-4] + " (signed).pdf"
        else:
            name = "Offer Letter (signed).pdf"
    n = org.version + 1
    handle = "hdl_resigned_%d" % n
    data = gen_org.make_pdf("Offer letter for %s, signed again (%d)" % (off.get("applicationId"), n))
    org.mutate({"collection": "files", "record": {
        "handle": handle, "name": name, "content_b64": base64.b64encode(data).decode()}})
    entry = {"id": "fh_resigned_%d" % n, "name": name, "handle": handle}
    kept = [h for h in handles if not _is_signed(h.get("name"))]
    lv["fileHandles"] = [entry] + kept
    _touch(org, off, body)
    return {"offerId": off["id"], "handle": handle, "name": name,
            "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def offer_edit(org, body):
    off = _accepted_offer(org, body)
    if not set(body) & {"salary", "startDate"}:
        raise ValueError("nothing to edit: give salary or startDate")
    lv = off.setdefault("latestVersion", {})
    if "salary" in body:
        sal = body["salary"]
        if sal is None:
            lv.pop("salary", None)
        elif not isinstance(sal, dict) or "currencyCode" not in sal or "value" not in sal:
            raise ValueError("salary is {currencyCode, value} or null")
        else:
            lv["salary"] = {"currencyCode": sal["currencyCode"], "value": sal["value"]}
    if "startDate" in body:
        d = body["startDate"]
        if not isinstance(d, str) or len(d) < 10:
            raise ValueError("startDate is YYYY-MM-DD")
        lv["startDate"] = d[:10] + "T00:00:00.000Z"
    _touch(org, off, body)
    return {"offerId": off["id"]}


def candidate_merge(org, body):
    src = _candidate(org, body.get("from"))
    into_id = body.get("into")
    if not isinstance(into_id, str) or not into_id or into_id == src["id"]:
        raise ValueError("into must be another candidate id")
    dst = org.find("candidates", into_id)
    if dst is None:
        dst = copy.deepcopy(src)
        dst["id"] = into_id
        dst["applicationIds"] = []
        org.mutate({"collection": "candidates", "record": dst})
        dst = org.find("candidates", into_id)
    moved = []
    for app in org.col["applications"]:
        if (app.get("candidate") or {}).get("id") == src["id"]:
            app["candidate"] = _summary(dst)
            moved.append(app["id"])
            if body.get("touch_applications", True):
                org.bump("applications", app)
    ids = list(dst.get("applicationIds") or [])
    dst["applicationIds"] = ids + [a for a in src.get("applicationIds") or [] if a not in ids]
    org.bump("candidates", dst)
    org.mutate({"collection": "candidates", "id": src["id"], "delete": True})
    return {"deletedCandidate": {"id": src["id"]}, "mergedCandidate": {"id": dst["id"]},
            "applicationIds": moved}


CONTROL = {
    "/_emulator/candidate-edit": candidate_edit,
    "/_emulator/application-status": application_status,
    "/_emulator/offer-resign": offer_resign,
    "/_emulator/offer-edit": offer_edit,
    "/_emulator/candidate-merge": candidate_merge,
}
