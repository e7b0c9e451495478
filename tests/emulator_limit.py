"""The optional limit mode shared by the API emulators (Python 3 standard library only).

``--max-inflight N``: a request that arrives while N others are being answered is
refused at once with 429 and ``Retry-After: 1``.  ``--max-rps R``: a request that
arrives when R requests were let through in the last second is refused with 429 and
``Retry-After`` the whole seconds until the oldest of them leaves that second (at
least 1).  Refused requests do not count against either limit; they are answered
without the emulator's latency (an API gateway's limiter answers before the
service).  Each emulator answers the refusal in its own API's 429 shape and logs
it with the fault ``limit:inflight`` or ``limit:rps``.
"""

import collections
import math
import threading
import time


class Limiter:
    def __init__(self, max_inflight=None, max_rps=None):
        self.max_inflight = max_inflight
        self.max_rps = max_rps
        self.lock = threading.Lock()
        self.inflight = 0
        self.times = collections.deque()  # when each request let through arrived
        self.refused = {"inflight": 0, "rps": 0}

    @property
    def active(self):
        return self.max_inflight is not None or self.max_rps is not None

    def enter(self):
        """None when the request may go on (then call leave()), else (reason, retry_after)."""
        with self.lock:
            now = time.monotonic()
            if self.max_inflight is not None and self.inflight >= self.max_inflight:
                self.refused["inflight"] += 1
                return ("inflight", 1)
            if self.max_rps is not None:
                while self.times and self.times[0] <= now - 1.0:
                    self.times.popleft()
                if len(self.times) >= self.max_rps:
                    self.refused["rps"] += 1
                    wait = self.times[0] + 1.0 - now if self.times else 1.0
                    return ("rps", max(1, math.ceil(wait)))
                self.times.append(now)
            self.inflight += 1
            return None

    def leave(self):
        with self.lock:
            self.inflight -= 1

    def info(self):
        with self.lock:
            return {"maxInflight": self.max_inflight, "maxRps": self.max_rps,
                    "inflight": self.inflight, "refused": dict(self.refused)}


def add_arguments(ap):
    ap.add_argument("--max-inflight", type=int, metavar="N",
                    help="answer 429 (Retry-After: 1) to a request beyond N in flight")
    ap.add_argument("--max-rps", type=float, metavar="R",
                    help="answer 429 (with Retry-After) beyond R requests in the last second")


def from_args(args):
    if args.max_inflight is not None and args.max_inflight < 1:
        raise SystemExit("--max-inflight wants a number of requests of at least 1")
    if args.max_rps is not None and args.max_rps <= 0:
        raise SystemExit("--max-rps wants a positive number of requests a second")
    return Limiter(args.max_inflight, args.max_rps)
