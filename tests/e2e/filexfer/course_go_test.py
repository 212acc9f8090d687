#!/usr/bin/env python3
"""The course's own protocol in Go (course/sender.go and course/receiver.go,
written in the course's style): the Go sender into recvfile, and
sendfile --classic into the Go receiver."""
import atexit
import hashlib
import os
import shutil
import subprocess
import tempfile

from socklab_test import binary, need_tool, read_line, run, spawn, start_server

SENDFILE = binary("sendfile")
COURSE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "course")


def build(tmp):
    """go build both programs into tmp (no network: the standard library only)."""
    go = need_tool("go")
    env = dict(os.environ, GOCACHE=os.path.join(tmp, "gocache"), GOPATH=os.path.join(tmp, "gopath"),
               GOPROXY="off", GO111MODULE="off", CGO_ENABLED="0")
    for prog in ("sender", "receiver"):
        r = run([go, "build", "-o", os.path.join(tmp, prog), os.path.join(COURSE, prog + ".go")], env=env,
                timeout=300)
        assert r.returncode == 0, r.stderr.decode()
    return os.path.join(tmp, "sender"), os.path.join(tmp, "receiver")


def test_the_course_sender_and_receiver_interoperate():
    tmp = tempfile.mkdtemp(prefix="socklab-go-")
    atexit.register(shutil.rmtree, tmp, True)  # also when a check fails halfway
    sender, receiver = build(tmp)
    os.mkdir(os.path.join(tmp, "in"))
    os.mkdir(os.path.join(tmp, "out"))
    data = os.urandom(3 << 20)
    src = os.path.join(tmp, "lecture notes.bin")
    with open(src, "wb") as f:
        f.write(data)
    digest = hashlib.sha256(data).hexdigest()

    # The course's Go sender into recvfile: accepted, marked unverified.
    server = start_server("recvfile", "--dir", os.path.join(tmp, "in"))
    r = run([sender, src, server.address], timeout=60)
    assert r.returncode == 0 and r.stdout.decode().strip() == "sent lecture notes.bin", r.stdout
    line = server.wait_for_line(r"^received ")
    assert line == (f"received lecture notes.bin {len(data)} sha256={digest} -> {tmp}/in/lecture notes.bin "
                    "(classic: unverified, no size or checksum was sent)"), line
    server.stop()
    with open(os.path.join(tmp, "in", "lecture notes.bin"), "rb") as f:
        assert f.read() == data

    # sendfile --classic into the course's Go receiver.
    proc = spawn([receiver, "127.0.0.1:0", os.path.join(tmp, "out")], stdin=subprocess.DEVNULL)
    first = read_line(proc, 20)
    assert first and first.startswith("listening on "), first
    r = run([SENDFILE, "--classic", src, first[len("listening on "):]], timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().strip() == \
        f"sent lecture notes.bin {len(data)} sha256={digest} (classic: the receiver cannot verify it)"
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0 and out.decode().strip() == f"received lecture notes.bin {len(data)}", out
    with open(os.path.join(tmp, "out", "lecture notes.bin"), "rb") as f:
        assert f.read() == data
    shutil.rmtree(tmp)
