#!/usr/bin/env python3
"""make bench: request economy, parallelism, memory, every kind of night, serve, forget,
--jobs auto, and a soak (Python 3 standard library only).

    bench.py --binary build/ashby2humaans --srcdir . [--csv bench-results.csv] [--workdir DIR]

For every size N (BENCH_SIZES, default "100 1000 10000") it starts both emulators on loopback
(tests/ashby_emulator.py --generate N, tests/humaans_emulator.py seeded with fixtures/demo/humaans,
whose managers, locations, compensation and document types the generated organisation refers
to), injects a fixed latency on every request (BENCH_LATENCY_MS, default 50), and measures, in
this order on one staging repo:

  backfill   `ashby2humaans run` on a fresh staging repo (the nightly entry point, apply
             included; when `run` is not built yet, extract, transform, plan and apply in turn,
             and whatever of those is built)
  night      a second `run` with nothing changed in Ashby or Humaans
  change     BENCH_CHANGE_PCT (10) % of the hires change in Ashby through the emulator's control
             calls (tests/ashby_edits.py), spread evenly, hire 1 apart: in turn a candidate-only
             phone edit, a candidate-only email edit, a re-signed offer letter (offer-resign), a
             start date moved (offer-edit); BENCH_LEAVE_PCT (1) % of all hires leave Hired
             instead (application-status Archived). Then `run`. Reported: Humaans requests per
             changed field write (the plan's plan/changes.csv rows of action `change`), the
             credentials check (/me, /token-info), the reference lists and the pages of the one
             paged read of GET /people apart; and every Humaans request that names a Humaans id
             (load/ledger.json) of a hire that did not change, in its path, query (a personId
             $in list) or body
  apply      `apply` again on the settled plan
  forget     the repo brought to BENCH_FORGET_RUNS (30) runs of `run` (made with the emulators'
             latency at 0, not measured): up to BENCH_FORGET_EDIT_MAX (1000) hires each after
             one hire's phone changed in Ashby, so each adds commits; above, unchanged nights
             (a run tag each, no commit: a night that plans even one change costs some 40 s at
             10,000 hires today); then `ashby2humaans forget <hire 1> --reason bench`
  serve      `ashby2humaans serve --listen 127.0.0.1:0` with ASHBY_WEBHOOK_SECRET set (a fresh
             random one), BENCH_SERVE_DELIVERIES (1000) applicationUpdate deliveries naming hires
             2..N in turn, signed as tests/webhook_client.py signs them, from BENCH_SERVE_THREADS
             (16) client threads; deliveries per second accepted, the slowest answer, and none
             lost: once inbox/ is empty (BENCH_SERVE_DRAIN_S, 900, at most), every delivery id
             must be in inbox/done/ or on a `Delivery:` line of a run tag; then SIGTERM
  ratio      the same backfill with --jobs 1 on a fresh repo and a reset Humaans, for the
             speed-up of the default --jobs (sizes in BENCH_RATIO_SIZES, default "100";
             at 10,000 hires and 50 ms a serial backfill alone would take over an hour)

Then, once (mode auto; "not measured" while the binary's `run --help` names no `--jobs auto` or
neither emulator takes the limit flag): fresh backfills at BENCH_AUTO_SIZE (1000) hires with both
emulators at --max-inflight BENCH_AUTO_INFLIGHT (16), `--jobs auto` against `--jobs 4`; at
BENCH_AUTO_RPS_SIZE (BENCH_AUTO_SIZE) hires at --max-rps BENCH_AUTO_RPS (5), `--jobs auto`: the
share of requests answered 429, and that it finishes; at BENCH_AUTO_SMALL (100) hires without
limits, `--jobs auto` against `--jobs 1`.

Every mode reports requests per API (counted from the emulators' request logs, downloads
included), wall time with a monotonic clock, the ratio to the floor (requests x latency /
concurrency, per API; the concurrency is the run tag's Jobs-Reached-Ashby / Jobs-Reached-Humaans
when present, else the --jobs level: BENCH_JOBS_DEFAULT, 4, without --jobs), CPU time of the
tool from wait4(), its peak RSS through GNU time (/usr/bin/time, Debian package `time`; wait4()
would add the resident set of the forked Python to it) or, without it, wait4().

Then the soak (BENCH_SOAK hires, default 1000; 0 skips it): the same set-up with 5% of all
requests failing at random on both APIs (BENCH_SOAK_RATE: 429, 503, connections dropped before
and, on Humaans, after a write was carried out), `run` repeated as an operator would until it
exits 0 (at most BENCH_SOAK_RUNS times, default 6; when a run ends saying "run 'apply' again",
`apply` first, as it advises, unless BENCH_SOAK_OPERATOR=run), then GET /_emulator/state must hold every
hire of transform/new_hires.json exactly once with the right fields, and nothing else new.

BENCH_MODES selects modes (words, default all): backfill (always run when a per-size mode is
selected: it is their set-up), night, change, apply, forget, serve, ratio, auto, soak. E.g.
BENCH_MODES="change serve" BENCH_SIZES=100 for a short run.

The tables go to stdout and the CSV file. Exit status: 1 when a tool invocation failed in a
way the benchmark cannot measure, or the soak found a violation; 0 otherwise (targets missed
are reported, not fatal, unless BENCH_STRICT=1).
"""

import argparse
import csv
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

TARGETS = {
    "ashby_per_hire": 2.1,         # Ashby API calls per hire in a backfill (downloads apart)
    "humaans_per_created": 4.05,   # Humaans requests per created hire in a backfill
    "backfill_x_floor": 1.15,      # backfill wall time / (requests x latency / concurrency)
    "night_total": 12,             # requests of an unchanged night, both APIs
    "change_per_field": 1.2,       # change night: Humaans requests per changed field write,
                                   # the credentials check, reference lists and one paged
                                   # read of people apart
    "change_touch_unchanged": 0,   # change night: requests naming a hire that did not change
    "speedup": 2.5,                # default --jobs against --jobs 1 at 50 ms (mode ratio)
    "auto_inflight_speedup": 3.0,  # --jobs auto against --jobs 4, emulators at --max-inflight 16
    "auto_rps_429_pct": 2.0,       # --jobs auto against --max-rps 5: share of requests answered 429
    "auto_small_speedup": 4.0,     # --jobs auto against --jobs 1 at 100 hires
    "serve_slowest_s": 1.0,        # serve burst: slowest answer to a delivery
    "serve_lost": 0,               # serve burst: deliveries neither in inbox/done nor in a run
    "peak_mb_10k": 64.0,           # peak RSS at 10,000 hires, every mode
}

ASHBY_KEY = "demo-key-full"
HUMAANS_TOKEN = "demo-token"
# Peak RSS through GNU time (Debian package `time`) when it is there: see Tool.invoke.
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
# The --jobs level of a run without --jobs (or with --jobs auto and no Jobs-Reached-* tag lines).
JOBS_DEFAULT = int(os.environ.get("BENCH_JOBS_DEFAULT", "4"))


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


def env_list(name, default):
    v = os.environ.get(name)
    if v is None or not v.strip():
        return [int(x) for x in default.split()]
    return [int(x) for x in v.replace(",", " ").split() if int(x) > 0]  # "0": none


