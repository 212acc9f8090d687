"""The results: bench/results.json (every figure's runs, the latest of each
scenario) and bench/RESULTS.md (a table, and echo's latency table)."""
import datetime
import json
import os
import platform

from figure import Figure, fmt
from processes import say

HERE = os.path.dirname(os.path.abspath(__file__))
STORE = os.path.join(HERE, "results.json")
RESULTS = os.path.join(HERE, "RESULTS.md")


def merge_stored(figures, measured, order):
    """`figures` plus the stored figures of the scenarios not `measured` in
    this run (RESULTS.md always shows every scenario), in `order`; stores them."""
    kept = []
    if os.path.exists(STORE):
        with open(STORE) as f:
            kept = [Figure.from_json(d) for d in json.load(f) if d["scenario"] not in measured]
    figures = sorted(figures + kept, key=lambda f: order.index(f.scenario))
    with open(STORE, "w") as f:
        json.dump([fig.to_json() for fig in figures], f, indent=1)
    return figures


def write_results(figures):
    lines = [
        "# socklab benchmark results",
        "",
        f"Written by `./socklab bench` (last run {datetime.date.today()}): {os.cpu_count()} cores, "
        f"Linux {platform.release()}, loopback; each figure is the median of its runs (min-max in brackets), "
        "the programs taking turns. A ratio above 1 means socklab did better. "
        "The chart of the ratios is [results.png](results.png); the raw runs are in results.json.",
        "",
        "| scenario | figure | unit | socklab | peers (ratio) | target | date |",
        "|---|---|---|---|---|---|---|",
    ]
    for fig in figures:
        if not fig.runs or fig.detail:
            continue
        mine = fig.runs.get("socklab", [])
        label = fig.labels.get("socklab", "socklab")
        mine_text = f"{fmt(fig.median('socklab'))} ({fmt(min(mine))}-{fmt(max(mine))})" if mine else "-"
        if label != "socklab":
            mine_text = f"{label}: {mine_text}"
        peers = []
        for program in fig.runs:
            if program == "socklab":
                continue
            ratio = fig.ratio(program)
            peers.append(f"{program} {fmt(fig.median(program))}" + (f" ({ratio:.2f}x)" if ratio else ""))
        target = "; ".join(f"{what}: {'met' if ok else '**not met**'}" for what, ok in fig.verdicts())
        lines.append(f"| {fig.scenario} | {fig.name} | {fig.unit} | {mine_text} | {'<br>'.join(peers) or '-'} "
                     f"| {target or '-'} | {fig.date} |")
    if os.path.exists(os.path.join(HERE, "NOTES.md")):
        lines += ["", "See [NOTES.md](NOTES.md) for what holds each figure back and how it was profiled."]
    lines += echo_latency_table(figures) + other_sections()
    with open(RESULTS, "w") as f:
        f.write("\n".join(lines) + "\n")
    say(f"bench: wrote {RESULTS}")


def other_sections():
    """The sections of RESULTS.md that other scripts write (bench/ladder.py's "## ladder ..."), as lines."""
    if not os.path.exists(RESULTS):
        return []
    with open(RESULTS) as f:
        sections = f.read().rstrip("\n").split("\n## ")[1:]
    return [line for text in sections if not text.startswith(LATENCY_HEADING[3:])
            for line in ["", "## " + text.rstrip("\n")]]


LATENCY_HEADING = "## echo: latency per load, with both load clients"


def echo_latency_table(figures):
    """Echo, per load and load client: each contender's throughput and its p50, p99 and max round trip."""
    by_name = {f.name: f for f in figures if f.scenario == "echo"}
    rows, contenders = [], []
    for fig in figures:
        if fig.scenario != "echo" or fig.detail or ":" in fig.name or f"{fig.name}: p99" not in by_name:
            continue
        load_name, client = fig.name.rsplit(", ", 1)
        cells = {}
        for program in fig.runs:
            if program not in contenders:
                contenders.append(program)
            stats = [by_name.get(f"{fig.name}: {s}") for s in ("p50", "p99", "max")]
            unit = "MiB/s" if fig.unit.startswith("MiB") else "rt/s"
            text = f"{fmt(fig.median(program))} {unit}"
            if all(st and st.median(program) is not None for st in stats):
                p50, p99, top = (st.median(program) for st in stats)
                text += f", p50 {p50:.2f}, p99 {p99:.2f}, max {top:.2f} ms"
            cells[program] = text
        rows.append((load_name.split(",")[0] + (", 64 KiB" if "KiB" in load_name else ""), client, cells))
    if not rows:
        return []
    names = {"socklab": "tcp-server", "epoll": "epoll reference"}
    out = ["", LATENCY_HEADING, "",
           "Medians of the runs: throughput, then the p50, p99 and max round trip in ms. "
           "`tcp-client` is tcp-client --load; `epoll-load` is bench/epoll_load.cpp (one thread, ping-pong).",
           "", "| load | client | " + " | ".join(names.get(c, c) for c in contenders) + " |",
           "|---|---|" + "---|" * len(contenders)]
    for load_name, client, cells in rows:
        out.append(f"| {load_name} | {client} | " + " | ".join(cells.get(c, "-") for c in contenders) + " |")
    return out
