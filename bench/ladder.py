#!/usr/bin/env python3
"""How fast `tcpstate ladder --read` draws a big capture, beside tshark's own
ladder (`tshark -q -z flow,tcp,standard`), and how much memory it needs.

  python3 bench/ladder.py BUILD_DIR      (as root; BUILD_DIR: build-release)

The capture (made once, kept as BUILD_DIR/ladder-bench.pcap): 1 GiB sent
across a veth pair between two network namespaces (MTU 1500, segmentation
offloads off so the capture holds wire-sized segments, about 750,000 of
them), plus 1000 short connections to tcp-server, captured by tcpdump with
snap length 128. Each program reads it REPEAT times, taking turns; a figure is
the median. Peak memory is the reader's maximum resident set (wait4's
ru_maxrss, what /usr/bin/time -v reports), measured on the whole file and on
its first tenth: equal figures mean memory does not grow with the segments.
The figures go to bench/RESULTS.md, section "ladder".
"""
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPEAT = int(os.environ.get("SOCKLAB_BENCH_REPEAT", "3"))
BULK = 1 << 30
SHORT = 1000
NS_A, NS_B = "sl-bench-a", "sl-bench-b"


def sh(*argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, timeout=600, **kw)


def in_ns(ns, *argv):
    return ["ip", "netns", "exec", ns, *argv]


SENDER = r"""
import socket, sys
bulk, short = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("10.98.0.2", 9000))
chunk = b"x" * (1 << 20)
for _ in range(bulk // len(chunk)):
    s.sendall(chunk)
s.shutdown(socket.SHUT_WR)
s.recv(1)
s.close()
for _ in range(short):
    c = socket.create_connection(("10.98.0.2", 8001))
    c.sendall(b"hi\n")
    assert c.recv(10) == b"hi\n"
    c.close()
"""

SINK = r"""
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("10.98.0.2", 9000))
l.listen(1)
print("listening", flush=True)
c, _ = l.accept()
while c.recv(1 << 20):
    pass
c.close()
"""


def make_capture(build, path):
    for tool in ("ip", "tcpdump", "ethtool"):
        if not shutil.which(tool):
            sys.exit(f"bench ladder: {tool} is needed to make the capture (apt-get install {tool})")
    if os.geteuid() != 0:
        sys.exit("bench ladder: making the capture needs root (two network namespaces)")
    subprocess.run(["ip", "netns", "del", NS_A], capture_output=True)
    subprocess.run(["ip", "netns", "del", NS_B], capture_output=True)
    procs = []
    try:
        sh("ip", "netns", "add", NS_A)
        sh("ip", "netns", "add", NS_B)
        sh("ip", "link", "add", "slb0", "netns", NS_A, "type", "veth", "peer", "name", "slb1", "netns", NS_B)
        for ns, dev, addr in ((NS_A, "slb0", "10.98.0.1/24"), (NS_B, "slb1", "10.98.0.2/24")):
            sh("ip", "-n", ns, "addr", "add", addr, "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "mtu", "1500", "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            # The kernel would hand 64 KiB "segments" to the veth and split them
            # later (TSO/GSO): turn that off so the capture sees wire-sized ones.
            sh(*in_ns(ns, "ethtool", "-K", dev, "tso", "off", "gso", "off", "gro", "off"))
        sink = subprocess.Popen(in_ns(NS_B, sys.executable, "-c", SINK), stdout=subprocess.PIPE)
        procs.append(sink)
        assert sink.stdout.readline().strip() == b"listening"
        echo = subprocess.Popen(in_ns(NS_B, os.path.join(build, "tcp", "tcp-server"), "-l", "10.98.0.2:8001", "-q"),
                                stdout=subprocess.PIPE)
        procs.append(echo)
        assert echo.stdout.readline().startswith(b"listening on")
        dump = subprocess.Popen(in_ns(NS_A, "tcpdump", "-i", "slb0", "-s", "128", "-B", "65536", "-w", path, "tcp"),
                                stderr=subprocess.PIPE)
        procs.append(dump)
        assert b"listening on" in dump.stderr.readline()
        sh(*in_ns(NS_A, sys.executable, "-c", SENDER, str(BULK), str(SHORT)))
        time.sleep(0.5)  # the last ACKs reach tcpdump's buffer
        dump.send_signal(2)
        err = dump.communicate(timeout=60)[1].decode()
        print("  tcpdump:", " ".join(l for l in err.splitlines() if "packets" in l))
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=30)
        subprocess.run(["ip", "netns", "del", NS_A], capture_output=True)
        subprocess.run(["ip", "netns", "del", NS_B], capture_output=True)


