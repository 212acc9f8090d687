"""tcpstate ladder end to end: `-- COMMAND` as an ordinary user and as root,
a capture between two network namespaces over a veth pair (root), --write
then --read, and files that are bad, truncated, not TCP or cut at 40 bytes."""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import pytest

from socklab_test import Terminal, as_nobody, binary, need_root, need_tool, read_line, run, skip

TCPSTATE = binary("tcpstate")
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "unit", "fixtures", "ladder")

# The command the ladder watches: a tcp-server, one tcp-client echoing a line,
# both ended; it waits for "listening on" instead of sleeping.
EXCHANGE = r"""
import subprocess, sys
d = sys.argv[1]
srv = subprocess.Popen([d + "/tcp-server", "-l", "127.0.0.1:0", "-q"], stdout=subprocess.PIPE)
addr = srv.stdout.readline().decode().split()[-1]
out = subprocess.run([d + "/tcp-client", addr], input=b"hi\n", stdout=subprocess.PIPE, timeout=20).stdout
srv.terminate()
srv.wait(timeout=20)
sys.exit(0 if out == b"hi\n" else 5)
"""


def public_copy():
    """A directory anyone may enter, holding copies of the programs (the
    build directory may sit under /root, which nobody cannot enter)."""
    public = tempfile.mkdtemp(prefix="socklab-ladder-")
    os.chmod(public, 0o755)
    for name in ("tcpstate", "tcp-server", "tcp-client"):
        os.chmod(shutil.copy(binary(name), public), 0o755)
    with open(os.path.join(public, "exchange.py"), "w") as f:
        f.write(EXCHANGE)
    os.chmod(os.path.join(public, "exchange.py"), 0o644)
    return public


def check_exchange(lines):
    """The ladder of one echoed line: handshake, data both ways, close."""
    segs = [json.loads(l) for l in lines]
    assert segs, "no segments"
    syn = segs[0]
    assert syn["flags"] == "SYN" and syn["dir"] == "client->server" and syn["seq"] == 0 and syn["ack"] is None
    assert syn["client_state"] == "SYN_SENT" and syn["server_state"] == "SYN_RCVD"
    assert "mss" in syn["options"]
    synack = segs[1]
    assert synack["flags"] == "SYN+ACK" and synack["ack"] == 1 and synack["events"] == ["syn_ack"]
    assert "handshake_complete" in segs[2]["events"] and segs[2]["server_state"] == "ESTABLISHED"
    data = [s for s in segs if s["len"] > 0]
    assert [(s["dir"], s["len"]) for s in data] == [("client->server", 3), ("server->client", 3)], data
    fins = [s for s in segs if "fin" in s["events"]]
    assert len(fins) == 2
    # The client half-closes at the end of its input: it closes first, so it
    # is the one left in TIME_WAIT; the server's last state is CLOSED.
    assert fins[0]["dir"] == "client->server"
    assert segs[-1]["client_state"] == "TIME_WAIT" and segs[-1]["server_state"] == "CLOSED"
    assert all(s["client"] == syn["client"] and s["conn"] == 1 for s in segs)


def test_command_as_ordinary_user():
    prefix = as_nobody()
    public = public_copy()
    try:
        r = run(prefix + [os.path.join(public, "tcpstate"), "ladder", "--json", "--",
                          sys.executable, os.path.join(public, "exchange.py"), public], cwd=public)
    finally:
        shutil.rmtree(public, True)
    if r.returncode == 1 and b"cannot make a private network namespace" in r.stderr:
        skip(f"user namespaces are refused here (by the kernel, or in a chroot): {r.stderr.decode().strip()}")
    assert r.returncode == 0, (r.returncode, r.stderr)
    check_exchange(r.stdout.decode().splitlines())


