#!/usr/bin/env python3
"""Faults around sendfile / recvfile: a 100 MiB file, concurrent senders, a
sender cut at several offsets (each run resumes), a receiver that dies
mid-file, and a receive directory on a tiny tmpfs that fills up (root)."""
import contextlib
import hashlib
import os
import shutil
import socket
import struct
import subprocess
import threading
import time

from socklab_test import binary, real_uid, recv_exactly, run, skip, spawn, start_server, wait_until
from fx import workdir, sha, write

SENDFILE = binary("sendfile")


def test_a_100_mib_file_arrives_with_its_hash():
    d = workdir()
    data = os.urandom(100 << 20)
    src = write(os.path.join(d, "big.bin"), data)
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    r = run([SENDFILE, src, server.peer()], timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().strip() == f"sent big.bin {len(data)} sha256={sha(data)}"
    _, out, _ = server.stop()
    assert f"received big.bin {len(data)} sha256={sha(data)} -> {d}/in/big.bin" in out, out
    check = subprocess.run(["sha256sum", "big.bin"], cwd=os.path.join(d, "in"), stdout=subprocess.PIPE, check=True)
    assert check.stdout.decode().split()[0] == sha(data)
    shutil.rmtree(d)


def test_concurrent_senders_each_get_their_own_files():
    d = workdir()
    expected = {}
    procs = []
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    for i in range(8):
        paths = []
        for j in range(3):
            data = os.urandom(50000 + 1000 * i + j)
            name = f"s{i}-f{j}.bin"
            expected[name] = data
            paths.append(write(os.path.join(d, name), data))
        procs.append(spawn([SENDFILE, *paths, server.peer()], stdin=subprocess.DEVNULL))
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        assert len(out.decode().splitlines()) == 3
    server.stop()
    assert sorted(os.listdir(os.path.join(d, "in"))) == sorted(expected)
    for name, data in expected.items():
        with open(os.path.join(d, "in", name), "rb") as f:
            assert f.read() == data, name
    shutil.rmtree(d)


def test_a_sender_cut_at_several_offsets_resumes_each_time():
    d = workdir()
    data = os.urandom(1 << 20)
    src = write(os.path.join(d, "cut.bin"), data)
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    part = os.path.join(d, "in", f".cut.bin.{len(data)}.part")
    done = 0
    for cut in (1, 65536, 700001, len(data) - 1):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
            s.sendall(b"\0SLFT\x01F" + struct.pack(">H", 7) + b"cut.bin" + struct.pack(">Q", len(data)))
            assert recv_exactly(s, 9) == b"A" + struct.pack(">Q", done)  # resumes where the last one stopped
            s.sendall(data[done:cut])
        wait_until(lambda: os.path.exists(part) and os.path.getsize(part) == cut, what=f"a part of {cut} bytes")
        assert os.listdir(os.path.join(d, "in")) == [os.path.basename(part)]  # never a final file
        done = cut
    r = run([SENDFILE, src, server.peer()], timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().strip() == f"sent cut.bin {len(data)} sha256={sha(data)}"
    _, out, _ = server.stop()
    assert f"resuming at byte {len(data) - 1}" in out, out
    with open(os.path.join(d, "in", "cut.bin"), "rb") as f:
        assert f.read() == data
    assert os.listdir(os.path.join(d, "in")) == ["cut.bin"]
    shutil.rmtree(d)


def fake_receiver(behaviour):
    """A listening socket whose one connection is handled by behaviour(conn) in a thread."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    lsock.settimeout(10)

    def serve():
        conn, _ = lsock.accept()
        conn.settimeout(10)
        try:
            behaviour(conn)
        finally:
            # SO_LINGER 0: close with a reset, as the kernel does for a killed
            # process that left unread data behind.
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
            lsock.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"127.0.0.1:{lsock.getsockname()[1]}", thread


def accept_and_read(conn, n):
    assert recv_exactly(conn, 6) == b"\0SLFT\x03"  # HELLO, version 3
    recv_exactly(conn, 16)  # the run's totals: files and bytes
    assert recv_exactly(conn, 3) == b"G\x00\x01"  # a group of one offer
    assert recv_exactly(conn, 1 + 2 + 5) == b"F\x00\x05x.bin"
    recv_exactly(conn, 8)  # the size
    conn.sendall(b"A" + bytes(8))
    recv_exactly(conn, n)


def test_the_sender_offers_32_files_at_a_time_and_reads_their_answers_after():
    # 40 files: a group of 32 offers, all written before any answer is read,
    # then a group of 8. The fake receiver answers only once it holds a
    # whole group (a sender that waited for each answer would stall here).
    d = workdir()
    os.makedirs(os.path.join(d, "many"))
    for i in range(40):
        write(os.path.join(d, "many", f"f{i:02d}.txt"), b"x")
    groups = []

    def answer_by_groups(conn):
        recv_exactly(conn, 6 + 16)  # HELLO and the totals
        while True:
            kind = recv_exactly(conn, 1)
            if kind == b"E":
                return
            assert kind == b"G", kind
            (count,) = struct.unpack(">H", recv_exactly(conn, 2))
            for _ in range(count):
                assert recv_exactly(conn, 1) == b"F"
                (n,) = struct.unpack(">H", recv_exactly(conn, 2))
                recv_exactly(conn, n + 8)
            groups.append(count)
            reason = b"test: no"
            conn.sendall((b"R" + struct.pack(">H", len(reason)) + reason) * count)

    peer, thread = fake_receiver(answer_by_groups)
    r = run([SENDFILE, os.path.join(d, "many"), peer], timeout=30)
    thread.join(10)
    assert groups == [32, 8], groups
    assert r.returncode == 1 and r.stderr.decode().count("refused by") == 40, r.stderr
    shutil.rmtree(d)


def test_a_receiver_dying_mid_file_makes_sendfile_fail_clearly():
    d = workdir()
    src = write(os.path.join(d, "x.bin"), os.urandom(32 << 20))
    peer, thread = fake_receiver(lambda conn: accept_and_read(conn, 100000))
    r = run([SENDFILE, src, peer], timeout=30)
    thread.join(10)
    assert r.returncode == 1
    err = r.stderr.decode().strip()
    assert err in ("sendfile: write x.bin: the peer closed the connection",
                   "sendfile: write x.bin: the peer reset the connection"), err
    shutil.rmtree(d)


def test_a_receiver_that_closes_without_reading_is_noticed_at_once():
    # The receiver sends its FIN and never reads again, with its window full
    # (what a stopped recvfile's socket looks like to the sender). The sender
    # must give up now, not after its 60 s idle timeout: the test's 20 s
    # bound is only there so that a hang fails instead of waiting forever.
    done = threading.Event()

    def close_and_stop_reading(conn):
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        accept_and_read(conn, 100000)
        conn.shutdown(socket.SHUT_WR)
        done.wait(25)

    d = workdir()
    src = write(os.path.join(d, "x.bin"), os.urandom(32 << 20))
    peer, thread = fake_receiver(close_and_stop_reading)
    try:
        r = run([SENDFILE, src, peer], timeout=20)
    finally:
        done.set()
    thread.join(10)
    assert r.returncode == 1
    assert r.stderr.decode().strip() == "sendfile: write x.bin: the peer closed the connection", r.stderr
    shutil.rmtree(d)


def test_a_receiver_giving_up_mid_file_is_heard():
    def give_up(conn):
        accept_and_read(conn, 100000)
        reason = b"space: write x.bin: No space left on device"
        conn.sendall(b"V\x01" + struct.pack(">H", len(reason)) + reason)

    d = workdir()
    src = write(os.path.join(d, "x.bin"), os.urandom(32 << 20))
    peer, thread = fake_receiver(give_up)
    r = run([SENDFILE, src, peer], timeout=30)
    thread.join(10)
    assert r.returncode == 1
    assert r.stderr.decode().strip() == \
        f"sendfile: write x.bin: {peer} says: space: write x.bin: No space left on device", r.stderr
    shutil.rmtree(d)


@contextlib.contextmanager
def tiny_disk(size):
    """A work directory whose in/ is a tmpfs of `size` (e.g. "1m"): a disk
    that fills up. Yields (work directory, in/); unmounts and removes both."""
    d = workdir()
    inbox = os.path.join(d, "in")
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "socklab-fx", inbox], check=True)
    try:
        yield d, inbox
    finally:
        subprocess.run(["umount", inbox], check=False)
        shutil.rmtree(d)


def fill_the_disk_during_a_transfer(server, d, inbox, size):
    """Two transfers of `size` bytes that each fit, but not together: the
    second to write fills the disk, and recvfile discards the first's part,
    saying why to its sender and in its log."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"\0SLFT\x01F" + struct.pack(">H", 5) + b"a.bin" + struct.pack(">Q", size))
        assert recv_exactly(s, 9) == b"A" + bytes(8)
        b_data = os.urandom(size)
        r = run([SENDFILE, write(os.path.join(d, "b.bin"), b_data), server.peer()], timeout=60)
        assert r.returncode == 0, r.stderr
        try:
            s.sendall(os.urandom(size))
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert recv_exactly(s, 2) == b"V\x01"
        (n,) = struct.unpack(">H", recv_exactly(s, 2))
        reason = recv_exactly(s, n).decode()
    assert reason.startswith("space: write a.bin: No space left on device at byte "), reason
    assert reason.endswith("; the part was discarded"), reason
    _, out, _ = server.stop()
    assert "a.bin" in out and "No space left on device" in out, out
    assert os.listdir(inbox) == ["b.bin"]  # no a.bin, no part
    with open(os.path.join(inbox, "b.bin"), "rb") as f:
        assert f.read() == b_data


def test_a_full_disk_refuses_or_discards_and_says_so():
    if real_uid() != 0:
        skip("needs root to mount a tiny tmpfs; CI runs as root")
    with tiny_disk("1m") as (d, inbox):
        server = start_server("recvfile", "--dir", inbox)
        # Too big from the start: the space guard refuses before a byte moves.
        big = write(os.path.join(d, "big.bin"), os.urandom(2 << 20))
        r = run([SENDFILE, big, server.peer()], timeout=30)
        assert r.returncode == 1
        assert "refused by" in r.stderr.decode() and ": space: 2097152 more bytes do not fit in the " in \
            r.stderr.decode(), r.stderr
        fill_the_disk_during_a_transfer(server, d, inbox, 700 << 10)


def test_a_full_disk_under_a_big_files_direct_writes_discards_it_and_says_so():
    # A file of 8 MiB or more is written with O_DIRECT on recvfile's writer
    # thread (tmpfs takes O_DIRECT since Linux 6.6): a write failing there
    # must end the file just as one on the connection's thread does.
    if real_uid() != 0:
        skip("needs root to mount a tiny tmpfs; CI runs as root")
    with tiny_disk("24m") as (d, inbox):
        server = start_server("recvfile", "--dir", inbox)
        fill_the_disk_during_a_transfer(server, d, inbox, 16 << 20)


def test_a_connection_flood_is_bounded_and_service_continues():
    d = workdir()
    server = start_server("recvfile", "--dir", os.path.join(d, "in"), "--max-transfers", "2")
    flood = []
    try:
        for _ in range(600):  # 2 transfers + 512 waiting for their refusal; the rest closed at once
            flood.append(socket.create_connection(("127.0.0.1", server.port), timeout=10))
        line = server.wait_for_line(r"^close .*\(max-transfers: more than 514 connections\)$")
        assert line
    finally:
        for s in flood:
            s.close()
    src = write(os.path.join(d, "after.txt"), b"still here")
    r = None
    for _ in range(50):  # the flood's threads end as their sockets close
        r = run([SENDFILE, src, server.peer()])
        if r.returncode == 0:
            break
        assert "max-transfers" in r.stderr.decode(), r.stderr
        time.sleep(0.1)
    assert r.returncode == 0, r.stderr
    status, _, _ = server.stop()
    assert status == 0
    assert os.listdir(os.path.join(d, "in")) == ["after.txt"]
    shutil.rmtree(d)


def test_the_real_receiver_killed_mid_file():
    """recvfile stopped mid-file (SIGSTOP holds it there), then SIGKILLed: the
    kernel resets its connections, and sendfile says so and exits 1."""
    import signal
    d = workdir()
    src = os.path.join(d, "zeros.bin")
    with open(src, "wb") as f:
        f.truncate(256 << 20)  # sparse: cheap to make, real bytes to send
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    sender = spawn([SENDFILE, src, server.peer()], stdin=subprocess.DEVNULL)
    part = os.path.join(d, "in", f".zeros.bin.{256 << 20}.part")
    wait_until(lambda: os.path.exists(part) and os.path.getsize(part) > 0, what="the content arriving")
    server.proc.send_signal(signal.SIGSTOP)
    assert sender.poll() is None, "sendfile finished before the receiver stopped"
    server.proc.kill()
    server.proc.wait(10)
    _, err = sender.communicate(timeout=30)
    assert sender.returncode == 1
    assert err.decode().strip() in ("sendfile: write zeros.bin: the peer reset the connection",
                                    "sendfile: write zeros.bin: the peer closed the connection"), err
    assert "zeros.bin" not in os.listdir(os.path.join(d, "in"))  # only the part
    shutil.rmtree(d)


def test_the_real_sender_killed_twice_then_resumed():
    d = workdir()
    src = os.path.join(d, "z.bin")
    size = 256 << 20
    with open(src, "wb") as f:
        f.truncate(size)
        f.seek(size // 2)
        f.write(b"the middle")  # something to hash besides zeros
    with open(src, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    part = os.path.join(d, "in", f".z.bin.{size}.part")
    kept = 0
    for _ in range(2):
        sender = spawn([SENDFILE, src, server.peer()], stdin=subprocess.DEVNULL)
        wait_until(lambda: os.path.exists(part) and os.path.getsize(part) > kept, what="the part growing")
        sender.kill()
        sender.wait(10)
        wait_until(lambda: "failed 127.0.0.1:" in (server.read_line() or ""), what="recvfile noticing")
        assert os.listdir(os.path.join(d, "in")) == [os.path.basename(part)]  # no final file
        assert kept < os.path.getsize(part) < size
        kept = os.path.getsize(part)
    r = run([SENDFILE, src, server.peer()], timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().strip() == f"sent z.bin {size} sha256={digest}"
    _, out, _ = server.stop()
    assert f"resuming at byte {kept}" in out, out
    assert os.listdir(os.path.join(d, "in")) == ["z.bin"]
    shutil.rmtree(d)
