"""tcpstate demo --json observes every state it holds; the diagram draws."""
import json

from socklab_test import binary, run

TCPSTATE = binary("tcpstate")
EIGHT = {"LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "TIME_WAIT"}


def demo(*args):
    r = run([TCPSTATE, "demo", "--pause", "0", "--json", *args], timeout=120)
    steps = [json.loads(line) for line in r.stdout.decode().splitlines()]
    return r, steps


def test_demo_observes_the_eight_states():
    r, steps = demo("--scene", "lifecycle")
    assert r.returncode == 0, (r.stdout, r.stderr)
    summary = steps[-1]
    assert summary["summary"] and summary["ok"], summary
    assert EIGHT | {"LAST_ACK"} <= set(summary["observed_states"]), summary
    for step in steps[:-1]:
        assert step["ok"], step
        for role, state in step["expected"].items():
            assert state in step["observed"][role], step
    fin = [s for s in steps[:-1] if s["call"] == "shutdown"][0]
    assert fin["expected"] == {"client": "FIN_WAIT_1", "server": "ESTABLISHED"}, fin


def test_demo_closing_and_reuseaddr():
    r, steps = demo("--scene", "closing")
    assert r.returncode == 0, r.stderr
    assert "CLOSING" in steps[-1]["observed_states"]
    r, steps = demo("--scene", "reuseaddr")
    assert r.returncode == 0, r.stderr
    binds = [s["result"] for s in steps if s.get("call") == "bind"]
    assert binds == ["bind: Address already in use", "bind: Address already in use",
                     "bind: Address already in use", "ok: listening again"], binds


def test_diagram_highlights_on_a_pipe():
    r = run([TCPSTATE, "diagram", "--highlight", "FIN-WAIT-1", "ESTAB"])
    assert r.returncode == 0
    text = r.stdout.decode()
    assert ">FIN_WAIT_1<" in text and ">ESTABLISHED<" in text and ">LISTEN<" not in text


def test_demo_trace_narrates_each_socket_call():
    """--trace: every socket call on stderr, with its Go and C call; stdout is the same report."""
    r = run([TCPSTATE, "demo", "--pause", "0", "--scene", "reuseaddr", "--trace"], timeout=120)
    assert r.returncode == 0, r.stderr
    steps = [line for line in r.stderr.decode().splitlines() if line.startswith("[")]
    calls = [line.split()[1] for line in steps]
    # The first run: a listener without SO_REUSEADDR, one connection that the
    # server closes first, then the two restarts (the second sets SO_REUSEADDR).
    assert calls[:8] == ["listen", "connect", "accept", "close", "read", "close", "close", "bind"], steps
    assert calls[8:10] == ["setsockopt", "bind"], steps
    port = steps[0].split()[2].split(":")[1]
    assert steps[0].startswith(f"[2] listen 127.0.0.1:{port} backlog 1 ") and \
        steps[0].endswith("(Go: net.Listen | C: socket+bind+listen)"), steps[0]
    assert steps[7].startswith(f"[2] bind 127.0.0.1:{port} failed: Address already in use"), steps[7]
    assert steps[8].startswith("[2] setsockopt SO_REUSEADDR 1 "), steps[8]
    # Each step tells the TCP story of its call: the server closed first.
    text = r.stderr.decode()
    assert "we close first: FIN sent, FIN_WAIT_1 -> FIN_WAIT_2 -> TIME_WAIT" in text, text
    assert "the peer sent FIN, it will send no more; we are in CLOSE_WAIT" in text, text
    # The report on stdout carries no trace lines.
    assert b"(Go: syscall.SetsockoptInt" not in r.stdout and b"[ok]" in r.stdout
    quiet = run([TCPSTATE, "demo", "--pause", "0", "--scene", "closing"], timeout=120)
    assert quiet.returncode == 0 and quiet.stderr == b"", quiet.stderr


def test_demo_quiet_keeps_the_results():
    """-q: each step's call and what was observed, no titles, no narration."""
    loud = run([TCPSTATE, "demo", "--pause", "0", "--scene", "closing"], timeout=120)
    quiet = run([TCPSTATE, "demo", "-q", "--pause", "0", "--scene", "closing"], timeout=120)
    assert loud.returncode == 0 and quiet.returncode == 0, (loud.stderr, quiet.stderr)
    narration = "Both FINs queue behind data: both sides are in FIN_WAIT_1."
    assert "== both sides close at once: CLOSING ==" in loud.stdout.decode()
    assert narration in loud.stdout.decode()
    text = quiet.stdout.decode()
    assert "==" not in text and narration not in text, text
    lines = text.splitlines()
    assert [line.split()[1] for line in lines if line.startswith("[")] == ["write", "shutdown", "read", "read"], lines
    assert len([line for line in lines if line.startswith("    observed: ")]) == 4, lines
    assert lines[-1] == "Every expected state was observed.", lines
    # The results are the lines without -q that are not titles or narration.
    results = ("[", "    result: ", "    expected: ", "    observed: ", "States observed: ", "Every ", "Some ")
    kind = lambda line: line.split(":")[0] if line.startswith("    ") else line.split()[0]
    kept = [l for l in loud.stdout.decode().splitlines() if l.startswith(results)]
    assert [kind(l) for l in lines if l] == [kind(l) for l in kept], (lines, kept)
    assert [l for l in lines if "expected:" in l] == [l for l in kept if "expected:" in l]
    # --json is results only: -q changes nothing in it.
    r = run([TCPSTATE, "demo", "-q", "--json", "--pause", "0", "--scene", "closing"], timeout=120)
    steps = [json.loads(line) for line in r.stdout.decode().splitlines()]
    assert [list(s) for s in steps[:-1]] == [["scene", "step", "call", "expected", "observed", "ok", "result",
                                              "source"]] * 4, steps
    assert list(steps[-1]) == ["summary", "observed_states", "ok"], steps[-1]


def test_help_says_what_trace_and_quiet_do():
    for sub, words in (("watch", "--trace: nothing to trace"), ("snapshot", "--trace: nothing to trace"),
                       ("diagram", "--trace and -q: nothing to trace"), ("demo", "--trace: every socket call"),
                       ("ladder", "--trace: a live capture's set-up")):
        r = run([TCPSTATE, sub, "--help"])
        assert r.returncode == 0 and words in r.stdout.decode(), (sub, r.stdout)
    r = run([TCPSTATE, "diagram", "--trace", "-q"])
    assert r.returncode == 0 and r.stderr == b"" and b"CLOSED" in r.stdout
