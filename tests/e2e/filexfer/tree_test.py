"""Directories: sendfile DIR sends its tree (symlinks, devices and hidden
names skipped with a line each, empty directories made), --exclude leaves
things out, --classic refuses a directory, a rerun skips what is there and
resumes a part inside the tree; recvfile keeps every path beneath --dir
against hostile paths and planted symlinks; progress over the whole run."""
import json
import os
import signal
import socket
import struct
import subprocess

import pytest

from socklab_test import Terminal, binary, recv_exactly, run, start_server
from fx import sha, workdir, write

SENDFILE = binary("sendfile")


def make_tree(d):
    """photos/ with files at two levels, an empty directory, and what must be skipped."""
    root = os.path.join(d, "photos")
    os.makedirs(os.path.join(root, "2024", "june"))
    os.makedirs(os.path.join(root, "empty"))
    files = {"photos/a.jpg": os.urandom(3000), "photos/2024/b.jpg": os.urandom(70000),
             "photos/2024/june/c.jpg": b"", "photos/notes.tmp": b"scratch"}
    for name, data in files.items():
        write(os.path.join(d, name), data)
    os.symlink("/etc/passwd", os.path.join(root, "link"))
    os.mkfifo(os.path.join(root, "fifo"))
    write(os.path.join(root, ".hidden"), b"x")
    return root, files


def tree_of(top):
    """Every path beneath `top`, directories ending in '/'."""
    out = []
    for dirpath, dirnames, filenames in os.walk(top):
        rel = os.path.relpath(dirpath, top)
        for n in dirnames:
            out.append(os.path.normpath(os.path.join(rel, n)) + "/")
        for n in filenames:
            out.append(os.path.normpath(os.path.join(rel, n)))
    return sorted(out)


def test_a_directory_arrives_as_its_tree():
    d = workdir()
    root, files = make_tree(d)
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    r = run([SENDFILE, root + "/", server.peer()])
    assert r.returncode == 0, r.stderr
    err = r.stderr.decode()
    assert f"sendfile: skipped {root}/link: a symlink (never followed)" in err, err
    assert f"sendfile: skipped {root}/fifo: not a regular file" in err, err
    assert f"sendfile: skipped {root}/.hidden: a hidden name" in err, err
    assert "sendfile: skipped 3 entries in all" in err, err
    out = r.stdout.decode()
    for name, data in files.items():
        assert f"sent {name} {len(data)} sha256={sha(data)}" in out, out
    assert "sent photos/empty/ (empty directory)" in out, out
    assert tree_of(os.path.join(d, "in")) == ["photos/", "photos/2024/", "photos/2024/b.jpg", "photos/2024/june/",
                                              "photos/2024/june/c.jpg", "photos/a.jpg", "photos/empty/",
                                              "photos/notes.tmp"]
    for name, data in files.items():
        with open(os.path.join(d, "in", name), "rb") as f:
            assert f.read() == data, name
    _, log, _ = server.stop()
    assert "made directory" in log and "photos/empty" in log, log


def test_exclude_leaves_out_names_and_paths():
    d = workdir()
    root, files = make_tree(d)
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    r = run([SENDFILE, "--exclude", "*.tmp", "--exclude", "photos/2024/june", root, server.peer()])
    assert r.returncode == 0, r.stderr
    assert tree_of(os.path.join(d, "in")) == ["photos/", "photos/2024/", "photos/2024/b.jpg", "photos/a.jpg",
                                              "photos/empty/"]
    server.stop()


def test_classic_refuses_a_directory_with_the_reason():
    d = workdir()
    root, _ = make_tree(d)
    r = run([SENDFILE, "--classic", root, "127.0.0.1:1"])
    assert r.returncode == 1
    assert r.stderr.decode() == (f"sendfile: stat {root}: a directory: the course's protocol carries bare file names "
                                 "only (send its files one by one, or leave out --classic)\n")


