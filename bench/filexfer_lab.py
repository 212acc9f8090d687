"""sendfile -> recvfile across the two-host lab (scripts/lab: two network
namespaces joined by a veth pair, host a -> host b limited by tc tbf) at
1 Gbit/s, against iperf3 on the same link, taking turns. iperf3 moves bytes
from memory to memory; sendfile also hashes both sides and syncs the file to
disk, so on a link slower than the disk and the CPUs the two should meet.
Needs root (network namespaces), ip, tc, nsenter and iperf3."""
import json
import os
import re
import shutil
import subprocess
import time

from processes import CommandFailed, run

HERE = os.path.dirname(os.path.abspath(__file__))
LAB = os.path.join(HERE, "..", "scripts", "lab")
HOST_B = "10.77.0.2"
IPERF3_PORT = 5201  # the lab's namespaces are new: nothing else listens there


def unavailable():
    """Why the lab cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for tool in ("ip", "tc", "nsenter", "iperf3"):
        if not shutil.which(tool):
            return f"{tool} is not installed"
    return None


class Lab:
    """Hosts NAME-a and NAME-b, the link a -> b limited to `rate`; removed on close."""

    def __init__(self, rate):
        self.name = f"fxb{os.getpid() % 100000}"
        run(["bash", LAB, "up", self.name, "--rate", rate], timeout=30)

    def on(self, host, argv):
        return ["nsenter", f"--net=/var/run/netns/{self.name}-{host}"] + argv

    def close(self):
        subprocess.run(["bash", LAB, "down", self.name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=30)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def sendfile_rate(lab, build, src, dest, mib):
    """MiB/s of one sendfile (on a) -> recvfile --once (on b), from the
    sender's start until the receiver has exited: the file verified, on disk
    and under its name."""
    recv = subprocess.Popen(lab.on("b", [f"{build}/filexfer/recvfile", "-l", f"{HOST_B}:0", "--dir", dest,
                                         "--once", "-q"]),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = recv.stdout.readline().decode(errors="replace")
        m = re.search(r"listening on \S+:(\d+)", line)
        if not m:
            raise CommandFailed(f"recvfile on the lab: no 'listening on' line: {line!r}")
        start = time.monotonic()
        run(lab.on("a", [f"{build}/filexfer/sendfile", "-q", src, f"{HOST_B}:{m.group(1)}"]), timeout=300)
        recv.communicate(timeout=300)
        seconds = time.monotonic() - start
        if recv.returncode != 0:
            raise CommandFailed(f"recvfile on the lab: exit {recv.returncode}")
    finally:
        stop(recv)
    return mib / seconds


def iperf3_rate(lab, mib):
    """MiB/s that iperf3's receiver on b measured for `mib` MiB from a."""
    server = subprocess.Popen(lab.on("b", ["iperf3", "-s", "-1", "-B", HOST_B, "-p", str(IPERF3_PORT)]),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not subprocess.run(lab.on("b", ["ss", "-Hltn", f"sport = :{IPERF3_PORT}"]),
                                 stdout=subprocess.PIPE).stdout.strip():
            if time.monotonic() > deadline or server.poll() is not None:
                raise CommandFailed("iperf3 -s on the lab did not listen")
            time.sleep(0.02)
        r = run(lab.on("a", ["iperf3", "-c", HOST_B, "-p", str(IPERF3_PORT), "-n", str(mib << 20), "-J"]),
                timeout=300)
        server.wait(timeout=10)
    finally:
        stop(server)
    return json.loads(r.stdout)["end"]["sum_received"]["bits_per_second"] / 8 / (1 << 20)
