#!/usr/bin/env python3
"""udp-server end to end: echo of every size, --upper, --daytime, many
clients at once on one socket, netcat as a client, a burst, IPv6, totals on SIGTERM, --workers."""
import contextlib
import re
import socket
import threading

from socklab_test import need_tool, run, start_server


def udp_socket(family=socket.AF_INET, timeout=5):
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    return s


def ask(server, payload, family=socket.AF_INET):
    with udp_socket(family) as s:
        s.sendto(payload, (server.connect_host(), server.port))
        data, addr = s.recvfrom(65536)
        assert addr[1] == server.port
        return data


def test_echo_of_every_size():
    server = start_server("udp-server", "-q")
    for size in (0, 1, 1472, 1473, 9000, 65507):
        payload = bytes((i * 7 + size) & 0xff for i in range(size))
        assert ask(server, payload) == payload, size
    status, out, _ = server.stop()
    assert status == 0
    assert "truncated 0" not in out  # -q: the log (and its totals) stay silent
    assert out == ""


def test_netcat_client_gets_its_echo():
    # A real peer no one here wrote: netcat-openbsd's UDP mode sends stdin as
    # datagrams and prints what comes back; -w 1 ends it after a quiet second.
    nc = need_tool("nc")
    server = start_server("udp-server", "--upper")
    r = run([nc, "-u", "-w", "1", "127.0.0.1", str(server.port)], input=b"hello from netcat\n", timeout=20)
    assert r.stdout == b"HELLO FROM NETCAT\n", r
    status, out, _ = server.stop()
    assert status == 0
    assert re.search(r"^new peer 127\.0\.0\.1:\d+$", out, re.M), out


def test_upper():
    server = start_server("udp-server", "--upper", "-q")
    assert ask(server, b"hello, World 42\n") == b"HELLO, WORLD 42\n"
    assert ask(server, b"caf\xc3\xa9") == b"CAF\xc3\xa9"
    assert server.stop()[0] == 0


def test_daytime():
    server = start_server("udp-server", "--daytime", "-q")
    reply = ask(server, b"what time is it?").decode()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \S+", reply), reply
    assert server.stop()[0] == 0


def test_hundred_clients_at_once_get_their_own_replies():
    server = start_server("udp-server")
    errors = []
    # All 100 sockets stay open to the end, so no two clients share a port.
    sockets = [udp_socket() for _ in range(100)]

    def client(n):
        try:
            s = sockets[n]
            for i in range(20):
                payload = f"client {n} message {i} ".encode() * (n % 5 + 1)
                s.sendto(payload, ("127.0.0.1", server.port))
                data, _ = s.recvfrom(65536)
                if data != payload:
                    errors.append((n, i, data[:40]))
        except OSError as e:
            errors.append((n, str(e)))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    for s in sockets:
        s.close()
    assert not errors, errors[:5]
    status, out, _ = server.stop()
    assert status == 0
    # The first peers are logged one by one, the rest counted; totals at exit.
    assert len(re.findall(r"^new peer 127\.0\.0\.1:\d+$", out, re.M)) == 20, out
    assert "more new peers: counted, not logged" in out
    assert re.search(r"^\.\.\. and 80 more peers$", out, re.M), out
    assert re.search(r"^stopped; datagrams: 2000 from 100 peers, truncated 0", out, re.M), out


def test_burst_of_ten_thousand_datagrams():
    server = start_server("udp-server", "-q")
    with udp_socket(timeout=2) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        for i in range(10000):
            s.sendto(i.to_bytes(4, "big") * 16, ("127.0.0.1", server.port))
        got = 0
        try:
            while got < 10000:
                s.recvfrom(65536)
                got += 1
        except socket.timeout:
            pass
        # UDP may drop some of a burst (full socket buffers); most come back.
        assert got > 1000, got
    # ... and the server still answers afterwards.
    assert ask(server, b"still there?") == b"still there?"
    assert server.stop()[0] == 0


def test_ipv6():
    server = start_server("udp-server", "-q", listen="[::1]:0")
    assert server.host == "::1"
    assert ask(server, b"over IPv6", socket.AF_INET6) == b"over IPv6"
    assert server.stop()[0] == 0


def test_totals_per_peer_on_sigterm():
    server = start_server("udp-server")
    with udp_socket() as a, udp_socket() as b:
        for _ in range(3):
            a.sendto(b"abcd", ("127.0.0.1", server.port))
            a.recvfrom(100)
        b.sendto(b"xy", ("127.0.0.1", server.port))
        b.recvfrom(100)
        pa, pb = a.getsockname()[1], b.getsockname()[1]
        status, out, _ = server.stop()
    assert status == 0
    assert f"peer 127.0.0.1:{pa}: in 3 datagrams (12 B), out 3" in out, out
    assert f"peer 127.0.0.1:{pb}: in 1 datagrams (2 B), out 1" in out, out
    assert out.index(f":{pa}: in 3") < out.index(f":{pb}: in 1")  # busiest first


def test_trace_names_recvfrom_and_sendto():
    server = start_server("udp-server", "--trace", "-q")
    ask(server, b"hi")
    status, _, err = server.stop()
    assert status == 0
    assert re.search(r"^\[2\] listen udp 127\.0\.0\.1:\d+ +\(Go: net\.ListenUDP \| C: socket\+bind\)$", err, re.M), err
    assert re.search(r"^\[3\] recvfrom 127\.0\.0\.1:\d+ 2 bytes +\(Go: conn\.ReadFromUDP \| C: recvfrom\)$", err, re.M), err
    assert re.search(r"^\[4\] sendto 127\.0\.0\.1:\d+ 2 bytes +\(Go: conn\.WriteToUDP \| C: sendto\)$", err, re.M), err


def test_workers_share_the_port():
    server = start_server("udp-server", "--workers", "2")
    # All 40 stay open until the end: a socket closed first could give its
    # port to the next one, and then two "peers" are one.
    with contextlib.ExitStack() as open_sockets:
        for n in range(40):
            s = open_sockets.enter_context(udp_socket())
            s.sendto(b"w%d" % n, ("127.0.0.1", server.port))
            assert s.recvfrom(100)[0] == b"w%d" % n
    status, out, _ = server.stop()
    assert status == 0
    assert re.search(r"^stopped; datagrams: 40 from 40 peers", out, re.M), out
