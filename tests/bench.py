#!/usr/bin/env python3
"""make bench: request economy, parallelism, memory, and a soak (Python 3 standard library only).

    bench.py --binary build/ashby2humaans --srcdir . [--csv bench-results.csv] [--workdir DIR]

For every size N (BENCH_SIZES, default "100 1000 10000") it starts both emulators on loopback
(tests/ashby_emulator.py --generate N, tests/humaans_emulator.py seeded with fixtures/demo/humaans,
whose managers, locations, compensation and document types the generated organisation refers
to), injects a fixed latency on every request (BENCH_LATENCY_MS, default 50), and measures:

  backfill   `ashby2humaans run` on a fresh staging repo (the nightly entry point, apply
             included; when `run` is not built yet, extract, transform, plan and apply in turn,
             and whatever of those is built)
  night      a second `run` with nothing changed in Ashby or Humaans
  jobs 1     the same backfill with --jobs 1 on a fresh repo and a reset Humaans, for the
             speed-up of the default --jobs (sizes in BENCH_RATIO_SIZES, default "100";
             at 10,000 hires and 50 ms a serial backfill alone would take over an hour)

Requests are counted from the emulators' request logs (Ashby API calls apart from offer-letter
downloads), wall time with a monotonic clock, CPU time of the tool from wait4(), its peak RSS
through GNU time (/usr/bin/time, Debian package `time`; wait4() would add the resident set of
the forked Python to it) or, without it, wait4().

Then the soak (BENCH_SOAK hires, default 1000; 0 skips it): the same set-up with 5% of all
requests failing at random on both APIs (BENCH_SOAK_RATE: 429, 503, connections dropped before
and, on Humaans, after a write was carried out), `run` repeated as an operator would until it
exits 0 (at most BENCH_SOAK_RUNS times, default 6; when a run ends saying "run 'apply' again",
`apply` first, as it advises, unless BENCH_SOAK_OPERATOR=run), then GET /_emulator/state must hold every
hire of transform/new_hires.json exactly once with the right fields, and nothing else new.

The table goes to stdout and the CSV file. Exit status: 1 when a tool invocation failed in a
way the benchmark cannot measure, or the soak found a violation; 0 otherwise (targets missed
are reported, not fatal, unless BENCH_STRICT=1).
"""

import argparse
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

TARGETS = {
    "ashby_per_hire": 3.0,       # Ashby API calls per hire in a backfill (downloads apart)
    "humaans_per_created": 5.0,  # Humaans requests per created hire in a backfill
    "night_total": 12,           # requests of an unchanged night, both APIs
    "speedup": 2.5,              # default --jobs against --jobs 1 at 50 ms
    "peak_mb_10k": 64.0,         # peak RSS at 10,000 hires
}

ASHBY_KEY = "demo-key-full"
HUMAANS_TOKEN = "demo-token"
# Peak RSS through GNU time (Debian package `time`) when it is there: see Tool.invoke.
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


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


def start_pair(src, workdir, n, latency_ms):
    py = sys.executable
    ashby = Emulator("ashby", [py, os.path.join(src, "tests", "ashby_emulator.py"),
                               "--generate", str(n)], workdir)
    try:
        humaans = Emulator("humaans", [py, os.path.join(src, "tests", "humaans_emulator.py"),
                                       "--seed", os.path.join(src, "fixtures", "demo", "humaans")],
                           workdir)
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


def bench_size(tool, src, work, n, latency_ms, ratio):
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
        a_calls, a_files = count_ashby(ashby.new_requests())
        h_reqs = len(humaans.new_requests())
        created = people_count(humaans) - before
        log("%d hires: backfill %.1f s, exit %s, ashby %d calls + %d downloads, humaans %d, "
            "created %d" % (n, bf.wall, bf.statuses, a_calls, a_files, h_reqs, created))
        if not bf.ok:
            log("backfill failed; last lines of %s:\n%s" % (bf.errs[-1], tail(bf.errs[-1])))
        row.update({
            "backfill_ok": bf.ok, "exit": "/".join(str(x) for x in bf.statuses),
            "ashby_calls": a_calls, "ashby_per_hire": a_calls / n if n else 0,
            "downloads": a_files, "humaans_requests": h_reqs, "created": created,
            "humaans_per_created": (h_reqs / created) if created else None,
            "wall_s": bf.wall, "cpu_s": bf.cpu, "peak_mb": bf.peak_kb / 1024.0,
        })

        log("%d hires: unchanged night" % n)
        nt = nightly(tool, s, [], "night")
        na, nf = count_ashby(ashby.new_requests())
        nh = len(humaans.new_requests())
        row.update({"night_ok": nt.ok, "night_ashby": na + nf, "night_humaans": nh,
                    "night_total": na + nf + nh, "night_wall_s": nt.wall,
                    "night_peak_mb": nt.peak_kb / 1024.0})
        log("%d hires: night %.1f s, exit %s, ashby %d, humaans %d" % (n, nt.wall, nt.statuses,
                                                                       na + nf, nh))

        row["wall_jobs1_s"] = None
        row["speedup"] = None
        if ratio:
            humaans.control("reset", {})
            set_latency(ashby, humaans, latency_ms)
            ashby.new_requests()
            humaans.new_requests()
            s1 = os.path.join(wd, "staging-jobs1")
            init_staging(tool, s1)
            log("%d hires: backfill --jobs 1" % n)
            b1 = nightly(tool, s1, ["--jobs", "1"], "backfill-jobs1")
            ashby.new_requests()
            humaans.new_requests()
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
    ("wall_jobs1_s", "jobs1 s", "%.1f"),
    ("speedup", "speedup", "%.2f"),
    ("peak_mb", "peak MB", "%.1f"),
    ("cpu_s", "cpu s", "%.1f"),
]