def test_command_as_root_then_write_and_read_give_the_same_ladder():
    need_root()
    public = public_copy()
    pcap = os.path.join(public, "exchange.pcap")
    try:
        live = run([TCPSTATE, "ladder", "--json", "--write", pcap, "--",
                    sys.executable, os.path.join(public, "exchange.py"), public])
        assert live.returncode == 0, live.stderr
        check_exchange(live.stdout.decode().splitlines())
        again = run([TCPSTATE, "ladder", "--json", "--read", pcap])
        assert again.returncode == 0 and again.stdout == live.stdout
        # The text ladder too: drawn live and from the file, the same lines.
        text_live = run([TCPSTATE, "ladder", "--all", "--write", pcap + "2", "--",
                         sys.executable, os.path.join(public, "exchange.py"), public])
        text_read = run([TCPSTATE, "ladder", "--all", "--read", pcap + "2"])
        assert text_live.returncode == 0 and text_read.stdout == text_live.stdout
        assert b"ESTABLISHED" in text_read.stdout and b"TIME_WAIT" in text_read.stdout
        # tcpdump reads what --write wrote.
        if shutil.which("tcpdump"):
            dump = run(["tcpdump", "-nr", pcap])
            assert dump.returncode == 0 and dump.stdout.count(b"\n") == len(live.stdout.splitlines())
    finally:
        shutil.rmtree(public, True)


def test_trace_tells_the_live_capture_set_up(tmp_path):
    """--trace: the namespace, the packet socket and its filter, on stderr;
    a file read with --read makes no socket calls, so nothing is traced."""
    need_root()
    public = public_copy()
    try:
        r = run([TCPSTATE, "ladder", "--trace", "--json", "--port", "1", "--",
                 sys.executable, os.path.join(public, "exchange.py"), public])
    finally:
        shutil.rmtree(public, True)
    assert r.returncode == 0, r.stderr
    steps = [line for line in r.stderr.decode().splitlines() if line.startswith("[")]
    assert [line.split()[:2] for line in steps] == [["[1]", "unshare"], ["[2]", "capture"], ["[3]", "filter"]], steps
    assert steps[0].endswith("(Go: syscall.Unshare | C: unshare(CLONE_NEWNET))"), steps
    assert steps[1].startswith("[2] capture on lo: a packet socket sees every packet"), steps
    assert steps[2].startswith("[3] filter 'tcp and port 1': the kernel drops every other packet"), steps
    assert r.stdout == b""  # port 1: the filter kept none of the exchange's packets
    r = run([TCPSTATE, "ladder", "--trace", "-q", "--read", os.path.join(FIXTURES, "handshake_data.pcap")])
    assert r.returncode == 0 and r.stderr == b"" and b"SYN" in r.stdout, r.stderr


def test_command_exit_status_and_failures():
    r = run([TCPSTATE, "ladder", "--", "sh", "-c", "exit 3"])
    if b"cannot make a private network namespace" in r.stderr:
        skip(f"user namespaces are refused here (by the kernel, or in a chroot): {r.stderr.decode().strip()}")
    assert r.returncode == 3 and r.stdout == b"", (r.returncode, r.stderr)
    r = run([TCPSTATE, "ladder", "--", "/nonexistent/program"])
    assert r.returncode == 1
    assert r.stderr.decode() == "tcpstate: run: /nonexistent/program: No such file or directory\n"


def test_live_capture_without_permission_names_the_alternatives():
    prefix = as_nobody()
    if not prefix:
        r = run([TCPSTATE, "ladder", "--duration", "0.1"])
        if r.returncode == 0:
            skip("this user may capture on lo")
    else:
        public = public_copy()
        try:
            r = run(prefix + [os.path.join(public, "tcpstate"), "ladder", "--duration", "0.1"], cwd=public)
        finally:
            shutil.rmtree(public, True)
    assert r.returncode == 1
    assert r.stderr.decode() == (
        "tcpstate: capture on lo: permission denied: capturing needs root (CAP_NET_RAW); run the programs "
        "under it with tcpstate ladder -- COMMAND (a private network namespace), or run it with sudo, read a "
        "saved capture with --read FILE, or use the two-host lab (./socklab lab)\n"), r.stderr


