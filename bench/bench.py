#!/usr/bin/env python3
"""socklab's benchmarks: socklab beside the tools people use instead, in the
same run, as ratios.

  bench/run BUILD_DIR [echo|udp|filexfer|states|all]...    (./socklab bench)

Each configuration runs REPEAT times, the programs taking turns so that a
noisy neighbour hurts all of them alike; a figure is the median of its runs,
shown with its min and max. Everything runs on loopback, but for one filexfer
figure across the two-host lab (root). The results go to
bench/RESULTS.md (a table) and bench/results.png (the ratios, via gnuplot).
"""
import datetime
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import filexfer_lab
import filexfer_rsync

HERE = os.path.dirname(os.path.abspath(__file__))
REPEAT = int(os.environ.get("SOCKLAB_BENCH_REPEAT", "5"))  # medians of 3 moved by 10% from run to run here


class Figure:
    """One measured quantity: socklab's runs and each peer's runs."""

    def __init__(self, scenario, name, unit, higher_is_better=True, targets=None, detail=False):
        self.scenario, self.name, self.unit = scenario, name, unit
        self.detail = detail  # kept for a scenario's own table (echo latency), not the main table and chart
        self.higher_is_better = higher_is_better
        # peer -> minimum ratio socklab/peer; "max" / "min" -> a bound on socklab's own median
        self.targets = targets or {}
        self.runs = {}  # program -> [values]

    def to_json(self):
        return {"scenario": self.scenario, "name": self.name, "unit": self.unit,
                "higher_is_better": self.higher_is_better, "targets": self.targets, "runs": self.runs,
                "labels": getattr(self, "labels", {}), "date": str(datetime.date.today()), "detail": self.detail}

    @staticmethod
    def from_json(d):
        fig = Figure(d["scenario"], d["name"], d["unit"], d["higher_is_better"], d["targets"], d.get("detail", False))
        fig.runs, fig.labels, fig.date = d["runs"], d.get("labels", {}), d.get("date")
        fig.checks = fig.verdicts()
        return fig

    def add(self, program, value):
        self.runs.setdefault(program, []).append(value)

    def median(self, program):
        return statistics.median(self.runs[program]) if self.runs.get(program) else None

    def ratio(self, peer):
        """How many times better socklab is than peer (> 1 means socklab wins)."""
        mine, theirs = self.median("socklab"), self.median(peer)
        if not mine or not theirs:
            return None
        return mine / theirs if self.higher_is_better else theirs / mine

    def verdicts(self):
        out = []
        got = self.median("socklab")
        for peer, want in self.targets.items():
            if peer == "max":
                out.append((f"under {fmt(want)} {self.unit}", got is not None and got < want))
            elif peer == "min":
                out.append((f"at least {fmt(want)} {self.unit}", got is not None and got >= want))
            elif self.higher_is_better:
                ratio = self.ratio(peer)
                out.append((f">= {want:.1f}x {peer}", ratio is not None and ratio >= want))
            else:  # socklab's value at most `want` times the peer's
                ratio = self.ratio(peer)
                out.append((f"<= {want:.1f}x {peer}", ratio is not None and ratio >= 1 / want))
        return out


def fmt(x):
    if x is None:
        return "-"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


# --- processes -------------------------------------------------------------