class Emulator:
    """One emulator process on 127.0.0.1:<ephemeral>, with its request log file."""

    def __init__(self, name, argv, workdir):
        self.name = name
        self.dir = workdir
        self.port_file = os.path.join(workdir, name + ".port")
        self.log_path = os.path.join(workdir, name + "-requests.jsonl")
        self.err_path = os.path.join(workdir, name + ".stderr")
        for p in (self.port_file, self.log_path):
            if os.path.exists(p):
                os.unlink(p)
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen(argv + ["--port-file", self.port_file,
                                             "--requests", self.log_path],
                                     stdout=self.err, stderr=self.err)
        deadline = time.monotonic() + 120
        while not (os.path.exists(self.port_file) and open(self.port_file).read().strip()):
            if self.proc.poll() is not None:
                raise RuntimeError("%s emulator exited (see %s)" % (name, self.err_path))
            if time.monotonic() > deadline:
                raise RuntimeError("%s emulator did not start" % name)
            time.sleep(0.05)
        self.port = int(open(self.port_file).read().strip())
        self.url = "http://127.0.0.1:%d" % self.port
        self.offset = 0  # bytes of the log already counted

    def control(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + "/_emulator/" + path, data=data,
                                     method="GET" if data is None else "POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=300) as r:
            return json.loads(r.read().decode("utf-8"))

    def new_requests(self):
        """The request-log entries written since the last call."""
        if not os.path.exists(self.log_path):
            return []
        with open(self.log_path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        end = data.rfind(b"\n") + 1
        self.offset += end
        return [json.loads(line) for line in data[:end].splitlines() if line.strip()]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()


class Tool:
    def __init__(self, binary, env, logdir):
        self.binary = binary
        self.env = env
        self.logdir = logdir
        self.n = 0
        self.built = {}

    def invoke(self, staging, args, label, timeout=7200):
        """Run the tool once: (exit status, wall s, cpu s, peak RSS in KiB, stderr path)."""
        self.n += 1
        errp = os.path.join(self.logdir, "%03d-%s.stderr" % (self.n, label))
        rssp = os.path.join(self.logdir, "%03d-%s.rss" % (self.n, label))
        argv = [self.binary] + (["-C", staging] if staging else []) + args
        if GNU_TIME:
            # The child of a forked Python inherits Python's resident set in its
            # ru_maxrss; GNU time forks the tool from a small process instead.
            argv = [GNU_TIME, "-f", "%M", "-o", rssp] + argv
        with open(errp, "w") as err, open(os.devnull, "w") as out:
            t0 = time.monotonic()
            proc = subprocess.Popen(argv, stdout=out, stderr=err, env=self.env)
            deadline = t0 + timeout
            while True:
                pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
                if pid == proc.pid:
                    break
                if time.monotonic() > deadline:
                    proc.kill()
                    pid, status, ru = os.wait4(proc.pid, 0)
                    break
                time.sleep(0.02)
            wall = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") \
            else (os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1)
        cpu = ru.ru_utime + ru.ru_stime
        peak = ru.ru_maxrss
        if GNU_TIME:
            try:
                with open(rssp) as f:
                    peak = int(f.read().split()[-1])
            except (OSError, ValueError, IndexError):
                pass
        if not label.startswith("probe-"):
            log("  %s: exit %d, %.1f s, cpu %.1f s, peak %.1f MB" % (
                " ".join(args), proc.returncode, wall, cpu, peak / 1024.0))
        return proc.returncode, wall, cpu, peak, errp

    def is_built(self, command):
        """Whether `command` is built (a placeholder says 'is not built yet')."""
        if command not in self.built:
            d = tempfile.mkdtemp(prefix="a2h-probe-")
            try:
                rc, _, _, _, errp = self.invoke(os.path.join(d, "none"), [command], "probe-" + command,
                                                timeout=60)
                with open(errp) as f:
                    self.built[command] = "is not built yet" not in f.read()
            finally:
                shutil.rmtree(d, ignore_errors=True)
        return self.built[command]


def tail(path, n=15):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


class Step:
    """The sum of one or more tool invocations: wall, cpu, peak, exit statuses."""

    def __init__(self):
        self.wall = 0.0
        self.cpu = 0.0
        self.peak_kb = 0
        self.statuses = []
        self.errs = []

    def add(self, res):
        rc, wall, cpu, peak, errp = res
        self.wall += wall
        self.cpu += cpu
        self.peak_kb = max(self.peak_kb, peak)
        self.statuses.append(rc)
        self.errs.append(errp)
        return rc

    @property
    def ok(self):
        return all(rc in (0, 3) for rc in self.statuses)


def nightly(tool, staging, extra, label):
    """`run` (or its stages in turn while `run` is not built): a Step."""
    st = Step()
    if tool.is_built("run"):
        st.add(tool.invoke(staging, ["run"] + extra, label))
        return st
    for cmd, opts in (("extract", extra), ("transform", []), ("plan", []), ("apply", extra)):
        if not tool.is_built(cmd):
            continue
        rc = st.add(tool.invoke(staging, [cmd] + opts, "%s-%s" % (label, cmd)))
        if rc not in (0, 3):
            break
    return st


def count_ashby(reqs):
    calls = sum(1 for r in reqs if r.get("endpoint") != "files")
    files = sum(1 for r in reqs if r.get("endpoint") == "files")
    return calls, files


def people_count(humaans):
    return len(humaans.control("state")["people"])


def start_pair(src, workdir, n, latency_ms, ashby_extra=(), humaans_extra=()):
    py = sys.executable
    ashby = Emulator("ashby", [py, os.path.join(src, "tests", "ashby_emulator.py"),
                               "--generate", str(n)] + list(ashby_extra), workdir)
    try:
        humaans = Emulator("humaans", [py, os.path.join(src, "tests", "humaans_emulator.py"),
                                       "--seed", os.path.join(src, "fixtures", "demo", "humaans")]
                           + list(humaans_extra), workdir)
    except Exception:
        ashby.stop()
        raise
    set_latency(ashby, humaans, latency_ms)
    return ashby, humaans


def set_latency(ashby, humaans, latency_ms):
    ashby.control("faults", {"latency_ms": latency_ms, "faults": []})
    humaans.control("faults", {"latency_ms": latency_ms})


def init_staging(tool, path):
    if os.path.exists(path):
        shutil.rmtree(path)
    res = tool.invoke(None, ["init", path], "init")
    if res[0] != 0:
        raise RuntimeError("init failed:\n" + tail(res[4]))


# ---- run tags, the floor, one row per mode ---------------------------------------------------

RUN_ID_RE = re.compile(r"\b(?:run|serve) (\d{8}T\d{6}Z(?:-\d+)?): ")


def git_out(staging, args):
    try:
        return subprocess.run(["git", "-C", staging] + args, capture_output=True, text=True,
                              timeout=300).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def run_tags(staging, errps):
    """The run tags (dicts of their 'Key: value' lines) of the runs the stderr files name."""
    ids = []
    for errp in errps:
        try:
            with open(errp, errors="replace") as f:
                for line in f:
                    m = RUN_ID_RE.search(line)
                    if m and m.group(1) not in ids:
                        ids.append(m.group(1))
        except OSError:
            pass
    tags = []
    for rid in ids:
        d = {}
        for line in git_out(staging, ["tag", "-l", "--format=%(contents)", "run/" + rid]).splitlines():
            if ": " in line:
                k, v = line.split(": ", 1)
                d.setdefault(k.strip(), v.strip())
        if d:
            tags.append(d)
    return tags


def jobs_used(tags, api, default):
    """Concurrency for the floor: the tags' Jobs-Reached-<api> (--jobs auto), else the --jobs value."""
    seen = []
    for t in tags:
        v = t.get("Jobs-Reached-" + api)
        if v:
            try:
                seen.append(int(v.split()[0]))
            except ValueError:
                pass
    return max(seen) if seen else default


def jobs_value(extra):
    """The --jobs level of these options; the default (4) for none or for auto."""
    if "--jobs" in extra:
        v = extra[extra.index("--jobs") + 1]
        if v.isdigit():
            return int(v)
    return JOBS_DEFAULT


def mode_row(mode, n, st, a_reqs, h_reqs, latency_ms, tags, jobs, detail=""):
    """One row of the modes table: requests per API, wall, floor, peak RSS, CPU."""
    a, h = len(a_reqs), len(h_reqs)
    ja, jh = jobs_used(tags, "Ashby", jobs), jobs_used(tags, "Humaans", jobs)
    floor = latency_ms / 1000.0 * (a / float(max(ja, 1)) + h / float(max(jh, 1)))
    return {"mode": mode, "hires": n, "ashby": a, "humaans": h, "jobs": "%d/%d" % (ja, jh),
            "wall_s": st.wall, "floor_s": floor, "x_floor": st.wall / floor if floor > 0 else None,
            "peak_mb": st.peak_kb / 1024.0, "cpu_s": st.cpu, "ok": st.ok,
            "exit": "/".join(str(x) for x in st.statuses), "detail": detail}


def app_id(i):
    return "a1000000-0000-4000-8000-%012d" % i  # tests/gen_org.py's ids


def cand_id(i):
    return "ca000000-0000-4000-8000-%012d" % i


def count_runs(staging):
    """How many runs of `run` the staging repo's run/* tags record."""
    out = git_out(staging, ["for-each-ref", "--format=%(contents)", "refs/tags/run"])
    return sum(1 for line in out.splitlines() if line.strip() == "Command: run")


# ---- mode change: 10% of the hires change in Ashby --------------------------------------------

CHANGE_KINDS = ("phone", "email", "resign", "start")


def change_set(n, pct, leave_pct):
    """[(hire number, kind)]: pct% of the hires spread evenly over 2..n (hire 1 is the one
    forget erases), a quarter each candidate phone, candidate email, re-signed letter, start
    date moved; leave_pct% of all hires leave Hired instead."""
    if n < 2:
        return []
    count = min(n - 1, max(1, int(round(n * pct / 100.0))))
    leave = min(count, int(round(n * leave_pct / 100.0)))
    step = (n - 1) / float(count)
    nums = sorted({2 + int(k * step) for k in range(count)})
    every = len(nums) // leave if leave else 0
    out, j, left = [], 0, 0
    for k, i in enumerate(nums):
        if every and k % every == every - 1 and left < leave:
            out.append((i, "leave"))
            left += 1
        else:
            out.append((i, CHANGE_KINDS[j % len(CHANGE_KINDS)]))
            j += 1
    return out


def make_edits(ashby, edits):
    """The edits through the emulator's control calls (tests/ashby_edits.py)."""
    for i, kind in edits:
        if kind == "phone":
            ashby.control("candidate-edit", {"id": cand_id(i), "phone": "+44 7711 %06d" % i})
        elif kind == "email":
            ashby.control("candidate-edit", {"id": cand_id(i),
                                             "email": "cand%07d.moved@example.org" % i})
        elif kind == "resign":
            ashby.control("offer-resign", {"applicationId": app_id(i)})
        elif kind == "start":
            ashby.control("offer-edit", {"applicationId": app_id(i), "startDate": "2026-04-06"})
        elif kind == "leave":
            ashby.control("application-status", {"applicationId": app_id(i), "status": "Archived"})


def changed_fields(staging):
    """The changed field writes of the committed plan: plan/changes.csv rows of action change."""
    path = os.path.join(staging, "plan", "changes.csv")
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return sum(1 for r in csv.DictReader(f) if r.get("action") == "change")
    except OSError:
        return None


def humaans_split(reqs):
    """(fixed, people pages, the rest): fixed are the credentials check (/me, /token-info)
    and the reference lists (a GET of a collection other than people, no personId filter);
    people pages are the paged read of GET /people; the rest are the per-person reads and
    the writes."""
    fixed = pages = rest = 0
    for r in reqs:
        parts = r.get("path", "").split("?")[0].rstrip("/").split("/")  # '', 'api', coll, id
        coll = parts[2] if len(parts) > 2 else ""
        q = r.get("query") or {}
        per_person = any("personId" in k or k in ("id", "personalEmail") for k in q)
        if r.get("method") == "GET" and len(parts) == 3 and not per_person:
            if coll == "people":
                pages += 1
            else:
                fixed += 1
        elif r.get("method") == "GET" and coll in ("me", "token-info"):
            fixed += 1
        else:
            rest += 1
    return fixed, pages, rest


def ledger_ids(staging):
    """Humaans id -> application id, from load/ledger.json (personId, compensationIds, ...)."""
    try:
        with open(os.path.join(staging, "load", "ledger.json"), encoding="utf-8") as f:
            led = json.load(f)
    except (OSError, ValueError):
        return {}
    ids = {}
    for app, en in led.items():
        if not isinstance(en, dict):
            continue
        for k, v in en.items():
            if k == "planRunId":
                continue
            if k.endswith("Id") and isinstance(v, str):
                ids[v] = app
            elif k.endswith("Ids") and isinstance(v, list):
                for x in v:
                    if isinstance(x, str):
                        ids[x] = app
    return ids


def request_tokens(r):
    toks = set(r.get("path", "").split("?")[0].split("/"))
    for vs in (r.get("query") or {}).values():
        toks.update(v for v in (vs if isinstance(vs, list) else [vs]) if isinstance(v, str))
    stack = [r.get("body")]
    while stack:
        b = stack.pop()
        if isinstance(b, str):
            toks.add(b)
        elif isinstance(b, dict):
            stack.extend(b.values())
        elif isinstance(b, list):
            stack.extend(b)
    return toks


def touches(h_reqs, id2app, changed_apps):
    """(reads, writes, hires): requests naming a Humaans id of a hire that did not change
    (in the path, the query, e.g. a personId $in list, or the body)."""
    reads = writes = 0
    hires = set()
    for r in h_reqs:
        hit = {id2app[t] for t in request_tokens(r) if t in id2app} - changed_apps
        if hit:
            hires |= hit
            if r.get("method") == "GET":
                reads += 1
            else:
                writes += 1
    return reads, writes, hires


def change_night(tool, s, n, ashby, humaans, latency_ms, row, modes_out):
    pct = float(os.environ.get("BENCH_CHANGE_PCT", "10"))
    leave_pct = float(os.environ.get("BENCH_LEAVE_PCT", "1"))
    edits = change_set(n, pct, leave_pct)
    kinds = {}
    for _, k in edits:
        kinds[k] = kinds.get(k, 0) + 1
    log("%d hires: change night: %s" % (n, ", ".join("%d %s" % (v, k) for k, v in
                                                      sorted(kinds.items()))))
    make_edits(ashby, edits)
    ashby.new_requests()
    humaans.new_requests()
    st = nightly(tool, s, [], "change")
    a = ashby.new_requests()
    h = humaans.new_requests()
    fields = changed_fields(s)
    fixed, pages, rest = humaans_split(h)
    changed_apps = {app_id(i) for i, _ in edits}
    reads, writes, hires = touches(h, ledger_ids(s), changed_apps)
    per_field = rest / float(fields) if fields else None
    detail = ("%d hires changed (%d leave Hired), %d field writes; humaans %d fixed + %d people "
              "pages + %d other = %s/field; %d requests (%d writes) name %d unchanged hires"
              % (len(edits), kinds.get("leave", 0), fields or 0, fixed, pages, rest,
                 fmt(per_field), reads + writes, writes, len(hires)))
    log("%d hires: change night %.1f s, exit %s: %s" % (n, st.wall, st.statuses, detail))
    if not st.ok:
        log("change night failed; last lines of %s:\n%s" % (st.errs[-1], tail(st.errs[-1])))
    row.update({"change_ok": st.ok, "change_hires": len(edits), "change_fields": fields,
                "change_humaans": len(h), "change_ashby": len(a), "change_pages": pages,
                "change_per_field": per_field, "change_touch": reads + writes,
                "change_touch_writes": writes, "change_touch_hires": len(hires),
                "change_wall_s": st.wall, "change_peak_mb": st.peak_kb / 1024.0})
    modes_out.append(mode_row("change", n, st, a, h, latency_ms, run_tags(s, st.errs),
                              JOBS_DEFAULT, detail))
    return st.ok


def apply_rerun(tool, s, n, ashby, humaans, latency_ms, row, modes_out):
    log("%d hires: apply again on the settled plan" % n)
    ashby.new_requests()
    humaans.new_requests()
    st = Step()
    st.add(tool.invoke(s, ["apply"], "apply-again"))
    a = ashby.new_requests()
    h = humaans.new_requests()
    row.update({"apply_ok": st.ok, "apply_requests": len(a) + len(h), "apply_wall_s": st.wall,
                "apply_peak_mb": st.peak_kb / 1024.0})
    log("%d hires: apply again %.1f s, exit %s, ashby %d, humaans %d"
        % (n, st.wall, st.statuses, len(a), len(h)))
    modes_out.append(mode_row("apply again", n, st, a, h, latency_ms, run_tags(s, st.errs),
                              JOBS_DEFAULT, "settled plan applied again"))
    return st.ok


def forget_one(tool, s, n, ashby, humaans, latency_ms, row, modes_out):
    """Bring the repo to BENCH_FORGET_RUNS runs of `run`, the emulators without latency while
    they are made, then forget hire 1. Up to BENCH_FORGET_EDIT_MAX (1000) hires one hire's
    phone changes in Ashby before each of those runs, so each adds commits; above it (a run
    that plans one change reads every ledger-known person's records: some 4 s a run at 1,000
    hires, ten times that at 10,000) they are unchanged nights, which add a run tag each and
    no commit."""
    want = int(os.environ.get("BENCH_FORGET_RUNS", "30"))
    edit = n <= int(os.environ.get("BENCH_FORGET_EDIT_MAX", "1000"))
    have = count_runs(s)
    t0 = time.monotonic()
    if have < want and n >= 2:
        log("%d hires: forget: %d runs so far, making %d more (%s, no latency)"
            % (n, have, want - have, "one phone edit each" if edit else "unchanged nights"))
        set_latency(ashby, humaans, 0)
        for k in range(want - have):
            i = 2 + (k * 7919) % (n - 1)
            if edit:
                ashby.control("candidate-edit", {"id": cand_id(i),
                                                 "phone": "+44 7722 %06d" % (k + 1)})
            st = nightly(tool, s, [], "history-%02d" % (k + 1))
            if not st.ok:
                log("a history run failed:\n%s" % tail(st.errs[-1]))
                break
        set_latency(ashby, humaans, latency_ms)
    ashby.new_requests()
    humaans.new_requests()
    runs = count_runs(s)
    commits = git_out(s, ["rev-list", "--count", "HEAD"]).strip()
    log("%d hires: forget %s in a repo of %d runs, %s commits (made in %.0f s)"
        % (n, app_id(1), runs, commits, time.monotonic() - t0))
    st = Step()
    st.add(tool.invoke(s, ["forget", app_id(1), "--reason", "bench"], "forget"))
    a = ashby.new_requests()
    h = humaans.new_requests()
    ok = st.ok and st.statuses == [0]
    if not ok:
        log("forget failed; last lines of %s:\n%s" % (st.errs[-1], tail(st.errs[-1])))
    row.update({"forget_ok": ok, "forget_runs": runs, "forget_wall_s": st.wall,
                "forget_peak_mb": st.peak_kb / 1024.0, "forget_cpu_s": st.cpu})
    modes_out.append(mode_row("forget", n, st, a, h, latency_ms, [], JOBS_DEFAULT,
                              "1 hire, %d runs (%s), %s commits" % (
                                  runs, "an edit before each" if edit else "unchanged nights",
                                  commits)))
    return ok


# ---- mode serve: a burst of signed webhook deliveries ------------------------------------------

def child_pid(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            kids = f.read().split()
        return int(kids[0]) if kids else None
    except (OSError, ValueError):
        return None


def wait_rusage(proc, timeout):
    deadline = time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            return status, ru
        if time.monotonic() > deadline:
            proc.kill()
            pid, status, ru = os.wait4(proc.pid, 0)
            return status, ru
        time.sleep(0.02)


def inbox_pending(s):
    d = os.path.join(s, "inbox")
    try:
        return sum(1 for x in os.listdir(d) if x.endswith(".json"))
    except OSError:
        return 0


def serve_burst(tool, src, s, n, ashby, humaans, latency_ms, row, modes_out):
    total = int(os.environ.get("BENCH_SERVE_DELIVERIES", "1000"))
    threads = int(os.environ.get("BENCH_SERVE_THREADS", "16"))
    sys.path.insert(0, os.path.join(src, "tests"))
    import webhook_client  # the deliveries' bodies, as tests/serve.sh sends them
    secret = "bench-" + hashlib.sha256(os.urandom(16)).hexdigest()[:32]
    env = dict(tool.env)
    env["ASHBY_WEBHOOK_SECRET"] = secret
    tool.n += 1
    errp = os.path.join(tool.logdir, "%03d-serve.stderr" % tool.n)
    rssp = os.path.join(tool.logdir, "%03d-serve.rss" % tool.n)
    argv = [tool.binary, "-C", s, "serve", "--listen", "127.0.0.1:0"]
    if GNU_TIME:
        argv = [GNU_TIME, "-f", "%M", "-o", rssp] + argv
    ashby.new_requests()
    humaans.new_requests()
    log("%d hires: serve: %d signed deliveries from %d threads" % (n, total, threads))
    err = open(errp, "w")
    t_start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, env=env)
    port = None
    deadline = time.monotonic() + 30
    while port is None and time.monotonic() < deadline and proc.poll() is None:
        m = re.search(r"\(port (\d+)\)", open(errp, errors="replace").read())
        if m:
            port = int(m.group(1))
        else:
            time.sleep(0.05)
    target = (child_pid(proc.pid) if GNU_TIME else proc.pid) or proc.pid
    if port is None:
        if proc.poll() is None:
            os.kill(target, signal.SIGTERM)
        wait_rusage(proc, 30)
        err.close()
        log("serve did not start listening:\n%s" % tail(errp))
        row["serve_ok"] = False
        return False
    apps = [app_id(2 + k % max(n - 1, 1)) for k in range(total)]
    ids = ["bench-%d-%05d" % (n, k) for k in range(total)]
    work = list(range(total))
    lock = threading.Lock()
    answers = {}

    def post(k):
        body = webhook_client.delivery("applicationUpdate", apps[k], ids[k])
        sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        t0 = time.monotonic()
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("POST", "/ashby/webhook", body=body,
                      headers={"Content-Type": "application/json", "Ashby-Signature": sig})
            status = c.getresponse().status
            c.close()
        except (OSError, http.client.HTTPException):
            status = None
        return status, time.monotonic() - t0

    def worker():
        while True:
            with lock:
                if not work:
                    return
                k = work.pop()
            res = post(k)
            with lock:
                answers[k] = res

    t0 = time.monotonic()
    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    t1 = time.monotonic()
    accepted = sum(1 for st_, _ in answers.values() if st_ == 200)
    slowest = max((d for _, d in answers.values()), default=None)
    # Drained: no delivery left in inbox/ (a run moves them to inbox/done once it used them).
    drain_deadline = time.monotonic() + float(os.environ.get("BENCH_SERVE_DRAIN_S", "900"))
    while inbox_pending(s) and time.monotonic() < drain_deadline and proc.poll() is None:
        time.sleep(0.2)
    t2 = time.monotonic()
    pending = inbox_pending(s)
    if proc.poll() is None:
        os.kill(target, signal.SIGTERM)
    status, ru = wait_rusage(proc, 60)
    err.close()
    rc = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else \
        (os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1)
    peak = ru.ru_maxrss
    if GNU_TIME:
        try:
            with open(rssp) as f:
                peak = int(f.read().split()[-1])
        except (OSError, ValueError, IndexError):
            pass
    found = set()
    done = os.path.join(s, "inbox", "done")
    for name in (os.listdir(done) if os.path.isdir(done) else []):
        try:
            with open(os.path.join(done, name), encoding="utf-8") as f:
                found.add(json.load(f).get("webhookActionId"))
        except (OSError, ValueError, AttributeError):
            pass
    tags_out = git_out(s, ["for-each-ref", "--format=%(contents)", "refs/tags/run"])
    batches = 0
    for line in tags_out.splitlines():
        if line.startswith("Delivery: "):
            found.add(line.split()[1])
    for line in open(errp, errors="replace"):
        if re.search(r"\bserve \d{8}T\d{6}Z(?:-\d+)?: ", line):
            batches += 1
    lost = sum(1 for x in ids if x not in found)
    a = ashby.new_requests()
    h = humaans.new_requests()
    st = Step()
    st.add((rc, t2 - t_start, ru.ru_utime + ru.ru_stime, peak, errp))
    rate = accepted / (t1 - t0) if t1 > t0 else None
    detail = ("%d/%d accepted at %s/s, slowest %s s, %d lost, %d pending, %d runs, drained "
              "%.1f s after the last answer" % (accepted, total, fmt(rate, "%.0f"),
                                               fmt(slowest, "%.3f"), lost, pending, batches,
                                               t2 - t1))
    log("%d hires: serve: exit %d, %s, peak %.1f MB" % (n, rc, detail, peak / 1024.0))
    row.update({"serve_ok": rc == 0 and pending == 0, "serve_accepted": accepted,
                "serve_rate": rate, "serve_slowest_s": slowest, "serve_lost": lost,
                "serve_runs": batches, "serve_peak_mb": peak / 1024.0,
                "serve_drain_s": t2 - t1})
    modes_out.append(mode_row("serve", n, st, a, h, latency_ms, [], JOBS_DEFAULT, detail))
    return rc == 0 and pending == 0


def bench_size(tool, src, work, n, latency_ms, ratio, modes, modes_out):
    wd = os.path.join(work, "n%d" % n)
    os.makedirs(wd, exist_ok=True)
    log("%d hires: starting the emulators (latency %d ms)" % (n, latency_ms))
    ashby, humaans = start_pair(src, wd, n, latency_ms)
    tool.env["ASHBY_BASE_URL"] = ashby.url
    tool.env["HUMAANS_BASE_URL"] = humaans.url + "/api"
    row = {"hires": n, "latency_ms": latency_ms}
    try:
        before = people_count(humaans)
        ashby.new_requests()
        humaans.new_requests()
        s = os.path.join(wd, "staging")
        init_staging(tool, s)
        log("%d hires: backfill (default --jobs)" % n)
        bf = nightly(tool, s, [], "backfill")
        a_reqs = ashby.new_requests()
        h_all = humaans.new_requests()
        a_calls, a_files = count_ashby(a_reqs)
        h_reqs = len(h_all)
        created = people_count(humaans) - before
        mr = mode_row("backfill", n, bf, a_reqs, h_all, latency_ms, run_tags(s, bf.errs),
                      JOBS_DEFAULT, "%d created" % created)
        modes_out.append(mr)
        log("%d hires: backfill %.1f s, exit %s, ashby %d calls + %d downloads, humaans %d, "
            "created %d, %s x the floor" % (n, bf.wall, bf.statuses, a_calls, a_files, h_reqs,
                                             created, fmt(mr["x_floor"])))
        if not bf.ok:
            log("backfill failed; last lines of %s:\n%s" % (bf.errs[-1], tail(bf.errs[-1])))
        row.update({
            "backfill_ok": bf.ok, "exit": "/".join(str(x) for x in bf.statuses),
            "ashby_calls": a_calls, "ashby_per_hire": a_calls / n if n else 0,
            "downloads": a_files, "humaans_requests": h_reqs, "created": created,
            "humaans_per_created": (h_reqs / created) if created else None,
            "wall_s": bf.wall, "cpu_s": bf.cpu, "peak_mb": bf.peak_kb / 1024.0,
            "floor_s": mr["floor_s"], "x_floor": mr["x_floor"],
        })

        if "night" in modes:
            log("%d hires: unchanged night" % n)
            nt = nightly(tool, s, [], "night")
            na_reqs = ashby.new_requests()
            nh_reqs = humaans.new_requests()
            na, nf = count_ashby(na_reqs)
            nh = len(nh_reqs)
            row.update({"night_ok": nt.ok, "night_ashby": na + nf, "night_humaans": nh,
                        "night_total": na + nf + nh, "night_wall_s": nt.wall,
                        "night_peak_mb": nt.peak_kb / 1024.0})
            modes_out.append(mode_row("night", n, nt, na_reqs, nh_reqs, latency_ms,
                                      run_tags(s, nt.errs), JOBS_DEFAULT, "nothing changed"))
            log("%d hires: night %.1f s, exit %s, ashby %d, humaans %d" % (
                n, nt.wall, nt.statuses, na + nf, nh))

        if "change" in modes:
            change_night(tool, s, n, ashby, humaans, latency_ms, row, modes_out)
        if "apply" in modes:
            apply_rerun(tool, s, n, ashby, humaans, latency_ms, row, modes_out)
        if "forget" in modes:
            forget_one(tool, s, n, ashby, humaans, latency_ms, row, modes_out)
        if "serve" in modes:
            serve_burst(tool, src, s, n, ashby, humaans, latency_ms, row, modes_out)

        row["wall_jobs1_s"] = None
        row["speedup"] = None
        if ratio and "ratio" in modes:
            humaans.control("reset", {})
            set_latency(ashby, humaans, latency_ms)
            ashby.new_requests()
            humaans.new_requests()
            s1 = os.path.join(wd, "staging-jobs1")
            init_staging(tool, s1)
            log("%d hires: backfill --jobs 1" % n)
            b1 = nightly(tool, s1, ["--jobs", "1"], "backfill-jobs1")
            a1 = ashby.new_requests()
            h1 = humaans.new_requests()
            modes_out.append(mode_row("backfill --jobs 1", n, b1, a1, h1, latency_ms,
                                      run_tags(s1, b1.errs), 1, "for the speed-up"))
            log("%d hires: --jobs 1 backfill %.1f s, exit %s" % (n, b1.wall, b1.statuses))
            if b1.ok:
                row["wall_jobs1_s"] = b1.wall
                row["speedup"] = b1.wall / bf.wall if bf.wall > 0 else None
    finally:
        ashby.stop()
        humaans.stop()
    return row


# ---- the soak ------------------------------------------------------------------------------

def check_state(state, hires, seed_people):
    """Violations (strings) of: every hire exactly once, with the right fields, nothing else."""
    bad = []
    people = state["people"]
    by_email = {}
    for p in people:
        if isinstance(p.get("personalEmail"), str):
            by_email.setdefault(p["personalEmail"].lower(), []).append(p)
    roles, comps, docs = {}, {}, {}
    for r in state["jobRoles"]:
        roles.setdefault(r["personId"], []).append(r)
    for c in state["compensations"]:
        comps.setdefault(c["personId"], []).append(c)
    for d in state["documents"]:
        docs.setdefault(d["personId"], []).append(d)
    files = {f["id"]: f for f in state["files"]}
    dup = missing = 0
    want_emails = set()
    for h in hires:
        app = h["id"]
        pw = h["person"]
        email = pw["personalEmail"].lower()
        want_emails.add(email)
        found = by_email.get(email, [])
        if not found:
            missing += 1
            bad.append("%s: missing (no person with personalEmail %s)" % (app, email))
            continue
        if len(found) > 1:
            dup += 1
            bad.append("%s: %d people with personalEmail %s" % (app, len(found), email))
        p = found[0]
        for k, v in pw.items():
            if p.get(k) != v:
                bad.append("%s: person %s %s is %r, want %r" % (app, p["id"], k, p.get(k), v))
        jr = roles.get(p["id"], [])
        if len(jr) != 1:
            bad.append("%s: %d job roles" % (app, len(jr)))
        elif "jobRole" in h:
            for k, v in h["jobRole"].items():
                if jr[0].get(k) != v:
                    bad.append("%s: job role %s is %r, want %r" % (app, k, jr[0].get(k), v))
        want_comp = 1 if "salary" in h else 0
        cs = comps.get(p["id"], [])
        if len(cs) != want_comp:
            bad.append("%s: %d compensations, want %d" % (app, len(cs), want_comp))
        elif want_comp:
            for k in ("amount", "currency", "period", "effectiveDate"):
                if cs[0].get(k) != h["salary"][k]:
                    bad.append("%s: compensation %s is %r, want %r"
                               % (app, k, cs[0].get(k), h["salary"][k]))
        want_docs = h.get("documents", [])
        ds = docs.get(p["id"], [])
        if len(ds) != len(want_docs):
            bad.append("%s: %d documents, want %d" % (app, len(ds), len(want_docs)))
        for d, w in zip(sorted(ds, key=lambda x: x["name"]),
                        sorted(want_docs, key=lambda x: x["name"])):
            f = files.get(d.get("fileId"))
            if f is None or f.get("sha256") != w["sha256"]:
                bad.append("%s: document %s: the file is not the offer letter" % (app, d["id"]))
    extra = [p for p in people
             if p["id"] not in seed_people and
             (p.get("personalEmail") or "").lower() not in want_emails]
    for p in extra:
        bad.append("person %s (%s) is not a staged hire" % (p["id"], p.get("personalEmail")))
    return bad, dup, missing, len(extra)


def soak(tool, src, work, n, latency_ms, rate, max_runs):
    wd = os.path.join(work, "soak")
    os.makedirs(wd, exist_ok=True)
    log("soak: %d hires, %.0f%% of requests failing, latency %d ms" % (n, rate * 100, latency_ms))
    ashby, humaans = start_pair(src, wd, n, latency_ms)
    tool.env["ASHBY_BASE_URL"] = ashby.url
    tool.env["HUMAANS_BASE_URL"] = humaans.url + "/api"
    result = {"hires": n, "rate": rate}
    try:
        seed_people = {p["id"] for p in humaans.control("state")["people"]}
        ashby.control("faults", {"latency_ms": latency_ms, "faults": [],
                                 "random": {"rate": rate, "seed": 11,
                                            "statuses": [429, 503, "drop"]}})
        humaans.control("faults", {"latency_ms": latency_ms,
                                   "random": {"rate": rate, "seed": 12,
                                              "statuses": [429, 503, "drop", "drop_after"]}})
        s = os.path.join(wd, "staging")
        init_staging(tool, s)
        runs = []
        follow = os.environ.get("BENCH_SOAK_OPERATOR", "advice") != "run"
        advice = False
        for i in range(max_runs):
            if advice and tool.is_built("apply"):
                # The operator does what the failed run said: "run 'apply' again to finish".
                st = Step()
                st.add(tool.invoke(s, ["apply"], "soak-%d-apply" % (i + 1)))
                runs.append(st)
                log("soak: apply %d (as the last run advised): exit %s, %.1f s"
                    % (i + 1, st.statuses, st.wall))
            st = nightly(tool, s, [], "soak-%d" % (i + 1))
            runs.append(st)
            log("soak: run %d: exit %s, %.1f s" % (i + 1, st.statuses, st.wall))
            if st.statuses and all(rc == 0 for rc in st.statuses):
                break
            advice = follow and "run 'apply' again" in tail(st.errs[-1], 200)
        a = ashby.new_requests()
        h = humaans.new_requests()
        result["runs"] = len(runs)
        result["exits"] = " ".join("/".join(str(x) for x in r.statuses) for r in runs)
        result["wall_s"] = sum(r.wall for r in runs)
        result["ashby_faults"] = sum(1 for r in a if r.get("fault"))
        result["humaans_faults"] = sum(1 for r in h if r.get("fault"))
        result["requests"] = len(a) + len(h)
        humaans.control("faults", {"clear": True})
        state = humaans.control("state")
        path = os.path.join(s, "transform", "new_hires.json")
        if not os.path.exists(path):
            result["violations"] = ["transform/new_hires.json was never written"]
            result["duplicates"] = result["missing"] = n
            result["extra"] = 0
            return result
        with open(path, encoding="utf-8") as f:
            hires = json.load(f)
        result["staged"] = len(hires)
        bad, dup, missing, extra = check_state(state, hires, seed_people)
        if len(hires) != n:
            bad.insert(0, "transform staged %d hires, the organisation has %d" % (len(hires), n))
        if not (runs and all(rc == 0 for rc in runs[-1].statuses)):
            bad.insert(0, "the last run did not exit 0 (exits %s)" % result["exits"])
        result.update({"violations": bad, "duplicates": dup, "missing": missing, "extra": extra})
        return result
    finally:
        ashby.stop()
        humaans.stop()


# ---- mode auto: --jobs auto against emulators that limit ----------------------------------

def help_text(argv):
    try:
        p = subprocess.run(argv + ["--help"], capture_output=True, text=True, timeout=60)
        return p.stdout + p.stderr
    except (OSError, subprocess.SubprocessError):
        return ""


def auto_support(tool, src):
    """What is built: (binary takes --jobs auto, {emulator: set of limit flags it takes})."""
    binary = bool(re.search(r"--jobs[^\n]*auto|auto[^\n]*--jobs",
                            help_text([tool.binary, "run"])))
    flags = {}
    for name in ("ashby", "humaans"):
        text = help_text([sys.executable, os.path.join(src, "tests", name + "_emulator.py")])
        flags[name] = {f for f in ("--max-inflight", "--max-rps") if f in text}
    return binary, flags


def limited_backfills(tool, src, work, name, n, latency_ms, flag, value, runs, flags, modes_out):
    """Fresh backfills of n hires against both emulators started with `flag value` (those that
    take it), one per entry of runs [(label, extra options)]: their mode rows."""
    wd = os.path.join(work, name)
    os.makedirs(wd, exist_ok=True)
    ax = [flag, str(value)] if flag in flags["ashby"] else []
    hx = [flag, str(value)] if flag in flags["humaans"] else []
    log("%s: %d hires, emulators %s" % (name, n, "%s %s (%s)" % (
        flag, value, ", ".join(k for k in ("ashby", "humaans") if flag in flags[k]))
        if flag else "without limits"))
    ashby, humaans = start_pair(src, wd, n, latency_ms, ax, hx)
    tool.env["ASHBY_BASE_URL"] = ashby.url
    tool.env["HUMAANS_BASE_URL"] = humaans.url + "/api"
    out = []
    try:
        for k, (label, extra) in enumerate(runs):
            if k:
                humaans.control("reset", {})
                set_latency(ashby, humaans, latency_ms)
            ashby.new_requests()
            humaans.new_requests()
            s = os.path.join(wd, "staging-%d" % k)
            init_staging(tool, s)
            st = nightly(tool, s, extra, "%s-%d" % (name, k))
            a = ashby.new_requests()
            h = humaans.new_requests()
            limited = sum(1 for r in a + h if r.get("status") == 429)
            share = 100.0 * limited / (len(a) + len(h)) if a or h else None
            tags = run_tags(s, st.errs)
            detail = "%s: %d answered 429 (%s%%)" % ("%s %s" % (flag, value) if flag else
                                                      "no limit", limited, fmt(share))
            r = mode_row("%s %s" % (name, label), n, st, a, h, latency_ms, tags,
                         jobs_value(extra), detail)
            r["limited_pct"] = share
            log("%s %s: %.1f s, exit %s, %s, jobs reached %s" % (name, label, st.wall,
                                                               st.statuses, detail, r["jobs"]))
            if not st.ok:
                log("failed; last lines of %s:\n%s" % (st.errs[-1], tail(st.errs[-1])))
            modes_out.append(r)
            out.append(r)
    finally:
        ashby.stop()
        humaans.stop()
    return out


def auto_bench(tool, src, work, latency_ms, modes_out):
    """--jobs auto: at BENCH_AUTO_SIZE hires (1000) against --jobs 4 with the emulators at
    --max-inflight 16, alone against --max-rps 5, and at BENCH_AUTO_SMALL hires (100) against
    --jobs 1 without limits. A dict of results; "not measured" reasons for what is not built."""
    res = {"notes": []}
    binary, flags = auto_support(tool, src)
    big = int(os.environ.get("BENCH_AUTO_SIZE", "1000"))
    rps_n = int(os.environ.get("BENCH_AUTO_RPS_SIZE", str(big)))
    small = int(os.environ.get("BENCH_AUTO_SMALL", "100"))
    inflight = int(os.environ.get("BENCH_AUTO_INFLIGHT", "16"))
    rps = os.environ.get("BENCH_AUTO_RPS", "5")
    if not binary:
        res["notes"].append("--jobs auto: not measured (the binary's run --help names no "
                            "--jobs auto)")
        return res
    auto = ("--jobs auto", ["--jobs", "auto"])
    if any("--max-inflight" in f for f in flags.values()) and big > 0:
        rows = limited_backfills(tool, src, work, "inflight", big, latency_ms, "--max-inflight",
                                 inflight, [auto, ("--jobs 4", ["--jobs", "4"])], flags,
                                 modes_out)
        if len(rows) == 2 and rows[0]["ok"] and rows[1]["ok"] and rows[0]["wall_s"] > 0:
            res["inflight_speedup"] = rows[1]["wall_s"] / rows[0]["wall_s"]
        res["inflight_n"] = big
    else:
        res["notes"].append("--max-inflight: not measured (neither emulator takes "
                            "--max-inflight)")
    if any("--max-rps" in f for f in flags.values()) and rps_n > 0:
        rows = limited_backfills(tool, src, work, "rps", rps_n, latency_ms, "--max-rps", rps,
                                 [auto], flags, modes_out)
        if rows:
            res["rps_finished"] = rows[0]["ok"]
            res["rps_429_pct"] = rows[0]["limited_pct"]
        res["rps_n"] = rps_n
    else:
        res["notes"].append("--max-rps: not measured (neither emulator takes --max-rps)")
    if small > 0:
        rows = limited_backfills(tool, src, work, "small", small, latency_ms, "", "",
                                 [auto, ("--jobs 1", ["--jobs", "1"])],
                                 {"ashby": set(), "humaans": set()}, modes_out)
        if len(rows) == 2 and rows[0]["ok"] and rows[1]["ok"] and rows[0]["wall_s"] > 0:
            res["small_speedup"] = rows[1]["wall_s"] / rows[0]["wall_s"]
        res["small_n"] = small
    return res


# ---- report --------------------------------------------------------------------------------

def fmt(v, spec="%.2f"):
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, float):
        return spec % v
    return str(v)


COLUMNS = [
    ("hires", "hires", "%s"),
    ("ashby_calls", "ashby calls", "%s"),
    ("ashby_per_hire", "/hire", "%.2f"),
    ("downloads", "letters", "%s"),
    ("humaans_requests", "humaans req", "%s"),
    ("created", "created", "%s"),
    ("humaans_per_created", "/created", "%.2f"),
    ("night_total", "night req", "%s"),
    ("wall_s", "wall s", "%.1f"),
    ("x_floor", "x floor", "%.2f"),
    ("wall_jobs1_s", "jobs1 s", "%.1f"),
    ("speedup", "speedup", "%.2f"),
    ("peak_mb", "peak MB", "%.1f"),
    ("cpu_s", "cpu s", "%.1f"),
]

MODE_COLUMNS = [
    ("mode", "mode", "%s"),
    ("hires", "hires", "%s"),
    ("exit", "exit", "%s"),
    ("ashby", "ashby req", "%s"),
    ("humaans", "humaans req", "%s"),
    ("jobs", "jobs", "%s"),
    ("wall_s", "wall s", "%.1f"),
    ("floor_s", "floor s", "%.1f"),
    ("x_floor", "x floor", "%.2f"),
    ("peak_mb", "peak MB", "%.1f"),
    ("cpu_s", "cpu s", "%.1f"),
]


def table(rows, columns=None):
    columns = columns or COLUMNS
    head = [c[1] for c in columns]
    body = [[fmt(r.get(k), spec) for k, _, spec in columns] for r in rows]
    w = [max([len(head[i])] + [len(b[i]) for b in body]) for i in range(len(head))]
    out = ["  ".join(h.rjust(w[i]) if i else h.ljust(w[i]) for i, h in enumerate(head))]
    out += ["  ".join(c.rjust(w[i]) if i else c.ljust(w[i]) for i, c in enumerate(b))
            for b in body]
    return "\n".join(out)


def verdicts(rows, latency_ms, mode_rows=(), auto=None):
    out = []
    for r in rows:
        n = r["hires"]
        checks = [
            ("backfill <= %.2f Ashby calls/hire" % TARGETS["ashby_per_hire"],
             r.get("ashby_per_hire"), lambda v: v <= TARGETS["ashby_per_hire"]),
            ("backfill <= %.2f Humaans requests/created hire" % TARGETS["humaans_per_created"],
             r.get("humaans_per_created"), lambda v: v <= TARGETS["humaans_per_created"]),
        ]
        if latency_ms > 0:
            checks.append(("backfill wall <= %.2fx the floor" % TARGETS["backfill_x_floor"],
                           r.get("x_floor"), lambda v: v <= TARGETS["backfill_x_floor"]))
        if "night_total" in r:
            checks.append(("unchanged night <= %d requests" % TARGETS["night_total"],
                           r.get("night_total"), lambda v: v <= TARGETS["night_total"]))
        if "change_hires" in r:
            checks.append(("change night <= %.1f Humaans req/field write" %
                           TARGETS["change_per_field"], r.get("change_per_field"),
                           lambda v: v <= TARGETS["change_per_field"]))
            checks.append(("change night: requests naming unchanged hires",
                           r.get("change_touch"),
                           lambda v: v <= TARGETS["change_touch_unchanged"]))
        if "serve_accepted" in r:
            checks.append(("serve burst: slowest answer < %.0f s" % TARGETS["serve_slowest_s"],
                           r.get("serve_slowest_s"), lambda v: v < TARGETS["serve_slowest_s"]))
            checks.append(("serve burst: deliveries lost", r.get("serve_lost"),
                           lambda v: v <= TARGETS["serve_lost"]))
        if "forget_runs" in r:
            checks.append(("forget in %s runs: exits 0" % r.get("forget_runs"),
                           r.get("forget_ok"), lambda v: v))
        if latency_ms >= 50 and "wall_jobs1_s" in r and r.get("speedup") is not None:
            checks.append(("default --jobs >= %.1fx --jobs 1" % TARGETS["speedup"],
                           r.get("speedup"), lambda v: v >= TARGETS["speedup"]))
        if n >= 10000:
            for m in mode_rows:
                if m["hires"] == n:
                    checks.append(("%s: peak RSS < %.0f MB" % (m["mode"], TARGETS["peak_mb_10k"]),
                                   m.get("peak_mb"), lambda v: v < TARGETS["peak_mb_10k"]))
        for name, v, test in checks:
            if v is None:
                out.append((n, name, "-", "not measured"))
            else:
                out.append((n, name, fmt(v, "%.2f"), "met" if test(v) else "MISSED"))
    if auto is not None:
        for key, nkey, name, test in (
                ("inflight_speedup", "inflight_n",
                 "--jobs auto >= %.0fx --jobs 4, --max-inflight %s" % (
                     TARGETS["auto_inflight_speedup"], os.environ.get("BENCH_AUTO_INFLIGHT", "16")),
                 lambda v: v >= TARGETS["auto_inflight_speedup"]),
                ("rps_429_pct", "rps_n",
                 "--jobs auto, --max-rps %s: <= %.0f%% 429, finishes" % (
                     os.environ.get("BENCH_AUTO_RPS", "5"), TARGETS["auto_rps_429_pct"]),
                 lambda v: v <= TARGETS["auto_rps_429_pct"]),
                ("small_speedup", "small_n",
                 "--jobs auto >= %.0fx --jobs 1" % TARGETS["auto_small_speedup"],
                 lambda v: v >= TARGETS["auto_small_speedup"])):
            if nkey not in auto:
                continue
            v = auto.get(key)
            if key == "rps_429_pct" and auto.get("rps_finished") is False:
                out.append((auto[nkey], name, fmt(v, "%.2f"), "MISSED (did not finish)"))
            elif v is None:
                out.append((auto[nkey], name, "-", "not measured (a run failed)"))
            else:
                out.append((auto[nkey], name, fmt(v, "%.2f"), "met" if test(v) else "MISSED"))
    return out


MODES_ALL = ("night", "change", "apply", "forget", "serve", "ratio", "auto", "soak")
SIZE_MODES = ("night", "change", "apply", "forget", "serve", "ratio")


def main(argv=None):
    ap = argparse.ArgumentParser(description="ashby2humaans benchmark (see the docstring)")
    ap.add_argument("--binary", required=True)
    ap.add_argument("--srcdir", required=True)
    ap.add_argument("--csv", default="bench-results.csv")
    ap.add_argument("--workdir", help="keep the staging repos and logs here (default: a temp dir)")
    args = ap.parse_args(argv)

    latency = int(os.environ.get("BENCH_LATENCY_MS", "50"))
    sizes = env_list("BENCH_SIZES", "100 1000 10000")
    ratio_sizes = set(env_list("BENCH_RATIO_SIZES", "100"))
    soak_n = int(os.environ.get("BENCH_SOAK", "1000"))
    soak_rate = float(os.environ.get("BENCH_SOAK_RATE", "0.05"))
    soak_runs = int(os.environ.get("BENCH_SOAK_RUNS", "6"))
    strict = os.environ.get("BENCH_STRICT") == "1"
    words = os.environ.get("BENCH_MODES", "").replace(",", " ").split()
    modes = set(words) if words else set(MODES_ALL)
    unknown = modes - set(MODES_ALL) - {"backfill"}
    if unknown:
        ap.error("BENCH_MODES: unknown %s (modes: backfill %s)" % (" ".join(sorted(unknown)),
                                                                   " ".join(MODES_ALL)))

    binary = os.path.abspath(args.binary)
    src = os.path.abspath(args.srcdir)
    work = os.path.abspath(args.workdir) if args.workdir else tempfile.mkdtemp(prefix="a2h-bench-")
    os.makedirs(work, exist_ok=True)
    logdir = os.path.join(work, "logs")
    os.makedirs(logdir, exist_ok=True)
    env = dict(os.environ)
    env.update({"ASHBY_API_KEY": ASHBY_KEY, "HUMAANS_API_TOKEN": HUMAANS_TOKEN, "LC_ALL": "C"})
    for k in ("ASHBY2HUMAANS_STAGING", "ASHBY_WEBHOOK_SECRET"):
        env.pop(k, None)
    tool = Tool(binary, env, logdir)
    log("work directory %s; modes %s" % (work, " ".join(m for m in ("backfill",) + MODES_ALL
                                                        if m == "backfill" or m in modes)))
    missing = [c for c in ("run", "extract", "transform", "plan", "apply") if not tool.is_built(c)]
    if missing:
        log("not built yet: %s (measuring what is built)" % ", ".join(missing))
    t_all = time.monotonic()

    rows = []
    mode_rows = []
    failed = False
    per_size = "backfill" in modes or bool(modes & set(SIZE_MODES))
    for n in (sizes if per_size else []):
        try:
            r = bench_size(tool, src, work, n, latency, n in ratio_sizes, modes, mode_rows)
        except Exception as ex:  # an emulator that would not start, init failing...
            log("%d hires: %s" % (n, ex))
            failed = True
            continue
        failed = failed or not r.get("backfill_ok") or r.get("night_ok") is False
        rows.append(r)

    auto = None
    if "auto" in modes:
        try:
            auto = auto_bench(tool, src, work, latency, mode_rows)
        except Exception as ex:
            log("auto: %s" % ex)
            auto = {"notes": ["--jobs auto: %s" % ex]}
            failed = True

    soak_res = None
    if soak_n > 0 and "soak" in modes:
        try:
            soak_res = soak(tool, src, work, soak_n, latency, soak_rate, soak_runs)
        except Exception as ex:
            log("soak: %s" % ex)
            soak_res = {"violations": [str(ex)], "duplicates": None, "missing": None}

    uname = os.uname()
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = "%.1f GiB" % (int(f.readline().split()[1]) / 1048576.0)
    except (OSError, ValueError, IndexError):
        pass
    print("ashby2humaans benchmark: latency %d ms per request, default --jobs (%d)"
          % (latency, JOBS_DEFAULT))
    print("machine: %s %s, %d CPUs (%s), %s RAM" % (uname.sysname, uname.machine,
                                                     os.cpu_count() or 0, cpu, mem))
    if missing:
        print("not built when measured: %s" % ", ".join(missing))
    print()
    if rows:
        print(table(rows))
        print()
    if mode_rows:
        print("every mode: requests per API (downloads counted), the concurrency used for the "
              "floor (Ashby/Humaans: Jobs-Reached-* of the run tag, else --jobs), floor = "
              "requests x latency / concurrency")
        print(table(mode_rows, MODE_COLUMNS))
        print()
        for m in mode_rows:
            if m.get("detail"):
                print("  %-24s %6d hires  %s" % (m["mode"], m["hires"], m["detail"]))
        print()
    if auto is not None and auto.get("notes"):
        for note in auto["notes"]:
            print(note)
        print()
    print("targets:")
    missed = 0
    for n, name, v, verdict in verdicts(rows, latency, mode_rows, auto):
        missed += verdict == "MISSED"
        print("  %6d hires  %-52s %10s  %s" % (n, name, v, verdict))
    if soak_res is not None:
        print()
        v = soak_res.get("violations", [])
        print("soak: %s hires, %.0f%% failing requests (%s Ashby and %s Humaans faults injected), "
              "%s runs (exits %s), %.1f s" % (
                  soak_res.get("hires", soak_n), 100 * soak_res.get("rate", soak_rate),
                  soak_res.get("ashby_faults", "?"), soak_res.get("humaans_faults", "?"),
                  soak_res.get("runs", "?"), soak_res.get("exits", "?"),
                  soak_res.get("wall_s", 0.0)))
        print("soak: %s hires staged; duplicates %s, missing %s, unexpected people %s: %s" % (
            soak_res.get("staged", "?"), soak_res.get("duplicates"), soak_res.get("missing"),
            soak_res.get("extra"), "ok" if not v else "%d VIOLATIONS" % len(v)))
        for line in v[:20]:
            print("  " + line)
        if len(v) > 20:
            print("  ... and %d more" % (len(v) - 20))
    print()
    print("bench: %.1f minutes in all" % ((time.monotonic() - t_all) / 60.0))

    fields = ["hires", "latency_ms", "exit", "ashby_calls", "ashby_per_hire", "downloads",
              "humaans_requests", "created", "humaans_per_created", "night_ashby",
              "night_humaans", "night_total", "wall_s", "floor_s", "x_floor", "wall_jobs1_s",
              "speedup", "peak_mb", "cpu_s", "night_wall_s", "night_peak_mb",
              "change_hires", "change_fields", "change_ashby", "change_humaans", "change_pages",
              "change_per_field", "change_touch", "change_touch_writes", "change_touch_hires",
              "change_wall_s", "change_peak_mb", "apply_requests", "apply_wall_s",
              "apply_peak_mb", "forget_runs", "forget_ok", "forget_wall_s", "forget_peak_mb",
              "forget_cpu_s", "serve_accepted", "serve_rate", "serve_slowest_s", "serve_lost",
              "serve_runs", "serve_drain_s", "serve_peak_mb"]
    mfields = ["mode", "hires", "exit", "ashby", "humaans", "jobs", "wall_s", "floor_s",
               "x_floor", "peak_mb", "cpu_s", "detail"]

    def cells(r, keys):
        return ["" if r.get(k) is None else
                ("%.3f" % r[k] if isinstance(r.get(k), float) else r[k]) for k in keys]

    with open(args.csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(fields)
        for r in rows:
            w.writerow(cells(r, fields))
        if mode_rows:
            w.writerow([])
            w.writerow(mfields)
            for r in mode_rows:
                w.writerow(cells(r, mfields))
        if soak_res is not None:
            w.writerow([])
            w.writerow(["soak_hires", "rate", "runs", "exits", "duplicates", "missing", "extra",
                        "violations", "wall_s"])
            w.writerow([soak_res.get("hires", soak_n), soak_res.get("rate", soak_rate),
                        soak_res.get("runs"), soak_res.get("exits"), soak_res.get("duplicates"),
                        soak_res.get("missing"), soak_res.get("extra"),
                        len(soak_res.get("violations", [])), "%.3f" % soak_res.get("wall_s", 0.0)])
    print()
    bad = failed or bool(soak_res is not None and soak_res.get("violations"))
    if args.workdir or bad:
        print("written: %s (logs and staging repos in %s)" % (args.csv, work))
    else:
        print("written: %s" % args.csv)
        shutil.rmtree(work, ignore_errors=True)
    if failed:
        log("a tool invocation failed: see the logs in %s" % logdir)
    if bad or (strict and missed):
        return 1
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
    sys.exit(main())
