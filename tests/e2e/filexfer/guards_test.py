#!/usr/bin/env python3
"""recvfile's guards, from a hostile sender's side: each refusal names its
guard to both sides, and nothing is left in the directory."""
import hashlib
import os
import shutil
import socket
import struct
import time

from socklab_test import binary, recv_exactly, run, start_server
from fx import workdir

SENDFILE = binary("sendfile")


def offer(port, name, size, body=b""):
    """A raw verified sender: offers one file and returns the receiver's answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"\0SLFT\x01F" + struct.pack(">H", len(name)) + name + struct.pack(">Q", size))
        kind = recv_exactly(s, 1)
        if kind == b"R":
            (n,) = struct.unpack(">H", recv_exactly(s, 2))
            return "R", recv_exactly(s, n).decode()
        return kind.decode(), struct.unpack(">Q", recv_exactly(s, 8))[0]


def test_hostile_names_are_refused_by_name():
    d = workdir()
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    cases = {b"../../etc/passwd": "path: a '..' component", b"/etc/passwd": "path: absolute",
             b"..": "path: a '..' component", b".hidden": "name: starts with '.'",
             b"a\nb": "name: contains the control byte 0x0a", b"a\x00b": "name: contains a NUL byte",
             b"x" * 255 + b"": None}
    for name, reason in cases.items():
        kind, answer = offer(server.port, name, 3)
        if reason is None:
            assert kind == "A", (name, answer)
        else:
            assert kind == "R" and answer.startswith(reason), (name, answer)
    status, out, _ = server.stop()
    assert "refused a file from 127.0.0.1:" in out and "path: absolute" in out, out
    # Nothing escaped, nothing final; only the accepted (then abandoned) long name's part.
    assert [n for n in os.listdir(os.path.join(d, "in")) if not n.endswith(".part")] == []
    assert not os.path.exists(os.path.join(d, "passwd"))
    shutil.rmtree(d)


def test_exists_without_overwrite_and_with_it():
    d = workdir()
    src = os.path.join(d, "same.txt")
    with open(src, "wb") as f:
        f.write(b"new")
    with open(os.path.join(d, "in", "same.txt"), "wb") as f:
        f.write(b"old")
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    r = run([SENDFILE, src, server.peer()])
    assert r.returncode == 1
    assert r.stderr.decode().strip() == \
        f"sendfile: same.txt: refused by {server.peer()}: exists: same.txt is already there (--overwrite replaces it)"
    server.stop()
    with open(os.path.join(d, "in", "same.txt"), "rb") as f:
        assert f.read() == b"old"
    server = start_server("recvfile", "--dir", os.path.join(d, "in"), "--overwrite")
    assert run([SENDFILE, src, server.peer()]).returncode == 0
    server.stop()
    with open(os.path.join(d, "in", "same.txt"), "rb") as f:
        assert f.read() == b"new"
    shutil.rmtree(d)


def test_symlinks_are_never_followed():
    d = workdir()
    target = os.path.join(d, "precious")
    with open(target, "wb") as f:
        f.write(b"keep me")
    os.symlink(target, os.path.join(d, "in", "link.txt"))
    os.symlink(target, os.path.join(d, "in", ".trap.txt.3.part"))
    server = start_server("recvfile", "--dir", os.path.join(d, "in"), "--overwrite")
    assert offer(server.port, b"link.txt", 3) == ("R", "exists: link.txt is a symlink here (never followed)")
    assert offer(server.port, b"trap.txt", 3) == ("R", "name: a symlink sits where the part file goes")
    server.stop()
    with open(target, "rb") as f:
        assert f.read() == b"keep me"
    shutil.rmtree(d)


def test_max_size():
    d = workdir()
    server = start_server("recvfile", "--dir", os.path.join(d, "in"), "--max-size", "1000")
    assert offer(server.port, b"big.bin", 1001) == ("R", "size: 1001 bytes is over --max-size 1000")
    assert offer(server.port, b"ok.bin", 1000)[0] == "A"
    server.stop()
    shutil.rmtree(d)


def test_allow():
    d = workdir()
    src = os.path.join(d, "f.txt")
    with open(src, "wb") as f:
        f.write(b"x")
    server = start_server("recvfile", "--dir", os.path.join(d, "in"), "--allow", "10.0.0.0/8")
    r = run([SENDFILE, src, server.peer()])
    assert r.returncode == 1
    assert "refused by" in r.stderr.decode() and "allow: 127.0.0.1:" in r.stderr.decode()
    server.stop()
    server = start_server("recvfile", "--dir", os.path.join(d, "in"), "--allow", "10.0.0.0/8", "--allow", "127.0.0.0/8")
    assert run([SENDFILE, src, server.peer()]).returncode == 0
    server.stop()
    shutil.rmtree(d)


def test_lying_size_never_becomes_a_file():
    d = workdir()
    server = start_server("recvfile", "--dir", os.path.join(d, "in"), "--idle-timeout", "1")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"\0SLFT\x01F" + struct.pack(">H", 4) + b"lie!" + struct.pack(">Q", 100) + b"short")
        s.recv(9)
        s.shutdown(socket.SHUT_WR)
        s.recv(100)  # the receiver gives up and closes
    # and one that sends more than it announced: the extra bytes are not a trailer
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"\0SLFT\x01F" + struct.pack(">H", 4) + b"more" + struct.pack(">Q", 3) + b"abcdefgh" * 10)
        s.recv(9)
        s.recv(100)
    server.stop()
    assert "lie!" not in os.listdir(os.path.join(d, "in")) and "more" not in os.listdir(os.path.join(d, "in"))
    shutil.rmtree(d)


def classic_refusal(first_bytes):
    """What recvfile answers a classic sender whose first bytes (the name)
    are `first_bytes`; checks that nothing was created."""
    d = workdir()
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(first_bytes)
        answer = s.recv(200)
    server.stop()
    assert os.listdir(os.path.join(d, "in")) == []
    return answer


def test_refusal_in_the_classic_protocol():
    assert classic_refusal(b"../escape.txt") == b"refused: name: contains '/' (only a bare file name is accepted)"


def hello_and(port, payload):
    """A raw verified sender: HELLO (unless payload has its own), then payload; returns the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(payload)
        kind = recv_exactly(s, 1)
        if kind == b"R":
            (n,) = struct.unpack(">H", recv_exactly(s, 2))
            return "R", recv_exactly(s, n).decode()
        return kind.decode(), s.recv(100)


