#!/usr/bin/env python3
"""Soak: udp-server under a flood of garbage, on loopback.

Flooder processes send random-sized (0..65507 bytes) random datagrams from
many sockets as fast as they can, never reading a reply; meanwhile
udp-client probes the server. The server must keep answering (the probe gets
most of its replies back: some loss is UDP's right under a flood), never
crash, keep its memory bounded, answer everything once the flood ends, and
exit 0 on SIGTERM in the middle of the flood.

Short by default (a few seconds); SOCKLAB_SOAK_SECONDS=N floods for N seconds.
Figures go to stdout ("soak udp: ...").
"""
import json
import os
import random
import socket
import sys
import time
from multiprocessing import Event, Process

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import socklab_test as t  # noqa: E402
from servers import memory_kib  # noqa: E402

SECONDS = float(os.environ.get("SOCKLAB_SOAK_SECONDS", "4"))
FLOODERS = 4
SOCKETS_PER_FLOODER = 50


def flood(port, seconds, seed, started=None):
    """Random garbage from many sockets, bounded by time and by count; sets
    `started` once the first thousand datagrams are out."""
    rng = random.Random(seed)
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(SOCKETS_PER_FLOODER)]
    blob = os.urandom(65507)
    deadline = time.monotonic() + seconds
    for i in range(5_000_000):
        if time.monotonic() >= deadline:
            break
        size = rng.choice((0, 1, 20, 64, 512, 1472, 9000, 65507, rng.randrange(65508)))
        try:
            socks[i % len(socks)].sendto(blob[:size], ("127.0.0.1", port))
        except OSError:
            pass  # ENOBUFS and the like: the flood goes on
        if i == 1000 and started is not None:
            started.set()
    for s in socks:
        s.close()


def probe(server, count, timeout="1"):
    r = t.run([t.binary("udp-client"), server.peer(), "--count", str(count), "--size", "64", "--window", "8",
               "--reply-timeout", timeout, "--json"], timeout=120)
    assert r.returncode in (0, 1), r.stderr
    return json.loads(r.stdout) if r.stdout.strip() else {"received": 0, "sent": count}


def test_flood_while_probing():
    server = t.start_server("udp-server", "-q", "--max-peers", "100")
    pid = server.proc.pid
    idle_rss = memory_kib(pid, "VmRSS")[0]
    started = [Event() for _ in range(FLOODERS)]
    flooders = [Process(target=flood, args=(server.port, SECONDS, seed, started[seed])) for seed in range(FLOODERS)]
    for p in flooders:
        p.start()
    try:
        assert all(e.wait(30) for e in started), "the flooders did not start within 30 s"
        during = probe(server, 2000)
        peak_rss = memory_kib(pid, "VmRSS")[0]
        assert server.proc.poll() is None, "udp-server died under the flood"
        # Most probes come back even while the flood fills the socket buffer.
        assert during["received"] >= 200, during
    finally:
        for p in flooders:
            p.join(SECONDS + 30)
            if p.is_alive():
                p.kill()
    after = probe(server, 2000)
    assert after["received"] == 2000 and after["lost"] == 0, after
    assert peak_rss - idle_rss < 64 * 1024, (idle_rss, peak_rss)  # bounded: no per-datagram growth
    status, _, err = server.stop()
    assert status == 0, err
    print(f"soak udp: {FLOODERS * SOCKETS_PER_FLOODER} flooding sockets for {SECONDS:.0f} s; probe during the flood: "
          f"{during['received']}/{during['sent']} answered; after: {after['received']}/{after['sent']}; "
          f"RSS idle {idle_rss} KiB, peak {peak_rss} KiB")


def test_sigterm_in_the_middle_of_the_flood():
    server = t.start_server("udp-server")
    started = [Event() for _ in range(2)]
    flooders = [Process(target=flood, args=(server.port, 2, seed, started[seed])) for seed in range(2)]
    for p in flooders:
        p.start()
    assert all(e.wait(30) for e in started), "the flooders did not start within 30 s"
    status, out, err = server.stop()
    for p in flooders:
        p.join(30)
    assert status == 0, err
    assert "stopped; datagrams:" in out, out
