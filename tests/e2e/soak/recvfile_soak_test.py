#!/usr/bin/env python3
"""Soak: recvfile with 50 concurrent senders, a third of them hostile.

34 honest senders (sendfile, 1-3 files each) run at once with 16 hostile
ones: bad names, lying sizes (announce more than they send), slow trickles
that give up, and senders that disconnect right after the header. Every
honest file must arrive with its hash; no other file may appear; no part
file may remain for a finished or refused transfer (only broken transfers
keep theirs, for a resume). Then SIGTERM in the middle of a second round:
exit 0 and no half-written final file.
"""
import hashlib
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import socklab_test as t  # noqa: E402

HONEST, HOSTILE = 34, 16


def header(name, size):
    return b"\0SLFT\x01F" + struct.pack(">H", len(name)) + name + struct.pack(">Q", size)


def hostile(kind, port, n):
    """One hostile sender; returns the name it used (bytes)."""
    name = f"hostile-{kind}-{n}.bin".encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            if kind == "badname":
                name = random.choice([b"../../escape", b"/etc/cron.d/x", b"..", b"a\nb", b".hidden", b"x" * 300])
                s.sendall(header(name[:255], 10) if len(name) <= 255 else
                          b"\0SLFT\x01F" + struct.pack(">H", len(name)) + name + struct.pack(">Q", 10))
                s.recv(1024)
            elif kind == "liar":
                s.sendall(header(name, 100000))
                s.recv(9)
                s.sendall(os.urandom(5000))
            elif kind == "trickle":
                s.sendall(header(name, 1000))
                s.recv(9)
                for _ in range(15):  # 1.5 s of one byte at a time, then give up
                    s.sendall(b"t")
                    time.sleep(0.1)
            elif kind == "vanish":
                s.sendall(header(name, 5000))
    except OSError:
        pass
    return name


def established(port):
    """The connections to `port` still open on the server's side (from /proc/net/tcp)."""
    with open("/proc/net/tcp") as f:
        rows = [line.split() for line in f.readlines()[1:]]
    # local address is "0100007F:PORT" in hex; state 01 is ESTABLISHED, 08 CLOSE_WAIT
    return [r for r in rows if int(r[1].split(":")[1], 16) == port and r[3] in ("01", "08")]


def test_fifty_senders_a_third_hostile():
    work = tempfile.mkdtemp(prefix="socklab-soak-fx-")
    inbox = os.path.join(work, "in")
    os.mkdir(inbox)
    rng = random.Random(1)
    honest_files = {}
    senders = []
    for i in range(HONEST):
        paths = []
        for j in range(rng.randint(1, 3)):
            data = os.urandom(rng.choice([0, 1, 1000, 65536, 300000, 524288]))
            name = f"honest-{i}-{j}.bin"
            path = os.path.join(work, name)
            with open(path, "wb") as f:
                f.write(data)
            honest_files[name] = hashlib.sha256(data).hexdigest()
            paths.append(path)
        senders.append(paths)
    server = t.start_server("recvfile", "--dir", inbox, "--max-transfers", "64", "-q")
    procs = [subprocess.Popen([t.binary("sendfile"), *paths, server.peer()], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for paths in senders]
    kinds = ["badname", "liar", "trickle", "vanish"]
    threads = [threading.Thread(target=hostile, args=(kinds[i % 4], server.port, i)) for i in range(HOSTILE)]
    for th in threads:
        th.start()
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    for th in threads:
        th.join(30)
    for out, err, code in results:
        assert code == 0, err.decode()
    # The hostile senders have all closed: wait until the receiver has seen
    # their ends too (this test's network namespace holds no other sockets).
    t.wait_until(lambda: not established(server.port), timeout=30, what="every connection closed")
    status, out, err = server.stop()
    assert status == 0, err
    names = os.listdir(inbox)
    finals = sorted(n for n in names if not n.startswith("."))
    assert finals == sorted(honest_files), set(finals) ^ set(honest_files)
    for name, digest in honest_files.items():
        with open(os.path.join(inbox, name), "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == digest, name
        assert f"received {name} " in out and f"sha256={digest}" in out
    parts = [n for n in names if n.startswith(".")]
    # Only the broken transfers (lying, trickling, vanished) may keep a part, for a resume.
    assert all(n.startswith(".hostile-") and n.endswith(".part") for n in parts), parts
    assert not any(n.startswith(".hostile-badname") for n in parts), parts
    print(f"soak recvfile: {HONEST} honest senders, {len(honest_files)} files all verified; "
          f"{HOSTILE} hostile senders; part files kept for broken transfers: {len(parts)}")
    shutil.rmtree(work)


def test_sigterm_in_the_middle():
    work = tempfile.mkdtemp(prefix="socklab-soak-fx-")
    inbox = os.path.join(work, "in")
    os.mkdir(inbox)
    big = os.path.join(work, "big.bin")
    with open(big, "wb") as f:
        f.write(os.urandom(64 << 20))
    server = t.start_server("recvfile", "--dir", inbox, "-q")
    procs = [subprocess.Popen([t.binary("sendfile"), big, server.peer()], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) for _ in range(3)]
    t.wait_until(lambda: any(n.endswith(".part") for n in os.listdir(inbox)), what="a transfer in progress")
    status, _, err = server.stop()
    for p in procs:
        p.communicate(timeout=30)
    assert status == 0, err
    for name in os.listdir(inbox):
        if not name.startswith("."):  # a final file must be whole
            with open(os.path.join(inbox, name), "rb") as f, open(big, "rb") as g:
                assert f.read() == g.read()
    shutil.rmtree(work)