def table(rows):
    head = [c[1] for c in COLUMNS]
    body = [[fmt(r.get(k), spec) for k, _, spec in COLUMNS] for r in rows]
    w = [max([len(head[i])] + [len(b[i]) for b in body]) for i in range(len(head))]
    out = ["  ".join(h.rjust(w[i]) for i, h in enumerate(head))]
    out += ["  ".join(c.rjust(w[i]) for i, c in enumerate(b)) for b in body]
    return "\n".join(out)


def verdicts(rows, latency_ms):
    out = []
    for r in rows:
        n = r["hires"]
        checks = [
            ("backfill <= %.0f Ashby calls/hire" % TARGETS["ashby_per_hire"],
             r.get("ashby_per_hire"), lambda v: v <= TARGETS["ashby_per_hire"]),
            ("backfill <= %.0f Humaans requests/created hire" % TARGETS["humaans_per_created"],
             r.get("humaans_per_created"), lambda v: v <= TARGETS["humaans_per_created"]),
            ("unchanged night <= %d requests" % TARGETS["night_total"],
             r.get("night_total"), lambda v: v <= TARGETS["night_total"]),
        ]
        if latency_ms >= 50:
            checks.append(("default --jobs >= %.1fx --jobs 1" % TARGETS["speedup"],
                           r.get("speedup"), lambda v: v >= TARGETS["speedup"]))
        if n >= 10000:
            checks.append(("peak RSS < %.0f MB" % TARGETS["peak_mb_10k"], r.get("peak_mb"),
                           lambda v: v < TARGETS["peak_mb_10k"]))
        for name, v, test in checks:
            if v is None:
                out.append((n, name, "-", "not measured"))
            else:
                out.append((n, name, fmt(v, "%.2f"), "met" if test(v) else "MISSED"))
    return out


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

    binary = os.path.abspath(args.binary)
    src = os.path.abspath(args.srcdir)
    work = os.path.abspath(args.workdir) if args.workdir else tempfile.mkdtemp(prefix="a2h-bench-")
    os.makedirs(work, exist_ok=True)
    logdir = os.path.join(work, "logs")
    os.makedirs(logdir, exist_ok=True)
    env = dict(os.environ)
    env.update({"ASHBY_API_KEY": ASHBY_KEY, "HUMAANS_API_TOKEN": HUMAANS_TOKEN, "LC_ALL": "C"})
    for k in ("ASHBY2HUMAANS_STAGING",):
        env.pop(k, None)
    tool = Tool(binary, env, logdir)
    log("work directory %s" % work)
    missing = [c for c in ("run", "extract", "transform", "plan", "apply") if not tool.is_built(c)]
    if missing:
        log("not built yet: %s (measuring what is built)" % ", ".join(missing))

    rows = []
    failed = False
    for n in sizes:
        try:
            r = bench_size(tool, src, work, n, latency, n in ratio_sizes)
        except Exception as ex:  # an emulator that would not start, init failing...
            log("%d hires: %s" % (n, ex))
            failed = True
            continue
        failed = failed or not r.get("backfill_ok") or not r.get("night_ok")
        rows.append(r)

    soak_res = None
    if soak_n > 0:
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
    print("ashby2humaans benchmark: latency %d ms per request, default --jobs (4)" % latency)
    print("machine: %s %s, %d CPUs (%s), %s RAM" % (uname.sysname, uname.machine,
                                                     os.cpu_count() or 0, cpu, mem))
    if missing:
        print("not built when measured: %s" % ", ".join(missing))
    print()
    print(table(rows))
    print()
    print("targets:")
    missed = 0
    for n, name, v, verdict in verdicts(rows, latency):
        missed += verdict == "MISSED"
        print("  %6d hires  %-44s %10s  %s" % (n, name, v, verdict))
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

    fields = ["hires", "latency_ms", "exit", "ashby_calls", "ashby_per_hire", "downloads",
              "humaans_requests", "created", "humaans_per_created", "night_ashby",
              "night_humaans", "night_total", "wall_s", "wall_jobs1_s", "speedup", "peak_mb",
              "cpu_s", "night_wall_s", "night_peak_mb"]
    with open(args.csv, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(fields)
        for r in rows:
            w.writerow(["" if r.get(k) is None else
                        ("%.3f" % r[k] if isinstance(r.get(k), float) else r[k]) for k in fields])
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
