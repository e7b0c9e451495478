#!/usr/bin/env python3
"""Turn the demo Ashby organisation (fixtures/demo/ashby/) into the extract/
snapshot that `extract` would stage for it, for the transform golden test.

    demo-extract.py SRC_DIR OUT_DIR

Writes OUT_DIR/<name>.json for applications (Hired only), candidates, offers
(all offers of those applications), jobs, departments, locations, users,
custom_fields (not archived) and state.json (the offer letter of each hire:
the .pdf of the accepted offer, a name containing "signed" preferred, with
the SHA-256 of its bytes). Arrays are sorted by id, keys sorted, 2-space
indent, final newline. Standard library only; deterministic.
"""
import hashlib
import json
import os
import re
import sys


def load(src, name):
    with open(os.path.join(src, name + ".json"), encoding="utf-8") as f:
        return json.load(f)


def dump(out, name, value):
    if isinstance(value, list):
        value = sorted(value, key=lambda r: r.get("id", ""))
    with open(os.path.join(out, name + ".json"), "w", encoding="utf-8") as f:
        f.write(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def safe_name(name):
    base = name[:-4] if name.lower().endswith(".pdf") else name
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("._") or "offer"
    return base + ".pdf"


def main(src, out):
    os.makedirs(out, exist_ok=True)
    apps = [a for a in load(src, "applications") if a.get("status") == "Hired"]
    app_ids = {a["id"] for a in apps}
    cand_ids = {a["candidate"]["id"] for a in apps}
    job_ids = {a["job"]["id"] for a in apps}
    offers = [o for o in load(src, "offers") if o.get("applicationId") in app_ids]
    files = {f["handle"]: f for f in load(src, "files")}

    state = {"files": {}, "syncTokens": {}}
    for a in apps:
        accepted = [o for o in offers
                    if o["applicationId"] == a["id"] and o.get("acceptanceStatus") == "Accepted"]
        accepted.sort(key=lambda o: (o.get("decidedAt") or "", o["id"]))
        if not accepted:
            continue
        handles = [h for h in (accepted[-1].get("latestVersion") or {}).get("fileHandles") or []
                   if h.get("name", "").lower().endswith(".pdf")]
        signed = [h for h in handles if "signed" in h["name"].lower() and "unsigned" not in h["name"].lower()]
        chosen = (signed or handles or [None])[0]
        if not chosen or chosen["handle"] not in files:
            continue
        with open(os.path.join(src, files[chosen["handle"]]["path"]), "rb") as f:
            data = f.read()
        state["files"][a["id"]] = {
            "handle": chosen["handle"],
            "name": chosen["name"],
            "path": "extract/files/%s/%s" % (a["id"], safe_name(chosen["name"])),
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
        }

    dump(out, "applications", apps)
    dump(out, "candidates", [c for c in load(src, "candidates") if c["id"] in cand_ids])
    dump(out, "offers", offers)
    dump(out, "jobs", [j for j in load(src, "jobs") if j["id"] in job_ids])
    dump(out, "departments", load(src, "departments"))
    dump(out, "locations", load(src, "locations"))
    dump(out, "users", load(src, "users"))
    dump(out, "custom_fields", [c for c in load(src, "custom_fields") if not c.get("isArchived")])
    dump(out, "state", state)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: demo-extract.py SRC_DIR OUT_DIR")
    main(sys.argv[1], sys.argv[2])
