#!/usr/bin/env python3
"""The bench's old-against-new comparison (`./socklab bench --against REV`,
bench/ab.py) and how a run treats failures: run tiny and once, so that the
machinery cannot rot; what it measures says nothing here."""
import os
import subprocess
import sys

import pytest

BENCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench")
sys.path.insert(0, BENCH)
import ab  # noqa: E402
import measure  # noqa: E402
from figure import Figure  # noqa: E402
from processes import CommandFailed, Unavailable  # noqa: E402

BUILD = os.environ.get("SOCKLAB_BUILD") or os.path.join(BENCH, "..", "build")


def test_the_build_against_itself_gives_a_row_per_figure_with_both_medians():
    env = dict(os.environ, SOCKLAB_BENCH_SCALE="0.01", SOCKLAB_BENCH_REPEAT="1", SOCKLAB_BENCH_FILE_MIB="2")
    r = subprocess.run(["bash", os.path.join(BENCH, "run"), BUILD, "--old", BUILD], env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=300)
    out = r.stdout.decode()
    err = r.stderr.decode()
    assert r.returncode in (0, 1) and "Traceback" not in err, (r.returncode, out[-2000:], err[-2000:])  # 1: > 3%
    rows = [line for line in out.splitlines() if line.startswith("| ") and not line.startswith("| scenario")]
    scenarios = [row.split(" | ")[0][2:] for row in rows]
    # echo: 4 loads x 2 clients x (throughput, p99), and idle memory; udp: 2 x (replies, lost); filexfer: 5.
    assert (scenarios.count("echo"), scenarios.count("udp"), scenarios.count("filexfer")) == (17, 4, 5), rows
    for row in rows:
        cells = row.strip("| ").split(" | ")
        assert cells[2] != "-" and cells[3] != "-", row  # old and new both measured
        assert cells[5] in ("yes", "**NO**"), row
    assert f"of {len(rows)} figures within 3%" in out


def test_a_scenario_name_that_does_not_exist_is_a_usage_error():
    r = subprocess.run(["bash", os.path.join(BENCH, "run"), BUILD, "--old", BUILD, "nosuch"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 2
    assert "bench: unknown scenario 'nosuch'" in r.stderr.decode()


def test_within_means_at_most_3_percent_worse_either_way():
    def row(old, new, higher_is_better=True):
        return ab.Row("echo", "f", "u", old, new, higher_is_better, [])
    assert row(100, 97).within and not row(100, 96.9).within
    assert row(100, 103, higher_is_better=False).within and not row(100, 103.1, higher_is_better=False).within
    assert row(0, 0, higher_is_better=False).within and not row(0, 1, higher_is_better=False).within


class FakeScenario:
    """One case; contenders given by the test."""

    @staticmethod
    def figure(case, key):
        return Figure("fake", key, "things/s")


def test_a_peer_without_its_tool_is_left_out_saying_why(capsys):
    def missing(turn):
        raise Unavailable("ncat is not installed")
    figures = measure.take_turns(FakeScenario, None, {"socklab": lambda turn: {"rate": 1.0}, "ncat": missing}, 3)
    assert figures[0].runs == {"socklab": [1.0, 1.0, 1.0]}
    assert capsys.readouterr().out.count("bench: ncat left out: ncat is not installed") == 1  # said once


def test_socklab_failing_ends_the_scenario():
    def fails(turn):
        raise CommandFailed("tcp-server: exit 1")
    with pytest.raises(CommandFailed):
        measure.take_turns(FakeScenario, None, {"socklab": fails}, 1)


def test_a_bug_in_the_bench_is_not_taken_for_a_peer_failing():
    def bug(turn):
        return {}["rate"]
    with pytest.raises(KeyError):
        measure.take_turns(FakeScenario, None, {"socklab": lambda turn: {"rate": 1.0}, "epoll": bug}, 1)
