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
