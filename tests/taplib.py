"""TAP output and emulator start-up shared by the Python test scripts (standard library only).

    from taplib import ok, is_, done, start_emulator
"""

import os
import subprocess
import sys
import time

_count = {"n": 0, "failed": 0}


def ok(cond, desc):
    """One TAP line; returns cond."""
    _count["n"] += 1
    if not cond:
        _count["failed"] += 1
    print("%sok %d - %s" % ("" if cond else "not ", _count["n"], desc))
    sys.stdout.flush()
    return cond


def is_(got, want, desc):
    if not ok(got == want, desc):
        print("#   got:  %r\n#   want: %r" % (got, want))


def done():
    """The plan line; the exit status (1 when a test failed)."""
    print("1..%d" % _count["n"])
    return 1 if _count["failed"] else 0


def start_emulator(argv, port_file, wait_s=10):
    """Start an emulator (argv after the interpreter) and wait for its port file: (process, port)."""
    proc = subprocess.Popen([sys.executable] + argv + ["--port-file", port_file])
    deadline = time.monotonic() + wait_s
    while not os.path.exists(port_file) and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        return proc, int(open(port_file).read())
    except (OSError, ValueError):
        proc.terminate()
        proc.wait(10)
        raise