def timed(argv):
    """Seconds and peak resident KiB of one run, output thrown away."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - start
    err = proc.stderr.read().decode()
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"bench ladder: {argv[0]} failed: {err.strip()}")
    return seconds, usage.ru_maxrss


def packets_in(path):
    out = sh("capinfos", "-c", "-M", path).stdout.decode() if shutil.which("capinfos") else ""
    m = re.search(r"Number of packets:\s*(\d+)", out)
    return int(m.group(1)) if m else None


def write_section(text):
    path = os.path.join(HERE, "RESULTS.md")
    with open(path, encoding="utf-8") as f:
        old = f.read()
    start = old.find("\n## ladder")
    if start >= 0:
        end = old.find("\n## ", start + 1)
        old = old[:start] + (old[end:] if end >= 0 else "\n")
    with open(path, "w", encoding="utf-8") as f:
        f.write(old.rstrip("\n") + "\n\n" + text)


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build-release")
    tcpstate = os.path.join(build, "tcpstate", "tcpstate")
    path = os.path.join(build, "ladder-bench.pcap")
    if not os.path.exists(path):
        print(f"making {path} (1 GiB + {SHORT} connections, once)")
        make_capture(build, path + ".tmp")
        os.rename(path + ".tmp", path)
    tenth = os.path.join(build, "ladder-bench-tenth.pcap")
    total = packets_in(path)
    if total and not os.path.exists(tenth):
        sh("editcap", "-r", path, tenth, f"1-{total // 10}")
    runs = {"tcpstate": [], "tshark": []}
    mem = {}
    ladder = [tcpstate, "ladder", "--read", path]
    tshark = ["tshark", "-q", "-z", "flow,tcp,standard", "-r", path]
    for i in range(REPEAT):
        for name, argv in (("tcpstate", ladder), ("tshark", tshark)):
            seconds, kib = timed(argv)
            runs[name].append(seconds)
            mem[name] = max(mem.get(name, 0), kib)
            print(f"  run {i + 1}: {name} {seconds:.2f} s, {kib} KiB")
    mem_tenth = timed([tcpstate, "ladder", "--read", tenth])[1] if os.path.exists(tenth) else None
    med = {k: statistics.median(v) for k, v in runs.items()}
    ratio = med["tshark"] / med["tcpstate"]
    size = os.path.getsize(path)
    lines = [
        "## ladder: `tcpstate ladder --read` against tshark's ladder",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} with `python3 bench/ladder.py build-release` (bench/NOTES.md says how).",
        f"The capture: {size / 1e6:.0f} MB, {total or '?'} packets (1 GiB over a veth pair at MTU 1500, "
        f"snap length 128, plus {SHORT} short connections). Medians of {REPEAT} runs, output to /dev/null.",
        "",
        "| program | seconds (median) | min-max | peak memory |",
        "|---|---|---|---|",
        f"| `tcpstate ladder --read FILE` | {med['tcpstate']:.2f} | {min(runs['tcpstate']):.2f}-"
        f"{max(runs['tcpstate']):.2f} | {mem['tcpstate'] / 1024:.1f} MiB |",
        f"| `tshark -q -z flow,tcp,standard -r FILE` | {med['tshark']:.2f} | {min(runs['tshark']):.2f}-"
        f"{max(runs['tshark']):.2f} | {mem['tshark'] / 1024:.1f} MiB |",
        "",
        f"tcpstate is **{ratio:.1f} times** faster (target: at least 10). "
        + (f"Its peak memory on the first tenth of the file: {mem_tenth / 1024:.1f} MiB, on all of it "
           f"{mem['tcpstate'] / 1024:.1f} MiB: it does not grow with the segments." if mem_tenth else ""),
        "",
    ]
    write_section("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
