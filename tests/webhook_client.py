#!/usr/bin/env python3
"""A small Ashby webhook sender for tests/serve.sh (Python 3 standard library only).

    webhook_client.py URL send ACTION APP_ID [--id WEBHOOK_ACTION_ID] [--sign good|bad|none]
    webhook_client.py URL burst ACTION APP_ID... [--threads 8] [--prefix ID_PREFIX]
    webhook_client.py URL raw [--sign good|bad|none] < BODY      (any body)
    webhook_client.py URL get PATH                                 (prints "STATUS BODY")
    webhook_client.py URL method METHOD PATH                       (prints the status)

The signature is ``Ashby-Signature: sha256=<hex HMAC-SHA256(secret, body)>``; the
secret is read from $ASHBY_WEBHOOK_SECRET (never from the command line). ``send`` and
``raw`` print the HTTP status; ``burst`` sends one delivery per application from
THREADS threads at once and prints the statuses, one per line, sorted.
"""

import argparse
import hashlib
import hmac
import json
import os
import sys
import threading
import urllib.error
import urllib.request


def post(url, body, sign):
    headers = {"Content-Type": "application/json"}
    secret = os.environ.get("ASHBY_WEBHOOK_SECRET", "").encode()
    if sign == "good":
        headers["Ashby-Signature"] = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    elif sign == "bad":
        headers["Ashby-Signature"] = "sha256=" + hmac.new(b"not-the-secret", body,
                                                          hashlib.sha256).hexdigest()
    req = urllib.request.Request(url + "/ashby/webhook", data=body, headers=headers,
                                 method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def delivery(action, app, action_id):
    data = {"application": {"id": app, "status": "Hired" if action == "candidateHire" else "Active"}}
    if action == "offerUpdate":
        data = {"offer": {"id": "offer-" + app, "applicationId": app}}
    if action == "candidateMerge":
        data = {"deletedCandidate": {"id": "old-" + app}, "mergedCandidate": {"id": app}}
    return json.dumps({"webhookActionId": action_id, "action": action, "data": data}).encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("mode", choices=["send", "burst", "raw", "get", "method"])
    ap.add_argument("args", nargs="*")
    ap.add_argument("--id")
    ap.add_argument("--sign", default="good", choices=["good", "bad", "none"])
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--prefix", default="burst")
    a = ap.parse_args()
    if a.mode == "send":
        action, app = a.args
        print(post(a.url, delivery(action, app, a.id or "wa-" + app), a.sign))
    elif a.mode == "raw":
        print(post(a.url, sys.stdin.buffer.read(), a.sign))
    elif a.mode == "get":
        try:
            with urllib.request.urlopen(a.url + a.args[0], timeout=10) as r:
                print(r.status, r.read().decode())
        except urllib.error.HTTPError as e:
            print(e.code, e.read().decode())
    elif a.mode == "method":
        req = urllib.request.Request(a.url + a.args[1], method=a.args[0],
                                     data=b"" if a.args[0] in ("POST", "PUT") else None)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                print(r.status)
        except urllib.error.HTTPError as e:
            print(e.code)
    else:
        action, apps = a.args[0], a.args[1:]
        statuses, lock = [], threading.Lock()
        work = list(enumerate(apps))

        def worker():
            while True:
                with lock:
                    if not work:
                        return
                    i, app = work.pop()
                s = post(a.url, delivery(action, app, "%s-%d" % (a.prefix, i)), a.sign)
                with lock:
                    statuses.append(s)

        ts = [threading.Thread(target=worker) for _ in range(a.threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        for s in sorted(statuses):
            print(s)


if __name__ == "__main__":
    main()