def test_every_malformed_name_and_header_names_its_guard():
    d = workdir()
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    cases = [(b"", "header: path length 0 is not 1-4095"),
             (b".", "name: '.' is a directory, not a file name"),
             (b"x" * 300, "name: 300 bytes, more than 255"),
             (b"x" * 4096, "header: path length 4096 is not 1-4095"),
             (b"\x1b[2Jclear.txt", "name: contains the control byte 0x1b"),
             (b"csi\xc2\x9b2J.txt", "name: contains the control character U+009B"),
             (b"bad\xffutf8", "name: not valid UTF-8 at byte 3 (0xff)"),
             (b"a\r\nb", "name: contains the control byte 0x0d")]
    for name, reason in cases:
        header = b"\0SLFT\x01F" + struct.pack(">H", len(name)) + name + struct.pack(">Q", 3)
        assert hello_and(server.port, header) == ("R", reason), (name, reason)
    assert hello_and(server.port, b"\0SLFT\x01GARBAGE") == \
        ("R", "header: expected a file header 'F', a directory 'D' or the end 'E', got byte 0x47")
    assert hello_and(server.port, b"\0XXXX\x01") == ("R", "header: not the socklab protocol")
    assert hello_and(server.port, b"\0SLFT\x07") == ("R", "header: protocol version 7 (this recvfile speaks versions 1 to 3)")
    status, out, _ = server.stop()
    assert status == 0
    for _, reason in cases:
        assert reason in out, (reason, out)  # the receiver's side names the same guard
    assert os.listdir(os.path.join(d, "in")) == []
    assert os.listdir(d) == ["in"]
    shutil.rmtree(d)


def test_garbage_in_the_classic_protocol_is_a_refused_name():
    assert classic_refusal(b"GET / HTTP/1.0\r\n\r\n") == \
        b"refused: name: contains '/' (only a bare file name is accepted)"