def test_a_rerun_skips_what_arrived_and_resumes_a_part_inside_the_tree():
    d = workdir()
    root, files = make_tree(d)
    server = start_server("recvfile", "--dir", os.path.join(d, "in"), "--json")
    assert run([SENDFILE, root, server.peer()]).returncode == 0
    # b.jpg was cut halfway by an earlier run: its part holds the first half.
    b = files["photos/2024/b.jpg"]
    os.remove(os.path.join(d, "in", "photos/2024/b.jpg"))
    write(os.path.join(d, "in", "photos/2024", f".b.jpg.{len(b)}.part"), b[:30000])
    r = run([SENDFILE, "--json", root, server.peer()])
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.decode().splitlines()]
    by_name = {x["name"]: x for x in lines if "name" in x}
    assert by_name["photos/2024/b.jpg"]["verdict"] == "good", by_name
    assert by_name["photos/2024/b.jpg"]["resumed_from"] == 30000
    assert by_name["photos/2024/b.jpg"]["sent_bytes"] == len(b) - 30000
    for name in ("photos/a.jpg", "photos/2024/june/c.jpg", "photos/notes.tmp"):
        assert by_name[name]["verdict"] == "skipped" and by_name[name]["sent_bytes"] == 0, by_name[name]
    summary = lines[-1]["summary"]
    assert summary["skipped"] == 3 and summary["files"] == 4 and summary["sent_bytes"] == len(b) - 30000, summary
    with open(os.path.join(d, "in", "photos/2024/b.jpg"), "rb") as f:
        assert f.read() == b
    _, out, _ = server.stop()
    received = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    kinds = sorted((x["name"], x["verdict"]) for x in received if x.get("verdict") in ("have", "received")
                   and x["name"] != "photos/2024/b.jpg" or x.get("resumed_from"))
    assert ("photos/2024/b.jpg", "received") in kinds and ("photos/a.jpg", "have") in kinds, kinds


def hello_then(port, *messages):
    """Sends HELLO and each message, reading each answer: ('A', offset), ('R', reason) or ('S', hash)."""
    answers = []
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"\0SLFT\x02" + struct.pack(">QQ", 1, 3))
        for m in messages:
            s.sendall(m)
            kind = recv_exactly(s, 1)
            if kind == b"R":
                (n,) = struct.unpack(">H", recv_exactly(s, 2))
                answers.append(("R", recv_exactly(s, n).decode()))
                continue
            if kind == b"S":
                answers.append(("S", recv_exactly(s, 32).hex()))
                continue
            answers.append((kind.decode(), struct.unpack(">Q", recv_exactly(s, 8))[0]))
    return answers


def file_header(path, size=3):
    return b"F" + struct.pack(">H", len(path)) + path + struct.pack(">Q", size)


def dir_header(path):
    return b"D" + struct.pack(">H", len(path)) + path


DEEP = b"/".join([b"d"] * 65)


@pytest.mark.parametrize("setup,message,reason", [
    ("link-dir", file_header(b"photos/a.txt"), "symlink: photos is a symlink here (never followed)"),
    ("link-deep", file_header(b"a/b/c.txt"), "symlink: a/b is a symlink here (never followed)"),
    ("link-dir", dir_header(b"photos/sub"), "symlink: photos is a symlink here (never followed)"),
    ("link-leaf", file_header(b"a/x.txt"), "exists: a/x.txt is a symlink here (never followed)"),
    ("", file_header(b"a/../../x.txt"), "path: a '..' component"),
    ("", dir_header(b"../evil"), "path: a '..' component"),
    ("", file_header(b"/tmp/x.txt"), "path: absolute"),
    ("", file_header(b"a//x.txt"), "path: an empty component"),
    ("", file_header(b"a/.ssh/authorized_keys"), "name: starts with '.'"),
    ("", file_header(DEEP), "path: more than 64 levels deep"),
    ("", file_header(b"x" * 4096), "header: path length 4096 is not 1-4095"),
    ("file-a", file_header(b"a/b.txt"), "clash: a is a file here, a directory is needed"),
    ("file-a", dir_header(b"a/sub"), "clash: a is a file here, a directory is needed"),
    ("dir-a", file_header(b"a"), "clash: a is a directory here"),
    ("file-a", file_header(b"a", 5), "exists: a is already there (--overwrite replaces it)"),
])
def test_hostile_paths_are_refused_and_nothing_leaves_the_directory(setup, message, reason):
    d = workdir()
    inbox = os.path.join(d, "in")
    outside = os.path.join(d, "outside")
    os.mkdir(outside)
    if setup == "link-dir":
        os.symlink(outside, os.path.join(inbox, "photos"))
    elif setup == "link-deep":
        os.mkdir(os.path.join(inbox, "a"))
        os.symlink(outside, os.path.join(inbox, "a", "b"))
    elif setup == "link-leaf":
        os.mkdir(os.path.join(inbox, "a"))
        os.symlink(os.path.join(outside, "x.txt"), os.path.join(inbox, "a", "x.txt"))
    elif setup == "file-a":
        write(os.path.join(inbox, "a"), b"old")
    elif setup == "dir-a":
        os.mkdir(os.path.join(inbox, "a"))
    before = tree_of(inbox)
    server = start_server("recvfile", "--dir", inbox)
    [(kind, answer)] = hello_then(server.port, message)
    assert kind == "R" and answer.startswith(reason), answer
    server.stop()
    assert os.listdir(outside) == []  # nothing written outside --dir
    assert tree_of(inbox) == before  # nothing made, nothing overwritten
    if setup == "file-a":
        with open(os.path.join(inbox, "a"), "rb") as f:
            assert f.read() == b"old"


