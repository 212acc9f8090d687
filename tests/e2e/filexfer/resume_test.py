"""A rerun after an interruption resumes at once: Ctrl-C, kill -9, a cut
cable and a sender whose machine vanished, each with the same sendfile
command run again immediately. The rerun must not be told "busy", the file
must arrive with the right hash, and the rerun must send only the bytes the
receiver lacked: a relay between them counts the bytes it carries, and that
count must equal the missing bytes plus the protocol's own few bytes."""
import json
import os
import signal
import subprocess

import pytest

from socklab_test import binary, run, spawn, start_server, wait_until
from fx import Relay, sha, workdir, write

SENDFILE = binary("sendfile")
SIZE = 8 << 20
RATE = 4 << 20  # bytes a second through the relay: the first attempt takes about 2 s


def protocol_bytes(name):
    """What the verified protocol adds for one file: HELLO (version 3, with
    the totals), GROUP, FILE, TRAILER and END."""
    return 22 + 3 + (3 + len(name.encode()) + 8) + 33 + 1


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def first_attempt(d, relay, extra=()):
    data = os.urandom(SIZE)
    src = write(os.path.join(d, "big file.bin"), data)
    part = os.path.join(d, "in", f".big file.bin.{SIZE}.part")
    sender = spawn([SENDFILE, *extra, src, relay.peer], stdin=subprocess.DEVNULL)
    wait_until(lambda: os.path.exists(part) and os.path.getsize(part) >= 1 << 20, timeout=20,
               what="the first megabyte in the part file")
    return data, src, sender


def rerun_and_check(d, server, relay, data, src):
    """Runs the same command again at once; checks it resumed and sent only the missing bytes."""
    before = len(relay.counts)
    r = run([SENDFILE, "--json", src, relay.peer], timeout=60)
    assert r.returncode == 0, r.stderr
    assert b"busy" not in r.stderr, r.stderr
    sent = json_lines(r.stdout.decode())
    assert sent[0]["verdict"] == "good" and sent[0]["sha256"] == sha(data), sent
    resumed_from = sent[0]["resumed_from"]
    assert 0 < resumed_from < SIZE, sent
    assert sent[0]["sent_bytes"] == SIZE - resumed_from, sent
    # The relay's own count of the rerun's connection: the missing bytes and nothing more.
    assert relay.counts[before] == SIZE - resumed_from + protocol_bytes("big file.bin"), (relay.counts, resumed_from)
    with open(os.path.join(d, "in", "big file.bin"), "rb") as f:
        assert sha(f.read()) == sha(data)
    assert sorted(os.listdir(os.path.join(d, "in"))) == ["big file.bin"]  # no part left over
    return resumed_from


@pytest.mark.parametrize("how", ["ctrl-c", "kill-9"])
def test_a_rerun_right_after_the_sender_was_stopped_resumes(how):
    d = workdir()
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    relay = Relay(server.port, rate=RATE)
    data, src, sender = first_attempt(d, relay)
    sender.send_signal(signal.SIGINT if how == "ctrl-c" else signal.SIGKILL)
    sender.wait(timeout=10)
    # The relay still carries what the dead sender's kernel had queued: the
    # older connection is alive when the rerun arrives, as on a slow link.
    rerun_and_check(d, server, relay, data, src)
    _, out, _ = server.stop()
    assert "taking over" in out or "resuming at byte" in out, out
    relay.close()


def test_a_rerun_after_the_cable_was_cut_resumes_while_the_old_sender_still_waits():
    d = workdir()
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    relay = Relay(server.port, rate=RATE)
    data, src, old = first_attempt(d, relay, extra=("--idle-timeout", "5"))
    relay.cut()  # the old connection carries nothing more, and nobody closes it
    rerun_and_check(d, server, relay, data, src)
    _, out, _ = server.stop()
    assert "taking over" in out, out
    old.wait(timeout=30)  # the old sender gives up on its own idle timeout
    assert old.returncode == 1
    relay.close()


def test_a_rerun_after_the_senders_machine_vanished_resumes():
    d = workdir()
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    relay = Relay(server.port, rate=RATE)
    data, src, old = first_attempt(d, relay)
    relay.cut()  # the machine is gone: its FIN or RST will never arrive
    old.kill()
    old.wait(timeout=10)
    rerun_and_check(d, server, relay, data, src)
    _, out, _ = server.stop()
    assert "taking over" in out, out
    relay.close()


def test_two_live_senders_never_write_one_part_at_once():
    # The older one is stopped when the newer arrives; the file is right.
    d = workdir()
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    relay = Relay(server.port, rate=RATE)
    data, src, old = first_attempt(d, relay)
    resumed = rerun_and_check(d, server, relay, data, src)
    old.wait(timeout=30)
    assert old.returncode == 1  # it was cut off by the takeover
    _, out, _ = server.stop()
    assert f"resuming at byte {resumed}" in out, out
    relay.close()


def test_the_same_file_named_twice_is_sent_once():
    d = workdir()
    src = write(os.path.join(d, "a.txt"), b"once\n")
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    r = run([SENDFILE, src, src, server.peer()])
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == f"sent a.txt 5 sha256={sha(b'once' + bytes([10]))}\n"
    os.mkdir(os.path.join(d, "other"))
    twin = write(os.path.join(d, "other", "a.txt"), b"another\n")
    r = run([SENDFILE, src, twin, server.peer()])
    assert r.returncode == 1
    assert r.stderr.decode() == "sendfile: args: two different files would both arrive as a.txt; send them apart\n"
    server.stop()


def test_a_rerun_of_a_finished_run_skips_what_is_there():
    d = workdir()
    a = write(os.path.join(d, "a.bin"), os.urandom(100000))
    b = write(os.path.join(d, "b.bin"), os.urandom(5000))
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    assert run([SENDFILE, a, b, server.peer()]).returncode == 0
    r = run([SENDFILE, "--json", a, b, server.peer()])
    assert r.returncode == 0, r.stderr
    lines = json_lines(r.stdout.decode())
    assert [(x["name"], x["verdict"], x["sent_bytes"]) for x in lines[:2]] == [("a.bin", "skipped", 0),
                                                                             ("b.bin", "skipped", 0)]
    assert lines[2]["summary"]["skipped"] == 2 and lines[2]["summary"]["sent_bytes"] == 0, lines
    r = run([SENDFILE, a, server.peer()])
    assert r.stdout.decode().startswith("skipped a.bin 100000 sha256="), r.stdout
    server.stop()