def test_between_two_namespaces_over_veth():
    need_root()
    need_tool("ip")
    tag = str(os.getpid())
    a, b = "sl-lad-a" + tag, "sl-lad-b" + tag
    need_tool("nsenter")
    ip = lambda *args: subprocess.run(["ip", *args], check=True, capture_output=True, timeout=20)
    # `ip -n NS` and `ip netns exec NS` also remount /, which fails where / is
    # not a mount point (a chroot); nsenter changes only the network namespace.
    on = lambda ns: ["nsenter", f"--net=/run/netns/{ns}"]
    on_ip = lambda ns, *args: subprocess.run(on(ns) + ["ip", *args], check=True, capture_output=True, timeout=20)
    try:
        ip("netns", "add", a)
        ip("netns", "add", b)
        ip("link", "add", "lad0", "netns", a, "type", "veth", "peer", "name", "lad1", "netns", b)
        on_ip(a, "addr", "add", "10.99.0.1/24", "dev", "lad0")
        on_ip(b, "addr", "add", "10.99.0.2/24", "dev", "lad1")
        for ns, dev in ((a, "lad0"), (b, "lad1")):
            on_ip(ns, "link", "set", dev, "up")
            on_ip(ns, "link", "set", "lo", "up")
        server = subprocess.Popen(on(b) + [binary("tcp-server"), "-l", "10.99.0.2:8001", "-q"],
                                  stdout=subprocess.PIPE)
        try:
            assert server.stdout.readline().startswith(b"listening on")
            lad = subprocess.Popen(on(a) + [TCPSTATE, "ladder", "--interface", "lad0", "--json",
                                    "--port", "8001", "--duration", "20"], stdout=subprocess.PIPE)
            # Wait until the capture is open: a probe connection's SYN shows up. A capture that opened in the
            # middle of a probe sees only that probe's later segments; the next probe's SYN is then captured.
            seen = []
            for _ in range(40):
                subprocess.run(on(a) + [binary("tcp-client"), "10.99.0.2:8001"], input=b"",
                               capture_output=True, timeout=20)
                try:
                    while (line := read_line(lad, 0.5)) is not None:
                        seen.append(json.loads(line))
                except AssertionError:  # nothing more within 0.5 s
                    pass
                if any(s["flags"] == "SYN" for s in seen):
                    break
            assert any(s["flags"] == "SYN" and s["server"] == "10.99.0.2:8001" for s in seen), seen
            subprocess.run(on(a) + [binary("tcp-client"), "10.99.0.2:8001"], input=b"hi\n",
                           capture_output=True, timeout=20, check=True)
            lad.terminate()
            out, _ = lad.communicate(timeout=20)
            segs = [json.loads(l) for l in out.decode().splitlines()]
            later = [s for s in segs if s["conn"] > 1 or s["len"] > 0]
            assert any(s["len"] == 3 and s["dir"] == "client->server" and s["client"].startswith("10.99.0.1:")
                       and s["server"] == "10.99.0.2:8001" for s in later), segs
        finally:
            server.terminate()
            server.wait(timeout=20)
    finally:
        subprocess.run(["ip", "netns", "del", a], capture_output=True)
        subprocess.run(["ip", "netns", "del", b], capture_output=True)


