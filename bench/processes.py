"""The processes a benchmark starts: servers (socklab's, the references, other
tools), one-shot commands, and the tools a contender needs."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

# servers.py (start, stop, memory) is shared with the end-to-end tests.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import servers  # noqa: E402

START_TIMEOUT = 10


class Unavailable(Exception):
    """A contender cannot run here (a tool is not installed): it is left out,
    and the bench says which and why."""


def tool(name):
    """The path of an outside tool; Unavailable when it is not installed."""
    path = shutil.which(name)
    if not path:
        raise Unavailable(f"{name} is not installed (./socklab bench installs it)")
    return path


class Server:
    """A server started for one measurement; stopped (by PID) when done.

    Without `port` its first line must be "listening on IP:PORT" (socklab's
    programs and the references); with `port` (other tools) it is up once
    that TCP port listens."""

    def __init__(self, argv, port=None):
        self.argv = argv
        if port is None:
            self.proc, address = servers.start(argv, START_TIMEOUT, start_new_session=True)
            self.port = servers.split_address(address)[1]
        else:
            self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
            self.port = port
            self._wait_for_port(port)
        # Keep reading what the server prints: a pipe nobody reads fills at
        # 64 KiB and then blocks the server (recvfile prints a line a file).
        self.err_tail = b""
        self._drains = [threading.Thread(target=self._drain, args=(stream, keep), daemon=True)
                        for stream, keep in ((self.proc.stdout, False), (self.proc.stderr, True)) if stream]
        for t in self._drains:
            t.start()

    def _drain(self, stream, keep):
        for chunk in iter(lambda: stream.read1(65536), b""):
            if keep:
                self.err_tail = (self.err_tail + chunk)[-4096:]

    def _wait_for_port(self, port):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace").strip()
                raise servers.ServerError(f"{self.argv[0]} exited early: {err[-300:]}")
            if listening(port):
                return
            time.sleep(0.02)
        self.stop()
        raise servers.ServerError(f"{self.argv[0]}: nothing listened on port {port} within {START_TIMEOUT} s")

    def stderr_tail(self):
        """The end of what the server wrote on stderr (after it exited)."""
        for t in self._drains:
            t.join(timeout=5)
        return self.err_tail.decode(errors="replace")

    def rss_kib(self):
        return servers.memory_kib(self.proc.pid, "VmRSS")[0]

    def stop(self):
        servers.stop(self.proc, signal.SIGTERM, timeout=10, group=True, read_output=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    """Whether a TCP socket listens on `port` (read from /proc/net/tcp, so
    that checking does not use up a one-connection server's only accept)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[1].endswith(f":{port:04X}"):
                    return True
    return False


class CommandFailed(RuntimeError):
    """A command the bench ran exited with a failure status."""


# What a contender may legitimately fail with: the bench leaves a peer out
# and names the reason; socklab's own failure ends the scenario. Anything
# else is a bug in the bench and ends it with a traceback.
FAILURES = (Unavailable, CommandFailed, servers.ServerError, subprocess.TimeoutExpired)


def run(argv, timeout=120, **kw):
    """Runs a command to the end; CommandFailed with its stderr unless it exits 0."""
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, **kw)
    if r.returncode != 0:
        raise CommandFailed(f"{' '.join(map(str, argv[:3]))}...: exit {r.returncode}: "
                            f"{r.stderr.decode(errors='replace').strip()[-300:]}")
    return r


def say(text):
    print(text, flush=True)
