"""A program that never listens and ignores SIGTERM (the bug: it waits for
something else first): the grader must say so, and end it, in bounded time."""
import signal
import time

signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("waiting", flush=True)
while True:
    time.sleep(1)