def pcap_file(path, records, snaplen=65535, linktype=1):
    """Writes a classic pcap file of `records` (bytes each, or (bytes, wire length))."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, snaplen, linktype))
        for i, rec in enumerate(records):
            data, wire = rec if isinstance(rec, tuple) else (rec, len(rec))
            f.write(struct.pack("<IIII", 1000 + i, 0, len(data), wire))
            f.write(data)


def fixture_frames(name):
    """The frames of a fixture capture (pcap, Ethernet)."""
    with open(os.path.join(FIXTURES, name + ".pcap"), "rb") as f:
        blob = f.read()
    frames, at = [], 24
    while at + 16 <= len(blob):
        caplen, wire = struct.unpack("<II", blob[at + 8:at + 16])
        frames.append((blob[at + 16:at + 16 + caplen], wire))
        at += 16 + caplen
    return frames


UDP = bytes(12) + b"\x08\x00" + bytes.fromhex("4500001c00004000401100007f0000017f000001") + bytes.fromhex(
    "1f411f4100080000")
ARP = bytes(12) + b"\x08\x06" + bytes(28)


def test_non_tcp_packets_are_skipped_and_counted(tmp_path):
    frames = fixture_frames("handshake_data")
    path = str(tmp_path / "mixed.pcap")
    pcap_file(path, [UDP, frames[0], ARP] + frames[1:])
    r = run([TCPSTATE, "ladder", "--read", path, "--json"])
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == len(frames)
    assert r.stderr.decode() == (f"tcpstate: read {path}: skipped 1 not IP, 1 not TCP "
                                 f"(of {len(frames) + 2} packets)\n")


def test_snap_length_40_says_so_and_never_crashes(tmp_path):
    frames = fixture_frames("handshake_data")
    path = str(tmp_path / "snap40.pcap")
    pcap_file(path, [(data[:40], wire) for data, wire in frames], snaplen=40)
    r = run([TCPSTATE, "ladder", "--read", path])
    assert r.returncode == 0 and r.stdout == b""
    assert r.stderr.decode() == (f"tcpstate: read {path}: skipped {len(frames)} cut before the end of the TCP "
                                 f"header (snap length too short) (of {len(frames)} packets)\n")


@pytest.mark.parametrize("name,content,message", [
    ("missing", None, "No such file or directory"),
    ("empty", b"", "the file ends inside its header (truncated)"),
    ("text", b"this is not a capture file, just some text\n" * 3, "not a pcap or pcapng capture file"),
    ("short-header", struct.pack("<IHH", 0xa1b2c3d4, 2, 4), "the file ends inside its header (truncated)"),
])
def test_bad_files_give_one_clear_line(tmp_path, name, content, message):
    path = str(tmp_path / (name + ".pcap"))
    if content is not None:
        with open(path, "wb") as f:
            f.write(content)
    r = run([TCPSTATE, "ladder", "--read", path])
    assert r.returncode == 1 and r.stdout == b""
    err = r.stderr.decode()
    assert err.startswith(f"tcpstate: read {path}: ") and message in err and err.count("\n") == 1, err


@pytest.mark.parametrize("cut", [1, 10, 17, 60])
def test_a_file_cut_inside_a_packet_draws_what_it_has(tmp_path, cut):
    with open(os.path.join(FIXTURES, "handshake_data.pcap"), "rb") as f:
        blob = f.read()
    path = str(tmp_path / "cut.pcap")
    with open(path, "wb") as f:
        f.write(blob[:-cut])
    whole = run([TCPSTATE, "ladder", "--read", os.path.join(FIXTURES, "handshake_data.pcap"), "--json"])
    r = run([TCPSTATE, "ladder", "--read", path, "--json"])
    assert r.returncode == 1
    assert r.stdout == b"\n".join(whole.stdout.splitlines()[:-1]) + b"\n"
    assert r.stderr.decode() == f"tcpstate: read {path}: the file ends inside a packet (truncated)\n"


@pytest.mark.parametrize("seed", range(20))
def test_garbage_after_a_good_header_never_crashes(tmp_path, seed):
    import random
    rnd = random.Random(seed)
    frames = fixture_frames("zero_window")
    path = str(tmp_path / "garbage.pcap")
    records = []
    for data, wire in frames[:30]:
        data = bytearray(data)
        for _ in range(rnd.randint(1, 6)):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
        records.append((bytes(data[:rnd.randint(0, len(data))]), rnd.choice([wire, 0, 65535])))
    pcap_file(path, records, linktype=rnd.choice([1, 0, 101, 113, 276, 108]))
    r = run([TCPSTATE, "ladder", "--read", path, "--all"])
    assert r.returncode in (0, 1) and r.returncode >= 0, r.stderr
    r = run([TCPSTATE, "ladder", "--read", path, "--json"])
    assert r.returncode in (0, 1)
    for line in r.stdout.splitlines():
        json.loads(line)


def test_follow_count_and_the_tags():
    path = os.path.join(FIXTURES, "rst_closed_port.pcap")
    two = str(os.path.join(tempfile.mkdtemp(), "two.pcap"))
    frames = fixture_frames("handshake_data") + fixture_frames("rst_closed_port")
    pcap_file(two, frames)
    r = run([TCPSTATE, "ladder", "--read", two])
    assert r.returncode == 0
    text = r.stdout.decode()
    assert "#1 client 127.0.0.1:" in text and "#2 client 127.0.0.1:" in text
    r = run([TCPSTATE, "ladder", "--read", two, "--follow", "2", "--json"])
    segs = [json.loads(l) for l in r.stdout.splitlines()]
    assert [s["flags"] for s in segs] == ["SYN", "RST+ACK"] and {s["conn"] for s in segs} == {2}
    assert segs[1]["events"] == ["rst", "rst_not_listening"]
    r = run([TCPSTATE, "ladder", "--read", two, "--follow", "2"])
    assert not any(l.startswith("#") for l in r.stdout.decode().splitlines() if "SYN" in l), r.stdout
    r = run([TCPSTATE, "ladder", "--read", path, "--count", "1", "--json"])
    assert len(r.stdout.splitlines()) == 1
    shutil.rmtree(os.path.dirname(two), True)


def test_colour_on_a_terminal_unless_no_color():
    path = os.path.join(FIXTURES, "handshake_data.pcap")
    for env, coloured in ((dict(os.environ), True), (dict(os.environ, NO_COLOR="1"), False)):
        term = Terminal()
        p = subprocess.Popen([TCPSTATE, "ladder", "--read", path], stdout=term.fd, env=env)
        term.opened()
        assert p.wait(timeout=20) == 0
        drawn = term.drawn()
        assert "SYN_SENT" in drawn and ("\x1b[" in drawn) == coloured, drawn
    plain = run([TCPSTATE, "ladder", "--read", path])
    assert b"\x1b[" not in plain.stdout


def test_bad_command_line():
    f = os.path.join(FIXTURES, "handshake_data.pcap")
    assert run([TCPSTATE, "ladder", "--read", f, "--interface", "lo"]).returncode == 2
    assert run([TCPSTATE, "ladder", "--read", f, "--", "true"]).returncode == 2
    assert run([TCPSTATE, "ladder", "--follow", "0", "--read", f]).returncode == 2
    assert run([TCPSTATE, "ladder", "--port", "0", "--read", f]).returncode == 2
    r = run([TCPSTATE, "ladder", "--host", "example", "--read", f])
    assert r.returncode == 2 and r.stderr.decode().splitlines()[0] == "tcpstate: --host: 'example' is not an IP address"


def numbers_agree_with_tshark(path):
    r = run(["tshark", "-o", "tcp.relative_sequence_numbers:TRUE", "-r", path, "-T", "fields",
             "-e", "tcp.seq", "-e", "tcp.ack", "-e", "tcp.flags.ack", "-e", "tcp.seq_raw"], timeout=120)
    assert r.returncode == 0, r.stderr
    theirs = []
    for row in r.stdout.decode().splitlines():
        seq, ack, ack_flag, raw = row.split("\t")
        theirs.append((int(seq), int(ack) if ack_flag in ("1", "True") else None, int(raw)))
    mine = [json.loads(l) for l in run([TCPSTATE, "ladder", "--read", path, "--json"]).stdout.splitlines()]
    absolute = [json.loads(l) for l in
                run([TCPSTATE, "ladder", "--read", path, "--json", "--absolute"]).stdout.splitlines()]
    assert len(mine) == len(theirs) == len(absolute) > 0
    assert [(m["seq"], m["ack"], a["seq"]) for m, a in zip(mine, absolute)] == theirs


def test_relative_numbers_agree_with_tshark(tmp_path):
    # tshark takes seconds to start: one run on the fixtures put end to end,
    # one on the capture whose handshake is missing (it repeats another's
    # connection, so it cannot share the file).
    need_tool("tshark")
    need_tool("mergecap")
    whole = [os.path.join(FIXTURES, n + ".pcap") for n in
             ("handshake_data", "half_close", "simultaneous_close", "rst_unread", "rst_closed_port",
              "zero_window", "ipv6")]
    merged = str(tmp_path / "all.pcap")
    assert run(["mergecap", "-a", "-F", "pcap", "-w", merged] + whole).returncode == 0
    numbers_agree_with_tshark(merged)
    numbers_agree_with_tshark(os.path.join(FIXTURES, "missed_handshake.pcap"))


@pytest.mark.parametrize("fixture,args,segments", [
    ("ipv6", ["--host", "::1"], 12),
    ("ipv6", ["--host", "127.0.0.1"], 0),
    ("half_close", ["--port", "8001"], 12),
    ("half_close", ["--port", "9"], 0),
])
def test_port_and_host_filters(fixture, args, segments):
    r = run([TCPSTATE, "ladder", "--read", os.path.join(FIXTURES, fixture + ".pcap"), "--json"] + args)
    assert r.returncode == 0 and len(r.stdout.splitlines()) == segments, r.stderr
