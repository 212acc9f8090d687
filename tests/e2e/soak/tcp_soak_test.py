#!/usr/bin/env python3
"""Soak: tcp-server under hostile load, on loopback.

Each wave opens 2000 connections: 1000 well-behaved ones (tcp-client --load,
which verifies every echoed byte) and 1000 hostile ones from this script,
250 of each kind: idle (connect, never send), flooding (send, never read),
resetting mid-message (SO_LINGER 0 then close: an RST with data unread) and
half-closing (send, shutdown(SHUT_WR), read the echo to EOF). The
well-behaved clients must see zero errors, the half-closers their exact
echo, the server's memory must stay bounded, it must still serve afterwards,
and SIGTERM in the middle of the load must end it with status 0.

The short version (one wave) runs in `meson test`; SOCKLAB_SOAK_SECONDS=N
repeats waves for N seconds. Figures go to stdout ("soak tcp: ...").
"""
import json
import os
import resource
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import socklab_test as t  # noqa: E402
from servers import memory_kib  # noqa: E402

SOAK_SECONDS = float(os.environ.get("SOCKLAB_SOAK_SECONDS", "0"))
SCALE = float(os.environ.get("SOCKLAB_TIMEOUT_SCALE", "1"))
WELL_BEHAVED = 1000
PER_KIND = 250  # idle, flood, reset, half-close: 1000 hostile connections
MESSAGE = 1000  # bytes per message
MAX_WAVES = 200  # a bound on the long version's loop, whatever the clock says


