#!/usr/bin/env python3
"""Two hosts (network namespaces joined by a veth pair, made by scripts/lab):
sendfile on one, recvfile on the other, over real addresses; and a UDP probe
between them. The test creates and removes its own hosts (root only)."""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import socklab_test as t  # noqa: E402

LAB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "lab")
NAME = f"sltest{os.getpid() % 100000}"


def lab(*args, check=True):
    return subprocess.run(["bash", LAB, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30,
                          check=check, env=dict(os.environ, LAB_NAME=NAME))


def on(host, argv, name=NAME):
    """The command line that runs argv on host a or b, through scripts/lab exec."""
    return ["env", f"LAB_NAME={name}", "bash", LAB, "exec", host, *argv]


def test_sendfile_between_two_hosts():
    t.need_root()
    t.need_tool("ip")
    lab("up", NAME)
    work = tempfile.mkdtemp(prefix="socklab-lab-")
    recv = udp = None
    try:
        os.mkdir(os.path.join(work, "in"))
        data = os.urandom(2 << 20)
        src = os.path.join(work, "lab.bin")
        with open(src, "wb") as f:
            f.write(data)
        recv = subprocess.Popen(on("b", [t.binary("recvfile"), "-l", "10.77.0.2:0", "--dir", os.path.join(work, "in"),
                                         "--once"]), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = t.read_line(recv, 10)
        assert first and first.startswith("listening on 10.77.0.2:"), first
        port = first.rsplit(":", 1)[1]
        r = subprocess.run(on("a", [t.binary("sendfile"), src, f"10.77.0.2:{port}"]), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        assert r.returncode == 0, r.stderr
        out, err = recv.communicate(timeout=10)
        assert recv.returncode == 0, err
        digest = hashlib.sha256(data).hexdigest()
        assert f"received lab.bin {len(data)} sha256={digest}" in out.decode(), out
        assert "from 10.77.0.1:" in out.decode()  # it really came from the other host
        # A UDP probe across the veth: nothing lost between two quiet hosts.
        udp = subprocess.Popen(on("b", [t.binary("udp-server"), "-l", "10.77.0.2:0", "-q"]), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
        first = t.read_line(udp, 10)
        port = first.rsplit(":", 1)[1]
        r = subprocess.run(on("a", [t.binary("udp-client"), f"10.77.0.2:{port}", "--count", "500", "--window", "8",
                                    "--json"]), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        udp.terminate()
        udp.wait(10)
        assert r.returncode == 0, r.stderr
        assert '"received":500' in r.stdout.decode(), r.stdout
    finally:
        for proc in (recv, udp):  # still running only if a check failed
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(10)
        lab("down", NAME, check=False)
        shutil.rmtree(work, ignore_errors=True)
    assert f"{NAME}-a" not in subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE).stdout.decode()


def wait_for_line(proc, text, lines=50):
    """The first of the next `lines` stdout lines containing `text` (each within 20 s)."""
    for _ in range(lines):
        line = t.read_line(proc, 20)
        if line is None or text in line:
            return line
    return None


def test_a_cut_cable_then_a_resume_through_a_slow_link():
    """With a rate limit, a transfer takes seconds; the cable is cut halfway:
    both sides give up within their idle timeout, leaving only the part file;
    with the cable back, the same sendfile resumes and completes."""
    t.need_root()
    t.need_tool("ip")
    t.need_tool("tc")
    name = NAME + "c"
    lab("up", name, "--rate", "16mbit")
    work = tempfile.mkdtemp(prefix="socklab-lab-")
    recv = sender = None
    try:
        inbox = os.path.join(work, "in")
        os.mkdir(inbox)
        data = os.urandom(8 << 20)  # about 4 s at 16 Mbit/s
        src = os.path.join(work, "cut.bin")
        with open(src, "wb") as f:
            f.write(data)
        recv = subprocess.Popen(on("b", [t.binary("recvfile"), "-l", "10.77.0.2:0", "--dir", inbox,
                                          "--idle-timeout", "2"], name), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        first = t.read_line(recv, 10)
        assert first and first.startswith("listening on 10.77.0.2:"), first
        peer = "10.77.0.2:" + first.rsplit(":", 1)[1]
        send = on("a", [t.binary("sendfile"), "--idle-timeout", "2", src, peer], name)
        sender = subprocess.Popen(send, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        part = os.path.join(inbox, f".cut.bin.{len(data)}.part")
        t.wait_until(lambda: os.path.exists(part) and os.path.getsize(part) > (1 << 20), timeout=30,
                     what="a megabyte through the slow link")
        lab("cut", name)
        out, err = sender.communicate(timeout=20)  # gives up after 2 s without progress
        assert sender.returncode == 1, (out, err)
        assert "idle timeout" in err.decode(), err
        assert wait_for_line(recv, "failed 10.77.0.1:"), "recvfile did not give up on the silent sender"
        assert os.listdir(inbox) == [os.path.basename(part)]  # no final file, the part kept
        kept = os.path.getsize(part)
        assert 0 < kept < len(data)
        lab("mend", name)
        r = subprocess.run(send, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        assert r.returncode == 0, r.stderr
        assert r.stdout.decode().strip() == f"sent cut.bin {len(data)} sha256={hashlib.sha256(data).hexdigest()}"
        line = wait_for_line(recv, "resuming at byte")
        assert line and f"resuming at byte {kept}" in line, (line, kept)
        with open(os.path.join(inbox, "cut.bin"), "rb") as f:
            assert f.read() == data
    finally:
        if sender is not None and sender.poll() is None:  # only if a check failed
            sender.kill()
            sender.wait(10)
        if recv is not None:
            recv.terminate()
            recv.wait(10)
        lab("down", name, check=False)
        shutil.rmtree(work, ignore_errors=True)
    assert f"{name}-a" not in subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE).stdout.decode()


def test_a_rate_is_checked_before_any_host_is_made_and_a_fast_link_gets_a_bucket_to_match():
    """A bad --rate stops `lab up` with one line naming it, and no namespace is
    left behind. A 1 Gbit/s link gets a token bucket that holds a whole 64 KiB
    segment (with a 4 KiB one, tbf splits every segment and the link runs at
    about half its rate); a slow link keeps the smallest bucket, 4 KiB."""
    t.need_root()
    t.need_tool("ip")
    t.need_tool("tc")
    name = NAME + "r"
    r = lab("up", name, "--rate", "fast", check=False)
    assert r.returncode == 1
    assert r.stderr.decode().strip() == "lab: 'fast' is not a rate (e.g. 10mbit, 1gbit)", r.stderr
    assert f"{name}-a" not in subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE).stdout.decode()
    lab("up", name, "--rate", "1gbit")
    try:
        def bucket():
            shown = subprocess.run(on("a", ["tc", "qdisc", "show", "dev", f"{name[:8]}-va"], name),
                                   stdout=subprocess.PIPE, check=True, timeout=10).stdout.decode()
            m = re.search(r"rate (\S+) burst (\d+)(b|Kb)\b", shown)
            assert m, shown
            return m.group(1), int(m.group(2)) * (1024 if m.group(3) == "Kb" else 1)
        rate, burst = bucket()
        assert rate == "1Gbit" and burst >= 64 << 10, (rate, burst)
        lab("rate", "16mbit", name)
        assert bucket() == ("16Mbit", 4096)
        r = lab("rate", "1.5gbit", name, check=False)
        assert r.returncode == 1 and "'1.5gbit' is not a rate" in r.stderr.decode(), r.stderr
        assert bucket() == ("16Mbit", 4096)  # the link as it was
    finally:
        lab("down", name, check=False)
    assert f"{name}-a" not in subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE).stdout.decode()
