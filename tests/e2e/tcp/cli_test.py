#!/usr/bin/env python3
"""The command-line contract of tcp-server and tcp-client: --help, --version,
bad arguments exit 2 with a one-line message naming what was wrong."""
import re

from socklab_test import binary, run


def test_help_exits_zero_and_names_the_lesson():
    for name in ("tcp-server", "tcp-client"):
        r = run([binary(name), "--help"])
        assert r.returncode == 0
        out = r.stdout.decode()
        assert "notes/concurrent-tcp-server.md" in out
        assert "--trace" in out
    assert "half-close" in run([binary("tcp-client"), "--help"]).stdout.decode()


def test_version():
    for name in ("tcp-server", "tcp-client"):
        r = run([binary(name), "--version"])
        assert r.returncode == 0
        assert re.match(rf"^{name} \(socklab\) \d+\.\d+\.\d+\n$", r.stdout.decode()), r.stdout


def test_bad_arguments_exit_2_with_a_message():
    cases = [
        (["tcp-server", "--listen", "70000"], "port 70000 is out of range (0-65535)"),
        (["tcp-server", "--listen", "[::1"], "missing ']' in '[::1'"),
        (["tcp-server", "--max-conn", "0"], "--max-conn"),
        (["tcp-server", "--bogus"], "--bogus"),
        (["tcp-client"], "peer is required"),
        (["tcp-client", ":8001"], "empty host in ':8001'"),
        (["tcp-client", "host:"], "missing port after ':' in 'host:'"),
        (["tcp-client", "localhost", "--load", "abc"], "--load"),
        (["tcp-client", "localhost", "--rounds", "5"], "--rounds requires --load"),
        (["tcp-client", "localhost", "-4", "-6"], "excludes"),
    ]
    for argv, expected in cases:
        r = run([binary(argv[0]), *argv[1:]])
        err = r.stderr.decode()
        assert r.returncode == 2, (argv, r.returncode, err)
        assert err.startswith(argv[0] + ": "), (argv, err)
        assert expected in err, (argv, err)
        assert r.stdout == b""
