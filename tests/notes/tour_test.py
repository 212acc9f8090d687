#!/usr/bin/env python3
"""Runs the guided tour unattended and checks what it showed really happened.

    tour_test.py BUILD_DIR

`./socklab tour --fast` builds, then runs scripts/tour.sh BUILD --fast; this
test runs that script on the build under test. It passes when the tour exits
0 within TIMEOUT seconds and its output has, in order, the lines a correct
run prints: the echo, the upper-cased line, a load run without errors, the
UDP probe and the relay's matching account, file hashes that equal
sha256sum's, the refused hostile name, and every state the demo observed.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lessons  # noqa: E402

TIMEOUT = 180  # seconds; the tour takes about 15 s here
TOUR = Path(__file__).resolve().parents[2] / "scripts" / "tour.sh"

# The key lines, in the order the tour prints them (see lessons.check_output).
EXPECT = [
    r"^Welcome to socklab",
    r"^\[2\] connect 127\.0\.0\.1:[0-9]+ from 127\.0\.0\.1:[0-9]+",
    r"^hello$",
    r"^socklab$",
    r"^\[3\] accept 127\.0\.0\.1:[0-9]+",
    r"^close 127\.0\.0\.1:[0-9]+ \(peer closed, in 14 B, out 14 B",
    r"^MAKE ME LOUD$",
    r"! ^NEVER SENT",
    r"^10000 round trips in [0-9.]+ s",
    r"^errors: 0$",
    r"^HELLO$",
    r"^UDP$",
    r"^sent 1000, received 1000, lost 0 \(0\.0%\)",
    r"^sent 500, received [0-9]+, lost [1-9][0-9]* ",
    r"^relay: from clients 500, forwarded [0-9]+, dropped [1-9][0-9]*,",
    r"^sent photo\.bin 3000000 sha256=[0-9a-f]{64}$",
    r"^refused: name: contains '/'",
    r"^sendfile: hello\.txt: refused by .*exists",
    r"^LISTEN +0 +[0-9]+ +127\.0\.0\.1:[0-9]+",
    r"^States observed: LISTEN SYN_SENT SYN_RCVD ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 CLOSE_WAIT LAST_ACK TIME_WAIT CLOSED$",
    r"^Every expected state was observed\.$",
    r"result: bind: Address already in use",
    r"^That was the tour\.",
]


def hashes_agree(output):
    """Problems unless each file sendfile sent shows the same hash in sha256sum's lines."""
    sent = dict(re.findall(r"^sent (\S+) [0-9]+ sha256=([0-9a-f]{64})$", output, re.M))
    summed = {name: h for h, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", output, re.M)}
    if not sent:
        return ["sendfile reported no file sent"]
    return [f"{name}: sendfile said {h}, sha256sum on the receiver's side says {summed.get(name)}"
            for name, h in sent.items() if summed.get(name) != h]


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    build = Path(argv[1]).resolve()
    try:
        run = subprocess.run(["bash", str(TOUR), str(build), "--fast"], stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT,
                             env={"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LC_ALL": "C.UTF-8",
                                  "NO_COLOR": "1", "HOME": "/tmp"})
    except subprocess.TimeoutExpired:
        print(f"FAIL the tour did not finish within {TIMEOUT} s")
        return 1
    output = run.stdout.decode("utf-8", errors="replace")
    problems = [] if run.returncode == 0 else [f"the tour exited with status {run.returncode}"]
    problems += lessons.check_output(EXPECT, output)
    problems += hashes_agree(output)
    for p in problems:
        print("FAIL", p)
    if problems:
        print("--- the tour printed ---")
        print(output)
        return 1
    print(f"ok   the tour: {len(EXPECT)} key lines in order, hashes agree")
    return 0


def test_the_tour_shows_what_really_happened():
    assert main(["tour_test.py", os.environ["SOCKLAB_BUILD"]]) == 0  # problems printed above
