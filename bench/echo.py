"""echo: tcp-server against the single-threaded epoll reference, socat and
ncat, measured by two load clients (tcp-client --load and bench/epoll_load.cpp);
and the memory an idle connection costs."""
import contextlib
import json
import socket
import time
from dataclasses import dataclass, field

from figure import Figure
from measure import scaled
from processes import CommandFailed, Server, free_port, run, tool


@dataclass
class Load:
    connections: int
    rounds: int
    size: int
    forking: bool  # also the forking servers (socat, ncat)?
    targets: dict = field(default_factory=dict)  # throughput targets against the peers


@dataclass
class Idle:
    connections: int


# Each run is long enough (about a second for socklab) to measure the
# steady state: runs of 30,000 round trips took 0.2-0.3 s here, and the
# start of the threads and the last stragglers weighed on them as much as
# the echo did (2026-12-01: C=1000 at 30 rounds read 0.94x epoll, at 200
# rounds 1.1x).
CASES = [
    Load(1, scaled(5000), 64, True, {"epoll": 1.0}),
    Load(100, scaled(1000), 64, True, {"epoll": 1.0, "socat": 10.0}),
    Load(1000, scaled(200), 64, False, {"epoll": 1.0}),
    Load(10, scaled(2000), 65536, False, {"epoll": 1.0}),
    Idle(scaled(1000)),
]
def prepared():
    """The cases (nothing to make beforehand)."""
    return contextlib.nullcontext(CASES)


CLIENTS = ("tcp-client", "epoll-load")  # tcp-client --load, and bench/epoll_load.cpp
LATENCY = ("p50", "p99", "max")


def load_name(case):
    size_text = "64 KiB" if case.size == 65536 else f"{case.size} B"
    return f"C={case.connections}, {size_text} messages"


def rate_key(case):
    return ("mib_per_s", "MiB/s each way") if case.size >= 65536 else ("round_trips_per_s", "round trips/s")


def figure(case, key):
    """The figure a run's value `key` ("tcp-client round_trips_per_s", "epoll-load p99", "idle") goes to."""
    if isinstance(case, Idle):
        return Figure("echo", f"memory per idle connection ({case.connections} idle)", "KiB",
                      higher_is_better=False, targets={"max": 16})
    client, stat = key.split(" ")
    name = f"{load_name(case)}, {client}"
    if stat in LATENCY:  # p99 has a target (the table and chart); p50 and max are detail
        return Figure("echo", f"{name}: {stat}", "ms", higher_is_better=False, detail=stat != "p99",
                      targets={"epoll": 1.2} if stat == "p99" else {})
    return Figure("echo", name, rate_key(case)[1], targets=case.targets)


def servers(case, build):
    """Contender -> a function that starts its server."""
    out = {
        "socklab": lambda: Server([f"{build}/tcp/tcp-server", "-l", "127.0.0.1:0", "-q"]),
        "epoll": lambda: Server([f"{build}/bench/epoll-echo", "0"]),
    }
    if getattr(case, "forking", False):
        def socat():
            port = free_port()
            return Server([tool("socat"), f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,backlog=1024", "PIPE"],
                          port)

        def ncat():
            port = free_port()
            return Server([tool("ncat"), "-l", "127.0.0.1", str(port), "-k", "-m", "2000", "--exec", "/bin/cat"],
                          port)
        out.update(socat=socat, ncat=ncat)
    return out


def contenders(case, build, tools):
    """Contender -> one run (its turn number -> {key: value}). The servers
    come from `build`, the load clients from `tools`."""
    def once(start):
        if isinstance(case, Idle):
            return lambda turn: {"idle": idle_memory(start, case.connections)}
        return lambda turn: echo_run(start, case, tools, turn)
    return {name: once(start) for name, start in servers(case, build).items()}


def echo_run(start, case, tools, turn):
    values = {}
    key = rate_key(case)[0]
    with start() as server:
        # The clients take turns too, each going first every other time.
        for client in CLIENTS[::1 if turn % 2 == 0 else -1]:
            result = load(tools, client, server.port, case)
            values[f"{client} {key}"] = result[key]
            for stat in LATENCY:
                values[f"{client} {stat}"] = result["latency_ms"][stat]
    # In a fixed order, whichever client went first: the figures are made in this order.
    return {k: values[k] for client in CLIENTS for k in [f"{client} {key}"] + [f"{client} {s}" for s in LATENCY]}


def load(tools, client, port, case):
    """One load run; returns the client's JSON result (both clients print the same keys)."""
    if client == "tcp-client":
        argv = [f"{tools}/tcp/tcp-client", f"127.0.0.1:{port}", "--load", str(case.connections), "--rounds",
                str(case.rounds), "--size", str(case.size), "--json"]
    else:
        argv = [f"{tools}/bench/epoll-load", str(port), str(case.connections), str(case.rounds), str(case.size),
                "100"]
    result = json.loads(run(argv, timeout=120).stdout.decode().strip().splitlines()[-1])
    if result["errors"]:
        raise LoadErrors(f"{client} against port {port}: {result['errors']} errors")
    return result


class LoadErrors(CommandFailed):
    """A load run in which some round trips failed."""


def idle_memory(start, count):
    """KiB of the server's resident set per connection that made one round trip and then sits idle."""
    with start() as server:
        time.sleep(0.2)
        before = server.rss_kib()
        socks = []
        try:
            for _ in range(count):
                s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                socks.append(s)
                s.sendall(b"x")
                if s.recv(1) != b"x":
                    raise LoadErrors("idle connection: no echo")
            time.sleep(0.3)
            after = server.rss_kib()
        finally:
            for s in socks:
                s.close()
    return (after - before) / count
