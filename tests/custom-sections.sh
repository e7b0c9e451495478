#!/bin/sh
# Custom fields in every Humaans section: a pipeline mapping Ashby custom fields to Humaans
# custom fields in the personal, basics and compensation sections (the sections are Humaans'
# own, read from /custom-fields) creates every value, typed, in the Humaans emulator. The demo
# seed is copied and given the extra fields, so the demo's own outputs stay as they are.
. "$top_srcdir/tests/lib.sh"
if [ "${PYTHON3:-no}" = no ]; then echo "1..0 # SKIP python3 not found"; exit 0; fi

mkdir -p "$TEST_TMP/hseed"
cp -R "$top_srcdir/fixtures/demo/humaans/." "$TEST_TMP/hseed/"
"$PYTHON3" - "$TEST_TMP/hseed/seed.json" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
def field(i, name, section, typ, choices=None):
    d["customFields"].append({"id": "cfd-t-%d" % i, "name": name, "section": section, "type": typ,
                              "config": {"choices": choices} if choices else {},
                              "createdAt": "2020-01-01T09:00:00.000Z",
                              "updatedAt": "2020-01-01T09:00:00.000Z"})
field(1, "Years of experience", "personal", "number")
field(2, "Available from", "personal", "date")
field(3, "Languages", "personal", "multiSelect",
      ["English", "German", "Portuguese", "Spanish", "Polish", "French"])
field(4, "Relocation needed", "basics", "boolean")
field(5, "Equity options", "compensation", "number")
field(6, "Sign-on bonus", "compensation", "text")
field(7, "Probation end", "compensation", "date")
json.dump(d, open(p, "w"), indent=2)
PY
ok $? "a Humaans seed with custom fields in the personal, basics and compensation sections"

HUMAANS_SEED="$TEST_TMP/hseed" start_emulators
S="$TEST_TMP/s"
a2h -q init "$S" >/dev/null 2>&1; ok $? "init"
"$PYTHON3" - "$S/pipeline.json" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
def m(obj, title, target, typ, section=None):
    to = {"customField": target}
    if section:
        to["section"] = section
    return {"from": {"object": obj, "title": title}, "to": to, "type": typ}
d["customFields"] = [
    m("Candidate", "Years of experience", "Years of experience", "number", "personal"),
    m("Candidate", "Available from", "Available from", "date", "personal"),
    m("Candidate", "Languages", "Languages", "multiSelect"),  # no section named: Humaans' rules
    m("Candidate", "Relocation needed", "Relocation needed", "boolean", "basics"),
    m("Candidate", "T-shirt size", "T-shirt size", "select", "basics"),
    m("Offer", "Equity options", "Equity options", "number", "compensation"),
    m("Offer", "Signing bonus", "Sign-on bonus", "currency", "compensation"),
    m("Offer", "Probation end", "Probation end", "date", "compensation"),
]
json.dump(d, open(p, "w"), indent=2)
PY
git -C "$S" commit -qam "map custom fields" >/dev/null 2>&1

a2h -C "$S" check >"$TEST_TMP/check.out" 2>&1; is $? 0 "check passes the mapping"
is "$(grep -c "^  ok       Humaans custom field" "$TEST_TMP/check.out")" 8 \
	"every mapped custom field is found in Humaans with a type that takes its value"
grep -q "^  ok       Humaans custom field 'Years of experience' (personal, number)" \
	"$TEST_TMP/check.out"; ok $? "a personal field is named with Humaans' own section"

a2h -q -C "$S" extract >/dev/null 2>&1; ok $? "extract"
a2h -q -C "$S" transform >/dev/null 2>&1; is $? 3 "transform (exit 3: the demo sets hires aside)"
a2h -q -C "$S" plan >/dev/null 2>&1; ok $? "plan"
a2h -q -C "$S" apply >/dev/null 2>&1; is $? 3 "apply (exit 3: the demo sets hires aside)"

# v PERSON_EMAIL: the person's custom values as {field name: value} (JSON, sorted).
v() {
	"$PYTHON3" -c '
import json, sys, urllib.request
S = json.load(urllib.request.urlopen(sys.argv[1] + "/_emulator/state"))
def recs(k):
    x = S[k]
    return list(x.values()) if isinstance(x, dict) else x
names = {f["id"]: f["name"] for f in recs("customFields")}
pid = [p["id"] for p in recs("people") if (p.get("personalEmail") or "").lower() == sys.argv[2]]
out = {names[c["customFieldId"]]: c["value"] for c in recs("customValues") if pid and c["personId"] == pid[0]}
print(json.dumps(out, sort_keys=True))' "$HUMAANS_URL" "$1"
}
email() {
	"$PYTHON3" -c '
import json, sys
T = json.load(open(sys.argv[1] + "/transform/new_hires.json"))
print([h["person"]["personalEmail"].lower() for h in T if h["id"] == sys.argv[2]][0])' "$S" "$1"
}
OLIVIA=$(email a1000000-0000-4000-8000-000000000001)
MEI=$(email a1000000-0000-4000-8000-000000000020)
is "$(v "$OLIVIA")" '{"Available from": "2026-02-15", "Equity options": 1200, "Languages": ["English", "German"], "Probation end": "2026-09-01", "Relocation needed": true, "Sign-on bonus": "5000 GBP", "T-shirt size": "M", "Years of experience": 7}' \
	"Olivia: every value created, typed (numbers, dates, booleans, choices, text)"
is "$(v "$MEI")" '{"Available from": "2026-02-15", "Equity options": 1200, "Languages": ["English", "Portuguese"], "Probation end": "2026-09-01", "Relocation needed": false, "Sign-on bonus": "5000 GBP", "T-shirt size": "M", "Years of experience": 4.5}' \
	"Mei: every value created, typed (a real stays a real, false stays false)"
a2h -q -C "$S" plan --detailed-exitcode >/dev/null 2>&1; is $? 0 "a second plan has nothing to change"
done_testing
