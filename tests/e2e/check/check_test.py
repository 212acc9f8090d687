"""socklab check end to end: the real grader against socklab's own servers
(every check passes) and against small programs with one bug each (each
fails exactly the check its bug explains), plus the grader's own faults: a
program that exits at once, one that hangs without listening.
"""
import json
import os
import shutil
import subprocess
import time

import pytest

import socklab_test as st

HERE = os.path.dirname(os.path.abspath(__file__))
STUDENTS = os.path.join(HERE, "students")
CHECK = os.path.join(st.BUILD, "check", "socklab-check")
TIMEOUT = 60 * float(os.environ.get("SOCKLAB_TIMEOUT_SCALE", "1"))

ECHO_CHECKS = ["listens", "echo", "large", "concurrent", "half-close", "short-connections", "reset"]
UPPER_CHECKS = ["listens", "upper", "exit", "concurrent", "half-close", "short-connections", "reset"]


def grade(exercise, command, *options):
    """Runs the grader with --json; returns (exit status, {check: object}, summary, seconds)."""
    start = time.monotonic()
    done = subprocess.run([CHECK, exercise, "--json", *options, "--", *command],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    seconds = time.monotonic() - start
    objects = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert objects and objects[-1].get("summary") is True, done.stdout
    checks = {o["check"]: o for o in objects[:-1]}
    return done.returncode, checks, objects[-1], seconds


def verdicts(checks):
    return {name: o["verdict"] for name, o in checks.items()}


def student(name):
    return ["python3", os.path.join(STUDENTS, name)]


def processes_with(marker):
    """PIDs whose command line holds `marker` (the grader must leave none)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


def test_socklab_echo_server_passes_every_check():
    status, checks, summary, _ = grade("tcp-server", [st.binary("tcp-server")])
    assert verdicts(checks) == {c: "pass" for c in ECHO_CHECKS}
    assert checks["listens"]["evidence"][0].startswith("/proc/net/tcp: ")
    assert "0.0.0.0:8001" in checks["listens"]["sentence"]
    assert summary == {"summary": True, "exercise": "tcp-server", "score": "7/7", "pass": 7, "fail": 0,
                       "warn": 0}
    assert status == 0


def test_socklab_upper_server_passes_tcp_upper():
    status, checks, _, _ = grade("tcp-upper", [st.binary("tcp-server"), "--upper", "-l", "127.0.0.1:8006"])
    assert verdicts(checks) == {c: "pass" for c in UPPER_CHECKS}
    assert "127.0.0.1:8006" in checks["listens"]["sentence"]
    assert status == 0


def test_an_echo_server_fails_the_upper_checks_only():
    status, checks, _, _ = grade("tcp-upper", [st.binary("tcp-server")])
    failed = {c for c, v in verdicts(checks).items() if v != "pass"}
    assert failed == {"upper", "exit"}
    assert any("first difference at byte 1: expected 0x45 'E', got 0x65 'e'" in e
               for e in checks["upper"]["evidence"])
    assert status == 1


def test_a_serial_server_fails_concurrent_only():
    status, checks, _, _ = grade("tcp-server", student("serial_echo.py"))
    failed = {c for c, v in verdicts(checks).items() if v != "pass"}
    assert failed == {"concurrent"}
    evidence = checks["concurrent"]["evidence"]
    assert evidence[0] == ("the second client sent 14 bytes and got 0 back in 2 s, "
                           "while the first client sat connected and idle")
    # The unread bytes wait in the program's receive queue: the socket table says so.
    assert evidence[1].startswith("socket table: 127.0.0.1:8001 <- 127.0.0.1:")
    assert evidence[1].endswith(" ESTABLISHED recv-q 14 send-q 0")
    assert "go handleConnection(conn)" in checks["concurrent"]["hint"]
    assert status == 1


def test_a_server_that_never_closes_fails_half_close_with_close_wait():
    status, checks, _, _ = grade("tcp-server", student("close_wait_echo.py"))
    failed = {c for c, v in verdicts(checks).items() if v != "pass"}
    # Every connection it served stays: the short connections' check sees them too.
    assert failed == {"half-close", "short-connections"}
    assert checks["short-connections"]["evidence"][0] == ("200 of the 200 connections are still in the program's "
                                                          "socket table, 1 s after the last")
    assert checks["short-connections"]["evidence"][1].endswith(" CLOSE_WAIT recv-q 0 send-q 0")
    evidence = checks["half-close"]["evidence"]
    assert evidence[0] == "no FIN from the program 2 s after the client's FIN"
    assert evidence[1].endswith(" CLOSE_WAIT recv-q 0 send-q 0")
    assert evidence[2].startswith("/proc/net/tcp: ") and " 08 " in evidence[2]
    ladder = [e for e in evidence if e.startswith("ladder: ")]
    assert ladder and "client -> server  FIN+ACK" in ladder[0]
    assert all("server CLOSE_WAIT" in line for line in ladder)
    assert not any("server -> client  FIN" in line for line in ladder)
    assert status == 1


def test_a_server_writing_its_whole_buffer_fails_the_byte_checks(tmp_path):
    compiler = shutil.which("cc") or shutil.which("gcc")
    if not compiler:
        st.skip("no C compiler (cc) to build the student's program")
    program = str(tmp_path / "whole_buffer_echo")
    subprocess.run([compiler, "-O1", "-pthread", "-o", program, os.path.join(STUDENTS, "whole_buffer_echo.c")],
                   check=True, timeout=TIMEOUT)
    status, checks, _, _ = grade("tcp-server", [program])
    failed = {c for c, v in verdicts(checks).items() if v != "pass"}
    assert failed == {"echo", "large"}
    assert ("expected 26 bytes, got 1024; first difference at byte 26: expected nothing, got 0x00"
            in checks["echo"]["evidence"])
    assert "conn.Write(buf[:n])" in checks["echo"]["hint"]
    assert status == 1


def test_an_upper_server_whose_exit_ends_the_program_fails_exit_and_what_follows():
    status, checks, _, _ = grade("tcp-upper", student("exit_ends_program.py"))
    assert verdicts(checks) == {"listens": "pass", "upper": "pass", "exit": "fail", "concurrent": "fail",
                                "half-close": "fail", "short-connections": "fail", "reset": "fail"}
    assert "the program ended (exit status 0)" in checks["exit"]["evidence"]
    # The checks after it say why they could not run.
    assert checks["reset"]["evidence"] == ["not run: the program ended (exit status 0)"]
    assert status == 1


@pytest.mark.parametrize("exercise, program, args", [
    ("tcp-server", "go-tcp-server", []),
    ("tcp-upper", "go-tcp-upper", []),
    ("udp-server", "go-udp-server", ["127.0.0.1:8006", "echo"]),
])
def test_the_course_go_servers_pass(exercise, program, args):
    path = os.path.join(st.BUILD, "notes", "go", program)
    if not os.path.exists(path):
        st.skip(f"{program} is not built (no go toolchain)")
    status, checks, _, _ = grade(exercise, [path, *args])
    assert set(verdicts(checks).values()) == {"pass"}
    assert status == 0


def test_a_program_that_exits_at_once_is_reported_with_its_status_and_output():
    status, checks, summary, _ = grade("tcp-server", student("exits_at_once.py"))
    assert checks["listens"]["verdict"] == "fail"
    assert checks["listens"]["evidence"][:3] == ["the program ended with exit status 3 without listening",
                                                 "the program printed:", "  starting the server"]
    assert {c: o["verdict"] for c, o in checks.items() if c != "listens"} == {c: "warn" for c in ECHO_CHECKS[1:]}
    assert all(o["evidence"] == ["not run: the program does not listen"]
               for c, o in checks.items() if c != "listens")
    assert (summary["pass"], summary["fail"], summary["warn"]) == (0, 1, 6)
    assert status == 1


def test_a_program_that_hangs_without_listening_is_ended_in_time():
    marker = "socklab-check-hang-marker"
    status, checks, _, seconds = grade("tcp-server", student("hangs.py") + [marker], "--listen-timeout", "2")
    assert checks["listens"]["verdict"] == "fail"
    assert checks["listens"]["sentence"] == "the program listens on a TCP port: none after 2 s"
    assert "the program was still running: it was ended" in checks["listens"]["evidence"]
    # It ignores SIGTERM: only SIGKILL ends it, a second after.
    assert seconds < 15
    assert processes_with(marker) == []
    assert status == 1


def test_the_program_prints_nothing_between_the_verdicts():
    done = subprocess.run([CHECK, "tcp-server", "--only", "echo", "--", st.binary("tcp-server")],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    assert done.stdout.decode().splitlines() == [
        "PASS  listens  the program listens on TCP 0.0.0.0:8001",
        "PASS  echo  the bytes sent come back exactly",
        "tcp-server: 2 of 2 checks pass, 0 fail, 0 warn",
    ]
    assert done.returncode == 0


@pytest.mark.parametrize("args, message", [
    ([], "socklab-check: which exercise? (--list names them)"),
    (["nope", "--", "true"], "socklab-check: no exercise 'nope' (--list names them)"),
    (["tcp-server"], "socklab-check: no command to grade: socklab check tcp-server -- COMMAND..."),
    (["tcp-server", "--only", "speed", "--", "true"],
     "socklab-check: no check 'speed' in tcp-server (EXERCISE --list names them)"),
])
def test_a_bad_command_line_is_exit_2(args, message):
    done = subprocess.run([CHECK, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    assert done.stderr.decode().splitlines()[0] == message
    assert done.returncode == 2


def test_list_names_the_exercises_and_their_checks():
    done = subprocess.run([CHECK, "--list"], stdout=subprocess.PIPE, timeout=TIMEOUT)
    assert [line.split("  ")[0] for line in done.stdout.decode().splitlines()] == ["tcp-server", "tcp-upper", "udp-server"]
    assert "(notes/concurrent-tcp-server.md)" in done.stdout.decode()
    done = subprocess.run([CHECK, "tcp-server", "--list"], stdout=subprocess.PIPE, timeout=TIMEOUT)
    assert [line.split("  ")[0] for line in done.stdout.decode().splitlines()] == ECHO_CHECKS


UDP_CHECKS = ["listens", "reply", "clients"]


@pytest.mark.parametrize("command", [["udp-server"], ["udp-server", "--upper"]])
def test_socklab_udp_server_passes_udp_server(command):
    status, checks, _, _ = grade("udp-server", [st.binary(command[0]), *command[1:]])
    assert verdicts(checks) == {c: "pass" for c in UDP_CHECKS}
    assert checks["listens"]["sentence"] == "the program binds UDP 0.0.0.0:8006"
    assert checks["listens"]["evidence"][0].startswith("/proc/net/udp: ")
    assert status == 0


def test_a_udp_server_sending_its_whole_buffer_fails_reply_only():
    status, checks, _, _ = grade("udp-server", student("udp_whole_buffer.py"))
    assert verdicts(checks) == {"listens": "pass", "reply": "fail", "clients": "pass"}
    assert checks["reply"]["evidence"][0] == "one datagram of 21 bytes sent, the reply has 1024"
    assert "WriteToUDP(buf[:n], addr)" in checks["reply"]["hint"]
    assert status == 1


def test_a_udp_server_answering_the_first_client_fails_clients_only():
    status, checks, _, _ = grade("udp-server", student("udp_first_client.py"))
    assert verdicts(checks) == {"listens": "pass", "reply": "pass", "clients": "fail"}
    evidence = checks["clients"]["evidence"]
    # Its first client was the reply check's, gone since: every reply goes there.
    assert [e.split(", got ")[1] for e in evidence] == ["nothing", "nothing", "nothing"]
    assert evidence[1].startswith("client B (port ")
    assert status == 1


def test_port_picks_the_socket_to_grade():
    status, checks, _, _ = grade("tcp-server", [st.binary("tcp-server"), "-l", "127.0.0.1:9001"],
                                 "--port", "9001", "--only", "echo")
    assert verdicts(checks) == {"listens": "pass", "echo": "pass"}
    assert status == 0
    status, checks, _, seconds = grade("tcp-server", [st.binary("tcp-server"), "-l", "127.0.0.1:9001"],
                                       "--port", "9002", "--listen-timeout", "1")
    assert checks["listens"]["evidence"][0] == "no socket of the program's on port 9002"
    assert status == 1


def test_no_colour_on_a_pipe():
    done = subprocess.run([CHECK, "tcp-server", "--only", "echo", "--", st.binary("tcp-server")],
                          stdout=subprocess.PIPE, timeout=TIMEOUT)
    assert b"\033[" not in done.stdout


def test_verbose_shows_the_evidence_of_a_pass():
    done = subprocess.run([CHECK, "tcp-server", "--verbose", "--only", "echo", "--", st.binary("tcp-server")],
                          stdout=subprocess.PIPE, timeout=TIMEOUT)
    lines = done.stdout.decode().splitlines()
    assert lines[0] == "PASS  listens  the program listens on TCP 0.0.0.0:8001"
    assert lines[1].startswith("      /proc/net/tcp: ")
    assert lines[2:4] == ["PASS  echo  the bytes sent come back exactly", "      sent 26 bytes, got 26 back"]


def test_help_and_version_are_exit_0():
    done = subprocess.run([CHECK, "--help"], stdout=subprocess.PIPE, timeout=TIMEOUT)
    assert b"Grades your own program at the wire" in done.stdout
    assert done.returncode == 0
    done = subprocess.run([CHECK, "--version"], stdout=subprocess.PIPE, timeout=TIMEOUT)
    assert done.stdout.decode().startswith("socklab-check (socklab) ")
    assert done.returncode == 0
