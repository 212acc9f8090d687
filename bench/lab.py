"""lab: sendfile -> recvfile across the two-host lab's link (scripts/lab, a -> b
limited to 1 Gbit/s by tc tbf) against iperf3 on the same link
(bench/filexfer_lab.py). Root only: elsewhere it is left out, saying why."""
import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass

import filexfer_lab
from figure import Figure
from measure import scaled
from processes import say

RATE = "1gbit"


@dataclass
class LabLink:
    mib: int
    src: str  # the file sent
    dest: str  # recvfile's --dir
    lab: filexfer_lab.Lab


@contextlib.contextmanager
def prepared():
    if why := filexfer_lab.unavailable():
        say(f"bench: lab: left out: {why}")
        yield []
        return
    root = tempfile.mkdtemp(prefix="socklab-bench-lab-")
    try:
        mib = int(os.environ.get("SOCKLAB_BENCH_LAB_MIB", scaled(256)))
        src = os.path.join(root, "lab.bin")
        with open(src, "wb") as f:  # incompressible data, written once
            chunk = os.urandom(1 << 20)
            for _ in range(mib):
                f.write(chunk)
        with filexfer_lab.Lab(RATE) as lab:
            yield [LabLink(mib, src, os.path.join(root, "in"), lab)]
    finally:
        shutil.rmtree(root, ignore_errors=True)


def figure(case, key):
    return Figure("lab", f"sendfile, {case.mib} MiB across the lab's 1 Gbit/s link (scripts/lab, tbf)", "MiB/s",
                  targets={"iperf3": 0.97})


def contenders(case, build, tools):
    """sendfile and recvfile come from `build`; iperf3 is the yardstick."""

    def socklab(turn):
        shutil.rmtree(case.dest, ignore_errors=True)
        os.mkdir(case.dest)
        return {"rate": filexfer_lab.sendfile_rate(case.lab, build, case.src, case.dest, case.mib)}

    return {"socklab": socklab, "iperf3": lambda turn: {"rate": filexfer_lab.iperf3_rate(case.lab, case.mib)}}