def test_an_empty_directory_message_makes_it_once():
    d = workdir()
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    assert hello_then(server.port, dir_header(b"x/y/z"), dir_header(b"x/y/z")) == [("A", 0), ("A", 0)]
    server.stop()
    assert tree_of(os.path.join(d, "in")) == ["x/", "x/y/", "x/y/z/"]


def test_progress_over_the_whole_run_and_a_summary_on_a_terminal():
    d = workdir()
    os.mkdir(os.path.join(d, "many"))
    for i in range(3):
        write(os.path.join(d, "many", f"f{i}.bin"), os.urandom(2 << 20))
    server = start_server("recvfile", "--dir", os.path.join(d, "in"))
    terminal = Terminal()
    proc = subprocess.Popen([SENDFILE, os.path.join(d, "many"), server.peer()], stdout=subprocess.PIPE,
                            stderr=terminal.fd)
    terminal.opened()
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    drawn = terminal.drawn()
    assert "many/f0.bin [" in drawn and "file 1 of 3, " in drawn and "of 6.0 MiB" in drawn, drawn
    assert "file 3 of 3, " in drawn, drawn
    assert "sendfile: 3 files, 6.0 MiB moved in " in drawn and "0 there already, 0 failed" in drawn, drawn
    assert len(out.decode().splitlines()) == 3  # stdout: one line per file, nothing else
    server.stop()


def test_recvfile_json_has_an_object_per_file_and_a_summary_and_keeps_its_log_off_stdout():
    d = workdir()
    root, files = make_tree(d)
    server = start_server("recvfile", "--dir", os.path.join(d, "in"), "--json")
    assert run([SENDFILE, "--exclude", "*.tmp", root, server.peer()]).returncode == 0
    _, out, err = server.stop()
    objects = [json.loads(line) for line in out.splitlines()]  # start_server read "listening on"
    received = {o["name"]: o for o in objects if o.get("verdict") == "received"}
    assert sorted(received) == ["photos/2024/b.jpg", "photos/2024/june/c.jpg", "photos/a.jpg"], objects
    b = files["photos/2024/b.jpg"]
    assert received["photos/2024/b.jpg"]["size"] == len(b) and received["photos/2024/b.jpg"]["sha256"] == sha(b)
    assert received["photos/2024/b.jpg"]["resumed_from"] == 0
    assert {"name": "photos/empty", "verdict": "directory"}.items() <= [o for o in objects
                                                                       if o.get("verdict") == "directory"][0].items()
    summary = objects[-1]["summary"]
    assert summary["files"] == 3 and summary["bytes"] == 73000 and summary["failed"] == 0, summary
    assert "open 127.0.0.1:" in err  # the log goes to stderr when stdout carries JSON


def test_recvfile_shows_the_run_on_a_terminal():
    d = workdir()
    os.mkdir(os.path.join(d, "many"))
    for i in range(2):
        write(os.path.join(d, "many", f"f{i}.bin"), os.urandom(3 << 20))
    terminal = Terminal()
    server = start_server("recvfile", "--dir", os.path.join(d, "in"), stderr=terminal.fd)
    terminal.opened()
    assert run([SENDFILE, os.path.join(d, "many"), server.peer()]).returncode == 0
    server.proc.send_signal(signal.SIGTERM)
    server.proc.wait(timeout=10)
    drawn = terminal.drawn()
    assert "many/f1.bin [" in drawn and "of 2, " in drawn and "of 6.0 MiB" in drawn, drawn
