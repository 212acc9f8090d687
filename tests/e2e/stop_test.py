#!/usr/bin/env python3
"""Stopping, the same for every program that runs until told (common/
stop_signals.cpp): SIGTERM or SIGINT ends it with status 0 after its last
words, and a second signal hard on the first, while it shuts down, changes
nothing. Each server has a client connected when told."""
import os
import re
import signal
import socket
import tempfile
import time

import pytest

from socklab_test import DEFAULT_TIMEOUT, binary, connect, read_line, recv_exactly, spawn, start_server


def tcp_server():
    server = start_server("tcp-server")
    client = connect(server.port)
    client.sendall(b"a")
    assert recv_exactly(client, 1) == b"a"
    return server, client, r"^stopped; connections served: 1$"


def udp_server():
    server = start_server("udp-server")
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.settimeout(10)
    client.sendto(b"a", ("127.0.0.1", server.port))
    assert client.recv(10) == b"a"
    return server, client, r"^stopped; datagrams: 1 from 1 peers"


def udp_relay():
    upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    upstream.bind(("127.0.0.1", 0))
    server = start_server("udp-relay", "--to", f"127.0.0.1:{upstream.getsockname()[1]}")
    client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    client.sendto(b"a", ("127.0.0.1", server.port))
    upstream.settimeout(10)
    assert upstream.recv(10) == b"a"
    upstream.close()
    return server, client, r"^relay: from clients 1, forwarded 1"


def recvfile(*extra):
    d = tempfile.mkdtemp()
    server = start_server("recvfile", "--dir", d, *extra)
    client = connect(server.port)
    client.sendall(b"SOCKLAB")  # a transfer begun: its thread waits for more
    server.wait_for_line(r"^open 127\.0\.0\.1:")
    return server, client, r"^stopped$"


PROGRAMS = {"tcp-server": tcp_server, "udp-server": udp_server, "udp-relay": udp_relay, "recvfile": recvfile,
            "recvfile --once": lambda: recvfile("--once")}


@pytest.mark.parametrize("name", PROGRAMS)
@pytest.mark.parametrize("first, second", [(signal.SIGTERM, signal.SIGTERM), (signal.SIGINT, signal.SIGTERM)])
def test_a_signal_stops_it_with_status_0_and_a_second_does_no_harm(name, first, second):
    server, client, last_words = PROGRAMS[name]()
    os.kill(server.proc.pid, first)
    os.kill(server.proc.pid, second)
    status, out, err = server.stop(first)
    client.close()
    assert status == 0, (name, status, err)
    assert any(re.search(last_words, line) for line in out.splitlines()), (name, out)


def test_tcpstate_watch_stops_with_status_0_and_a_second_signal_does_no_harm():
    watcher = spawn([binary("tcpstate"), "watch", "--source", "proc", "--plain", "--interval", "50"])
    # Told before its first poll, watch would be killed like any program: wait
    # until it reports a socket (a new listener, until one is seen).
    listeners, line = [], None
    deadline = time.monotonic() + DEFAULT_TIMEOUT
    while line is None:
        assert time.monotonic() < deadline, "watch reported no new listener"
        listeners.append(socket.create_server(("127.0.0.1", 0)))
        try:
            line = read_line(watcher, 0.3)
        except AssertionError:
            pass
    assert "LISTEN" in line, line
    watcher.send_signal(signal.SIGTERM)
    watcher.send_signal(signal.SIGINT)
    out, err = watcher.communicate(timeout=DEFAULT_TIMEOUT)
    for listener in listeners:
        listener.close()
    assert watcher.returncode == 0, err