class Server:
    """A server started for one measurement; stopped (by PID) when done."""

    def __init__(self, argv, port=None, stdout_file=None):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE if stdout_file is None else stdout_file,
                                     stderr=subprocess.PIPE, start_new_session=True)
        if port is None:  # our programs and the references print "listening on IP:PORT" first
            line = self._first_line(10)
            m = re.search(r"listening on (\S+):(\d+)", line)
            if not m:
                self.stop()
                raise RuntimeError(f"{argv[0]}: no 'listening on' line: {line!r}")
            self.port = int(m.group(2))
        else:  # other tools: wait until the port accepts (TCP) or a moment (UDP)
            self.port = port
            wait_for_port(port, self.proc)
        # Keep reading what the server prints: a pipe nobody reads fills at
        # 64 KiB and then blocks the server (recvfile prints a line a file).
        self.err_tail = b""
        self._drains = [threading.Thread(target=self._drain, args=(stream, keep), daemon=True)
                        for stream, keep in ((self.proc.stdout, False), (self.proc.stderr, True)) if stream]
        for t in self._drains:
            t.start()

    def _drain(self, stream, keep):
        for chunk in iter(lambda: stream.read1(65536), b""):
            if keep:
                self.err_tail = (self.err_tail + chunk)[-4096:]

    def stderr_tail(self):
        """The end of what the server wrote on stderr (after it exited)."""
        for t in self._drains:
            t.join(timeout=5)
        return self.err_tail.decode(errors="replace")

    def _first_line(self, timeout):
        deadline = time.monotonic() + timeout
        line = b""
        os.set_blocking(self.proc.stdout.fileno(), False)
        while time.monotonic() < deadline and not line.endswith(b"\n"):
            chunk = self.proc.stdout.readline()
            if chunk:
                line += chunk
            elif self.proc.poll() is not None:
                break
            else:
                time.sleep(0.01)
        os.set_blocking(self.proc.stdout.fileno(), True)
        return line.decode(errors="replace")

    def rss_kib(self):
        return proc_status_kib(self.proc.pid, "VmRSS")

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def proc_status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return None


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    """Whether a TCP socket listens on `port` (read from /proc/net/tcp, so
    that checking does not use up a one-connection server's only accept)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                for line in f.readlines()[1:]:
                    fields = line.split()
                    if fields[3] == "0A" and fields[1].endswith(f":{port:04X}"):
                        return True
        except OSError:
            pass
    return False


def wait_for_port(port, proc, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early: {proc.stderr.read().decode(errors='replace')}")
        if listening(port):
            return
        time.sleep(0.02)
    raise RuntimeError(f"nothing listened on port {port} within {timeout} s")


def run(argv, timeout=120, **kw):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, **kw)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv[:3]))}...: exit {r.returncode}: "
                           f"{r.stderr.decode(errors='replace').strip()[-300:]}")
    return r


def have(tool):
    return shutil.which(tool) is not None


def say(text):
    print(text, flush=True)


# --- echo: tcp-server against the epoll reference, socat and ncat -----------

ECHO_CLIENTS = ("tcp-client", "epoll-load")  # tcp-client --load, and bench/epoll_load.cpp


def load(build, client, port, connections, rounds, size):
    """One load run; returns the client's JSON result (both clients print the same keys)."""
    if client == "tcp-client":
        argv = [f"{build}/tcp/tcp-client", f"127.0.0.1:{port}", "--load", str(connections), "--rounds",
                str(rounds), "--size", str(size), "--json"]
    else:
        argv = [f"{build}/bench/epoll-load", str(port), str(connections), str(rounds), str(size), "100"]
    r = run(argv, timeout=120)
    result = json.loads(r.stdout.decode().strip().splitlines()[-1])
    if result["errors"]:
        raise RuntimeError(f"{client} against port {port}: {result['errors']} errors")
    return result


