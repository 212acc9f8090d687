"""states: how many of the 9 transitions per connection each tcpstate source
sees (tcpstate/catch_rate.py; bpftrace only as root)."""
import contextlib
import os
import re
import sys

from figure import Figure
from processes import run

CATCH_RATE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tcpstate", "catch_rate.py")
CONNECTIONS, POLL_MS = 100, 10


def prepared():
    return contextlib.nullcontext(["catch rate"])


def figure(case, source):
    return Figure("states", f"tcpstate --source {source}: transitions caught "
                  f"({CONNECTIONS} connections back to back, {POLL_MS} ms polls)", "%")


def contenders(case, build, tools):
    return {"socklab": lambda turn: catch_rates(build)}


def catch_rates(build):
    """Source -> percent of the transitions it caught, from catch_rate.py's lines."""
    out = run([sys.executable, CATCH_RATE, build, str(CONNECTIONS), str(POLL_MS)], timeout=300).stdout.decode()
    rates = {}
    for line in out.splitlines():
        m = re.match(r"\s+(\w+)\s+\d+ of \d+ transitions \(\s*([\d.]+)%\)", line)
        if m:
            rates[m.group(1)] = float(m.group(2))
    return rates
