#!/bin/sh
# plan/plan.html end to end (issue 17) on the demo organisation with the emulators:
# `run --dry-run` commits the page beside plan.txt; it names every create, conflict and
# set-aside hire with its reason; a candidate named <img src=x onerror=alert(1)> (and one
# with </style>, <script> and quotes) appears escaped, never as markup; `show RUN
# plan/plan.html` gives the page and `export` bundles it; an unchanged plan leaves it as it
# was. Then, when Debian's chromium is installed, the page in headless Chromium: the
# sections render, no element comes from a value, no console error, and no network request
# (net log: nothing initiated by the page; a control page without the CSP proves the check
# sees a request).
. "$top_srcdir/tests/lib.sh"
if [ "${PYTHON3:-no}" = no ]; then echo "1..0 # SKIP python3 not found"; exit 0; fi

start_emulators
S="$TEST_TMP/s"
a2h init "$S" >/dev/null 2>&1; ok $? "init"
FIX="$top_srcdir/fixtures/demo/ashby"
APP1=a1000000-0000-4000-8000-000000000001
APP2=a1000000-0000-4000-8000-000000000002
"$PYTHON3" - "$FIX" "$APP1" "$APP2" >"$TEST_TMP/ops.json" <<'PY'
import json, sys
fix, app1, app2 = sys.argv[1:]
apps = {a["id"]: a for a in json.load(open(fix + "/applications.json"))}
cands = {c["id"]: c for c in json.load(open(fix + "/candidates.json"))}
names = {app1: "<img src=x onerror=alert(1)>",
         app2: "Zoë \"</style><script>alert(2)</script>' Müller"}
ops = []
for app, name in names.items():
    cid = apps[app]["candidate"]["id"]
    ops.append({"collection": "applications", "id": app, "set": {"candidate.name": name}})
    c = json.loads(json.dumps(cands[cid]))
    c["name"] = name
    for f in c.get("customFields", []):
        if f.get("title") == "Legal name":
            f["value"] = name
    ops.append({"collection": "candidates", "record": c})
print(json.dumps({"ops": ops}))
PY
emulator_ctl "$ASHBY_URL" mutate "$(cat "$TEST_TMP/ops.json")" >/dev/null; ok $? "hostile names set in Ashby"

a2h -C "$S" run --dry-run >/dev/null 2>"$TEST_TMP/err"
is $? 3 "run --dry-run (hires set aside: exit 3)"
PAGE="$S/plan/plan.html"
run_id=$(git -C "$S" tag -l 'run/*' | sort | tail -1 | sed 's|run/||')
plan_commit=$(git -C "$S" log -1 --format=%H --grep='^Stage: plan$')
git -C "$S" cat-file -e "$plan_commit:plan/plan.html"; ok $? "the plan commit holds plan/plan.html"
git -C "$S" show "$plan_commit:plan/plan.html" | cmp -s - "$PAGE"; ok $? "as in the work tree"

# Every operation and reject of plan.json is on the page, with its reason.
"$PYTHON3" - "$S/plan/plan.json" "$PAGE" <<'PY'
import html, json, sys
plan = json.load(open(sys.argv[1]))
page = open(sys.argv[2], encoding="utf-8").read()
kinds = {}
for op in plan["operations"]:
    kinds[op["action"]] = kinds.get(op["action"], 0) + 1
    assert 'id="hire-%s"' % op["id"] in page, op["id"]
    if op.get("reason"):
        assert html.escape(op["reason"], quote=True).replace("&#x27;", "&#39;") in page, op["reason"]
for r in plan["rejects"]:
    assert 'id="hire-%s"' % r["id"] in page, r["id"]
    assert html.escape(r["reason"], quote=True).replace("&#x27;", "&#39;") in page, r["reason"]
    assert "%s,%s," % (r["id"], r["fields"].split(";")[0]) in page, r
assert kinds.get("create", 0) >= 20 and kinds.get("conflict") == 1, kinds
assert "<h2>Creates (%d)</h2>" % kinds["create"] in page
assert "<h2>Set aside (%d)</h2>" % len(plan["rejects"]) in page
assert plan["basis"]["extractCommit"] in page and plan["basis"]["pipelineSha256"] in page
PY
ok $? "every create, conflict and set-aside hire is named, with its reason and fix"
grep -q "<h1>Plan of run $run_id</h1>" "$PAGE"; ok $? "the header names the run"
! grep -q '<img\|<script' "$PAGE"; ok $? "no <img or <script in the page"
grep -q '&lt;img src=x onerror=alert(1)&gt;' "$PAGE"; ok $? "the hostile name is shown escaped"
grep -q 'Zoë &quot;&lt;/style&gt;&lt;script&gt;alert(2)&lt;/script&gt;&#39; Müller' "$PAGE"
ok $? "</style>, <script> and quotes too"
is "$(grep -c '</style>' "$PAGE")" 1 "one style element"

