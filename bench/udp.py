"""udp: udp-server against the plain recvfrom/sendto reference (bench/udp_echo.cpp),
probed by udp-client clients each keeping a window of datagrams in flight."""
import contextlib
import json
import subprocess
import time
from dataclasses import dataclass

from figure import Figure
from measure import scaled
from processes import CommandFailed, Server


@dataclass
class Probe:
    clients: int
    count: int = scaled(20000)  # datagrams per client
    window: int = 16  # datagrams in flight per client
    size: int = 64


CASES = [Probe(1), Probe(8)]


def prepared():
    """The cases (nothing to make beforehand)."""
    return contextlib.nullcontext(CASES)


def figure(case, key):
    if key == "replies":
        return Figure("udp", f"{case.clients} client(s), {case.window} datagrams in flight each, {case.size} B",
                      "replies/s", targets={"udp-echo": 0.9})
    return Figure("udp", f"{case.clients} client(s): datagrams lost", "datagrams", higher_is_better=False,
                  targets={"max": 1})


def contenders(case, build, tools):
    """The servers come from `build`, the udp-client probes from `tools`."""
    servers = {
        "socklab": [f"{build}/udp/udp-server", "-l", "127.0.0.1:0", "-q"],
        "udp-echo": [f"{build}/bench/udp-echo", "0"],
    }
    return {name: (lambda turn, argv=argv: probe(argv, case, tools)) for name, argv in servers.items()}


def probe(server_argv, case, tools):
    with Server(server_argv) as server:
        t0 = time.monotonic()
        argv = [f"{tools}/udp/udp-client", f"127.0.0.1:{server.port}", "--count", str(case.count), "--size",
                str(case.size), "--window", str(case.window), "--json"]
        procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(case.clients)]
        results = []
        for p in procs:
            out, err = p.communicate(timeout=120)
            if p.returncode not in (0, 1):  # 1: some datagrams were lost, which the figure counts
                raise CommandFailed(f"udp-client: exit {p.returncode}: {err.decode()[-300:]}")
            results.append(json.loads(out.decode().strip().splitlines()[-1]))
        seconds = time.monotonic() - t0
    return {"replies": sum(r["received"] for r in results) / seconds, "lost": sum(r["lost"] for r in results)}
