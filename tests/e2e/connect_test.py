#!/usr/bin/env python3
"""Connecting, the same for every TCP client (common/connect.cpp): tcp-client,
its --load mode and sendfile say the same words when nothing listens at the
address (refused at once) and when nothing answers (--connect-timeout)."""
import socket

import pytest

from socklab_test import FullListener, binary, run

CLIENTS = {
    "tcp-client": lambda peer, *extra: [binary("tcp-client"), peer, *extra],
    "tcp-client --load": lambda peer, *extra: [binary("tcp-client"), peer, "--load", "2", *extra],
    "sendfile": lambda peer, *extra: [binary("sendfile"), __file__, peer, *extra],
}


def program(name):
    return name.split()[0]


@pytest.mark.parametrize("name", CLIENTS)
def test_nothing_listening_is_said_in_the_same_words(name):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))  # bound but not listening: the SYN gets a RST
    where = f"127.0.0.1:{holder.getsockname()[1]}"
    r = run(CLIENTS[name](where), input=b"")
    holder.close()
    assert r.returncode == 1, r.stderr
    step = f"connect {where}" + (" (connection 0)" if "--load" in name else "")
    assert r.stderr.decode() == (f"{program(name)}: {step}: connection refused: nothing is listening on {where}\n")


@pytest.mark.parametrize("name", CLIENTS)
def test_no_answer_names_the_time_limit(name):
    with FullListener() as full:
        where = f"127.0.0.1:{full.port}"
        r = run(CLIENTS[name](where, "--connect-timeout", "0.3"), input=b"")
    assert r.returncode == 1, r.stderr
    step = f"connect {where}" + (" (connection 0)" if "--load" in name else "")
    assert r.stderr.decode() == f"{program(name)}: {step}: no answer within 0.3 s (--connect-timeout)\n"


@pytest.mark.parametrize("name", CLIENTS)
def test_an_unknown_host_is_said_in_the_same_words(name):
    r = run(CLIENTS[name]("no-such-host.invalid:8001"), input=b"")
    assert r.returncode == 1, r.stderr
    assert r.stderr.decode() == (f"{program(name)}: resolve no-such-host.invalid: "
                                 "unknown host 'no-such-host.invalid'\n")
