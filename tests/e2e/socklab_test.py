"""Helpers for socklab's end-to-end tests: start the real binaries on loopback,
read their "listening on" line, and bound every wait with a timeout.

The tests are pytest modules (plain `test_` functions that assert). meson runs
each file through tests/run_isolated.py, in a network namespace of its own, so
the loopback ports and the socket table a test sees are its own. conftest.py
kills, after each test, what the test started with `start_server` or `spawn`.
"""
import os
import re
import signal
import socket
import subprocess
import threading
import time

import pytest

import servers

BUILD = os.environ.get("SOCKLAB_BUILD") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build")
SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
AREAS = ("tcp", "udp", "filexfer", "tcpstate", "bench")
DEFAULT_TIMEOUT = 20.0 * float(os.environ.get("SOCKLAB_TIMEOUT_SCALE", "1"))

_started = []


def skip(why):
    """Ends the current test as skipped, saying why (CI counts a skip as a failure)."""
    pytest.skip(why)


def binary(name):
    """The path of a built program, e.g. binary("tcp-server")."""
    for area in AREAS:
        path = os.path.join(BUILD, area, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(f"{name} is not built under {BUILD}")


def run(args, input=None, timeout=DEFAULT_TIMEOUT, env=None, cwd=None):
    """Runs a command to the end; returns CompletedProcess with bytes output."""
    if isinstance(input, str):
        input = input.encode()
    return subprocess.run(args, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=timeout, env=env, cwd=cwd)


class Server:
    """A started server: .proc, .host, .port, .address ("HOST:PORT")."""

    def __init__(self, proc, address):
        self.proc = proc
        self.address = address
        self.host, self.port = servers.split_address(address)
        self.lines = []
        self.err_lines = []  # stderr lines read by wait_for_err_line

    def connect_host(self):
        """The address to dial: loopback when the server listens on the wildcard."""
        if self.host in ("0.0.0.0", ""):
            return "127.0.0.1"
        if self.host == "::":
            return "::1"
        return self.host

    def peer(self):
        h = self.connect_host()
        return f"[{h}]:{self.port}" if ":" in h else f"{h}:{self.port}"

    def read_line(self, timeout=DEFAULT_TIMEOUT):
        """The next stdout line (str, without newline), or None at EOF."""
        line = read_line(self.proc, timeout)
        if line is not None:
            self.lines.append(line)
        return line

    def wait_for_line(self, pattern, timeout=DEFAULT_TIMEOUT):
        """Reads stdout lines until one matches `pattern` (regex); returns it."""
        return self._wait_for(pattern, timeout, self.proc.stdout, self.lines, "stdout")

    def wait_for_err_line(self, pattern, timeout=DEFAULT_TIMEOUT):
        """Reads stderr lines until one matches `pattern`; stop() still returns them all."""
        return self._wait_for(pattern, timeout, self.proc.stderr, self.err_lines, "stderr")

    def _wait_for(self, pattern, timeout, stream, seen, name):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no {name} line matching {pattern!r} within {timeout}s; saw {seen[-5:]}"
            line = read_line(self.proc, left, stream=stream)
            assert line is not None, f"server closed its {name} before a line matching {pattern!r}"
            seen.append(line)
            if re.search(pattern, line):
                return line

    def stop(self, sig=signal.SIGTERM, timeout=DEFAULT_TIMEOUT):
        """Sends `sig` and waits; returns (exit status, rest of stdout, stderr)."""
        try:
            status, out, err = servers.stop(self.proc, sig, timeout)
        except TimeoutError as e:
            raise AssertionError(str(e)) from None
        return status, out, "".join(line + "\n" for line in self.err_lines) + err


def read_line(proc, timeout, stream=None):
    """One line of `proc`'s stdout (or of `stream`) within `timeout` seconds (None at EOF)."""
    try:
        return servers.read_line(stream or proc.stdout, timeout)
    except TimeoutError as e:
        raise AssertionError(str(e)) from None


def start_server(name, *args, listen="127.0.0.1:0", timeout=DEFAULT_TIMEOUT, env=None,
                 stderr=subprocess.PIPE, cwd=None, listen_flag="--listen"):
    """Starts a socklab server on a free port and waits for "listening on"."""
    argv = [binary(name) if "/" not in name else name]
    if listen is not None:
        argv += [listen_flag, listen]
    argv += list(args)
    try:
        proc, address = servers.start(argv, timeout, env=env, cwd=cwd, stderr=stderr)
    except servers.ServerError as e:
        raise AssertionError(str(e)) from None
    _started.append(proc)
    return Server(proc, address)


def spawn(args, **kwargs):
    """Popen that is killed at the end of the script if still running."""
    kwargs.setdefault("stdin", subprocess.PIPE)
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    proc = subprocess.Popen(args, **kwargs)
    _started.append(proc)
    return proc


class Terminal:
    """A pseudo-terminal for a program to draw on (isatty is true there).

    Pass `.fd` as the program's stdout or stderr, then call `.opened()`.
    A thread reads everything drawn, since a terminal that nobody reads
    blocks the program once its buffer is full; `.drawn()` returns it all
    once the program has closed its end."""

    def __init__(self):
        import pty
        self._master, self.fd = pty.openpty()
        self._chunks = []
        self._reader = threading.Thread(target=self._read, daemon=True)

    def opened(self):
        """The program has the terminal now: close our copy of its end, start reading."""
        os.close(self.fd)
        self._reader.start()

    def _read(self):
        while True:
            try:
                chunk = os.read(self._master, 65536)
            except OSError:  # EIO: the program has closed its end
                return
            if not chunk:
                return
            self._chunks.append(chunk)

    def so_far(self):
        """What the program has drawn until now."""
        return b"".join(list(self._chunks)).decode(errors="replace")

    def drawn(self, timeout=DEFAULT_TIMEOUT):
        self._reader.join(timeout)
        os.close(self._master)
        return b"".join(self._chunks).decode(errors="replace")


def connect(port, host="127.0.0.1", timeout=DEFAULT_TIMEOUT):
    """A connected TCP socket with a timeout on every operation."""
    s = socket.create_connection((host, port), timeout=timeout)
    s.settimeout(timeout)
    return s


def recv_exactly(sock, n):
    """Reads exactly n bytes (AssertionError on early EOF)."""
    chunks = []
    while n:
        chunk = sock.recv(min(n, 1 << 20))
        assert chunk, f"connection closed with {n} bytes still expected"
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def recv_until_eof(sock, limit=1 << 30):
    chunks, total = [], 0
    while True:
        chunk = sock.recv(1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        assert total <= limit, "more data than expected"


def wait_until(predicate, timeout=DEFAULT_TIMEOUT, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"{what} not reached within {timeout}s")


def need_tool(name):
    """Skips the current test when an outside tool is missing."""
    import shutil
    path = shutil.which(name)
    if not path:
        skip(f"{name} is not installed (./socklab test installs it)")
    return path


def real_uid():
    """Who really runs the tests: inside the user namespace that run_isolated.py
    makes for an ordinary user we look like root, but are not."""
    return int(os.environ.get("SOCKLAB_REAL_UID", os.geteuid()))


def need_root():
    if real_uid() != 0:
        skip("needs root (network namespaces); CI runs as root")


def as_nobody():
    """The prefix that runs a command as user nobody (uid 65534) when we are
    root, or [] when we are an ordinary user already.

    Where / itself is 0700 (a fresh Debian root made with mktemp and entered
    with chroot), nobody cannot even load libc; there nobody keeps one
    capability, CAP_DAC_READ_SEARCH (read and search any directory), and no
    other: not CAP_NET_RAW, not CAP_SYS_ADMIN, not uid 0."""
    if real_uid() != 0:
        return []
    need_tool("setpriv")
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    if run(nobody + ["true"]).returncode == 0:
        return nobody
    searcher = nobody + ["--inh-caps=+dac_read_search", "--ambient-caps=+dac_read_search"]
    probe = run(searcher + ["true"])
    if probe.returncode != 0:
        skip(f"user nobody cannot run programs here: {probe.stderr.decode().strip()}")
    return searcher


def cleanup():
    """Kills every process started by start_server or spawn that still runs."""
    while _started:
        proc = _started.pop()
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


class FullListener:
    """A loopback listener whose accept queue is full: the kernel drops the
    next SYN, so a connect to .port gets no answer at all (it times out),
    unlike a port nobody listens on (refused at once)."""

    def __init__(self, timeout=DEFAULT_TIMEOUT):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(0)  # room for one connection not yet accepted
        self.port = self.listener.getsockname()[1]
        self.queued = [socket.create_connection(("127.0.0.1", self.port), timeout=timeout)]
        # The queue is full once a further SYN goes unanswered: wait for that.
        deadline = time.monotonic() + timeout
        while True:
            probe = socket.socket()
            probe.setblocking(False)
            probe.connect_ex(("127.0.0.1", self.port))
            self.queued.append(probe)
            time.sleep(0.05)
            if probe.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 and not _connected(probe):
                return
            assert time.monotonic() < deadline, "the listener's accept queue never filled"

    def close(self):
        for s in self.queued:
            s.close()
        self.listener.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _connected(s):
    try:
        s.getpeername()
        return True
    except OSError:
        return False
