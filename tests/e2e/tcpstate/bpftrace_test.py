"""tcpstate with the bpftrace source (root): every transition of a
connection, even the microsecond ones, and the demo's LAST_ACK."""
import json
import os
import socket
import subprocess
import sys
import time

from socklab_test import binary, need_tool, read_line, real_uid, run, skip, spawn

TCPSTATE = binary("tcpstate")
# Opens and closes one connection to 127.0.0.1:PORT inside its own namespace.
OTHER_NAMESPACE = """
import socket, subprocess, sys
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
port = int(sys.argv[1])
with socket.create_server(("127.0.0.1", port)) as listener:
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    server, _ = listener.accept()
    client.close()
    server.close()
"""


def need_bpftrace():
    if real_uid() != 0:
        skip("the bpftrace source needs root; CI runs as root")
    need_tool("bpftrace")
    # The tracepoint lives in tracefs: mount it when this machine has not.
    if not os.path.exists("/sys/kernel/tracing/events/sock") and \
            not os.path.exists("/sys/kernel/debug/tracing/events/sock"):
        subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"], check=False)


def test_bpftrace_sees_every_transition():
    need_bpftrace()
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    port = lsock.getsockname()[1]
    watcher = spawn([TCPSTATE, "watch", "--source", "bpftrace", "--port", str(port), "--interval", "50",
                     "--json"])
    # Wait until bpftrace attached: the first poll prints the listener.
    first = json.loads(read_line(watcher, 60))
    assert first["to"] == "LISTEN", first
    # The same address and port in another network namespace: the kernel's
    # tracepoint sees that connection too, but it is not ours to show.
    elsewhere = run(["unshare", "--net", sys.executable, "-c", OTHER_NAMESPACE, str(port)])
    assert elsewhere.returncode == 0, elsewhere.stderr
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    server, _ = lsock.accept()
    me = f"127.0.0.1:{client.getsockname()[1]}"
    client.close()   # no pauses at all: only the tracepoint sees these
    server.close()
    lsock.close()
    # Read until the server's socket is CLOSED, the last transition expected.
    seen = [first]
    deadline = time.monotonic() + 20
    while not (seen[-1]["remote"] == me and seen[-1]["to"] == "CLOSED"):
        line = read_line(watcher, max(0.1, deadline - time.monotonic()))
        assert line is not None, seen
        seen.append(json.loads(line))
    watcher.terminate()
    out, err = watcher.communicate(timeout=20)
    seen += [json.loads(line) for line in out.decode().splitlines()]
    mine = [(t["from"], t["to"]) for t in seen if t["local"] == me]
    peer = [(t["from"], t["to"]) for t in seen if t["remote"] == me]
    assert mine == [("CLOSED", "SYN_SENT"), ("SYN_SENT", "ESTABLISHED"), ("ESTABLISHED", "FIN_WAIT_1"), ("FIN_WAIT_1", "FIN_WAIT_2"),
                    ("FIN_WAIT_2", "TIME_WAIT")], (mine, err)
    assert peer == [("LISTEN", "SYN_RCVD"), ("SYN_RCVD", "ESTABLISHED"), ("ESTABLISHED", "CLOSE_WAIT"),
                    ("CLOSE_WAIT", "LAST_ACK"), ("LAST_ACK", "CLOSED")], (peer, err)
    assert all(t["source"] == "bpftrace" for t in seen if t["local"] == me or t["remote"] == me)
    # Besides our connection, only our listener's own close may show.
    others = [t for t in seen if me not in (t["local"], t["remote"]) and not t["initial"] and not t["queues_only"]]
    assert len(others) <= 1 and all(t["from"] == "LISTEN" for t in others), \
        f"sockets of another network namespace were shown: {others}"


def test_bpftrace_burst_is_not_cut_short():
    """200 connections back to back, then SIGTERM at once: the watcher lets
    bpftrace catch up before it exits, so no connection is missing."""
    need_bpftrace()
    from socklab_test import read_line
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(128)
    port = lsock.getsockname()[1]
    watcher = spawn([TCPSTATE, "watch", "--source", "bpftrace", "--port", str(port), "--interval", "10",
                     "--json"])
    assert json.loads(read_line(watcher, 60))["to"] == "LISTEN"
    clients = []
    for _ in range(200):
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        s, _ = lsock.accept()
        clients.append(f"127.0.0.1:{c.getsockname()[1]}")
        c.close()
        s.close()
    lsock.close()
    watcher.terminate()
    out, err = watcher.communicate(timeout=20)
    assert watcher.returncode == 0, err
    seen = [json.loads(line) for line in out.decode().splitlines()]
    last_ack = {t["remote"] for t in seen if t["to"] is None or t["to"] == "CLOSED"}
    missing = [c for c in clients if c not in last_ack]
    assert not missing, f"{len(missing)} of 200 connections never reached CLOSED: {missing[:5]}"


def test_demo_with_bpftrace_observes_last_ack():
    need_bpftrace()
    r = run([TCPSTATE, "demo", "--pause", "0", "--json", "--scene", "lifecycle", "--source", "bpftrace"],
            timeout=120)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.decode().splitlines()[-1])
    assert "LAST_ACK" in summary["observed_states"] and summary["ok"], summary
