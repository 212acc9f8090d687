#!/usr/bin/env python3
"""tcp-server end to end: echo, binary safety, --upper, concurrency, hostile
clients, half-close, --max-conn, idle timeout, back-pressure, SIGTERM."""
import os
import random
import re
import signal
import socket
import struct
import threading
import time

from socklab_test import connect, recv_exactly, recv_until_eof, skip, start_server


def test_round_trip():
    server = start_server("tcp-server")
    with connect(server.port) as s:
        s.sendall(b"hello\n")
        assert recv_exactly(s, 6) == b"hello\n"
    status, out, _ = server.stop()
    assert status == 0
    assert re.search(r"^open 127\.0\.0\.1:\d+$", out, re.M), out
    assert re.search(r"^close 127\.0\.0\.1:\d+ \(peer closed, in 6 B, out 6 B", out, re.M), out


def test_all_256_byte_values():
    server = start_server("tcp-server", "-q")
    data = bytes(range(256)) * 17
    with connect(server.port) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        assert recv_until_eof(s) == data
    assert server.stop()[0] == 0


def test_messages_across_the_buffer_sizes_come_back_whole():
    # tcp-server reads into a 1 KiB buffer of the connection, then into a
    # 64 KiB buffer of the thread: sizes on both sides of each edge.
    server = start_server("tcp-server", "-q")
    with connect(server.port) as s:
        for size in (1, 1023, 1024, 1025, 2048, 65535, 65536, 65537, 65536 + 1024, 200000):
            data = os.urandom(size)
            s.sendall(data)
            assert recv_exactly(s, size) == data, f"{size} bytes"
    assert server.stop()[0] == 0


def test_large_then_small_then_large_writes_come_back_whole():
    # A write that fills the connection's 1 KiB gives it a 64 KiB buffer;
    # 16 short reads in a row give it back. Cross both ways, twice, with
    # --upper too, so a buffer that changed under the data would show.
    for args in ([], ["--upper"]):
        server = start_server("tcp-server", "-q", *args)
        with connect(server.port) as s:
            for size in (70000, 5, 9, 300, 1023, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
                         65536, 100, 1024, 2000):
                data = bytes((i * 7 + size) % 26 + 97 for i in range(size))  # lower-case letters
                s.sendall(data)
                want = data.upper() if args else data
                assert recv_exactly(s, size) == want, f"{size} bytes ({args})"
        assert server.stop()[0] == 0


def test_upper_and_exit():
    server = start_server("tcp-server", "--upper")
    with connect(server.port) as s:
        s.sendall(b"hello, world\n")
        assert recv_exactly(s, 13) == b"HELLO, WORLD\n"
        s.sendall(b"exit\n")
        assert recv_until_eof(s) == b"", "the server must close after 'exit'"
    status, out, _ = server.stop()
    assert status == 0
    assert "client sent exit" in out


def test_upper_exit_split_across_writes():
    server = start_server("tcp-server", "--upper", "-q")
    with connect(server.port) as s:
        s.sendall(b"abc\nex")
        # The reply to the first line proves the server has read "ex" apart.
        assert recv_exactly(s, 4) == b"ABC\n"
        s.sendall(b"it\nnot sent\n")
        assert recv_until_eof(s) == b""
    server.stop()


def test_200_concurrent_clients_get_their_own_data():
    server = start_server("tcp-server", "-q")
    errors = []

    def client(i):
        try:
            rng = random.Random(i)
            payload = struct.pack("!I", i) + bytes(rng.getrandbits(8) for _ in range(2000 + i))
            with connect(server.port) as s:
                for _ in range(3):
                    s.sendall(payload)
                    got = recv_exactly(s, len(payload))
                    if got != payload:
                        errors.append(f"client {i} got someone else's bytes")
                        return
        except Exception as e:  # noqa: BLE001
            errors.append(f"client {i}: {e}")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(200)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "clients still running after 60 s"
    assert not errors, errors[:5]
    assert server.stop()[0] == 0


def test_reset_mid_stream_does_not_disturb_others():
    server = start_server("tcp-server", "-q")
    good = connect(server.port)
    good.sendall(b"before\n")
    assert recv_exactly(good, 7) == b"before\n"
    for _ in range(20):
        bad = connect(server.port)
        bad.sendall(os.urandom(100000))
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        bad.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        bad.close()
    good.sendall(b"after\n")
    assert recv_exactly(good, 6) == b"after\n"
    good.close()
    assert server.proc.poll() is None, "server died"
    assert server.stop()[0] == 0


def test_half_close_gets_every_byte_then_eof():
    server = start_server("tcp-server", "-q")
    data = os.urandom(3 * 1024 * 1024)
    with connect(server.port) as s:
        received = []
        reader = threading.Thread(target=lambda: received.append(recv_until_eof(s)))
        reader.start()
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)  # our FIN: the server must finish echoing, then close
        reader.join(timeout=30)
        assert not reader.is_alive()
        assert received[0] == data
    server.stop()