def echo_servers(build, with_forking):
    servers = {
        "socklab": lambda: Server([f"{build}/tcp/tcp-server", "-l", "127.0.0.1:0", "-q"]),
        "epoll": lambda: Server([f"{build}/bench/epoll-echo", "0"]),
    }
    if with_forking and have("socat"):
        def socat():
            port = free_port()
            return Server(["socat", f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,backlog=1024", "PIPE"], port)
        servers["socat"] = socat
    if with_forking and have("ncat"):
        def ncat():
            port = free_port()
            return Server(["ncat", "-l", "127.0.0.1", str(port), "-k", "-m", "2000", "--exec", "/bin/cat"], port)
        servers["ncat"] = ncat
    return servers


def bench_echo(build):
    figures = []
    # Each run is long enough (about a second for socklab) to measure the
    # steady state: runs of 30,000 round trips took 0.2-0.3 s here, and the
    # start of the threads and the last stragglers weighed on them as much
    # as the echo did (2026-12-01: C=1000 at 30 rounds read 0.94x epoll,
    # at 200 rounds 1.1x).
    cases = [  # connections, rounds, size, also the forking servers?, throughput targets
        (1, 5000, 64, True, {"epoll": 1.0}),
        (100, 1000, 64, True, {"epoll": 1.0, "socat": 10.0}),
        (1000, 200, 64, False, {"epoll": 1.0}),
        (10, 2000, 65536, False, {"epoll": 1.0}),
    ]
    for connections, rounds, size, forking, targets in cases:
        size_text = "64 KiB" if size == 65536 else f"{size} B"
        load_name = f"C={connections}, {size_text} messages"
        unit, key = ("MiB/s each way", "mib_per_s") if size >= 65536 else ("round trips/s", "round_trips_per_s")
        # Per client: throughput and p99 with targets (the table and chart);
        # p50 and max as detail, for the latency table.
        per_client = {}
        for client in ECHO_CLIENTS:
            name = f"{load_name}, {client}"
            per_client[client] = {
                key: Figure("echo", name, unit, targets=targets),
                "p50": Figure("echo", f"{name}: p50", "ms", higher_is_better=False, detail=True),
                "p99": Figure("echo", f"{name}: p99", "ms", higher_is_better=False, targets={"epoll": 1.2}),
                "max": Figure("echo", f"{name}: max", "ms", higher_is_better=False, detail=True),
            }
        servers = echo_servers(build, forking)
        for turn in range(REPEAT):
            for name, start in servers.items():
                with start() as server:
                    # The clients take turns too, each going first every other time.
                    for client in ECHO_CLIENTS[::1 if turn % 2 == 0 else -1]:
                        try:
                            result = load(build, client, server.port, connections, rounds, size)
                        except RuntimeError as e:
                            if name == "socklab":
                                raise
                            say(f"bench: {name} failed this run, left out: {e}")  # a peer's failure is its own
                            continue
                        figs = per_client[client]
                        figs[key].add(name, result[key])
                        for stat in ("p50", "p99", "max"):
                            figs[stat].add(name, result["latency_ms"][stat])
        for client in ECHO_CLIENTS:
            for fig in per_client[client].values():
                report(fig)
                figures.append(fig)
    figures.append(bench_idle_memory(build))
    return figures


def open_idle(port, count):
    """count connections that each made one round trip and then sit idle."""
    socks = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"x")
        if s.recv(1) != b"x":
            raise RuntimeError("idle connection: no echo")
        socks.append(s)
    return socks


def bench_idle_memory(build):
    count = 1000
    fig = Figure("echo", f"memory per idle connection ({count} idle)", "KiB", higher_is_better=False,
                 targets={"max": 16})
    servers = echo_servers(build, False)
    for _ in range(REPEAT):
        for name, start in servers.items():
            with start() as server:
                time.sleep(0.2)
                before = server.rss_kib()
                socks = open_idle(server.port, count)
                time.sleep(0.3)
                after = server.rss_kib()
                for s in socks:
                    s.close()
                fig.add(name, (after - before) / count)
    report(fig)
    return fig


# --- udp: udp-server against the recvfrom reference --------------------------

def bench_udp(build):
    figures = []
    count, window = 20000, 16
    for clients in (1, 8):
        fig = Figure("udp", f"{clients} client(s), {window} datagrams in flight each, 64 B", "replies/s",
                     targets={"udp-echo": 0.9})
        lost = Figure("udp", f"{clients} client(s): datagrams lost", "datagrams", higher_is_better=False,
                      targets={"max": 1})
        servers = {
            "socklab": lambda: Server([f"{build}/udp/udp-server", "-l", "127.0.0.1:0", "-q"]),
            "udp-echo": lambda: Server([f"{build}/bench/udp-echo", "0"]),
        }
        for _ in range(REPEAT):
            for name, start in servers.items():
                with start() as server:
                    t0 = time.monotonic()
                    procs = [subprocess.Popen([f"{build}/udp/udp-client", f"127.0.0.1:{server.port}", "--count",
                                               str(count), "--size", "64", "--window", str(window), "--json"],
                                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                             for _ in range(clients)]
                    results = []
                    for p in procs:
                        out, err = p.communicate(timeout=120)
                        if p.returncode not in (0, 1):
                            raise RuntimeError(f"udp-client: exit {p.returncode}: {err.decode()[-300:]}")
                        results.append(json.loads(out.decode().strip().splitlines()[-1]))
                    seconds = time.monotonic() - t0
                    received = sum(r["received"] for r in results)
                    fig.add(name, received / seconds)
                    lost.add(name, sum(r["lost"] for r in results))
        report(fig)
        report(lost)
        figures += [fig, lost]
    return figures


# --- filexfer: sendfile/recvfile against rsync, nc, socat and iperf3 ---------

def timed(argv_recv, argv_send, port=None):
    """Starts the receiver, runs the sender, waits for both; returns seconds and the receiver's max RSS (KiB)."""
    start = time.monotonic()
    rss_file = tempfile.NamedTemporaryFile(prefix="socklab-bench-rss-", delete=False)
    rss_file.close()
    receiver = Server(["/usr/bin/time", "-f", "%M", "-o", rss_file.name] + argv_recv, port)
    try:
        send_argv = [a.replace("{port}", str(receiver.port)) for a in argv_send]
        start = time.monotonic()
        run(send_argv, timeout=300)
        receiver.proc.wait(timeout=300)
        seconds = time.monotonic() - start
        if receiver.proc.returncode != 0:
            raise RuntimeError(f"{argv_recv[0]}: exit {receiver.proc.returncode}: "
                               f"{receiver.stderr_tail()[-300:]}")
    finally:
        receiver.stop()
    with open(rss_file.name) as f:
        rss = int(f.read().split()[-1])
    os.unlink(rss_file.name)
    return seconds, rss


def bench_filexfer(build):
    figures = []
    work = tempfile.mkdtemp(prefix="socklab-bench-")
    try:
        src = os.path.join(work, "big.bin")
        size = int(os.environ.get("SOCKLAB_BENCH_FILE_MIB", "1024")) * 1024 * 1024
        with open(src, "wb") as f:  # incompressible data, written once
            chunk = os.urandom(1 << 20)
            for _ in range(size >> 20):
                f.write(chunk)
        mib = size / (1 << 20)
        dest = os.path.join(work, "in")
        os.mkdir(dest)
        out = os.path.join(dest, "big.bin")

        big = Figure("filexfer", f"{mib:.0f} MiB file, verified (SHA-256 both sides)", "MiB/s",
                     targets={"rsync": 1.0, "nc": 1.5, "socat": 1.0})
        rss = Figure("filexfer", f"recvfile peak memory, {mib:.0f} MiB file", "MiB", higher_is_better=False,
                     targets={"max": 32})
        def clean():
            shutil.rmtree(dest)
            os.mkdir(dest)
        rsyncd = filexfer_rsync.RsyncDaemon(dest) if have("rsync") else None
        for _ in range(REPEAT):
            clean()
            seconds, kib = timed([f"{build}/filexfer/recvfile", "-l", "127.0.0.1:0", "--dir", dest, "--once", "-q"],
                                 [f"{build}/filexfer/sendfile", "-q", src, "127.0.0.1:{port}"])
            big.add("socklab", mib / seconds)
            rss.add("socklab", kib / 1024)
            clean()
            if rsyncd:  # the same promise: a whole-file checksum, and --fsync
                big.add("rsync", mib / rsyncd.seconds(src))
                clean()
            if have("nc"):
                port = free_port()
                seconds, _ = timed(["sh", "-c", f"exec nc -l 127.0.0.1 {port} > {out}"],
                                   ["sh", "-c", f"exec nc -N 127.0.0.1 {port} < {src}"], port)
                big.add("nc", mib / seconds)
                clean()
            if have("socat"):
                port = free_port()
                seconds, _ = timed(["socat", "-u", "-b", "262144", f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr",
                                    f"OPEN:{out},creat,trunc"],
                                   ["socat", "-u", "-b", "262144", f"OPEN:{src}", f"TCP:127.0.0.1:{port}"], port)
                big.add("socat", mib / seconds)
                clean()
            if have("iperf3"):  # the ceiling: memory to memory, no disk, no hashing
                port = free_port()
                with Server(["iperf3", "-s", "-1", "-B", "127.0.0.1", "-p", str(port)], port) as _:
                    r = run(["iperf3", "-c", "127.0.0.1", "-p", str(port), "-n", str(size), "-J"], timeout=120)
                    bps = json.loads(r.stdout)["end"]["sum_received"]["bits_per_second"]
                    big.add("iperf3", bps / 8 / (1 << 20))
        report(big)
        report(rss)
        figures += [big, rss]

        # The lab's link at 1 Gbit/s (bench/filexfer_lab.py): against iperf3 on the same link.
        if why := filexfer_lab.unavailable():
            say(f"bench: filexfer: the lab's link left out: {why}")
        else:
            lab_mib = int(os.environ.get("SOCKLAB_BENCH_LAB_MIB", "256"))
            lab = Figure("filexfer", f"{lab_mib} MiB across the lab's 1 Gbit/s link (scripts/lab, tbf)", "MiB/s",
                         targets={"iperf3": 0.97})
            for program, values in filexfer_lab.rates(build, work, lab_mib, REPEAT).items():
                for value in values:
                    lab.add(program, value)
            report(lab)
            figures.append(lab)

        many_dir = os.path.join(work, "many")
        os.mkdir(many_dir)
        count = 1000
        names = []
        for i in range(count):
            name = os.path.join(many_dir, f"f{i:04d}.bin")
            with open(name, "wb") as f:
                f.write(os.urandom(1024))
            names.append(name)
        small = Figure("filexfer", f"{count} files of 1 KiB over one connection", "files/s",
                       targets={"min": 500, "rsync": 1.2})
        for _ in range(REPEAT):
            clean()
            seconds, _ = timed([f"{build}/filexfer/recvfile", "-l", "127.0.0.1:0", "--dir", dest, "--once", "-q"],
                               [f"{build}/filexfer/sendfile", "-q"] + names + ["127.0.0.1:{port}"])
            small.add("socklab", count / seconds)
            if rsyncd:
                clean()
                small.add("rsync", count / rsyncd.seconds(*names))
        report(small)
        figures.append(small)

        tree = os.path.join(work, "tree")
        filexfer_rsync.make_tree(tree)
        many = Figure("filexfer", "a tree of 10000 files of 1 KiB in 100 directories", "files/s",
                      targets={"rsync": 1.2})
        tree_rss = Figure("filexfer", "recvfile peak memory, the tree of 10000 files", "MiB",
                          higher_is_better=False, targets={"max": 32})
        for _ in range(REPEAT):
            clean()
            seconds, kib = timed([f"{build}/filexfer/recvfile", "-l", "127.0.0.1:0", "--dir", dest, "--once", "-q"],
                                 [f"{build}/filexfer/sendfile", "-q", tree, "127.0.0.1:{port}"])
            many.add("socklab", 10000 / seconds)
            tree_rss.add("socklab", kib / 1024)
            if rsyncd:
                clean()
                many.add("rsync", 10000 / rsyncd.seconds(tree, recursive=True))
        report(many)
        report(tree_rss)
        figures += [many, tree_rss]
        if rsyncd:
            rsyncd.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return figures


# --- states: how much each tcpstate source sees ------------------------------

def bench_states(build):
    """Each source's share of the 9 transitions per connection (bpftrace: root only)."""
    figures = {}
    for _ in range(REPEAT):
        r = run([sys.executable, os.path.join(HERE, "..", "tcpstate", "catch_rate.py"), build, "100", "10"],
                timeout=300)
        for line in r.stdout.decode().splitlines():
            m = re.match(r"\s+(\w+)\s+\d+ of \d+ transitions \(\s*([\d.]+)%\)", line)
            if m:
                source = m.group(1)
                if source not in figures:
                    figures[source] = Figure("states", f"tcpstate --source {source}: transitions caught "
                                             "(100 connections back to back, 10 ms polls)", "%")
                figures[source].add("socklab", float(m.group(2)))
    for fig in figures.values():
        report(fig)
    return list(figures.values())


# --- reporting ---------------------------------------------------------------

def report(fig):
    parts = []
    for program, values in fig.runs.items():
        label = getattr(fig, "labels", {}).get(program, program)
        text = f"{label} {fmt(statistics.median(values))} ({fmt(min(values))}-{fmt(max(values))})"
        if program != "socklab" and fig.ratio(program):
            text += f" ratio {fig.ratio(program):.2f}x"
        parts.append(text)
    checks = fig.verdicts()
    verdict = "; ".join(f"{'met' if ok else 'NOT MET'}: {what}" for what, ok in checks)
    fig.checks = checks
    say(f"{fig.scenario:8s} {fig.name} [{fig.unit}]: " + " | ".join(parts) + (f"  [{verdict}]" if verdict else ""))


def write_results(figures):
    path = os.path.join(HERE, "RESULTS.md")
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
        label = getattr(fig, "labels", {}).get("socklab", "socklab")
        mine_text = f"{fmt(statistics.median(mine))} ({fmt(min(mine))}-{fmt(max(mine))})" if mine else "-"
        if label != "socklab":
            mine_text = f"{label}: {mine_text}"
        peers = []
        for program, values in fig.runs.items():
            if program == "socklab":
                continue
            ratio = fig.ratio(program)
            peers.append(f"{program} {fmt(statistics.median(values))}" + (f" ({ratio:.2f}x)" if ratio else ""))
        target = "; ".join(f"{what}: {'met' if ok else '**not met**'}" for what, ok in getattr(fig, "checks", []))
        lines.append(f"| {fig.scenario} | {fig.name} | {fig.unit} | {mine_text} | {'<br>'.join(peers) or '-'} "
                     f"| {target or '-'} | {getattr(fig, 'date', None) or datetime.date.today()} |")
    lines += echo_latency_table(figures)
    notes = os.path.join(HERE, "NOTES.md")
    if os.path.exists(notes):
        lines += ["", "See [NOTES.md](NOTES.md) for what holds each figure back and how it was profiled."]
    # Sections other scripts add (bench/ladder.py's "## ladder ...") are kept.
    kept = ""
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
        kept = old[old.find("\n## "):] if "\n## " in old else ""
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n" + kept)
    say(f"bench: wrote {path}")
    chart(figures)


def echo_latency_table(figures):
    """Echo, per load and load client: each contender's throughput and its p50, p99 and max round trip."""
    by_name = {f.name: f for f in figures if f.scenario == "echo"}
    rows, contenders = [], []
    for fig in figures:
        if fig.scenario != "echo" or fig.detail or fig.name not in by_name or ":" in fig.name:
            continue
        if f"{fig.name}: p99" not in by_name:
            continue
        load_name, client = fig.name.rsplit(", ", 1)
        cells = {}
        for program in fig.runs:
            if program not in contenders:
                contenders.append(program)
            stats = [by_name.get(f"{fig.name}: {s}") for s in ("p50", "p99", "max")]
            rate = fig.median(program)
            unit = "MiB/s" if fig.unit.startswith("MiB") else "rt/s"
            text = f"{fmt(rate)} {unit}"
            if all(st and st.median(program) is not None for st in stats):
                p50, p99, top = (st.median(program) for st in stats)
                text += f", p50 {p50:.2f}, p99 {p99:.2f}, max {top:.2f} ms"
            cells[program] = text
        rows.append((load_name.split(",")[0] + (", 64 KiB" if "KiB" in load_name else ""), client, cells))
    if not rows:
        return []
    names = {"socklab": "tcp-server", "epoll": "epoll reference"}
    out = ["", "## echo: latency per load, with both load clients", "",
           "Medians of the runs: throughput, then the p50, p99 and max round trip in ms. "
           "`tcp-client` is tcp-client --load; `epoll-load` is bench/epoll_load.cpp (one thread, ping-pong).",
           "", "| load | client | " + " | ".join(names.get(c, c) for c in contenders) + " |",
           "|---|---|" + "---|" * len(contenders)]
    for load_name, client, cells in rows:
        out.append(f"| {load_name} | {client} | " + " | ".join(cells.get(c, "-") for c in contenders) + " |")
    return out


def chart(figures):
    """A bar per (figure, peer): socklab's ratio to that peer; 1.0 is parity."""
    if not have("gnuplot"):
        say("bench: gnuplot is not installed; no chart")
        return
    rows = []
    for fig in figures:
        if fig.detail:
            continue
        for program in fig.runs:
            ratio = fig.ratio(program) if program != "socklab" else None
            if ratio:
                parts = fig.name.split(", ")
                short = f"{parts[0]} {parts[-1]}" if fig.scenario == "echo" and len(parts) > 2 else parts[0]
                label = f"{fig.scenario}: {short} vs {program}"
                rows.append((label.replace('"', "'"), ratio))
    if not rows:
        return
    data = tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False)
    for i, (label, ratio) in enumerate(rows):
        data.write(f'{i} {ratio:.4f} "{label}"\n')
    data.close()
    png = os.path.join(HERE, "results.png")
    script = f"""
set terminal pngcairo size 1000,{200 + 28 * len(rows)} font ",10"
set output "{png}"
set title "socklab / peer (above 1: socklab is better), median of {REPEAT} runs"
set style fill solid 0.8
set boxwidth 0.7
set yrange [-1:{len(rows)}]
set ytics ()
set logscale x 2
set xlabel "ratio (log scale)"
set grid x
set arrow from 1, graph 0 to 1, graph 1 nohead lw 2 lc rgb "black"
unset key
plot "{data.name}" using (1):1:($2 < 1 ? $2 : 1):($2 < 1 ? 1 : $2):($1 - 0.35):($1 + 0.35):ytic(3) \\
     with boxxyerror lc rgb "#4477aa" notitle
"""
    r = subprocess.run(["gnuplot"], input=script.encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    os.unlink(data.name)
    if r.returncode != 0:
        say(f"bench: gnuplot failed: {r.stderr.decode()[-300:]}")
    else:
        say(f"bench: wrote {png}")


SCENARIOS = {"echo": bench_echo, "udp": bench_udp, "filexfer": bench_filexfer, "states": bench_states}


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip())
        return 2
    build = os.path.abspath(sys.argv[1])
    wanted = sys.argv[2:] or ["all"]
    for name in wanted:
        if name != "all" and name not in SCENARIOS:
            print(f"bench: unknown scenario '{name}' (echo, udp, filexfer, states, all)", file=sys.stderr)
            return 2
    names = list(SCENARIOS) if "all" in wanted else wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # 1000 connections need 1000+ descriptors
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    figures, failed = [], []
    started = time.monotonic()
    for name in names:
        say(f"bench: {name}")
        try:
            figures += SCENARIOS[name](build)
        except (RuntimeError, subprocess.TimeoutExpired, OSError, KeyError, ValueError) as e:
            say(f"bench: {name}: {e}")
            failed.append(name)
    say(f"bench: {time.monotonic() - started:.0f} s")
    # Keep the other scenarios' latest figures: RESULTS.md always shows every scenario.
    store = os.path.join(HERE, "results.json")
    kept = []
    if os.path.exists(store):
        with open(store) as f:
            kept = [Figure.from_json(d) for d in json.load(f) if d["scenario"] not in names or d["scenario"] in failed]
    figures = [f for f in figures if f.scenario not in failed] + kept
    order = list(SCENARIOS)
    figures.sort(key=lambda f: order.index(f.scenario))
    with open(store, "w") as f:
        json.dump([fig.to_json() for fig in figures], f, indent=1)
    write_results(figures)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
