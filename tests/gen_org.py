#!/usr/bin/env python3
"""Ashby organisations for the emulator (Python 3 standard library only).

    gen_org.py --demo DIR        write the demo organisation (fixtures/demo/ashby)
    gen_org.py N DIR             write a synthetic organisation of N hires (benchmark)

The emulator also imports generate(N, seed) for ``--generate N``.  Output is
deterministic: the same arguments give the same bytes.
"""

import base64
import json
import os
import random
import sys

DOMAIN = "demo-company.com"
T0 = "2026-01-05T09:00:00.000Z"


def uid(prefix, n):
    """A UUID-shaped id that is readable in fixtures: prefix (hex) + number."""
    return "%s-0000-4000-8000-%012d" % (prefix, n)


def make_pdf(text):
    """A minimal, valid one-page PDF showing `text` (ASCII), a few hundred bytes."""
    text = text.encode("ascii", "replace").decode().replace("\\", "").replace("(", "[").replace(")", "]")
    stream = "BT /F1 12 Tf 72 720 Td (%s) Tj ET" % text
    objs = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        "/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        "<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += ("%d 0 obj\n%s\nendobj\n" % (i, o)).encode()
    xref = len(out)
    out += ("xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)).encode()
    for off in offsets:
        out += ("%010d 00000 n \n" % off).encode()
    out += ("trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)).encode()
    return out


# ---------------------------------------------------------------------------
# Reference data shared by the demo and the synthetic organisations.

USERS = [
    ("grace", "Grace", "Hopper", "grace.hopper"),
    ("alan", "Alan", "Turing", "alan.turing"),
    ("ada", "Ada", "Lovelace", "ada.lovelace"),
    ("ghost", "Ghost", "Manager", "ghost.manager"),
    ("rita", "Rita", "Recruiter", "rita.recruiter"),
    ("old", "Olga", "Former", "olga.former"),
]
USER_ID = {k: uid("75e40000", i + 1) for i, (k, _, _, _) in enumerate(USERS)}
# Ashby's globalRole values: Organization Admin, Elevated Access, Limited Access, External Recruiter.
GLOBAL_ROLE = {"grace": "Organization Admin", "alan": "Elevated Access", "ada": "Elevated Access",
               "ghost": "Limited Access", "rita": "External Recruiter", "old": "Limited Access"}


def users():
    out = []
    for i, (k, first, last, mail) in enumerate(USERS):
        out.append({
            "id": USER_ID[k], "firstName": first, "lastName": last,
            "email": "%s@%s" % (mail, DOMAIN), "globalRole": GLOBAL_ROLE[k],
            "isEnabled": k != "old",
            "managerId": USER_ID["grace"] if k in ("alan", "ada") else None,
            "updatedAt": "2025-12-15T09:00:00.000Z",
        })
    return out


def team_member(k, role="Hiring Manager"):
    u = next(x for x in USERS if x[0] == k)
    return {"userId": USER_ID[k], "email": "%s@%s" % (u[3], DOMAIN),
            "firstName": u[1], "lastName": u[2], "role": role}


DEPTS = [("eng", "Engineering", None, False), ("platform", "Platform", "eng", False),
         ("product", "Product", None, False), ("sales", "Sales", None, False),
         ("people", "People", None, False), ("finance", "Finance", None, False),
         ("legacy", "Legacy Operations", None, True)]
DEPT_ID = {k: uid("de900000", i + 1) for i, (k, _, _, _) in enumerate(DEPTS)}


def departments():
    return [{"id": DEPT_ID[k], "name": n, "externalName": n, "isArchived": a,
             "parentId": DEPT_ID[p] if p else None, "createdAt": "2025-06-02T09:00:00.000Z",
             "updatedAt": "2025-11-03T09:00:00.000Z" if a else "2025-06-02T09:00:00.000Z"}
            for k, n, p, a in DEPTS]


LOCS = [
    ("london", "London HQ", "Hybrid", ("United Kingdom", "England", "London", "EC2A 4NE", "1 Finsbury Avenue"), False),
    ("berlin", "Berlin Office", "OnSite", ("DE", "Berlin", "Berlin", "10115", "Invalidenstraße 117"), False),
    ("nyc", "New York", "Hybrid", ("US", "NY", "New York", "10013", "100 Hudson Street"), False),
    ("lisbon", "Remote - Lisbon", "Remote", ("Portugal", "Lisboa", "Lisbon", "1100-148", None), False),
    ("paris", "Old Paris Office", "OnSite", ("France", "Île-de-France", "Paris", "75002", "3 Rue du Sentier"), True),
]
# addressCountry is a country name or a two-letter ISO code in Ashby: both kinds occur here.
LOC_ID = {k: uid("10c00000", i + 1) for i, (k, _, _, _, _) in enumerate(LOCS)}


def locations():
    out = []
    for k, name, wp, (country, region, city, pc, street), arch in LOCS:
        pa = {"addressCountry": country, "addressRegion": region, "addressLocality": city,
              "postalCode": pc}
        if street:
            pa["streetAddress"] = street
        out.append({"id": LOC_ID[k], "name": name, "externalName": name, "isArchived": arch,
                    "workplaceType": wp, "address": {"postalAddress": pa}})
    return out


# custom fields: key -> (title, objectType, fieldType, selectable values)
CFIELDS = [
    ("tshirt", "T-shirt size", "Candidate", "ValueSelect", [("S", "s"), ("M", "m"), ("L", "l"), ("XL", "xl")]),
    ("legal", "Legal name", "Candidate", "String", None),
    ("years", "Years of experience", "Candidate", "Number", None),
    ("reloc", "Relocation needed", "Candidate", "Boolean", None),
    ("avail", "Available from", "Candidate", "Date", None),
    ("langs", "Languages", "Candidate", "MultiValueSelect",
     [("English", "en"), ("German", "de"), ("Portuguese", "pt"), ("Spanish", "es"), ("Polish", "pl")]),
    ("bonus", "Signing bonus", "Offer", "Currency", None),
    ("equity", "Equity options", "Offer", "Number", None),
    ("remote", "Remote allowed", "Offer", "Boolean", None),
    ("probation", "Probation end", "Offer", "Date", None),
    ("level", "Level", "Offer", "ValueSelect", [("Level 2", "L2"), ("Level 3", "L3"), ("Level 4", "L4")]),
    ("benefits", "Benefits", "Offer", "MultiValueSelect",
     [("Health", "health"), ("Gym", "gym"), ("Pension", "pension"), ("Bike", "bike")]),
    ("notes", "Offer notes", "Offer", "String", None),
    ("referral", "Referral source", "Application", "String", None),
    ("costcenter", "Cost center", "Job", "String", None),
    ("oldfield", "Old fax number", "Candidate", "String", None),  # archived
]
CF_ID = {c[0]: uid("cf000000", i + 1) for i, c in enumerate(CFIELDS)}


def custom_fields():
    out = []
    for k, title, obj, ftype, values in CFIELDS:
        rec = {"id": CF_ID[k], "title": title, "objectType": obj, "fieldType": ftype,
               "isArchived": k == "oldfield", "isRequired": k in ("legal", "level")}
        if values:
            rec["selectableValues"] = [{"label": l, "value": v, "isArchived": False} for l, v in values]
        out.append(rec)
    return out


def cfv(k, value, label=None):
    title = next(c[1] for c in CFIELDS if c[0] == k)
    rec = {"id": CF_ID[k], "title": title, "value": value}
    if label is not None:
        rec["valueLabel"] = label
    return rec


# jobs: key -> (title, dept, loc, employmentType, hiring manager on the job, posting title)
JOBS = [
    ("backend", "Backend Engineer", "eng", "london", "FullTime", "grace", "Senior Backend Engineer (London)"),
    ("frontend", "Frontend Engineer", "eng", "berlin", "FullTime", "alan", "Frontend Engineer - React"),
    ("pm", "Product Manager", "product", "nyc", "FullTime", "ada", "Product Manager, Growth"),
    ("ae", "Account Executive", "sales", "nyc", "FullTime", "ghost", "Account Executive (East Coast)"),
    ("pp", "People Partner", "people", "london", "PartTime", "ada", "People Partner"),
    ("ds", "Data Scientist", "platform", "lisbon", "Contract", "alan", "Data Scientist (Remote, Portugal)"),
    ("fa", "Financial Analyst", "finance", "berlin", "FullTime", "grace", "Financial Analyst"),
    ("sre", "Site Reliability Engineer", "platform", "london", "FullTime", "grace", "SRE"),
    ("intern", "Engineering Intern", "eng", "berlin", "Intern", "alan", "Engineering Intern 2026"),
]
JOB_ID = {j[0]: uid("70b00000", i + 1) for i, j in enumerate(JOBS)}


def jobs():
    out = []
    for k, title, dept, loc, et, hm, _ in JOBS:
        out.append({"id": JOB_ID[k], "title": title, "status": "Open", "employmentType": et,
                    "departmentId": DEPT_ID[dept], "locationId": LOC_ID[loc],
                    "hiringTeam": [team_member(hm), team_member("rita", "Recruiter")],
                    "customFields": [cfv("costcenter", "CC-%03d" % (list(JOB_ID).index(k) + 100))],
                    "confidential": False, "createdAt": "2025-10-01T10:00:00.000Z",
                    "updatedAt": "2025-12-01T10:00:00.000Z"})
    return out


def job_postings():
    out = []
    for i, (k, title, dept, loc, et, hm, ptitle) in enumerate(JOBS):
        out.append({"id": uid("90570000", i + 1), "jobId": JOB_ID[k], "title": ptitle,
                    "departmentName": next(d[1] for d in DEPTS if d[0] == dept),
                    "locationName": next(l[1] for l in LOCS if l[0] == loc),
                    "employmentType": et,
                    "workplaceType": next(l[2] for l in LOCS if l[0] == loc),
                    "isListed": True})
    return out


def job_summary(k):
    j = next(x for x in JOBS if x[0] == k)
    return {"id": JOB_ID[k], "title": j[1], "locationId": LOC_ID[j[3]], "departmentId": DEPT_ID[j[2]]}


API_KEYS = [
    {"id": "full", "secret": "demo-key-full", "title": "ashby2humaans (all modules)",
     "createdAt": "2026-01-02T08:00:00.000Z",
     "scopes": ["apiKeys:read", "candidates:read", "jobs:read", "offers:read",
                "organization:read", "hiringProcessMetadata:read"]},
    {"id": "no-offers", "secret": "demo-key-no-offers", "title": "missing Offers",
     "createdAt": "2026-01-02T08:00:00.000Z",
     "scopes": ["apiKeys:read", "candidates:read", "jobs:read", "organization:read",
                "hiringProcessMetadata:read"]},
    {"id": "no-apikeys", "secret": "demo-key-no-apikeys", "title": "missing API Keys read",
     "createdAt": "2026-01-02T08:00:00.000Z",
     "scopes": ["candidates:read", "jobs:read", "organization:read"]},
    {"id": "deactivated", "secret": "demo-key-deactivated", "title": "deactivated",
     "createdAt": "2025-01-02T08:00:00.000Z", "deactivated": True,
     "scopes": ["candidates:read"]},
]


INTERVIEW_PLAN_ID = uid("1a7e0000", 1)


def stage(kind):
    n, title, order = {"Hired": (9, "Hired", 4), "Archived": (8, "Archived", 5),
                       "Active": (3, "Onsite interview", 2), "Lead": (1, "Lead", 0)}[kind]
    return {"id": uid("57a90000", n), "title": title, "type": kind, "orderInInterviewPlan": order,
            "interviewPlanId": INTERVIEW_PLAN_ID}


def archive_reason():
    return {"id": uid("a7c00000", 1), "text": "Position filled", "reasonType": "RejectedByOrg"}


def email_rec(value, typ="Personal"):
    return {"value": value, "type": typ, "isPrimary": True}


def phone_rec(value):
    return {"value": value, "type": "Mobile", "isPrimary": True}


def application(n, cand, job, status, hm_on_app, created, updated, cfields=None):
    team = [team_member("rita", "Recruiter")]
    if hm_on_app:
        team.insert(0, team_member(hm_on_app))
    summary = {"id": cand["id"], "name": cand["name"]}
    for k in ("primaryEmailAddress", "primaryPhoneNumber"):
        if cand.get(k):
            summary[k] = cand[k]
    rec = {
        "id": uid("a1000000", n), "createdAt": created, "updatedAt": updated, "status": status,
        "candidate": summary,
        "job": job_summary(job), "hiringTeam": team,
        "customFields": cfields or [], "currentInterviewStage": stage(status),
        "source": {"id": uid("50c00000", 1), "title": "LinkedIn", "isArchived": False},
        "archiveReason": archive_reason() if status == "Archived" else None,
    }
    if rec["archiveReason"] is None:
        del rec["archiveReason"]
    return rec


def candidate(n, name, email, phone, cfields=None, extra_emails=()):
    c = {"id": uid("ca000000", n), "name": name, "createdAt": T0,
         "emailAddresses": [], "phoneNumbers": [], "socialLinks": [],
         "customFields": cfields or [], "applicationIds": [uid("a1000000", n)],
         "tags": [], "position": None, "company": None, "school": None, "fileHandles": [],
         "profileUrl": "https://app.ashbyhq.com/candidates/%s" % uid("ca000000", n)}
    if email:
        c["primaryEmailAddress"] = email_rec(email)
        c["emailAddresses"].append(email_rec(email))
    for e in extra_emails:
        c["emailAddresses"].append({"value": e, "type": "Work", "isPrimary": False})
    if phone:
        c["primaryPhoneNumber"] = phone_rec(phone)
        c["phoneNumbers"].append(phone_rec(phone))
    if name and " " in name:
        c["socialLinks"].append({"type": "LinkedIn", "url": "https://www.linkedin.com/in/%s"
                                 % name.lower().replace(" ", "-").encode("ascii", "ignore").decode()})
    return c


# acceptanceStatus -> Ashby's offerStatus (CandidateAccepted, CandidateRejected, ...)
OFFER_STATUS = {"Accepted": "CandidateAccepted", "Declined": "CandidateRejected",
                "Pending": "WaitingOnCandidateResponse", "Cancelled": "OfferCancelled"}


def offer(oid, app_n, status, start, salary, files, cfields=None, decided="2026-01-20T12:00:00.000Z"):
    """salary: (currency, value) or None; files: list of (name, handle)."""
    v = {"id": uid("0f5e0000", oid), "createdAt": "2026-01-15T10:00:00.000Z",
         "startDate": start + "T00:00:00.000Z", "openingId": uid("09e00000", app_n),
         "customFields": cfields or [], "approvalStatus": "Approved"}
    if salary is not None:
        v["salary"] = {"currencyCode": salary[0], "value": salary[1]}
    if files is not None:
        v["fileHandles"] = [{"id": "fh_%06d_%d" % (oid, i), "name": name, "handle": handle}
                            for i, (name, handle) in enumerate(files)]
    return {"id": uid("0f000000", oid), "applicationId": uid("a1000000", app_n),
            "acceptanceStatus": status,
            "offerStatus": OFFER_STATUS.get(status, "WaitingOnApprovalStart"),
            "decidedAt": decided if status in ("Accepted", "Declined") else None,
            "latestVersion": v}


# ---------------------------------------------------------------------------
# The demo organisation.

# (n, name, email, phone, job, hiring manager on the application (None: only the job's),
#  offers [(status, start, salary, files)], candidate custom fields, what it exercises)
HIRES = [
    (1, "Olivia Rose Bennett", "olivia.bennett@example.com", "+44 20 7946 0101", "backend", "grace",
     [("Accepted", "2026-03-02", ("GBP", 85000), ["signed", "unsigned"])], "all",
     "three-word name (middle name); GBP integer salary; signed and unsigned letters (signed wins); every candidate and offer custom field type"),
    (2, "Zoë Müller", "zoe.mueller@example.de", "+49 30 901820", "frontend", None,
     [("Accepted", "2026-04-01", ("EUR", 72000.5), ["signed"])], None,
     "accents; EUR decimal salary; hiring manager only on the job (Alan Turing)"),
    (3, "José Álvarez García", "jose.alvarez@example.es", "+34 612 345 678", "ds", "alan",
     [("Accepted", "2026-03-16", ("EUR", 61000), ["unsigned"])], None,
     "accents; double surname (3-word split flagged); Remote - Lisbon location (city match)"),
    (4, "Łukasz Kowalski", "lukasz.kowalski@example.pl", "+48 22 123 45 67", "frontend", "alan",
     [("Accepted", "2026-05-04", ("EUR", 65000), ["unsigned"])], None,
     "Polish letter; only an unsigned letter"),
    (5, "Søren Kierkegaard", "soren.k@example.dk", "+45 32 12 34 56", "sre", "grace",
     [("Accepted", "2026-03-02", ("GBP", 91000), ["signed"])], None, "Danish letter"),
    (6, "Anna van der Berg", "anna.vdberg@example.nl", "+31 20 555 0101", "pp", "ada",
     [("Accepted", "2026-03-09", ("GBP", 58000), ["signed"])], None,
     "particles 'van der' stay with the last name; part-time job"),
    (7, "Luis de la Cruz", "luis.delacruz@example.com", "+1 212 555 0107", "pm", "ada",
     [("Accepted", "2026-04-06", ("USD", 140000), ["signed"])], None, "particles 'de la'; USD"),
    (8, "Ahmad bin Ismail", "ahmad.ismail@example.my", "+60 3 2141 0108", "ae", None,
     [("Accepted", "2026-04-13", ("USD", 98000), ["signed"])], None,
     "particle 'bin'; hiring manager (ghost.manager) only on the job and absent from Humaans"),
    (9, "Madonna", "madonna@example.com", "+1 310 555 0109", "pm", "ada",
     [("Accepted", "2026-05-01", ("USD", 150000), ["signed"])], None,
     "single-word name: no last name, set aside by transform"),
    (10, "Siobhán O'Neill", "siobhan.oneill@example.ie", "+353 1 555 0110", "backend", "grace",
     [("Accepted", "2026-03-23", ("GBP", 79000), ["signed"])], None, "apostrophe and accent"),
    (11, "Harriet Smith-Jones", "harriet.sj@example.co.uk", "+44 161 555 0111", "pp", "ada",
     [("Accepted", "2026-03-30", ("GBP", 52000.75), ["signed"])], None, "hyphenated surname; GBP decimal"),
    (12, "Maria Fernanda dos Santos Oliveira", "mf.oliveira@example.br", "+55 11 5555 0112", "ds", "alan",
     [("Accepted", "2026-06-01", ("EUR", 59000), ["signed"])], None,
     "five words with particle 'dos' (split flagged for review)"),
    (13, "Kenji Watanabe", "kenji.watanabe@example.jp", None, "sre", "grace",
     [("Accepted", "2026-04-20", ("GBP", 88000), ["signed"])], None, "no phone number"),
    (14, "Priya Raman", "priya.raman@example.in", "+91 80 5555 0114", "backend", "grace",
     [("Declined", "2026-03-02", ("GBP", 80000), ["unsigned"])], None,
     "Hired but only a declined offer (no accepted offer)"),
    (15, "Tom Baker", "tom.baker@example.co.uk", "+44 117 555 0115", "fa", "grace",
     [("Accepted", "2026-04-01", None, ["signed"])], None, "accepted offer without salary"),
    (16, "Chloé Dubois", "chloe.dubois@example.fr", "+33 1 55 55 01 16", "frontend", "alan",
     [("Accepted", "2026-04-15", ("EUR", 70000), None)], None, "no offer letter at all"),
    (17, "Noah Smith", "noah.smith@example.com", "+1 646 555 0117", "ae", "ghost",
     [("Accepted", "2026-03-02", ("USD", 120000), ["signed"])], None,
     "hiring manager ghost.manager (not in Humaans): created without reportingTo, plan warns"),
    (18, "Emma Johansson", "emma.johansson@example.se", "+46 8 555 0118", "pm", "ada",
     [("Declined", "2026-03-02", ("USD", 125000), ["unsigned"]),
      ("Accepted", "2026-03-16", ("USD", 132500), ["signed", "unsigned"])], None,
     "two offers: a declined one and an accepted one (the accepted wins)"),
    (19, "Liam Murphy", "liam.murphy@example.ie", "+353 21 555 0119", "pm", None,
     [("Accepted", "2026-05-11", ("USD", 118000), ["signed"])], None,
     "hiring manager only on the job (Ada Lovelace)"),
    (20, "Mei Lin", "mei.lin@example.cn", "+86 21 5555 0120", "backend", "grace",
     [("Accepted", "2026-03-02", ("GBP", 83000), ["unsigned"])], "all", "custom fields of every type"),
    (21, "Fatima Zahra El Amrani", "fatima.elamrani@example.ma", "+212 5 22 55 01 21", "fa", "grace",
     [("Accepted", "2026-04-06", ("EUR", 64000), ["signed"])], None, "particle 'El' (case-insensitive)"),
    (22, "Jean-Luc Picard", "jl.picard@example.fr", "+33 4 55 55 01 22", "sre", "grace",
     [("Accepted", "2026-06-15", ("GBP", 99000), ["signed"])], None, "hyphenated first name"),
    (23, "Ana María López", "ana.lopez@example.mx", "+52 55 5555 0123", "ds", "alan",
     [("Accepted", "2026-05-18", ("EUR", 57500), ["signed"])], None, "accented middle name"),
    (24, "Robert Downey", "robert.downey@example.com", "+1 917 555 0124", "pm", "ada",
     [("Pending", "2026-04-01", ("USD", 90000), None),
      ("Accepted", "2026-04-01", ("USD", 95000.75), ["signed"])], None,
     "USD decimal; a pending offer beside the accepted one"),
    (25, "Ewan McGregor", "Conflict.Person@example.org", "+44 131 555 0125", "intern", "alan",
     [("Accepted", "2026-07-01", ("EUR", 24000), ["signed"])], None,
     "intern job in Berlin; his personal email (other case) belongs to a Humaans person the tool "
     "did not create (Connie Flict): a conflict in the plan, nothing created"),
    (26, "Ingrid Nilsson", "ingrid.nilsson@example.no", "+47 22 55 01 26", "backend", "grace",
     [("Accepted", "2026-03-09", ("GBP", 86000), ["signed"])], "legal",
     "legal-name custom field ('Ingrid Marie Nilsson') for the legal-name mapping"),
]

FIRST = ["Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn",
         "Dana", "Robin", "Charlie", "Drew", "Emerson", "Finley", "Harper", "Kai", "Logan", "Parker"]
LAST = ["Anderson", "Brown", "Clarke", "Davies", "Evans", "Fischer", "García", "Hughes", "Ivanova",
        "Jones", "Khan", "Larsen", "Moreau", "Novak", "Okafor", "Petrov", "Rossi", "Schmidt",
        "Tanaka", "Walsh"]


def candidate_cfields_all(n):
    return [cfv("tshirt", "m", "M"), cfv("legal", "Olivia Rose Bennett" if n == 1 else "Mei Lin"),
            cfv("years", 7 if n == 1 else 4.5), cfv("reloc", n == 1),
            cfv("avail", "2026-02-15T00:00:00.000Z"),
            cfv("langs", ["en", "de"] if n == 1 else ["en", "pt"], ["English", "German"] if n == 1 else ["English", "Portuguese"]),
            cfv("oldfield", "+44 20 7946 0999")]


def offer_cfields_all(cur):
    return [cfv("bonus", {"value": 5000, "currencyCode": cur}), cfv("equity", 1200),
            cfv("remote", True), cfv("probation", "2026-09-01T00:00:00.000Z"),
            cfv("level", "L3", "Level 3"), cfv("benefits", ["health", "pension"], ["Health", "Pension"]),
            cfv("notes", "Laptop: MacBook Pro 14\"")]


def demo():
    """The demo organisation: (collections dict, {handle: (name, pdf bytes)})."""
    cands, apps, offs, files = [], [], [], {}
    oid = 0
    for n, name, email, phone, job, hm, offers, cf, _ in HIRES:
        ccf = []
        if cf == "all":
            ccf = candidate_cfields_all(n)
        elif cf == "legal":
            ccf = [cfv("legal", "Ingrid Marie Nilsson"), cfv("tshirt", "s", "S")]
        c = candidate(n, name, email, phone, ccf, extra_emails=("%s@work.example.com" % email.split("@")[0],))
        if n == 1:  # a résumé among the candidate's files: never an offer letter
            cv = {"id": "fh_cv_000001", "name": "Olivia Bennett CV.pdf", "handle": "hdl_cv_000001"}
            c["fileHandles"] = [cv]
            c["resumeFileHandle"] = dict(cv)
            files[cv["handle"]] = (cv["name"], make_pdf("Curriculum vitae of Olivia Rose Bennett"))
        cands.append(c)
        created = "2025-12-%02dT10:%02d:00.000Z" % (1 + n % 28, n)
        updated = "2026-01-%02dT16:%02d:00.000Z" % (20 + n % 8, n)
        acf = [cfv("referral", "Employee referral")] if n % 3 == 0 else []
        apps.append(application(n, c, job, "Hired", hm, created, updated, acf))
        for status, start, salary, letters in offers:
            oid += 1
            fl = None
            if letters is not None:
                fl = []
                for kind in letters:
                    h = "hdl_%s_%d_%s" % (uid("0f000000", oid)[-6:], n, kind)
                    short = name.split(" ")[-1] if " " in name else name
                    fname = ("Offer Letter - %s (signed).pdf" % short if kind == "signed"
                             else "Offer Letter - %s.pdf" % short)
                    files[h] = (fname, make_pdf("Offer letter for application %d (%s)" % (n, kind)))
                    fl.append((fname, h))
            ocf = offer_cfields_all(salary[0] if salary else "GBP") if (n in (1, 20) and status == "Accepted") else []
            offs.append(offer(oid, n, status, start, salary, fl, ocf))
    # not hired: enough to need several pages of application.list (limit 100)
    rnd = random.Random(7)
    statuses = ["Active"] * 5 + ["Archived"] * 4 + ["Lead"]
    joblist = [j[0] for j in JOBS]
    for n in range(101, 101 + 205):
        name = "%s %s" % (rnd.choice(FIRST), rnd.choice(LAST))
        email = "%s.%d@example.org" % (name.lower().replace(" ", ".").encode("ascii", "ignore").decode(), n)
        phone = "+44 7700 9%05d" % n if n % 4 else None
        c = candidate(n, name, email, phone)
        cands.append(c)
        status = statuses[n % len(statuses)]
        job = joblist[n % len(joblist)]
        apps.append(application(n, c, job, status, "grace" if n % 2 else None,
                                "2025-11-%02dT09:00:00.000Z" % (1 + n % 28),
                                "2026-01-%02dT09:00:00.000Z" % (1 + n % 28)))
        if status in ("Active", "Archived") and n % 2 == 0:
            oid += 1
            st = "Pending" if status == "Active" else ("Declined" if n % 4 else "Cancelled")
            offs.append(offer(oid, n, st, "2026-05-04", ("GBP", 50000 + n * 10), None))
    # interleave so hires are spread over the pages
    apps.sort(key=lambda a: (a["createdAt"], a["id"]))
    data = {"applications": apps, "candidates": cands, "offers": offs, "jobs": jobs(),
            "jobPostings": job_postings(), "departments": departments(), "locations": locations(),
            "users": users(), "customFields": custom_fields(), "apiKeys": API_KEYS}
    return data, files


def generate(n, seed=1):
    """A synthetic organisation of `n` hires (and as many non-hired applications).

    Returns (collections dict, files list with content_b64) as the emulator wants.
    """
    rnd = random.Random(seed)
    apps, cands, offs, files = [], [], [], []
    joblist = [j[0] for j in JOBS]
    pdf_cache = {}
    for i in range(1, 2 * n + 1):
        hired = i <= n
        name = "%s %s %s" % (rnd.choice(FIRST), rnd.choice(FIRST), rnd.choice(LAST)) if i % 5 == 0 \
            else "%s %s" % (rnd.choice(FIRST), rnd.choice(LAST))
        email = "cand%07d@example.org" % i
        c = candidate(i, name, email, "+44 7700 %06d" % i)
        cands.append(c)
        job = joblist[i % len(joblist)]
        status = "Hired" if hired else ("Archived" if i % 2 else "Active")
        apps.append(application(i, c, job, status, ["grace", "alan", "ada", None][i % 4],
                                "2025-12-01T10:00:00.000Z", "2026-01-10T10:00:00.000Z"))
        if hired:
            h = "hdl_gen_%07d" % i
            fname = "Offer Letter %07d (signed).pdf" % i
            offs.append(offer(i, i, "Accepted", "2026-03-02",
                              (["GBP", "EUR", "USD"][i % 3], 50000 + (i % 50) * 1000), [(fname, h)]))
            key = i % 16
            if key not in pdf_cache:
                pdf_cache[key] = base64.b64encode(make_pdf("Synthetic offer letter %d" % key)).decode()
            files.append({"handle": h, "name": fname, "content_b64": pdf_cache[key]})
    data = {"applications": apps, "candidates": cands, "offers": offs, "jobs": jobs(),
            "jobPostings": job_postings(), "departments": departments(), "locations": locations(),
            "users": users(), "customFields": custom_fields(), "apiKeys": API_KEYS}
    return data, files


def dump(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, ensure_ascii=False, sort_keys=True)
        f.write("\n")


def write_org(directory, data, files):
    from ashby_emulator import COLLECTIONS  # noqa: E402 (same directory)
    os.makedirs(os.path.join(directory, "files"), exist_ok=True)
    for name, fname in COLLECTIONS.items():
        if name != "files":
            dump(os.path.join(directory, fname), data.get(name, []))
    index = []
    if isinstance(files, dict):
        for h in sorted(files):
            fname, content = files[h]
            rel = "files/%s.pdf" % h
            with open(os.path.join(directory, rel), "wb") as f:
                f.write(content)
            index.append({"handle": h, "name": fname, "path": rel})
    else:
        index = files
    dump(os.path.join(directory, "files.json"), index)


def main(argv):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    if len(argv) == 3 and argv[1] == "--demo":
        data, files = demo()
        write_org(argv[2], data, files)
    elif len(argv) == 3 and argv[1].isdigit():
        data, files = generate(int(argv[1]))
        write_org(argv[2], data, files)
    else:
        sys.stderr.write("usage: gen_org.py --demo DIR | gen_org.py N DIR\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
