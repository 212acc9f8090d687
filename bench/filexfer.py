"""filexfer: sendfile -> recvfile against rsync --fsync (the same promise), nc
and socat (no hash, no sync) and iperf3 (memory to memory, the ceiling)."""
import contextlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass

import filexfer_rsync
from figure import Figure
from measure import scaled
from processes import CommandFailed, Server, Unavailable, free_port, run, tool
from servers import ServerError



@dataclass
class Work:
    """The files to send, made once per bench run, and the directory they go to."""
    root: str
    dest: str
    rsyncd: object  # filexfer_rsync.RsyncDaemon, or the reason rsync is left out

    def clean(self):
        """An empty destination, and nothing of an earlier turn still on its
        way to the disk: nc and socat do not sync, and the gigabyte they
        leave in the page cache would otherwise be written back during the
        next contender's turn."""
        shutil.rmtree(self.dest)
        os.mkdir(self.dest)
        os.sync()


# Each case: the paths sendfile is given (`sources`), what a rate counts
# (`count`: MiB or files) and whether recvfile's peak memory is a figure.
@dataclass
class BigFile:
    mib: int
    work: Work
    peak_memory = True

    @property
    def sources(self):
        return [os.path.join(self.work.root, "big.bin")]

    @property
    def count(self):
        return self.mib


@dataclass
class SmallFiles:
    count: int
    work: Work
    peak_memory = False

    @property
    def sources(self):
        return [os.path.join(self.work.root, "many", f"f{i:04d}.bin") for i in range(self.count)]


@dataclass
class Tree:
    directories: int  # of 100 files each
    work: Work
    peak_memory = True

    @property
    def sources(self):
        return [os.path.join(self.work.root, "tree")]

    @property
    def count(self):
        return self.directories * 100


@contextlib.contextmanager
def prepared():
    """The cases, with their files written to a temporary directory (removed after)."""
    root = tempfile.mkdtemp(prefix="socklab-bench-")
    work = Work(root, os.path.join(root, "in"), None)
    try:
        os.mkdir(work.dest)
        mib = int(os.environ.get("SOCKLAB_BENCH_FILE_MIB", scaled(1024)))
        cases = [BigFile(mib, work), SmallFiles(scaled(1000), work), Tree(scaled(100), work)]
        with open(cases[0].sources[0], "wb") as f:  # incompressible data, written once
            chunk = os.urandom(1 << 20)
            for _ in range(cases[0].mib):
                f.write(chunk)
        os.mkdir(os.path.join(root, "many"))
        for path in cases[1].sources:
            with open(path, "wb") as f:
                f.write(os.urandom(1024))
        filexfer_rsync.make_tree(cases[2].sources[0], cases[2].directories, 100)
        try:
            tool("rsync")
            work.rsyncd = filexfer_rsync.RsyncDaemon(work.dest)
        except (Unavailable, ServerError) as e:
            work.rsyncd = e  # said when rsync's turn comes
        yield cases
    finally:
        if isinstance(work.rsyncd, filexfer_rsync.RsyncDaemon):
            work.rsyncd.close()
        shutil.rmtree(root, ignore_errors=True)


def figure(case, key):
    if isinstance(case, BigFile):
        if key == "rate":
            return Figure("filexfer", f"{case.mib} MiB file, verified (SHA-256 both sides)", "MiB/s",
                          targets={"rsync": 1.0, "nc": 1.5, "socat": 1.0})
        return Figure("filexfer", f"recvfile peak memory, {case.mib} MiB file", "MiB", higher_is_better=False,
                      targets={"max": 32})
    if isinstance(case, SmallFiles):
        return Figure("filexfer", f"{case.count} files of 1 KiB over one connection", "files/s",
                      targets={"min": 500, "rsync": 1.2})
    if key == "rate":
        return Figure("filexfer", f"a tree of {case.count} files of 1 KiB in {case.directories} directories",
                      "files/s",
                      targets={"rsync": 1.2})
    return Figure("filexfer", f"recvfile peak memory, the tree of {case.count} files", "MiB",
                  higher_is_better=False, targets={"max": 32})


def contenders(case, build, tools):
    """recvfile and sendfile both come from `build` (no probe: `tools` is not used)."""
    work = case.work

    def socklab(turn):
        work.clean()
        seconds, kib = timed([f"{build}/filexfer/recvfile", "-l", "127.0.0.1:0", "--dir", work.dest, "--once", "-q"],
                             [f"{build}/filexfer/sendfile", "-q"] + case.sources + ["127.0.0.1:{port}"])
        return {"rate": case.count / seconds} | ({"rss": kib / 1024} if case.peak_memory else {})

    def rsync(turn):  # the same promise: a whole-file checksum, and --fsync
        if isinstance(work.rsyncd, Exception):
            raise work.rsyncd
        work.clean()
        return {"rate": case.count / work.rsyncd.seconds(*case.sources, recursive=isinstance(case, Tree))}

    out = {"socklab": socklab, "rsync": rsync}
    if isinstance(case, BigFile):
        out.update(nc=lambda turn: {"rate": case.mib / nc(case)}, socat=lambda turn: {"rate": case.mib / socat(case)},
                   iperf3=lambda turn: {"rate": iperf3(case)})
    return out


def nc(case):
    case.work.clean()
    port, out = free_port(), os.path.join(case.work.dest, "big.bin")
    nc = tool("nc")
    return timed(["sh", "-c", f"exec {nc} -l 127.0.0.1 {port} > {out}"],
                 ["sh", "-c", f"exec {nc} -N 127.0.0.1 {port} < {case.sources[0]}"], port)[0]


def socat(case):
    case.work.clean()
    port, out = free_port(), os.path.join(case.work.dest, "big.bin")
    socat = tool("socat")
    return timed([socat, "-u", "-b", "262144", f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr",
                  f"OPEN:{out},creat,trunc"],
                 [socat, "-u", "-b", "262144", f"OPEN:{case.sources[0]}", f"TCP:127.0.0.1:{port}"], port)[0]


def iperf3(case):
    """MiB/s memory to memory, no disk, no hashing."""
    iperf3, port = tool("iperf3"), free_port()
    with Server([iperf3, "-s", "-1", "-B", "127.0.0.1", "-p", str(port)], port):
        r = run([iperf3, "-c", "127.0.0.1", "-p", str(port), "-n", str(case.mib << 20), "-J"], timeout=120)
    return json.loads(r.stdout)["end"]["sum_received"]["bits_per_second"] / 8 / (1 << 20)


def timed(argv_recv, argv_send, port=None):
    """Starts the receiver, runs the sender ("{port}" in its argv becomes the
    receiver's), waits for both; returns seconds and the receiver's peak RSS
    in KiB (from `time -f %M`)."""
    rss_file = tempfile.NamedTemporaryFile(prefix="socklab-bench-rss-", delete=False)
    rss_file.close()
    try:
        receiver = Server([tool("time"), "-f", "%M", "-o", rss_file.name] + argv_recv, port)
        try:
            start = time.monotonic()
            run([a.replace("{port}", str(receiver.port)) for a in argv_send], timeout=300)
            receiver.proc.wait(timeout=300)
            seconds = time.monotonic() - start
            if receiver.proc.returncode != 0:
                raise CommandFailed(f"{argv_recv[0]}: exit {receiver.proc.returncode}: "
                                    f"{receiver.stderr_tail()[-300:]}")
        finally:
            receiver.stop()
        with open(rss_file.name) as f:
            return seconds, int(f.read().split()[-1])
    finally:
        os.unlink(rss_file.name)
