#!/usr/bin/env python3
"""The bench's echo figures: a p99 target is a bound on socklab's own value
(at most 1.2x the reference's), and the latency table shows, per load and
load client, each contender's rate with its p50, p99 and max."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
import report  # noqa: E402
from figure import Figure  # noqa: E402


def p99_figure(mine, theirs):
    fig = Figure("echo", "C=100, 64 B messages, epoll-load: p99", "ms", higher_is_better=False,
                       targets={"epoll": 1.2})
    fig.add("socklab", mine)
    fig.add("epoll", theirs)
    return fig


def test_p99_within_1_2x_of_the_reference_is_met():
    assert p99_figure(1.2, 1.0).verdicts() == [("<= 1.2x epoll", True)]


def test_p99_above_1_2x_of_the_reference_is_not_met():
    assert p99_figure(1.3, 1.0).verdicts() == [("<= 1.2x epoll", False)]


def test_latency_table_has_a_row_per_load_and_client():
    figures = []
    for client, rate in (("tcp-client", 150000.0), ("epoll-load", 120000.0)):
        name = f"C=100, 64 B messages, {client}"
        throughput = Figure("echo", name, "round trips/s", targets={"epoll": 1.0})
        throughput.add("socklab", rate)
        throughput.add("epoll", 140000.0)
        figures.append(throughput)
        for stat, mine, theirs in (("p50", 0.31, 0.47), ("p99", 4.6, 1.44), ("max", 8.75, 4.17)):
            fig = Figure("echo", f"{name}: {stat}", "ms", higher_is_better=False, detail=stat != "p99")
            fig.add("socklab", mine)
            fig.add("epoll", theirs)
            figures.append(fig)
    table = report.echo_latency_table(figures)
    assert "| load | client | tcp-server | epoll reference |" in table
    assert ("| C=100 | tcp-client | 150,000 rt/s, p50 0.31, p99 4.60, max 8.75 ms "
            "| 140,000 rt/s, p50 0.47, p99 1.44, max 4.17 ms |") in table
    assert sum(1 for line in table if line.startswith("| C=100 |")) == 2


def test_results_md_keeps_the_sections_other_scripts_wrote_and_its_own_once(tmp_path, monkeypatch):
    results = tmp_path / "RESULTS.md"
    results.write_text("# old\n\n## ladder: tcpstate against tshark\n\nladder figures\n")
    monkeypatch.setattr(report, "RESULTS", str(results))
    fig = Figure("echo", "C=100, 64 B messages, tcp-client", "round trips/s", targets={"epoll": 1.0})
    fig.add("socklab", 1.0)
    p99 = Figure("echo", "C=100, 64 B messages, tcp-client: p99", "ms", higher_is_better=False)
    p99.add("socklab", 1.0)
    for _ in range(2):  # a second run must not repeat a section
        report.write_results([fig, p99])
    text = results.read_text()
    assert text.count("## ladder: tcpstate against tshark\n\nladder figures\n") == 1
    assert text.count(report.LATENCY_HEADING) == 1
    assert text.index(report.LATENCY_HEADING) < text.index("## ladder")
