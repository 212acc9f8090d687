#!/usr/bin/env python3
"""sendfile -> recvfile end to end: several files over one connection,
hashes equal to sha256sum's, resume after a break, a corrupted part, the
course's classic protocol both ways, SIGTERM in the middle, the command line."""
import os
import re
import shutil
import socket
import struct
import subprocess

from socklab_test import Terminal, binary, run, start_server, wait_until
from fx import workdir, sha, write

SENDFILE = binary("sendfile")


def listing(d):
    return sorted(os.listdir(d))


def test_several_files_over_one_connection():
    d = workdir()
    files = {"empty": b"", "text.txt": b"hello, file\n", "binary.bin": bytes(range(256)) * 4000,
             "big.bin": os.urandom(3 << 20)}
    paths = [write(os.path.join(d, n), data) for n, data in files.items()]
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    r = run([SENDFILE, *paths, server.peer()], timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().splitlines() == [f"sent {n} {len(data)} sha256={sha(data)}" for n, data in files.items()]
    # sha256sum agrees with what both sides printed.
    check = subprocess.run(["sha256sum", *files], cwd=os.path.join(d, "in"), stdout=subprocess.PIPE, check=True)
    for line in check.stdout.decode().splitlines():
        digest, name = line.split()
        assert digest == sha(files[name])
    status, out, _ = server.stop()
    assert status == 0
    for n, data in files.items():
        assert f"received {n} {len(data)} sha256={sha(data)} -> {d}/in/{n}" in out, out
        with open(os.path.join(d, "in", n), "rb") as f:
            assert f.read() == data
    assert listing(os.path.join(d, "in")) == sorted(files)  # no part file left
    shutil.rmtree(d)


def test_resume_after_a_break():
    d = workdir()
    data = os.urandom(1 << 20)
    src = write(os.path.join(d, "movie.bin"), data)
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    # A sender that breaks halfway: the honest first half, then the connection drops.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"\0SLFT\x01" + b"F" + struct.pack(">H", 9) + b"movie.bin" + struct.pack(">Q", len(data)))
        assert s.recv(9) == b"A" + struct.pack(">Q", 0)
        s.sendall(data[:400000])
    part = os.path.join(d, "in", f".movie.bin.{len(data)}.part")
    wait_until(lambda: os.path.exists(part) and os.path.getsize(part) == 400000, what="the part file")
    assert listing(os.path.join(d, "in")) == [os.path.basename(part)]  # no final file
    r = run([SENDFILE, src, server.peer()], timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().strip() == f"sent movie.bin {len(data)} sha256={sha(data)}"
    status, out, _ = server.stop()
    assert "resuming at byte 400000" in out, out
    with open(os.path.join(d, "in", "movie.bin"), "rb") as f:
        assert f.read() == data
    assert listing(os.path.join(d, "in")) == ["movie.bin"]
    shutil.rmtree(d)


def test_a_part_that_does_not_match_is_discarded_and_reported():
    d = workdir()
    data = os.urandom(200000)
    src = write(os.path.join(d, "a.bin"), data)
    write(os.path.join(d, "in", f".a.bin.{len(data)}.part"), b"\xff" * 1000)  # not the start of a.bin
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    r = run([SENDFILE, src, server.peer()], timeout=30)
    assert r.returncode == 1
    err = r.stderr.decode()
    assert "a.bin: 127.0.0.1:" in err and "says: sha256: the bytes received hash to" in err, err
    assert "(the resumed part did not match: discarded, send again)" in err
    assert listing(os.path.join(d, "in")) == []  # neither the file nor the bad part
    r = run([SENDFILE, src, server.peer()], timeout=30)  # the next try starts afresh
    assert r.returncode == 0, r.stderr
    server.stop()
    assert listing(os.path.join(d, "in")) == ["a.bin"]
    shutil.rmtree(d)


def test_classic_sender_like_the_course():
    """The course's sender, byte for byte: name, wait for "ok", content, close."""
    d = workdir()
    data = b"course data " * 1000
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"notes.txt")
        assert s.recv(16) == b"ok"
        s.sendall(data)
    status_line = server.wait_for_line(r"^received notes\.txt")
    assert status_line == (f"received notes.txt {len(data)} sha256={sha(data)} -> {d}/in/notes.txt "
                           "(classic: unverified, no size or checksum was sent)"), status_line
    server.stop()
    with open(os.path.join(d, "in", "notes.txt"), "rb") as f:
        assert f.read() == data
    shutil.rmtree(d)


def test_sendfile_classic_to_a_course_receiver():
    """The course's receiver: accept, read the name, write "ok", read to EOF."""
    d = workdir()
    data = os.urandom(300000)
    src = write(os.path.join(d, "x.bin"), data)
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    proc = subprocess.Popen([SENDFILE, "--classic", src, f"127.0.0.1:{lsock.getsockname()[1]}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lsock.settimeout(10)
    conn, _ = lsock.accept()
    conn.settimeout(10)
    assert conn.recv(1024) == b"x.bin"
    conn.sendall(b"ok")
    got = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        got += chunk
    conn.close()
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert got == data
    assert out.decode().strip() == f"sent x.bin {len(data)} sha256={sha(data)} (classic: the receiver cannot verify it)"
    lsock.close()
    shutil.rmtree(d)


def test_once_exits_after_one_connection_with_its_status():
    d = workdir()
    src = write(os.path.join(d, "one.txt"), b"1")
    server = start_server("recvfile", "--dir", os.path.join(d, "in"), "--once")
    assert run([SENDFILE, src, server.peer()]).returncode == 0
    server.proc.wait(timeout=10)
    assert server.proc.returncode == 0
    shutil.rmtree(d)


def test_trace_tells_the_course_steps():
    d = workdir()
    src = write(os.path.join(d, "t.txt"), b"traced\n")
    server = start_server("recvfile", "--dir", os.path.join(d, "in"), "--trace", "-q")
    r = run([SENDFILE, "--trace", src, server.peer()])
    err = r.stderr.decode()
    for pattern in (r"^\[1\] args 1 file\(s\) to 127\.0\.0\.1:\d+ +\(Go: os\.Args \| C: argv\)$",
                    r"^\[2\] stat .*t\.txt: name t\.txt, 7 bytes +\(Go: os\.Stat \| C: stat\)$",
                    r"^\[3\] dial 127\.0\.0\.1:\d+ +\(Go: net\.Dial\(\"tcp\"\) \| C: socket\+connect\)$",
                    r"^\[5\] read answer accepted \(ok\)", r"^\[7\] read verdict t\.txt good"):
        assert re.search(pattern, err, re.M), (pattern, err)
    _, _, server_err = server.stop()
    assert re.search(r"^\[6\] create \.t\.txt\.7\.part +\(Go: os\.Create", server_err, re.M), server_err
    shutil.rmtree(d)


def test_sigterm_in_the_middle_leaves_no_final_file():
    d = workdir()
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"\0SLFT\x01F" + struct.pack(">H", 5) + b"h.bin" + struct.pack(">Q", 10 << 20))
        assert s.recv(9)[:1] == b"A"
        s.sendall(b"x" * 100000)
        wait_until(lambda: any(n.endswith(".part") for n in os.listdir(os.path.join(d, "in"))), what="part file")
        status, out, err = server.stop()
    assert status == 0, err
    assert "h.bin" not in listing(os.path.join(d, "in"))
    shutil.rmtree(d)


def test_bad_command_lines():
    for args, expected in [([], "args is required"), (["only-a-path"], "need at least one PATH and then HOST[:PORT]"),
                           (["f", "host:99999"], "port 99999 is out of range")]:
        r = run([SENDFILE, *args])
        assert r.returncode == 2, (args, r.stderr)
        first = r.stderr.decode().splitlines()[0]
        assert first.startswith("sendfile: ") and expected in first, (args, first)
    r = run([SENDFILE, "/nonexistent/file", "127.0.0.1:1"])
    assert r.returncode == 1
    assert r.stderr.decode().strip() == "sendfile: stat /nonexistent/file: No such file or directory"
    r = run([binary("recvfile"), "--allow", "10.0.0.0/8", "--allow", "10.0.0.0/40"])
    assert r.returncode == 2
    assert r.stderr.decode().splitlines()[0] == "recvfile: --allow 10.0.0.0/40: prefix '40' is not 0-32"
    r = run([binary("recvfile"), "-l", "127.0.0.1:0", "--dir", "/nonexistent"])
    assert r.returncode == 1
    assert r.stderr.decode().strip() == "recvfile: open --dir /nonexistent: No such file or directory"


def test_ipv6_loopback():
    d = workdir()
    src = write(os.path.join(d, "six.txt"), b"over IPv6\n")
    server = start_server("recvfile", "--dir", os.path.join(d, "in"), listen="[::1]:0")
    assert server.address.startswith("[::1]:"), server.address
    r = run([SENDFILE, src, server.address])
    assert r.returncode == 0, r.stderr
    _, out, _ = server.stop()
    assert "open [::1]:" in out, out
    assert os.listdir(os.path.join(d, "in")) == ["six.txt"]
    shutil.rmtree(d)


def test_a_progress_bar_on_a_terminal_only():
    d = workdir()
    data = os.urandom(4 << 20)
    src = write(os.path.join(d, "bar.bin"), data)
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    terminal = Terminal()
    proc = subprocess.Popen([SENDFILE, src, server.peer()], stdout=subprocess.PIPE, stderr=terminal.fd)
    terminal.opened()
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    bar = terminal.drawn()
    assert "bar.bin [" in bar and "4.0 MiB / 4.0 MiB 100%" in bar, bar
    assert "/s" in bar, bar
    assert out.decode().strip() == f"sent bar.bin {len(data)} sha256={sha(data)}"  # stdout stays clean
    piped = write(os.path.join(d, "piped.bin"), data)
    r = run([SENDFILE, piped, server.peer()])  # stderr a pipe: no bar at all
    assert r.returncode == 0 and r.stderr == b"", r.stderr
    server.stop()
    shutil.rmtree(d)
