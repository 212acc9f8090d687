#!/usr/bin/env python3
"""The bench runner's Server: it keeps reading what a server prints, so a
server that prints a lot (recvfile prints a line a file) never blocks on a
full pipe, and the end of its stderr is kept for error messages."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
import processes  # noqa: E402

# Prints its "listening on" line, then 1 MiB on each stream (a pipe holds
# 64 KiB), then exits 0: it can only finish if someone reads both.
CHATTY = ("import sys\n"
          "print('listening on 127.0.0.1:9', flush=True)\n"
          "for i in range(1024):\n"
          "    sys.stdout.write('x' * 1023 + '\\n'); sys.stderr.write('e' * 1023 + '\\n')\n"
          "sys.stdout.flush(); sys.stderr.write('the last words\\n')\n")


def test_a_server_that_prints_a_lot_is_not_blocked():
    server = processes.Server([sys.executable, "-c", CHATTY])
    try:
        assert server.port == 9
        assert server.proc.wait(timeout=20) == 0
        assert server.stderr_tail().endswith("the last words\n")
    finally:
        server.stop()
