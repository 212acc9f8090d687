#!/usr/bin/env python3
"""recvfile's guards, from a hostile sender's side: each refusal names its
guard to both sides, and nothing is left in the directory."""
import os
import shutil
import socket
import struct
import tempfile

from socklab_test import binary, main, recv_exactly, run, start_server

SENDFILE = binary("sendfile")


def workdir():
    d = tempfile.mkdtemp(prefix="socklab-fx-")
    os.mkdir(os.path.join(d, "in"))
    return d


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
    cases = {b"../../etc/passwd": "name: contains '/'", b"/etc/passwd": "name: contains '/'",
             b"..": "name: '..' is a directory", b".hidden": "name: starts with '.'",
             b"a\nb": "name: contains the control byte 0x0a", b"a\x00b": "name: contains a NUL byte",
             b"x" * 255 + b"": None}
    for name, reason in cases.items():
        kind, answer = offer(server.port, name, 3)
        if reason is None:
            assert kind == "A", (name, answer)
        else:
            assert kind == "R" and answer.startswith(reason), (name, answer)
    status, out, _ = server.stop()
    assert "refused a file from 127.0.0.1:" in out and "name: contains '/'" in out, out
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


def test_refusal_in_the_classic_protocol():
    d = workdir()
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"../escape.txt")
        assert s.recv(200) == b"refused: name: contains '/' (only a bare file name is accepted)"
    server.stop()
    assert os.listdir(os.path.join(d, "in")) == []
    shutil.rmtree(d)


if __name__ == "__main__":
    main(globals())
