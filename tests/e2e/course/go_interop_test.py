"""The course's Go programs (notes/go/) against socklab's, both ways, on
loopback: every check looks at what arrived at the other end (the bytes a
client printed, the datagrams a server answered, the file and its hash on
disk), not at what a program says it did."""
import datetime
import glob
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile

import pytest

from socklab_test import BUILD, SOURCE, binary, connect, read_line, recv_until_eof, run, skip, spawn, start_server

GO_SOURCES = os.path.join(SOURCE, "notes", "go")
GO_BUILD = os.path.join(BUILD, "notes", "go")
PROGRAMS = ["go-tcp-server", "go-tcp-upper", "go-tcp-client", "go-udp-server", "go-udp-client", "go-sendfile",
            "go-recvfile"]
# time.Now().String(): "2026-12-01 14:05:09.123456789 +0000 UTC m=+0.002"
GO_TIME = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(\.\d+)? ([+-]\d{4}) \S+( m=[+-][\d.]+)?$")


def go(name):
    """The path of a built Go program; skips when Go is not installed."""
    path = os.path.join(GO_BUILD, name)
    if not os.path.exists(path):
        if not shutil.which("go"):
            skip("go is not installed (./socklab setup installs golang-go)")
        raise AssertionError(f"{name} is not built under {GO_BUILD} (ninja -C {BUILD})")
    return path


def start_go_server(name, *args):
    """A Go server on a free loopback port, once it has printed "listening on"."""
    return start_server(go(name), "127.0.0.1:0", *args, listen=None)