a2h -C "$S" show "$run_id" plan/plan.html >"$TEST_TMP/shown" 2>/dev/null
ok $? "show RUN plan/plan.html"
cmp -s "$TEST_TMP/shown" "$PAGE"; ok $? "gives the page"
a2h -C "$S" export "$run_id" -o "$TEST_TMP/b.tar.gz" >/dev/null 2>&1; ok $? "export"
tar -tzf "$TEST_TMP/b.tar.gz" | grep -q 'plan/plan.html$'; ok $? "the bundle holds plan/plan.html"

before=$(git -C "$S" log --format=%H -- plan/plan.html | wc -l)
a2h -C "$S" run --dry-run >/dev/null 2>&1
is $? 3 "the same night again"
is "$(git -C "$S" log --format=%H -- plan/plan.html | wc -l)" "$before" \
	"an unchanged plan leaves the page as it was (no commit)"

# ---- headless Chromium
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	for d in "renders the sections" "no element made from a value" "no external URL in the DOM" \
		"no console error" "no request initiated by the page" "the check sees a request" \
		"a screenshot"; do
		tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP chromium not installed: $d"
	done
	done_testing
	exit 0
fi
chrome() { # chrome PROFILE ARGS... URL: one headless load, nothing resolvable
	prof=$1; shift
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--disable-extensions --host-resolver-rules="MAP * ~NOTFOUND" \
		--user-data-dir="$TEST_TMP/$prof" "$@"
}
cp "$PAGE" "$TEST_TMP/page.html"
chrome p1 --enable-logging=stderr --v=0 --log-net-log="$TEST_TMP/net.json" --dump-dom \
	"file://$TEST_TMP/page.html" >"$TEST_TMP/dom.html" 2>"$TEST_TMP/chrome.err"
"$PYTHON3" - "$TEST_TMP/dom.html" <<'PY'
import sys
dom = open(sys.argv[1], encoding="utf-8").read()
for s in ("conflicts", "left-hired", "set-aside", "creates", "changes", "forgotten", "warnings"):
    assert '<section id="%s">' % s in dom, s
assert "Conflicts and failures" in dom and "Creates (" in dom
PY
ok $? "renders the sections"
! grep -qi '<img\|<script\|<iframe\|<object\|<link' "$TEST_TMP/dom.html" &&
	grep -q '&lt;img src=x onerror=alert(1)&gt;' "$TEST_TMP/dom.html"
ok $? "no element made from a value (the name is text)"
! grep -Eqi '(src|href|action)="?(https?:|//|file:)' "$TEST_TMP/dom.html"
ok $? "no external URL in the DOM"
! grep -Ei 'CONSOLE|Refused to|Content Security Policy' "$TEST_TMP/chrome.err" | grep -q .
ok $? "no console error (nor a CSP report)"
page_requests() { "$PYTHON3" - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
names = {v: k for k, v in d["constants"]["logEventTypes"].items()}
n = 0
for e in d["events"]:
    p = e.get("params") or {}
    # the browser's own background fetches have no origin; the page's have one ("null" for file:)
    if (names.get(e["type"]) == "URL_REQUEST_START_JOB" and p.get("url")
            and p.get("initiator") != "not an origin"):
        print(p.get("initiator"), p.get("url"), file=sys.stderr)
        n += 1
print(n)
PY
}
is "$(page_requests "$TEST_TMP/net.json" 2>/dev/null)" 0 "no request initiated by the page"
printf '<!DOCTYPE html><title>control</title><img src="http://canary.invalid/x.png">\n' \
	>"$TEST_TMP/control.html"
chrome p2 --log-net-log="$TEST_TMP/net2.json" --dump-dom "file://$TEST_TMP/control.html" \
	>/dev/null 2>&1
n=$(page_requests "$TEST_TMP/net2.json" 2>/dev/null)
[ "${n:-0}" -ge 1 ]; ok $? "the check sees a request (a control page without the CSP)"
chrome p3 --window-size=1100,1600 --screenshot="$TEST_TMP/shot.png" \
	"file://$TEST_TMP/page.html" >/dev/null 2>&1
head -c 8 "$TEST_TMP/shot.png" 2>/dev/null | od -An -c | grep -q 'P   N   G' &&
	[ "$(wc -c <"$TEST_TMP/shot.png")" -gt 20000 ]
ok $? "a screenshot"

done_testing
