#!/usr/bin/env python3
"""Loss on the lab's cable (scripts/lab --loss, lab loss): UDP datagrams are
lost at about the rate asked for, none at 0 %, and TCP retransmits through a
lossy link. Delay (--delay) needs netem: refused with one line where the
kernel lacks it. The test creates and removes its own hosts (root only)."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import socklab_test as t  # noqa: E402

LAB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "lab")
NAME = f"slloss{os.getpid() % 100000}"
COUNT = 2000

# Host b counts the datagrams that arrive until the sender's "end" (sent many
# times, as it may be lost too) or 10 s; host a sends COUNT numbered ones.
RECEIVER = r"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
s.bind(("10.77.0.2", 0))
print(s.getsockname()[1], flush=True)
s.settimeout(1.0)
seen, stop = set(), time.monotonic() + 10
while time.monotonic() < stop:
    try:
        d = s.recv(64)
    except socket.timeout:
        continue
    if d == b"end":
        break
    seen.add(int(d))
print(len(seen), flush=True)
"""
SENDER = r"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
port, count = int(sys.argv[1]), int(sys.argv[2])
for i in range(count):
    s.sendto(b"%d" % i, ("10.77.0.2", port))
    if i % 50 == 49:
        time.sleep(0.005)
for _ in range(50):
    s.sendto(b"end", ("10.77.0.2", port))
    time.sleep(0.01)
"""


def lab(*args, check=True):
    return subprocess.run(["bash", LAB, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30,
                          check=check)


def on(host, argv, name):
    return ["env", f"LAB_NAME={name}", "bash", LAB, "exec", host, *argv]


def no_host(name):
    return f"{name}-a" not in subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE).stdout.decode()


def udp_received(name):
    """How many of COUNT datagrams a -> b arrive."""
    recv = subprocess.Popen(on("b", [sys.executable, "-c", RECEIVER], name), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    try:
        port = t.read_line(recv, 10)
        assert port and port.isdigit(), port
        subprocess.run(on("a", [sys.executable, "-c", SENDER, port, str(COUNT)], name), check=True, timeout=60)
        got = t.read_line(recv, 20)
        recv.wait(10)
        return int(got)
    finally:
        if recv.poll() is None:
            recv.kill()
            recv.wait(10)


def retrans_segs(name, host):
    """TcpRetransSegs of one host's network namespace (/proc/net/snmp is per namespace)."""
    lines = subprocess.run(on(host, ["cat", "/proc/net/snmp"], name), stdout=subprocess.PIPE, check=True,
                           timeout=10).stdout.decode().splitlines()
    tcp = [line.split() for line in lines if line.startswith("Tcp:")]
    return int(tcp[1][tcp[0].index("RetransSegs")])


def test_bad_loss_and_delay_are_refused_before_any_host_is_made():
    t.need_root()
    t.need_tool("ip")
    name = NAME + "x"
    for args, why in ((["--loss", "101"], "lab: '101' is not a loss in percent from 0 to 100 (e.g. 1, 0.5)"),
                      (["--loss", "0.25"], "lab: '0.25' is not a loss in percent from 0 to 100 (e.g. 1, 0.5)"),
                      (["--loss", "some"], "lab: 'some' is not a loss in percent from 0 to 100 (e.g. 1, 0.5)"),
                      (["--delay", "20ms"], "lab: '20ms' is not a delay in milliseconds (e.g. 20)")):
        r = lab("up", name, *args, check=False)
        assert r.returncode == 1 and r.stderr.decode().strip() == why, (args, r.stderr)
        assert no_host(name)


def test_delay_works_or_is_refused_with_the_reason():
    """Without netem (this kernel) --delay says so and makes nothing."""
    t.need_root()
    t.need_tool("ip")
    t.need_tool("tc")
    name = NAME + "d"
    r = lab("up", name, "--delay", "20", check=False)
    try:
        if r.returncode == 1:
            assert r.stderr.decode().strip() == \
                "lab: this kernel has no netem qdisc (nor fq): the lab cannot delay packets", r.stderr
            assert no_host(name)
        else:
            shown = subprocess.run(on("a", ["tc", "qdisc", "show", "dev", f"{name[:8]}-va"], name),
                                   stdout=subprocess.PIPE, check=True, timeout=10).stdout.decode()
            assert "netem" in shown and "delay 20" in shown, shown
    finally:
        lab("down", name, check=False)


def test_udp_loses_about_the_rate_asked_for_and_none_at_zero():
    t.need_root()
    t.need_tool("ip")
    t.need_tool("nft")
    name = NAME + "u"
    lab("up", name, "--loss", "5")
    try:
        got = udp_received(name)
        lost = (COUNT - got) / COUNT
        print(f"5 % asked: {COUNT - got} of {COUNT} lost ({lost:.1%})")
        assert 0.02 <= lost <= 0.10, (got, lost)
        lab("loss", "0", name)
        assert udp_received(name) == COUNT
    finally:
        lab("down", name, check=False)
    assert no_host(name)


def test_tcp_retransmits_through_a_lossy_cable():
    t.need_root()
    t.need_tool("ip")
    t.need_tool("nft")
    name = NAME + "t"
    lab("up", name, "--rate", "50mbit", "--loss", "2")
    work = tempfile.mkdtemp(prefix="socklab-loss-")
    recv = None
    try:
        inbox = os.path.join(work, "in")
        os.mkdir(inbox)
        src = os.path.join(work, "bulk.bin")
        with open(src, "wb") as f:
            f.write(os.urandom(4 << 20))
        before = retrans_segs(name, "a")
        recv = subprocess.Popen(on("b", [t.binary("recvfile"), "-l", "10.77.0.2:0", "--dir", inbox, "--once"], name),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = t.read_line(recv, 10)
        assert first and first.startswith("listening on 10.77.0.2:"), first
        r = subprocess.run(on("a", [t.binary("sendfile"), src, "10.77.0.2:" + first.rsplit(":", 1)[1]], name),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=90)
        assert r.returncode == 0, r.stderr
        recv.wait(20)
        retrans = retrans_segs(name, "a") - before
        print(f"2 % loss, 4 MiB a -> b: {retrans} segments retransmitted")
        assert retrans > 0
    finally:
        if recv is not None and recv.poll() is None:
            recv.kill()
            recv.wait(10)
        lab("down", name, check=False)
        shutil.rmtree(work, ignore_errors=True)
    assert no_host(name)
