"""Start a server, read its "listening on" line, stop it; read a process's
memory. The end-to-end tests (socklab_test.py) and the benchmarks (bench/)
both use these: tests/e2e is on the tests' PYTHONPATH, and bench/bench.py
puts it on its own.

Standard library only, no pytest: a failure is an exception (TimeoutError,
or ServerError saying what the server printed instead)."""
import os
import re
import selectors
import signal
import subprocess
import time

LISTENING = re.compile(r"^listening on (\S+)$")


class ServerError(RuntimeError):
    """A server did not start: it exited, or its first line was not "listening on"."""


def read_line(stream, timeout):
    """The next line of `stream` (a pipe) as str without the newline, within
    `timeout` seconds; None at EOF. Raises TimeoutError, saying what came."""
    fd = stream.fileno()
    buf = b""
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(fd, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no output line within {timeout}s (got {buf!r})")
            if not sel.select(left):
                continue
            ch = os.read(fd, 1)  # one byte at a time: the rest stays in the pipe for later reads
            if not ch:
                return buf.decode(errors="replace") if buf else None
            if ch == b"\n":
                return buf.decode(errors="replace")
            buf += ch


def split_address(address):
    """("127.0.0.1", 8001) for "127.0.0.1:8001", ("::1", 8001) for "[::1]:8001"."""
    m = re.match(r"^\[?(.*?)\]?:(\d+)$", address)
    if not m:
        raise ValueError(f"not HOST:PORT: {address!r}")
    return m.group(1), int(m.group(2))


def start(argv, timeout, **popen_args):
    """Starts a server whose first stdout line is "listening on ADDRESS";
    returns (the Popen, ADDRESS). On anything else the server is killed and
    ServerError says what it printed."""
    popen_args.setdefault("stdin", subprocess.DEVNULL)
    popen_args.setdefault("stderr", subprocess.PIPE)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, **popen_args)
    try:
        first = read_line(proc.stdout, timeout)
    except TimeoutError as e:
        kill(proc)
        raise ServerError(f"{argv[0]}: {e}") from None
    m = LISTENING.match(first or "")
    if not m:
        kill(proc)
        err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
        raise ServerError(f"{argv[0]}: first line was {first!r}, stderr {err[-500:]!r}")
    return proc, m.group(1)


def stop(proc, sig=signal.SIGTERM, timeout=10, group=False, read_output=True):
    """Sends `sig` (to the process group if `group`) and waits for the exit.
    Returns (exit status, rest of stdout, stderr) as str; with
    read_output=False the caller reads the pipes itself (a thread that
    drains them) and both are "". A process still there after `timeout`
    seconds is killed, and TimeoutError raised."""
    if proc.poll() is None:
        if group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
    try:
        if not read_output:
            return proc.wait(timeout=timeout), "", ""
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill(proc, group)
        raise TimeoutError(f"{proc.args[0]} did not exit within {timeout}s of signal {sig}") from None
    text = [(b or b"").decode(errors="replace") for b in (out, err)]
    return proc.returncode, text[0], text[1]


def kill(proc, group=False):
    """SIGKILL, and wait, if it still runs."""
    if proc.poll() is None:
        if group:
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    proc.wait()


def memory_kib(pid, *fields):
    """Fields of /proc/PID/status in KiB, in the order asked: VmRSS is the
    resident set now, VmHWM its peak so far ("high water mark")."""
    found = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in fields:
                found[key] = int(value.split()[0])
    missing = [f for f in fields if f not in found]
    if missing:
        raise KeyError(f"/proc/{pid}/status has no {', '.join(missing)}")
    return tuple(found[f] for f in fields)
