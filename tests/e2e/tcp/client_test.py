#!/usr/bin/env python3
"""tcp-client end to end: interactive round trips, end-of-file behaviour,
a 4 MiB binary payload, --load verification, and its errors."""
import json
import os
import re
import socket
import subprocess
import threading

from socklab_test import binary, connect, recv_exactly, run, spawn, start_server


def client(*args, input=b"", timeout=30):
    return run([binary("tcp-client"), *args], input=input, timeout=timeout)


def test_lines_round_trip_and_exit_zero_at_eof():
    server = start_server("tcp-server", "-q")
    r = client(server.peer(), input=b"one\ntwo\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"one\ntwo\n"
    assert r.stderr == b""
    server.stop()


def test_4_mib_binary_payload_through_the_pipe():
    server = start_server("tcp-server", "-q")
    data = os.urandom(4 * 1024 * 1024) + bytes(range(256))
    r = client(server.peer(), input=data, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == data
    server.stop()


def test_upper_server_closes_on_exit_and_client_exits_zero():
    server = start_server("tcp-server", "--upper", "-q")
    proc = spawn([binary("tcp-client"), server.peer()])
    proc.stdin.write(b"hello\nexit\n")
    proc.stdin.flush()
    # stdin stays open: the client must end because the server closed.
    assert proc.wait(timeout=20) == 0, proc.stderr.read()
    out = proc.stdout.read()
    proc.stdin.close()
    assert out == b"HELLO\n"
    server.stop()


def test_prints_what_the_server_sends_after_our_fin():
    # A server that reads everything first, then answers, then closes: the
    # client must keep reading after its own half-close.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]

    def serve():
        conn, _ = listener.accept()
        got = b""
        while True:
            chunk = conn.recv(4096)
            if not chunk:
                break
            got += chunk
        conn.sendall(b"you sent %d bytes\n" % len(got))
        conn.close()

    t = threading.Thread(target=serve)
    t.start()
    r = client(f"127.0.0.1:{port}", "--trace", input=b"abcdef")
    t.join(timeout=10)
    listener.close()
    assert r.returncode == 0
    assert r.stdout == b"you sent 6 bytes\n"
    err = r.stderr.decode()
    assert "[5] shutdown write" in err and "FIN sent" in err, err
    assert "the peer's FIN answers ours" in err
    assert "TIME_WAIT" in err


def test_stdin_from_dev_null_and_from_a_file():
    server = start_server("tcp-server", "-q")
    with open(os.devnull, "rb") as null:
        p = subprocess.run([binary("tcp-client"), server.peer()], stdin=null, capture_output=True, timeout=20)
    assert p.returncode == 0 and p.stdout == b"", p.stderr
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"socklab-client-{os.getpid()}")
    with open(path, "wb") as f:
        f.write(b"from a file\n" * 1000)
    try:
        with open(path, "rb") as f:
            p = subprocess.run([binary("tcp-client"), server.peer()], stdin=f, capture_output=True, timeout=20)
        assert p.returncode == 0, p.stderr
        assert p.stdout == b"from a file\n" * 1000
    finally:
        os.unlink(path)
    server.stop()


def test_refused_connection_is_exit_1_with_message():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]  # bound but not listening: connect is refused
    r = client(f"127.0.0.1:{port}")
    s.close()
    assert r.returncode == 1
    assert r.stderr.decode() == (f"tcp-client: connect 127.0.0.1:{port}: "
                                 f"connection refused: nothing is listening on 127.0.0.1:{port}\n")


def test_unknown_host_is_exit_1_with_message():
    r = client("no-such-host.invalid:8001")
    assert r.returncode == 1
    assert r.stderr.decode() == "tcp-client: resolve no-such-host.invalid: unknown host 'no-such-host.invalid'\n"


def test_load_verifies_and_reports():
    server = start_server("tcp-server", "-q")
    r = client(server.peer(), "--load", "20", "--rounds", "50", "--size", "100", "--json", timeout=60)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["round_trips"] == 1000
    assert result["errors"] == 0
    assert result["connections"] == 20
    assert 0 < result["latency_ms"]["p50"] <= result["latency_ms"]["p99"] <= result["latency_ms"]["max"]
    text = client(server.peer(), "--load", "3", "--rounds", "10", timeout=60)
    assert text.returncode == 0
    assert re.search(rb"^30 round trips in [0-9.]+ s: [0-9]+ round trips/s", text.stdout, re.M), text.stdout
    server.stop()


def fake_server(behaviour):
    """A one-connection-at-a-time server that misbehaves; returns its port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)

    def serve():
        listener.settimeout(20)
        try:
            while True:
                conn, _ = listener.accept()
                threading.Thread(target=behaviour, args=(conn,), daemon=True).start()
        except OSError:
            pass

    threading.Thread(target=serve, daemon=True).start()
    return listener


def test_load_catches_a_corrupting_server():
    def corrupt(conn):
        data = conn.recv(64)
        conn.sendall(data[:-1] + bytes([data[-1] ^ 1]))
        conn.close()

    listener = fake_server(corrupt)
    r = client(f"127.0.0.1:{listener.getsockname()[1]}", "--load", "1", "--rounds", "1", "--size", "64")
    listener.close()
    assert r.returncode == 1
    assert "tcp-client: load: connection 0, round 1: echoed data differs at byte 63" in r.stderr.decode()


def test_load_catches_an_early_close():
    def close_early(conn):
        conn.recv(10)
        conn.close()

    listener = fake_server(close_early)
    r = client(f"127.0.0.1:{listener.getsockname()[1]}", "--load", "1", "--rounds", "5", "--size", "10")
    listener.close()
    assert r.returncode == 1
    assert "the server closed the connection early" in r.stderr.decode()


def test_server_that_closes_at_once_ends_the_client_quietly():
    """A server at --max-conn closes a new connection at once, while the
    client still has stdin to send: the client ends without a stdin error
    (the server's close, or its RST for our unread line, is the only news)."""
    server = start_server("tcp-server", "--max-conn", "1", "-q")
    with connect(server.port) as first:
        first.sendall(b"x")
        assert recv_exactly(first, 1) == b"x"
        for _ in range(5):
            proc = spawn([binary("tcp-client"), server.peer()])
            try:  # straight to the pipe: nothing left in a buffer for close() to flush
                os.write(proc.stdin.fileno(), b"hi\n")
            except BrokenPipeError:
                pass  # the client heard the close and ended before we wrote: fine
            try:
                proc.wait(timeout=10)
            finally:
                proc.stdin.close()
            err = proc.stderr.read().decode()
            assert "stdin" not in err, err
            assert proc.returncode == 0 or err.strip() == "tcp-client: read: Connection reset by peer", err
    server.stop()
