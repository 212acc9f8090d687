"""Tests the exercise harness itself (exercises_test.run) on tiny lessons of its own.

A broken variant counts only when it runs to its end (exit 0, in time, leaving
nothing running) and misses its expectations; each of the other ways to
"fail" is a failure of the test, with a message that says which.
"""
import os
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import exercises_test  # noqa: E402
import lessons  # noqa: E402


@pytest.fixture
def work():
    """A directory of the test's own (pytest's tmp_path is not usable inside a user namespace)."""
    with tempfile.TemporaryDirectory(prefix="socklab-harness.") as d:
        yield Path(d)


def running(command):
    """The PIDs of the processes whose command line is `command`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes().replace(b"\0", b" ").strip() == command.encode():
                found.append(int(entry.name))
        except OSError:
            pass
    return found


def lesson(work, exercise, broken=(), info="sh exercise", expect="^hello$"):
    """The one exercise of a lesson made of `exercise`, `expect` and the `broken` variants."""
    text = f"# A lesson\n\n```{info}\n{exercise}\n```\n\n```expect\n{expect}\n```\n"
    for b in broken:
        text += f"\n```sh broken\n{b}\n```\n"
    path = work / "lesson.md"
    path.write_text(text, encoding="utf-8")
    (found,) = lessons.exercises(path)
    return found


def broken_outcome(work, variant):
    found = lesson(work, "echo hello", [variant])
    return exercises_test.run(found, work, found.broken[0][1])


def test_an_honest_broken_variant_is_accepted(work):
    outcome = broken_outcome(work, "echo goodbye")
    assert outcome.status == 0
    assert outcome.missed == ["no line matching '^hello$'"]
    assert outcome.broken_problems() == []


def test_a_broken_variant_whose_check_passes_is_rejected(work):
    assert broken_outcome(work, "echo hello").broken_problems() == [
        "its check passes, so it observes nothing that was broken"]


def test_a_broken_variant_that_exits_1_is_rejected(work):
    outcome = broken_outcome(work, "echo goodbye\nfalse")
    assert outcome.missed  # it misses the expectation, and still does not count
    assert outcome.broken_problems() == [
        exercises_test.BROKEN_RULE + "bash exited with status 1 (a command failed; see the output)"]


def test_a_broken_variant_that_leaves_a_sleep_running_is_rejected(work):
    outcome = broken_outcome(work, "sleep 300 &\necho goodbye")
    assert outcome.status == 0 and outcome.missed
    (problem,) = outcome.broken_problems()
    assert problem.startswith(exercises_test.BROKEN_RULE + "left processes running in the background "
                              "(stop what you start): ")
    assert not running("sleep 300"), "the sleep was not stopped"


def test_a_process_that_left_the_group_is_found_and_stopped(work):
    outcome = broken_outcome(work, "setsid -f sleep 301\necho goodbye")
    (problem,) = outcome.broken_problems()
    assert "left processes running in the background" in problem
    assert not running("sleep 301"), "the sleep was not stopped"


def test_a_broken_variant_that_times_out_is_rejected(work, monkeypatch):
    monkeypatch.setattr(exercises_test, "TIMEOUT", 1)
    started = time.monotonic()
    outcome = broken_outcome(work, "echo goodbye\nsleep 30")
    assert time.monotonic() - started < 15
    assert outcome.status is None
    assert outcome.broken_problems() == [
        exercises_test.BROKEN_RULE + "did not finish within 1 s"]


def test_an_exercise_passes_only_when_it_ends_cleanly_and_meets_its_check(work):
    good = lesson(work, "echo hello")
    assert exercises_test.run(good, work).exercise_problems() == []
    failing = lesson(work, "echo hello\nfalse")
    assert exercises_test.run(failing, work).exercise_problems() == [
        "bash exited with status 1 (a command failed; see the output)"]
    leaving = lesson(work, "sleep 302 &\necho hello")
    (problem,) = exercises_test.run(leaving, work).exercise_problems()
    assert problem.startswith("left processes running in the background (stop what you start): ")
    assert not running("sleep 302"), "the sleep was not stopped"


def test_an_exit_77_is_a_skip(work):
    outcome = exercises_test.run(lesson(work, "echo 'skipped: needs a thing'\nexit 77"), work)
    assert outcome.skipped and exercises_test.skip_reason(outcome) == "skipped: needs a thing"


def test_exercises_run_as_an_ordinary_user_in_a_directory_of_their_own(work):
    found = lesson(work, 'id -u\nls -A | tr "\\n" " "; echo\ntouch made-here && echo "can write: $(pwd)"', expect="^[1-9][0-9]*$")
    outcome = exercises_test.run(found, work)
    assert outcome.exercise_problems() == [], outcome.output
    uid, listing, wrote = outcome.output.strip().split("\n")
    assert int(uid) != 0
    assert listing == "exercise.sh output.txt "  # a fresh directory: only the script and its output
    assert "/socklab-exercise." in wrote


def test_a_root_exercise_keeps_root(work):
    if os.geteuid() != 0:
        pytest.skip("we are not root (nor root in a user namespace): nothing to keep")
    found = lesson(work, "id -u", info="sh exercise root", expect="^0$")
    assert found.root and found.text().startswith("```sh exercise root\n")
    assert exercises_test.run(found, work).exercise_problems() == []
    ordinary = lesson(work, "id -u", expect="^0$")
    assert exercises_test.run(ordinary, work).missed == ["no line matching '^0$'"]


def test_a_build_the_ordinary_user_cannot_read_is_named(work):
    prefix, user = exercises_test.ordinary_user()
    if not prefix or prefix[0] != "setpriv":
        pytest.skip("only as root: an ordinary user runs the exercises as themself, and can read their own build")
    os.chmod(work, 0o700)
    why = exercises_test.unreadable(work / "build", prefix)
    assert why == str(work / "build" / "tcpstate" / "tcpstate")
    assert exercises_test.unreadable(Path(os.environ.get("SOCKLAB_BUILD", "build")).resolve(), []) == ""
