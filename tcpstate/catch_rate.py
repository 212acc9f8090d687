#!/usr/bin/env python3
"""How many of a connection's state transitions each tcpstate source catches.

Opens and closes N loopback connections back to back (connect, accept,
client close, server close) while `tcpstate watch --json` runs on each
source at once, all on the test's port. Each connection makes 9 transitions
(client: SYN_SENT->ESTABLISHED->FIN_WAIT_1->FIN_WAIT_2->TIME_WAIT; server:
SYN_RCVD->ESTABLISHED->CLOSE_WAIT->LAST_ACK->CLOSED). Prints, per source, the
share of those it reported.

  usage: tcpstate/catch_rate.py BUILD_DIR [N] [INTERVAL_MS]   (bpftrace: root only)
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time

build = sys.argv[1] if len(sys.argv) > 1 else "build"
count = int(sys.argv[2]) if len(sys.argv) > 2 else 100
interval = sys.argv[3] if len(sys.argv) > 3 else "10"
tcpstate = os.path.join(build, "tcpstate", "tcpstate")

lsock = socket.socket()
lsock.bind(("127.0.0.1", 0))
lsock.listen(128)
port = lsock.getsockname()[1]

sources = ["ss", "netstat", "proc"]
if os.geteuid() == 0 and shutil.which("bpftrace"):
    sources.append("bpftrace")
watchers = {s: subprocess.Popen([tcpstate, "watch", "--source", s, "--port", str(port), "--interval", interval,
                                 "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE) for s in sources}
# Each watcher's first line is the listener, printed after its first poll
# (bpftrace: after its probe is attached, which takes seconds).
for source, proc in watchers.items():
    first = proc.stdout.readline()
    assert first, f"{source}: {proc.stderr.read().decode()}"

clients = []
for _ in range(count):
    c = socket.create_connection(("127.0.0.1", port))
    s, _ = lsock.accept()
    clients.append(f"127.0.0.1:{c.getsockname()[1]}")
    c.close()
    s.close()
time.sleep(1)
lsock.close()

PER_CONNECTION = 9
mine = set(clients)
print(f"{count} loopback connections opened and closed back to back; poll interval {interval} ms")
for source, proc in watchers.items():
    proc.terminate()
    out, err = proc.communicate(timeout=30)
    caught = set()
    for line in out.decode().splitlines():
        t = json.loads(line)
        if t["queues_only"]:
            continue
        side = "client" if t["local"] in mine else "server" if t["remote"] in mine else None
        if side is None:
            continue
        key = t["local"] if side == "client" else t["remote"]
        to = t["to"] or "CLOSED"
        # A poll sees a state, not the change: count each state newly reached.
        caught.add((key, side, to))
    wanted = {(c, "client", s) for c in clients for s in ("SYN_SENT", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT")} | \
             {(c, "server", s) for c in clients for s in ("SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK")}
    got = len(caught & wanted)
    missed = {}
    for _, side, state in wanted - caught:
        missed[f"{side} {state}"] = missed.get(f"{side} {state}", 0) + 1
    print(f"  {source:8s} {got:5d} of {len(wanted)} transitions ({100.0 * got / len(wanted):5.1f}%)"
          f"  missed: {', '.join(f'{k} {v}' for k, v in sorted(missed.items()))}")