@pytest.fixture
def tmp():
    path = tempfile.mkdtemp(prefix="socklab-go-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def a_file(tmp, name="lecture notes.bin", size=3 << 20):
    """A file of random bytes: (path, its bytes, their SHA-256)."""
    data = os.urandom(size)
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    return path, data, hashlib.sha256(data).hexdigest()


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def all_files(top):
    """Every file and directory under top, hidden ones too."""
    found = []
    for parent, dirs, files in os.walk(top):
        found += [os.path.relpath(os.path.join(parent, n), top) for n in dirs + files]
    return sorted(found)


def free_udp_port():
    """A UDP port nothing listens on (bound once, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_go_time(line):
    """A reply of the course's UDP server: Go's time.Now().String(), near now."""
    m = GO_TIME.match(line)
    assert m, f"not Go's time format: {line!r}"
    then = datetime.datetime.strptime(f"{m.group(1)} {m.group(3)}", "%Y-%m-%d %H:%M:%S %z")
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - then).total_seconds()) < 120, f"{line!r} is not the time now ({now})"


# --- TCP: the Go client against tcp-server -----------------------------------

def test_go_client_to_tcp_server_gets_every_byte_back():
    server = start_server("tcp-server", "-q")
    data = os.urandom(1 << 20)
    r = run([go("go-tcp-client"), server.address], input=data, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == data, f"{len(r.stdout)} bytes came back of {len(data)}"
    server.stop()


def test_go_client_to_tcp_server_upper_stops_at_exit():
    server = start_server("tcp-server", "--upper", "-q")
    r = run([go("go-tcp-client"), server.address], input="hello, world\nMixed Case 42\nexit\nnever seen\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"HELLO, WORLD\nMIXED CASE 42\n"
    server.stop()


# --- TCP: tcp-client against the Go servers ----------------------------------

def test_tcp_client_to_go_tcp_server_gets_every_byte_back():
    server = start_go_server("go-tcp-server")
    data = os.urandom(1 << 20)
    r = run([binary("tcp-client"), server.address], input=data, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout == data, f"{len(r.stdout)} bytes came back of {len(data)}"
    opened = server.wait_for_line(r"^open ")
    assert re.fullmatch(r"open 127\.0\.0\.1:\d+", opened), opened
    assert server.wait_for_line(r"^close ") == opened.replace("open", "close", 1) + " (the client closed)"
    server.stop()


@pytest.mark.parametrize("sent, back", [
    ("hello\nexit\nnot seen\n", "HELLO\n"),
    ("crlf line\r\nexit\r\nnot seen\r\n", "CRLF LINE\r\n"),
    ("no exit\nlast line without newline", "NO EXIT\nLAST LINE WITHOUT NEWLINE"),
    ("exit is a word, not the line\n", "EXIT IS A WORD, NOT THE LINE\n"),
])
def test_tcp_client_to_go_tcp_upper(sent, back):
    server = start_go_server("go-tcp-upper")
    r = run([binary("tcp-client"), server.address], input=sent)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == back
    server.stop()


def test_go_tcp_upper_finds_exit_split_over_two_reads():
    # "ex" travels with the first line; "it\n" only once its reply is back,
    # so the server reads them in two reads. Comparing each read with
    # "exit\n", as the course does, would miss it.
    server = start_go_server("go-tcp-upper")
    with connect(server.port) as s:
        s.sendall(b"hello\nex")
        got = b""
        while len(got) < 6:
            chunk = s.recv(64)
            assert chunk, f"closed after {got!r}"
            got += chunk
        assert got == b"HELLO\n"
        s.sendall(b"it\n")
        assert recv_until_eof(s) == b"", "the server did not close at exit"
    assert server.wait_for_line(r"^close ").endswith("(the client sent exit)")
    server.stop()


# --- UDP: udp-client against the Go server -----------------------------------

def test_udp_client_to_go_udp_server_gets_the_time():
    server = start_go_server("go-udp-server")
    r = run([binary("udp-client"), server.address], input="what time is it?\nand now?\n")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert len(lines) == 2, lines
    for line in lines:
        check_go_time(line)
    assert re.fullmatch(r"new client 127\.0\.0\.1:\d+", server.wait_for_line(r"^new client "))
    server.stop()


def test_udp_client_to_go_udp_server_echo():
    server = start_go_server("go-udp-server", "echo")
    lines = ["first datagram", "", "second, with spaces  ", "x" * 8000]
    r = run([binary("udp-client"), server.address], input="\n".join(lines) + "\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().split("\n")[:-1] == lines
    server.stop()


def test_udp_client_probe_to_go_udp_server_echo():
    server = start_go_server("go-udp-server", "echo")
    r = run([binary("udp-client"), server.address, "--count", "300", "--interval", "1", "--size", "200",
             "--json"], timeout=60)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert (result["sent"], result["received"], result["lost"], result["duplicated"], result["foreign"]) == \
        (300, 300, 0, 0, 0), result
    server.stop()


def test_udp_client_probe_sees_the_time_server_answer_no_probe():
    # The course's server answers with the time, not the probe: every reply
    # is foreign, and the probe says none came back.
    server = start_go_server("go-udp-server")
    r = run([binary("udp-client"), server.address, "--count", "5", "--interval", "1", "--reply-timeout", "1",
             "--json"], timeout=60)
    assert r.returncode == 1
    assert b"no probe came back" in r.stderr, r.stderr
    server.stop()


# --- UDP: the Go client against udp-server -----------------------------------

@pytest.mark.parametrize("mode", ["echo", "--upper", "--daytime"])
def test_go_udp_client_to_udp_server(mode):
    server = start_server("udp-server", "-q", *([mode] if mode != "echo" else []))
    lines = ["hello udp", "Second Line 2", "x" * 9000]
    r = run([go("go-udp-client"), server.address], input="\n".join(lines) + "\n")
    assert r.returncode == 0, r.stderr
    got = r.stdout.decode().split("\n")[:-1]
    if mode == "echo":
        assert got == lines
    elif mode == "--upper":
        assert got == [line.upper() for line in lines]
    else:
        assert len(got) == 3 and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} \S+", g)
                                     for g in got), got
    server.stop()


def test_go_udp_client_sees_nothing_listening():
    # ICMP port unreachable comes back to the connected UDP socket.
    r = run([go("go-udp-client"), f"127.0.0.1:{free_udp_port()}"], input="anyone?\n")
    assert r.returncode == 1
    assert b"go-udp-client: conn.Read:" in r.stderr and b"connection refused" in r.stderr, r.stderr


# --- Files: the course's protocol both ways ----------------------------------

def test_go_sender_to_recvfile(tmp):
    src, data, digest = a_file(tmp)
    inbox = os.path.join(tmp, "in")
    os.mkdir(inbox)
    server = start_server("recvfile", "--dir", inbox)
    r = run([go("go-sendfile"), src, server.address], timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == "sent lecture notes.bin\n"
    line = server.wait_for_line(r"^received ")
    assert line == (f"received lecture notes.bin {len(data)} sha256={digest} -> {inbox}/lecture notes.bin "
                    "(classic: unverified, no size or checksum was sent)"), line
    server.stop()
    assert os.listdir(inbox) == ["lecture notes.bin"]
    assert sha256_of(os.path.join(inbox, "lecture notes.bin")) == digest


def test_sendfile_classic_to_go_receiver(tmp):
    src, data, digest = a_file(tmp)
    inbox = os.path.join(tmp, "out")
    os.mkdir(inbox)
    proc = spawn([go("go-recvfile"), "127.0.0.1:0", inbox], stdin=subprocess.DEVNULL)
    first = read_line(proc, 20)
    assert first and first.startswith("listening on 127.0.0.1:"), first
    r = run([binary("sendfile"), "--classic", src, first[len("listening on "):]], timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == \
        f"sent lecture notes.bin {len(data)} sha256={digest} (classic: the receiver cannot verify it)\n"
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert out.decode() == f"received lecture notes.bin {len(data)}\n"
    assert os.listdir(inbox) == ["lecture notes.bin"]
    assert sha256_of(os.path.join(inbox, "lecture notes.bin")) == digest


def test_go_sender_to_go_receiver_an_empty_file(tmp):
    src, _, digest = a_file(tmp, "empty.txt", 0)
    inbox = os.path.join(tmp, "out")
    os.mkdir(inbox)
    proc = spawn([go("go-recvfile"), "127.0.0.1:0", inbox], stdin=subprocess.DEVNULL)
    first = read_line(proc, 20)
    r = run([go("go-sendfile"), src, first[len("listening on "):]])
    assert r.returncode == 0, r.stderr
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0 and out.decode() == "received empty.txt 0\n", (out, err)
    assert sha256_of(os.path.join(inbox, "empty.txt")) == digest


HOSTILE = [
    ("../escape.txt", "name: contains '/' (only a bare file name is accepted)"),
    ("sub/dir.txt", "name: contains '/' (only a bare file name is accepted)"),
    ("/tmp/socklab-absolute.txt", "name: contains '/' (only a bare file name is accepted)"),
    ("..", "name: '..' is a directory, not a file name"),
    ("line\nbreak.txt", "name: contains the control byte"),
]


@pytest.mark.parametrize("name, reason", HOSTILE)
def test_recvfile_refuses_a_hostile_name_from_the_go_sender(tmp, name, reason):
    src, _, _ = a_file(tmp, "payload.txt", 1000)
    inbox = os.path.join(tmp, "in", "box")
    os.makedirs(inbox)
    before = all_files(tmp)
    server = start_server("recvfile", "--dir", inbox)
    r = run([go("go-sendfile"), src, server.address, name])
    assert r.returncode == 1
    err = r.stderr.decode()
    assert err.startswith('go-sendfile: the receiver did not answer ok: "refused: ' + reason), err
    line = server.wait_for_line(r"^refused ")
    assert line.startswith("refused a file from 127.0.0.1:") and reason in line, line
    server.stop()
    assert all_files(tmp) == before, "a file appeared"
    assert not os.path.exists("/tmp/socklab-absolute.txt")


@pytest.mark.parametrize("name", ["../escape.txt", "sub/dir.txt", "..", "."])
def test_go_receiver_refuses_a_name_that_is_not_plain(tmp, name):
    src, _, _ = a_file(tmp, "payload.txt", 1000)
    inbox = os.path.join(tmp, "in", "box")
    os.makedirs(os.path.join(inbox, "sub"))
    before = all_files(tmp)
    proc = spawn([go("go-recvfile"), "127.0.0.1:0", inbox], stdin=subprocess.DEVNULL)
    first = read_line(proc, 20)
    r = run([go("go-sendfile"), src, first[len("listening on "):], name])
    assert r.returncode == 1
    assert r.stderr.decode() == \
        'go-sendfile: the receiver did not answer ok: "refused: not a plain file name"\n', r.stderr
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 1 and err.decode() == f"go-recvfile: refused the name {name!r}\n".replace(
        "'", '"'), err
    assert all_files(tmp) == before, "a file appeared"


# --- Command lines ------------------------------------------------------------

@pytest.mark.parametrize("program, args", [
    ("go-tcp-server", ["127.0.0.1:0", "extra"]),
    ("go-tcp-upper", ["127.0.0.1:0", "extra"]),
    ("go-tcp-client", ["127.0.0.1:1", "extra"]),
    ("go-udp-server", ["127.0.0.1:0", "daytime"]),
    ("go-udp-client", ["127.0.0.1:1", "extra"]),
    ("go-sendfile", []),
    ("go-recvfile", ["127.0.0.1:0", "dir", "extra"]),
])
def test_a_wrong_command_line_exits_2_with_usage(program, args):
    r = run([go(program)] + args, input="")
    assert r.returncode == 2, r
    assert r.stdout == b"" and r.stderr.decode().startswith(f"usage: {program} "), r.stderr


@pytest.mark.parametrize("program", ["go-tcp-server", "go-tcp-upper", "go-recvfile"])
def test_a_port_in_use_is_a_one_line_error(program):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        r = run([go(program), f"127.0.0.1:{busy.getsockname()[1]}"], input="")
    assert r.returncode == 1 and r.stdout == b""
    err = r.stderr.decode()
    assert err.startswith(f"{program}: net.Listen: ") and err.endswith("address already in use\n"), err
    assert err.count("\n") == 1, err


def test_tcp_client_to_go_tcp_server_over_ipv6():
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        skip("no IPv6 on loopback here")
    server = start_server(go("go-tcp-server"), "[::1]:0", listen=None)
    assert server.address.startswith("[::1]:"), server.address
    r = run([binary("tcp-client"), server.address], input="over IPv6\n")
    assert r.returncode == 0 and r.stdout == b"over IPv6\n", r
    assert re.fullmatch(r"open \[::1\]:\d+", server.wait_for_line(r"^open "))
    server.stop()


# --- The sources --------------------------------------------------------------

@pytest.mark.parametrize("program", PROGRAMS)
def test_go_vet_passes(program):
    go(program)  # skips without Go
    source = os.path.join(GO_SOURCES, program[len("go-"):].replace("-", "_") + ".go")
    env = dict(os.environ, GOCACHE=os.path.join(GO_BUILD, "gocache"), GOPATH=os.path.join(GO_BUILD, "gopath"),
               GOPROXY="off", GOSUMDB="off", GOTOOLCHAIN="local", CGO_ENABLED="0", GOFLAGS="-buildvcs=false")
    r = run(["go", "vet", source], env=env, timeout=300)
    assert r.returncode == 0, r.stderr.decode()


def test_gofmt_leaves_every_program_as_it_is():
    go("go-tcp-server")  # skips without Go
    sources = sorted(glob.glob(os.path.join(GO_SOURCES, "*.go")))
    assert len(sources) == len(PROGRAMS)
    r = run(["gofmt", "-l"] + sources)
    assert r.returncode == 0 and r.stdout == b"", r.stdout.decode() + r.stderr.decode()