def test_max_conn_refuses_extra_connections():
    server = start_server("tcp-server", "--max-conn", "2")
    a, b = connect(server.port), connect(server.port)
    for s in (a, b):
        s.sendall(b"x")
        assert recv_exactly(s, 1) == b"x"
    c = connect(server.port)
    assert recv_until_eof(c) == b"", "the third connection must be closed at once"
    server.wait_for_line(r"^refused 127\.0\.0\.1:\d+: --max-conn 2 connections already open$")
    a.sendall(b"still")
    assert recv_exactly(a, 5) == b"still"
    a.close()
    server.wait_for_line(r"^close ")
    d = connect(server.port)  # a slot is free again
    d.sendall(b"y")
    assert recv_exactly(d, 1) == b"y"
    for s in (b, c, d):
        s.close()
    server.stop()


def test_idle_timeout_closes_a_silent_client():
    server = start_server("tcp-server", "--idle-timeout", "0.3")
    with connect(server.port) as s:
        s.sendall(b"hi")
        assert recv_exactly(s, 2) == b"hi"
        started = time.monotonic()
        assert recv_until_eof(s) == b""
        assert time.monotonic() - started < 10
    server.wait_for_line(r"^close 127\.0\.0\.1:\d+ \(idle timeout")
    server.stop()


def test_client_that_never_reads_gets_back_pressure():
    server = start_server("tcp-server", "-q")
    hog = connect(server.port)
    hog.setblocking(False)
    sent = 0
    deadline = time.monotonic() + 10
    chunk = b"z" * 65536
    stalled_since = None
    while time.monotonic() < deadline and sent < 512 * 1024 * 1024:
        try:
            sent += hog.send(chunk)
            stalled_since = None
        except BlockingIOError:
            stalled_since = stalled_since or time.monotonic()
            if time.monotonic() - stalled_since > 0.5:
                break
            time.sleep(0.01)
    # The server stopped reading once its replies could not be sent: the
    # bytes in flight are bounded by socket buffers, not by what we wrote.
    assert sent < 64 * 1024 * 1024, f"server kept reading {sent} bytes from a client that never reads"
    with connect(server.port) as other:
        other.sendall(b"still served")
        assert recv_exactly(other, 12) == b"still served"
    hog.close()
    server.stop()


def test_sigterm_and_sigint_exit_zero_with_clients_connected():
    for sig in (signal.SIGTERM, signal.SIGINT):
        server = start_server("tcp-server", "-q")
        s = connect(server.port)
        s.sendall(b"a")
        recv_exactly(s, 1)
        status, _, err = server.stop(sig)
        assert status == 0, (sig, status, err)
        s.close()


def test_ipv6_loopback():
    if not socket.has_ipv6:
        skip("this Python has no IPv6")
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError as e:
        skip(f"no IPv6 loopback here: {e}")
    server = start_server("tcp-server", "-q", listen="[::1]:0")
    assert server.address.startswith("[::1]:")
    with socket.create_connection(("::1", server.port), timeout=10) as s:
        s.sendall(b"six")
        assert recv_exactly(s, 3) == b"six"
    server.stop()


def test_trace_tells_the_connection_story():
    server = start_server("tcp-server", "--trace", "-q")
    with connect(server.port) as s:
        s.sendall(b"abc")
        recv_exactly(s, 3)
        s.shutdown(socket.SHUT_WR)
        recv_until_eof(s)
    # The server tells the close after it: wait for that line, then stop it.
    server.wait_for_err_line(r"we are in LAST_ACK")
    _, _, err = server.stop()
    assert re.search(r"^\[2\] listen 127\.0\.0\.1:\d+ +\(Go: net\.Listen \| C: socket\+bind\+listen\)", err, re.M), err
    assert re.search(r"^\[3\] accept 127\.0\.0\.1:\d+ +\(Go: listener\.Accept \| C: accept\)", err, re.M), err
    assert re.search(r"^\[4\] read 127\.0\.0\.1:\d+ 3 bytes", err, re.M), err
    assert re.search(r"^\[5\] write 127\.0\.0\.1:\d+ 3 bytes", err, re.M), err
    assert "read returned 0 (end of file): the peer sent FIN" in err
    assert "we are in LAST_ACK" in err


def test_port_in_use_is_a_clear_error():
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    from socklab_test import binary, run
    r = run([binary("tcp-server"), "-l", f"127.0.0.1:{port}"], timeout=10)
    holder.close()
    assert r.returncode == 1
    assert r.stderr.decode().strip() == f"tcp-server: bind 127.0.0.1:{port}: Address already in use"
