"""tcpstate watch and snapshot against a connection this test opens and
closes step by step on loopback, for each poll source; a missing source."""
import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from socklab_test import Terminal, as_nobody, binary, need_tool, read_line, real_uid, run, skip, spawn, wait_until

TCPSTATE = binary("tcpstate")
CLEAR = "\x1b[H\x1b[2J"  # how the live view starts each screen


def held_connection():
    """A listener on a free port: (socket, port)."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    return lsock, lsock.getsockname()[1]


class Watcher:
    """`tcpstate watch --json` running; reads its lines as they come."""

    def __init__(self, source, port, *extra):
        self.proc = spawn([TCPSTATE, "watch", "--source", source, "--port", str(port), "--interval", "50",
                           "--duration", "30", "--json", *extra])
        self.seen = []

    def wait_for(self, what, predicate, timeout=10):
        """Reads lines until one transition satisfies `predicate`; returns it."""
        for t in self.seen:
            if predicate(t):
                return t
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = read_line(self.proc, deadline - time.monotonic())
            assert line is not None, f"watch ended before {what}; saw {self.seen}"
            self.seen.append(json.loads(line))
            if predicate(self.seen[-1]):
                return self.seen[-1]
        raise AssertionError(f"watch did not report {what} within {timeout}s; saw {self.seen}")

    def stop(self):
        """SIGTERM ends watch cleanly (exit 0); returns every transition it reported."""
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=20)
        assert self.proc.returncode == 0, err.decode()
        self.seen += [json.loads(line) for line in out.decode().splitlines()]
        return self.seen


def watch_source(source):
    """The client closes first; each step waits until watch has reported the
    state the step before it produced, so every state is held long enough."""
    lsock, port = held_connection()
    watcher = Watcher(source, port)
    watcher.wait_for("the listener", lambda t: t["to"] == "LISTEN")
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    server, _ = lsock.accept()
    me = f"127.0.0.1:{client.getsockname()[1]}"
    mine = lambda state: lambda t: t["local"] == me and t["to"] == state  # noqa: E731
    peer = lambda state: lambda t: t["remote"] == me and t["to"] == state  # noqa: E731
    watcher.wait_for("the client ESTABLISHED", mine("ESTABLISHED"))
    watcher.wait_for("the server ESTABLISHED", peer("ESTABLISHED"))
    client.shutdown(socket.SHUT_WR)      # client FIN_WAIT_2, server CLOSE_WAIT
    watcher.wait_for("the client in FIN_WAIT_2", mine("FIN_WAIT_2"))
    watcher.wait_for("the server in CLOSE_WAIT", peer("CLOSE_WAIT"))
    server.close()                       # client TIME_WAIT, server gone
    watcher.wait_for("the client in TIME_WAIT", mine("TIME_WAIT"))
    watcher.wait_for("the server socket gone", peer(None))
    client.close()
    seen = watcher.stop()
    assert all(t["source"] == source for t in seen), seen
    # SYN_SENT, SYN_RCVD, FIN_WAIT_1 and LAST_ACK each last until one ACK
    # arrives: microseconds on loopback, so a poll catches them only sometimes.
    fleeting = {"SYN_SENT", "SYN_RCVD", "FIN_WAIT_1", "LAST_ACK"}
    mine = [t["to"] for t in seen if t["local"] == me and not t["queues_only"] and t["to"] not in fleeting]
    peer = [t["to"] for t in seen if t["remote"] == me and not t["queues_only"] and t["to"] not in fleeting]
    assert mine[:3] == ["ESTABLISHED", "FIN_WAIT_2", "TIME_WAIT"], (source, mine)
    assert peer[:3] == ["ESTABLISHED", "CLOSE_WAIT", None], (source, peer)
    listening = [t for t in seen if t["to"] == "LISTEN"]
    assert listening and listening[0]["initial"], seen
    lsock.close()


def test_watch_ss():
    need_tool("ss")
    watch_source("ss")


def test_watch_netstat():
    need_tool("netstat")
    watch_source("netstat")


def test_watch_proc():
    watch_source("proc")


def test_watch_plain_lines():
    lsock, port = held_connection()
    r = run([TCPSTATE, "watch", "--source", "proc", "--port", str(port), "--duration", "0.3"])
    assert r.returncode == 0, r.stderr
    line = r.stdout.decode().strip()
    assert re.match(rf"^\d\d:\d\d:\d\d\.\d{{3}}  127\.0\.0\.1:{port} 0\.0\.0\.0:\*  \(new\) -> LISTEN  \(already there\)$",
                    line), line
    lsock.close()


def test_watch_reports_queues_that_change():
    """Bytes that arrived but were not read show as Recv-Q on the reader's
    socket, without any change of state: the sliding-window lesson."""
    lsock, port = held_connection()
    watcher = Watcher("proc", port)
    watcher.wait_for("the listener", lambda t: t["to"] == "LISTEN")
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    server, _ = lsock.accept()
    me = f"127.0.0.1:{client.getsockname()[1]}"
    watcher.wait_for("the server ESTABLISHED", lambda t: t["remote"] == me and t["to"] == "ESTABLISHED")
    client.sendall(b"x" * 1000)  # the server never reads them
    unread = watcher.wait_for("1000 bytes in the server's Recv-Q",
                              lambda t: t["remote"] == me and t["queues_only"] and t["recv_q"] == 1000)
    assert unread["to"] == "ESTABLISHED", unread
    watcher.stop()
    for s in (client, server, lsock):
        s.close()


def live_screens(*extra, env=None):
    """Runs watch on a terminal (a pty) while a connection is made; returns
    the screens it drew, the client's address and the listener's port."""
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} if env is None else env
    lsock, port = held_connection()
    terminal = Terminal()
    watcher = subprocess.Popen([TCPSTATE, "watch", "--source", "proc", "--port", str(port), "--interval", "50",
                                "--duration", "30", *extra], stdout=terminal.fd, stderr=subprocess.PIPE, env=env)
    terminal.opened()
    wait_until(lambda: f"127.0.0.1:{port}" in terminal.so_far(), timeout=10, what="the first screen")
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    server, _ = lsock.accept()
    me = f"127.0.0.1:{client.getsockname()[1]}"
    # Done once a screen shows both ends ESTABLISHED.
    listener = f"127.0.0.1:{port}"

    def both_established():
        rows = {tuple(line.split()[:3]) for line in terminal.so_far().split(CLEAR)[-1].splitlines()}
        return ("ESTABLISHED", me, listener) in rows and ("ESTABLISHED", listener, me) in rows

    wait_until(both_established, timeout=10, what="a screen with both ends ESTABLISHED")
    watcher.send_signal(signal.SIGTERM)
    _, err = watcher.communicate(timeout=20)
    assert watcher.returncode == 0, err.decode()
    for s in (client, server, lsock):
        s.close()
    return terminal.drawn().split(CLEAR), me, port


def test_watch_live_view_on_a_terminal():
    """On a terminal, watch redraws a screen: the sockets now, then the transitions."""
    screens, me, port = live_screens()
    assert len(screens) >= 3, screens  # the first screen, then one per change
    last = screens[-1].splitlines()
    assert last[0].startswith("tcpstate watch (source proc, every 50 ms"), last
    assert last[2].split() == ["State", "Local", "Remote", "Recv-Q", "Send-Q"], last
    rows = {tuple(line.split()[:3]) for line in last[3:last.index("Transitions:")]}
    assert ("LISTEN", f"127.0.0.1:{port}", "0.0.0.0:*") in rows, last
    assert ("ESTABLISHED", me, f"127.0.0.1:{port}") in rows, last
    assert ("ESTABLISHED", f"127.0.0.1:{port}", me) in rows, last
    moves = last[last.index("Transitions:") + 1:]
    assert any(f"  {me} 127.0.0.1:{port}  " in m and m.endswith("-> ESTABLISHED") for m in moves), moves


def test_watch_quiet_live_view_has_no_title():
    """-q: the live view starts with the sockets; there is nothing to trace."""
    screens, me, port = live_screens("-q", "--trace")
    last = screens[-1].splitlines()
    assert last[0].split() == ["State", "Local", "Remote", "Recv-Q", "Send-Q"], last
    assert not any(line.startswith("tcpstate watch") for screen in screens for line in screen.splitlines())
    assert ("ESTABLISHED", me, f"127.0.0.1:{port}") in {tuple(line.split()[:3]) for line in last}, last


def test_watch_live_view_with_the_diagram():
    """--diagram: the state diagram under the sockets, their states lit up."""
    screens, _, _ = live_screens("--diagram")
    lit = lambda name: f"\x1b[1;7m{name}\x1b[0m"  # reverse video, as render_diagram draws it
    first, last = screens[1], screens[-1]  # screens[0] is what came before the first clear
    assert lit("LISTEN") in first and lit("ESTABLISHED") not in first, first
    assert lit("LISTEN") in last and lit("ESTABLISHED") in last, last
    assert lit("TIME_WAIT") not in last and "TIME_WAIT" in last, last
    # NO_COLOR (no-color.org): the same states marked >LIKE_THIS< instead.
    screens, _, _ = live_screens("--diagram", env=dict(os.environ, NO_COLOR="1"))
    assert "\x1b[1;7m" not in screens[-1] and ">ESTABLISHED<" in screens[-1] and ">LISTEN<" in screens[-1]


def test_snapshot_matches_ss():
    need_tool("ss")
    lsock, port = held_connection()
    client = socket.create_connection(("127.0.0.1", port), timeout=5)
    server, _ = lsock.accept()
    client.shutdown(socket.SHUT_WR)
    wait_until(lambda: "FIN-WAIT-2" in run(["ss", "-tanH", f"sport = :{port} or dport = :{port}"]).stdout.decode(),
               timeout=10, what="the client in FIN_WAIT_2")
    r = run([TCPSTATE, "snapshot", "--port", str(port)])
    assert r.returncode == 0, r.stderr
    ours = sorted(tuple(line.split()[i] for i in (0, 3, 4)) for line in r.stdout.decode().splitlines()[1:])
    ss = run(["ss", "-tanH", f"sport = :{port} or dport = :{port}"]).stdout.decode()
    names = {"ESTAB": "ESTABLISHED", "FIN-WAIT-2": "FIN_WAIT_2", "CLOSE-WAIT": "CLOSE_WAIT", "LISTEN": "LISTEN"}
    theirs = sorted((names[f[0]], f[3], f[4]) for f in (line.split() for line in ss.splitlines()))
    assert ours == theirs, (ours, theirs)
    assert len(ours) == 3
    # -q: the same rows without the header line.
    r = run([TCPSTATE, "snapshot", "-q", "--port", str(port)])
    rows = sorted(tuple(line.split()[i] for i in (0, 3, 4)) for line in r.stdout.decode().splitlines())
    assert r.returncode == 0 and rows == ours, (r.stdout, ours)
    r = run([TCPSTATE, "snapshot", "--port", str(port), "--json", "--source", "proc"])
    states = sorted(json.loads(line)["state"] for line in r.stdout.decode().splitlines())
    assert states == ["CLOSE_WAIT", "FIN_WAIT_2", "LISTEN"], states
    client.close()
    server.close()
    lsock.close()


def test_missing_source_names_the_alternatives():
    env = dict(os.environ, PATH="/nonexistent")
    r = run([TCPSTATE, "watch", "--source", "ss", "--duration", "0.1"], env=env)
    assert r.returncode == 1
    assert r.stderr.decode() == ("tcpstate: source ss: ss is not installed (Debian package iproute2); "
                                 "other sources: --source netstat, --source proc\n"), r.stderr
    r = run([TCPSTATE, "snapshot", "--source", "netstat"], env=env)
    assert r.returncode == 1
    assert "netstat is not installed (Debian package net-tools); other sources: --source ss, --source proc" \
        in r.stderr.decode(), r.stderr
    r = run([TCPSTATE, "watch", "--source", "bpftrace", "--duration", "0.1"], env=env)
    assert r.returncode == 1
    assert r.stderr.decode() == ("tcpstate: source bpftrace: bpftrace is not installed (Debian package bpftrace); "
                                 "other sources: --source ss, --source netstat, --source proc\n"), r.stderr


def test_bpftrace_needs_root():
    if real_uid() != 0:
        r = run([TCPSTATE, "watch", "--source", "bpftrace", "--duration", "0.1"])
    else:
        nobody = as_nobody()
        # From a copy anyone may run: the build directory may sit under
        # /root, which nobody cannot enter.
        public = tempfile.mkdtemp(prefix="socklab-nobody-")
        atexit.register(shutil.rmtree, public, True)
        os.chmod(public, 0o755)
        tcpstate = shutil.copy(TCPSTATE, public)
        os.chmod(tcpstate, 0o755)
        r = run(nobody + [tcpstate, "watch", "--source", "bpftrace", "--duration", "0.1"], cwd=public)
    if b"not installed" in r.stderr:
        skip("bpftrace is not installed (./socklab test installs it)")
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert r.stderr.decode() == ("tcpstate: source bpftrace: bpftrace needs root (it loads a program into the kernel): "
                                 "run as root, or use --source ss, --source netstat, --source proc\n"), r.stderr


def test_bad_command_line():
    r = run([TCPSTATE, "watch", "--source", "tcpdump"])
    assert r.returncode == 2 and r.stderr.decode().splitlines()[0] == (
        "tcpstate: --source: 'tcpdump' is not one of ss, netstat, proc, bpftrace"), r.stderr
    r = run([TCPSTATE, "demo", "--scene", "2"])
    assert r.returncode == 2 and r.stderr.decode().splitlines()[0] == (
        "tcpstate: --scene: '2' is not one of all, lifecycle, closing, reuseaddr"), r.stderr
    r = run([TCPSTATE, "diagram", "--highlight", "SYN-RECV", "--highlight", "WAITING"])
    assert r.returncode == 2 and r.stderr.decode().splitlines()[0] == (
        "tcpstate: --highlight: unknown TCP state 'WAITING'"), r.stderr
    assert run([TCPSTATE, "watch", "--port", "70000"]).returncode == 2
    assert run([TCPSTATE, "diagram", "--highlight", "WAITING"]).returncode == 2
    r = run([TCPSTATE, "watch", "--host", "example", "--duration", "0.1"])
    assert r.returncode == 2 and r.stderr.decode().splitlines()[0] == "tcpstate: --host: 'example' is not an IP address", r.stderr