def test_a_wrong_trailer_hash_is_refused_and_discarded():
    d = workdir()
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"\0SLFT\x01F" + struct.pack(">H", 5) + b"w.bin" + struct.pack(">Q", 5))
        assert recv_exactly(s, 9) == b"A" + bytes(8)
        s.sendall(b"hello" + b"H" + bytes(32))
        assert recv_exactly(s, 2) == b"V\x01"
        (n,) = struct.unpack(">H", recv_exactly(s, 2))
        reason = recv_exactly(s, n).decode()
    expected = "sha256: the bytes received hash to " + hashlib.sha256(b"hello").hexdigest() + \
        ", the sender's file to " + "0" * 64 + " (discarded)"
    assert reason == expected, reason
    _, out, _ = server.stop()
    assert "rejected w.bin from 127.0.0.1:" in out and expected in out, out
    assert os.listdir(os.path.join(d, "in")) == []
    shutil.rmtree(d)


def test_a_sender_that_dribbles_its_header_a_byte_at_a_time_is_still_answered():
    # Each byte of the hello and the header goes in a segment of its own; a
    # receiver that mishandled a message split across reads once spun here
    # at full CPU and never answered.
    d = workdir()
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    name = b"slow/" + b"n" * 200 + b".txt"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for byte in b"\0SLFT\x01F" + struct.pack(">H", len(name)) + name + struct.pack(">Q", 2):
            s.sendall(bytes([byte]))
            time.sleep(0.001)
        assert recv_exactly(s, 9) == b"A" + bytes(8)
        s.sendall(b"hi" + b"H" + hashlib.sha256(b"hi").digest() + b"E")
        assert recv_exactly(s, 4) == b"V\0\0\0"
    server.stop()
    with open(os.path.join(d, "in", name.decode()), "rb") as f:
        assert f.read() == b"hi"
    shutil.rmtree(d)


def test_a_sender_sending_more_than_announced_leaves_nothing():
    d = workdir()
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"\0SLFT\x01F" + struct.pack(">H", 4) + b"more" + struct.pack(">Q", 3))
        assert recv_exactly(s, 9)[:1] == b"A"
        s.sendall(b"abcdefgh" * 10)
        assert s.recv(100) in (b"", b"R")  # closed: no verdict for a broken stream
    _, out, _ = server.stop()
    assert "failed 127.0.0.1:" in out and "expected 'H', got byte 0x64" in out, out
    assert os.listdir(os.path.join(d, "in")) == []  # not even a part
    shutil.rmtree(d)


def test_names_with_spaces_and_utf8_arrive_as_they_are():
    d = workdir()
    names = ["my notes v2.txt", "\u6587\u4ef6.txt", "\u00dcn\u00efc\u00f6d\u00e9 \u2713.bin"]
    paths = []
    for i, n in enumerate(names):
        paths.append(os.path.join(d, n))
        with open(paths[-1], "wb") as f:
            f.write(n.encode() * (i + 1))
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    r = run([SENDFILE, *paths, server.peer()])
    assert r.returncode == 0, r.stderr
    assert [line.split(" sha256=")[0] for line in r.stdout.decode().splitlines()] == \
        [f"sent {n} {len(n.encode()) * (i + 1)}" for i, n in enumerate(names)]
    server.stop()
    assert sorted(os.listdir(os.path.join(d, "in"))) == sorted(names)
    shutil.rmtree(d)


def test_max_transfers_and_idle_timeout():
    d = workdir()
    server = start_server("recvfile", "--dir", os.path.join(d, "in"), "--max-transfers", "2", "--idle-timeout", "1")
    holders = []
    for i in range(2):  # two senders that start a file and then say nothing
        s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        s.sendall(b"\0SLFT\x01F" + struct.pack(">H", 6) + f"hold{i}!".encode()[:6] + struct.pack(">Q", 10))
        assert recv_exactly(s, 1) == b"A"
        holders.append(s)
    assert offer(server.port, b"third.txt", 3) == ("R", "max-transfers: 2 transfers already running")
    # The idle timeout drops the silent holders (each within about a second).
    for s in holders:
        s.settimeout(10)
        recv_exactly(s, 8)
        assert s.recv(100) == b"", "recvfile should close a silent sender"
        s.close()
    src = os.path.join(d, "late.txt")
    with open(src, "wb") as f:
        f.write(b"late")
    r = run([SENDFILE, src, server.peer()])
    assert r.returncode == 0, r.stderr
    _, out, _ = server.stop()
    assert out.count("(idle timeout)") >= 2, out
    assert sorted(os.listdir(os.path.join(d, "in"))) == ["late.txt"]  # the holders sent nothing: no part
    shutil.rmtree(d)
