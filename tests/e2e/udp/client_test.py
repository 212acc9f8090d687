#!/usr/bin/env python3
"""udp-client end to end: interactive lines, a silent server (timeout, then
go on), nothing listening (ICMP), probe mode against udp-server and socat,
the command line."""
import json
import re
import socket

from socklab_test import binary, need_tool, run, spawn, start_server, wait_until

CLIENT = binary("udp-client")


def test_lines_are_datagrams():
    server = start_server("udp-server", "--upper", "-q")
    r = run([CLIENT, server.peer()], input="hello\n\nudp\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"HELLO\n\nUDP\n"
    server.stop()


def test_silent_server_times_out_and_goes_on():
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # bound, never answers
    silent.bind(("127.0.0.1", 0))
    r = run([CLIENT, f"127.0.0.1:{silent.getsockname()[1]}", "--reply-timeout", "0.2"], input="one\ntwo\n")
    assert r.returncode == 1
    err = r.stderr.decode()
    assert err.count("no reply within 0.2 s: the datagram or its reply was lost, and UDP does not retransmit") == 2, err
    assert err.strip().endswith("udp-client: read: 2 of 2 datagrams got no reply"), err
    assert silent.recv(100) == b"one" and silent.recv(100) == b"two"  # both were sent
    silent.close()


def test_nothing_listening():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # now nothing listens on port
    r = run([CLIENT, f"127.0.0.1:{port}"], input="anyone?\n")
    assert r.returncode == 1
    assert r.stderr.decode().strip() == \
        f"udp-client: read: nothing is listening on 127.0.0.1:{port} (ICMP port unreachable came back)"


def test_probe_against_udp_server():
    server = start_server("udp-server", "-q")
    r = run([CLIENT, server.peer(), "--count", "10000", "--size", "64", "--window", "16", "--json"], timeout=60)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert result["sent"] == 10000 and result["received"] == 10000, result
    assert result["lost"] == 0 and result["duplicated"] == 0 and result["reordered"] == 0, result
    assert 0 < result["rtt_ms"]["min"] <= result["rtt_ms"]["p50"] <= result["rtt_ms"]["p99"] <= result["rtt_ms"]["max"]
    server.stop()


def test_probe_text_report():
    server = start_server("udp-server", "-q")
    r = run([CLIENT, server.peer(), "--count", "20", "--interval", "1"])
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert re.search(rf"^probe 127\.0\.0\.1:{server.port}: 20 datagrams of 64 bytes$", out, re.M), out
    assert re.search(r"^sent 20, received 20, lost 0 \(0\.0%\), duplicated 0, reordered 0$", out, re.M), out
    assert re.search(r"^rtt ms: min [\d.]+ avg [\d.]+ p50 [\d.]+ p99 [\d.]+ max [\d.]+$", out, re.M), out
    server.stop()


def udp_port_bound(port):
    """Whether some socket is bound to UDP port `port` (from /proc/net/udp)."""
    with open("/proc/net/udp") as f:
        return any(line.split()[1].endswith(f":{port:04X}") for line in f.readlines()[1:])


def test_probe_against_socat_echo():
    need_tool("socat")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    # UDP-LISTEN without fork: socat echoes for the first peer that writes,
    # which is our probe's one socket.
    socat = spawn(["socat", "-T", "20", f"UDP-LISTEN:{port},bind=127.0.0.1", "PIPE"])
    try:
        wait_until(lambda: udp_port_bound(port), timeout=10, what="socat bound")
        # One datagram in flight at a time: socat handles one at a time.
        r = run([CLIENT, f"127.0.0.1:{port}", "--count", "200", "--window", "1", "--size", "100",
                 "--reply-timeout", "1", "--json"], timeout=30)
        assert r.returncode == 0, r.stderr
        result = json.loads(r.stdout)
        # socat may swallow the one datagram that makes it lock onto its peer.
        assert result["received"] >= 199 and result["duplicated"] == 0, result
        assert 0 < result["rtt_ms"]["min"] <= result["rtt_ms"]["max"] < 5000, result
    finally:
        socat.kill()
        socat.wait()


def test_probe_with_no_replies_fails():
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    r = run([CLIENT, f"127.0.0.1:{silent.getsockname()[1]}", "--count", "3", "--interval", "1",
             "--reply-timeout", "0.2"])
    assert r.returncode == 1
    assert "sent 3, received 0, lost 3 (100.0%)" in r.stdout.decode()
    assert r.stderr.decode().strip().startswith("udp-client: read: no probe came back from 127.0.0.1:")
    silent.close()


def test_trace():
    server = start_server("udp-server", "-q")
    r = run([CLIENT, server.peer(), "--trace"], input="x\n")
    err = r.stderr.decode()
    assert re.search(r"^\[2\] dial udp 127\.0\.0\.1:\d+ -> 127\.0\.0\.1:\d+ +\(Go: net\.Dial\(\"udp\"\) \| C: socket\+connect\)$",
                     err, re.M), err
    assert "no packet sent: connect only fixes the peer address" in err
    server.stop()


def test_bad_command_lines():
    for args, message in [
        ([], "peer is required"),
        (["127.0.0.1:1", "--size", "10", "--count", "1"], "--size"),
        (["127.0.0.1:1", "--size", "64"], "--size"),  # needs --count
        (["127.0.0.1:1", "--count", "1", "--rate", "10", "--interval", "5"], "--interval"),
        (["127.0.0.1:99999"], "port"),
    ]:
        r = run([CLIENT] + args)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        err = r.stderr.decode().splitlines()[0]  # the one-line error (a --help hint may follow)
        assert err.startswith("udp-client: "), (args, err)
        assert message.lower() in err.lower(), (args, err)
