#!/usr/bin/env python3
"""socklab's benchmarks: socklab beside the tools people use instead, in the
same run, as ratios.

  bench/run BUILD_DIR [SCENARIO...]                    (./socklab bench)
  bench/run BUILD_DIR --old OLD_BUILD_DIR [SCENARIO...]  (./socklab bench --against REV)

SCENARIO: echo, udp, filexfer, lab, states or all (the default). Each
configuration runs SOCKLAB_BENCH_REPEAT times (default 5), the programs
taking turns so that a noisy neighbour hurts all of them alike; a figure is
the median of its runs, shown with its min and max. Everything runs on
loopback but lab, across the two-host lab's namespaces (root only). The
results go to bench/RESULTS.md (a table) and bench/results.png (the ratios,
via gnuplot).

With --old, only socklab's own programs run, from OLD_BUILD_DIR and from
BUILD_DIR taking turns, and one table compares them (bench/ab.py); nothing
is written. Its scenarios default to echo, udp and filexfer.
"""
import os
import resource
import sys
import time

import ab
import chart
import echo
import filexfer
import lab
import measure
import report
import states
import udp
from processes import FAILURES, say

SCENARIOS = {
    "echo": echo,  # tcp-server against the epoll reference, socat and ncat; two load clients; idle memory
    "udp": udp,  # udp-server against a plain recvfrom/sendto loop
    "filexfer": filexfer,  # sendfile -> recvfile against rsync --fsync, nc, socat and iperf3
    "lab": lab,  # sendfile -> recvfile across the two-host lab's 1 Gbit/s link against iperf3
    "states": states,  # how many transitions each tcpstate source catches
}
AB_DEFAULT = ["echo", "udp", "filexfer"]
REPEAT = int(os.environ.get("SOCKLAB_BENCH_REPEAT", "5"))  # medians of 3 moved by 10% from run to run here


def usage(error):
    print(f"bench: {error}\n\n{__doc__.strip()}", file=sys.stderr)
    return 2


def main(argv):
    if not argv or argv[0].startswith("-"):
        return usage("which build directory?")
    build, old, wanted = os.path.abspath(argv[0]), None, argv[1:]
    if wanted[:1] == ["--old"]:
        if len(wanted) < 2:
            return usage("--old needs a build directory")
        old, wanted = os.path.abspath(wanted[1]), wanted[2:]
    for directory in (build, old or build):
        if not os.path.isdir(directory):
            return usage(f"no build directory {directory}")
    for name in wanted:
        if name != "all" and name not in SCENARIOS:
            return usage(f"unknown scenario '{name}' ({', '.join(SCENARIOS)}, all)")
    if "all" in wanted:
        names = list(SCENARIOS)
    else:
        names = wanted or (AB_DEFAULT if old else list(SCENARIOS))
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # 1000 connections need 1000+ descriptors
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    started = time.monotonic()
    try:
        if old:
            try:
                rows = ab.compare([SCENARIOS[n] for n in names], old, build, REPEAT)
            except FAILURES as e:
                say(f"bench: socklab failed: {e}")
                return 1
            say("\n".join(ab.table(rows, REPEAT)))
            return 0 if all(r.within for r in rows) else 1
        return bench([(n, SCENARIOS[n]) for n in names], build)
    finally:
        say(f"bench: {time.monotonic() - started:.0f} s")


def bench(scenarios, build):
    """Measures `scenarios`, then writes RESULTS.md and results.png with the
    stored figures of the others. A scenario whose socklab program fails is
    not written over; the exit status is then 1."""
    figures, failed = [], []
    for name, scenario in scenarios:
        say(f"bench: {name}")
        try:
            figures += measure.measure(scenario, build, REPEAT)
        except FAILURES as e:
            say(f"bench: {name}: socklab failed: {e}")
            failed.append(name)
    measured = [name for name, _ in scenarios if name not in failed]
    figures = report.merge_stored(figures, measured, list(SCENARIOS))
    report.write_results(figures)
    chart.chart(figures, REPEAT)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