def raise_fd_limit(need):
    """This script and its children hold thousands of sockets: lift RLIMIT_NOFILE."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < need:
        try:  # root (CAP_SYS_RESOURCE) may raise the hard limit too
            resource.setrlimit(resource.RLIMIT_NOFILE, (need, need))
            return
        except (ValueError, OSError):
            t.skip(f"RLIMIT_NOFILE hard limit {hard} is below the {need} descriptors the soak needs")
    if soft == resource.RLIM_INFINITY or (soft >= need):
        return
    resource.setrlimit(resource.RLIMIT_NOFILE, (need if hard == resource.RLIM_INFINITY else hard, hard))


def sanitized(path):
    """True when the binary was built with AddressSanitizer or ThreadSanitizer
    (each keeps shadow memory beside the program's own, so RSS is far larger)."""
    with open(path, "rb") as f:
        body = f.read()
    return b"__asan_init" in body or b"__tsan_init" in body


def payload(i, n):
    """n bytes that differ per connection, so a crossed stream is caught."""
    seed = (f"{i:06d}:" * (n // 7 + 1)).encode()
    return seed[:n]


class Hostile:
    """The 1000 hostile connections of one wave, driven by one epoll loop."""

    def __init__(self, port):
        self.sel = selectors.DefaultSelector()
        self.idle, self.flood, self.reset, self.half = [], [], [], []
        self.half_sent, self.half_got = {}, {}
        self.flooded = 0
        for kind in (self.idle, self.flood, self.reset, self.half):
            for _ in range(PER_KIND):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                if kind is self.flood:
                    # Small buffers on our side keep the flood's kernel memory
                    # small; the server still meets a peer that never reads.
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                s.settimeout(10 * SCALE)
                s.connect(("127.0.0.1", port))
                s.setblocking(False)
                kind.append(s)
        for i, s in enumerate(self.half):
            data = payload(i, MESSAGE * 3)
            s.setblocking(True)
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)  # a FIN: the server reads EOF, still writes
            s.setblocking(False)
            self.half_sent[s] = data
            self.half_got[s] = bytearray()
            self.sel.register(s, selectors.EVENT_READ)

    def push_floods(self):
        """Writes to the flooders until the kernel refuses (they never read)."""
        for s in self.flood:
            for _ in range(64):
                try:
                    self.flooded += s.send(b"F" * 65536)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break

    def reset_some(self, count):
        """Half a message, then an RST: close with SO_LINGER {on, 0}."""
        for _ in range(min(count, len(self.reset))):
            s = self.reset.pop()
            try:
                s.send(b"R" * (MESSAGE // 2))
            except OSError:
                pass
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()

    def pump(self, seconds):
        """Reads the half-closers' echoes for up to `seconds`."""
        for key, _ in self.sel.select(timeout=seconds):
            s = key.fileobj
            try:
                chunk = s.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError as e:
                raise AssertionError(f"half-closed connection failed: {e}")
            if chunk:
                self.half_got[s] += chunk
            else:
                self.sel.unregister(s)

    def half_done(self):
        return not self.sel.get_map()

    def check_half_closers(self):
        bad = [i for i, s in enumerate(self.half) if bytes(self.half_got[s]) != self.half_sent[s]]
        assert not bad, f"{len(bad)} half-closed connections got a wrong echo (first: #{bad[0]})"

    def close(self):
        for s in self.idle + self.flood + self.reset + self.half:
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.close()
            except OSError:
                pass
        self.sel.close()


def load_client(server, rounds, connections=WELL_BEHAVED):
    return t.spawn([t.binary("tcp-client"), "--load", str(connections), "--rounds", str(rounds),
                    "--size", str(MESSAGE), "--json", "--idle-timeout", str(30 * SCALE), "-q",
                    server.peer()], stdin=subprocess.DEVNULL)


def wave(server, rounds):
    """One wave of 2000 connections; returns the load client's JSON result."""
    hostile = Hostile(server.port)
    try:
        load = load_client(server, rounds)
        deadline = time.monotonic() + 120 * SCALE
        step = 0
        while load.poll() is None or not hostile.half_done():
            assert time.monotonic() < deadline, "a wave did not finish within its time bound"
            step += 1
            hostile.push_floods()
            if step % 5 == 0:
                hostile.reset_some(25)
            hostile.pump(0.02)
        hostile.reset_some(PER_KIND)
        out, err = load.communicate(timeout=10)
        assert load.returncode == 0, f"well-behaved clients saw errors: {out!r} {err!r}"
        result = json.loads(out.decode().strip().splitlines()[-1])
        assert result["errors"] == 0, result
        assert result["round_trips"] == WELL_BEHAVED * rounds, result
        hostile.check_half_closers()
        result["flooded_bytes"] = hostile.flooded
        return result
    finally:
        hostile.close()


def echo_once(server, data=b"still serving\n"):
    with t.connect(server.port) as s:
        s.sendall(data)
        assert t.recv_exactly(s, len(data)) == data


def stop(server, sig=signal.SIGTERM, timeout=20 * SCALE):
    """Signals the server and waits for it (its stderr goes to a file here)."""
    server.proc.send_signal(sig)
    try:
        return server.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()
        raise AssertionError(f"tcp-server did not exit within {timeout:.0f} s of signal {sig}")


def start(stderr):
    return t.start_server("tcp-server", "-q", "--idle-timeout", "600", stderr=stderr)


def test_two_thousand_connections_good_and_hostile():
    raise_fd_limit(8192)
    binary = t.binary("tcp-server")
    asan = sanitized(binary)
    with tempfile.TemporaryFile() as errors:
        server = start(errors)
        rss0 = memory_kib(server.proc.pid, "VmRSS")[0]
        rounds = 50 if SOAK_SECONDS <= 0 else 200
        started = time.monotonic()
        rss_after = []
        results = []
        while len(results) < MAX_WAVES:
            results.append(wave(server, rounds))
            assert server.proc.poll() is None, "tcp-server died under load"
            rss_after.append(memory_kib(server.proc.pid, "VmRSS")[0])
            if time.monotonic() - started >= SOAK_SECONDS:
                break
        rss, hwm = memory_kib(server.proc.pid, "VmRSS", "VmHWM")
        echo_once(server)
        small = load_client(server, 10, connections=50)
        out, err = small.communicate(timeout=60 * SCALE)
        assert small.returncode == 0, f"after the soak a fresh load failed: {out!r} {err!r}"
        status = stop(server)
        errors.seek(0)
        err_text = errors.read().decode(errors="replace")
    assert status == 0, f"tcp-server exited {status} after SIGTERM: {err_text[-2000:]}"
    assert "ERROR: AddressSanitizer" not in err_text and "runtime error" not in err_text, err_text[-3000:]
    # Bounded memory: per connection at most a 64 KiB pending write, so 2000
    # connections stay far below this; under ASan everything costs more.
    limit_kib = (768 if asan else 256) * 1024
    assert hwm < limit_kib, f"tcp-server peaked at {hwm} KiB (limit {limit_kib})"
    # No growth from wave to wave: the memory of finished connections comes back.
    if len(rss_after) >= 3:
        growth = rss_after[-1] - rss_after[1]
        assert growth < (64 if asan else 16) * 1024, f"RSS grew {growth} KiB over {len(rss_after)} waves"
    trips = sum(r["round_trips"] for r in results)
    flooded = sum(r["flooded_bytes"] for r in results)
    p99 = max(r["latency_ms"]["p99"] for r in results)
    print(f"soak tcp: {len(results)} waves x 2000 connections in {time.monotonic() - started:.1f} s; "
          f"{trips} verified round trips of {MESSAGE} B, 0 errors, worst p99 {p99:.2f} ms; "
          f"{flooded / 1048576:.0f} MiB flooded at non-readers; server RSS start {rss0} KiB, "
          f"after waves {rss_after[0]}..{rss_after[-1]} KiB, end {rss} KiB, peak {hwm} KiB"
          f"{' (sanitizer)' if asan else ''}", flush=True)


def test_sigterm_in_the_middle_of_the_load_exits_0():
    raise_fd_limit(8192)
    with tempfile.TemporaryFile() as errors:
        server = start(errors)
        hostile = Hostile(server.port)
        load = load_client(server, 1000000, connections=200)
        try:
            deadline = time.monotonic() + 1.0 * SCALE
            while time.monotonic() < deadline:
                hostile.push_floods()
                hostile.pump(0.02)
            assert load.poll() is None, "the load ended before the signal"
            began = time.monotonic()
            status = stop(server)
            took = time.monotonic() - began
        finally:
            hostile.close()
            load.kill()
            load.wait(timeout=10)
        errors.seek(0)
        err_text = errors.read().decode(errors="replace")
    assert status == 0, f"tcp-server exited {status} on SIGTERM mid-load: {err_text[-2000:]}"
    assert "ERROR: AddressSanitizer" not in err_text, err_text[-3000:]
    print(f"soak tcp: SIGTERM with 1200 connections busy -> exit 0 in {took:.2f} s", flush=True)
