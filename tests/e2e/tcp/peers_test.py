#!/usr/bin/env python3
"""Real peers that no one here wrote: netcat-openbsd and Python's socket
module as clients of tcp-server; tcp-client against a socat echo server."""
import os
import re
import socket

from socklab_test import binary, need_tool, recv_until_eof, run, spawn, start_server, wait_until


def test_netcat_client_gets_its_echo():
    nc = need_tool("nc")
    server = start_server("tcp-server", "-q")
    data = b"netcat line\n" + bytes(range(256))
    # -N: shut down the write side at end of stdin, as tcp-client does.
    r = run([nc, "-N", "127.0.0.1", str(server.port)], input=data, timeout=20)
    assert r.returncode == 0, r.stderr
    assert r.stdout == data
    server.stop()


def test_python_socket_client_gets_its_echo():
    server = start_server("tcp-server", "-q")
    data = os.urandom(200000)
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        assert recv_until_eof(s) == data
    server.stop()


def test_tcp_client_against_socat_echo():
    socat = need_tool("socat")
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    echo = spawn([socat, f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork", "EXEC:cat"], stdin=None)

    def listening():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    wait_until(listening, timeout=10, what="socat listening")
    data = b"through socat\n" * 100 + bytes(range(256))
    r = run([binary("tcp-client"), f"127.0.0.1:{port}"], input=data, timeout=20)
    echo.kill()
    echo.wait(timeout=5)
    assert r.returncode == 0, r.stderr
    assert r.stdout == data


def test_tcp_client_load_against_socat_echo():
    socat = need_tool("socat")
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    echo = spawn([socat, f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork", "EXEC:cat"], stdin=None)
    wait_until(lambda: run(["ss", "-ltn", f"sport = :{port}"], timeout=5).stdout.count(b"LISTEN") > 0,
               timeout=10, what="socat listening")
    r = run([binary("tcp-client"), f"127.0.0.1:{port}", "--load", "4", "--rounds", "20"], timeout=30)
    echo.kill()
    echo.wait(timeout=5)
    assert r.returncode == 0, r.stderr
    assert re.search(rb"^80 round trips", r.stdout, re.M), r.stdout
