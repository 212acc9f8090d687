#!/usr/bin/env python3
"""Runs every exercise of one lesson and checks its expect block (pytest).

    SOCKLAB_LESSON=notes/tcp-handshake.md SOCKLAB_BUILD=build python3 -m pytest tests/notes/exercises_test.py

Each exercise runs as `bash -e exercise.sh` in a fresh temporary directory,
with the build's program folders first on PATH, stdin from /dev/null, stdout
and stderr together in one file. It runs in its own session (process group):
when it ends, or after TIMEOUT seconds, the whole group is killed, so a server
it left in the background never outlives it. It passes when bash exits 0 and
the output meets the expect block (see lessons.check_output). An exercise
that cannot run here (the two-host lab needs root) says why and exits 77: it
is reported as skipped, not passed.

Each `sh broken` variant of an exercise runs the same way and must MISS its
expect block: at least one expectation unmet (a failing command alone does not
count: the check itself must notice what was broken).
"""
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lessons  # noqa: E402

TIMEOUT = 60  # seconds per exercise; the slowest takes a few seconds
PROGRAM_DIRS = ["tcp", "udp", "filexfer", "tcpstate", "notes/go"]
SKIP = 77  # an exercise's exit status for "cannot run here"
SOURCE_ROOT = Path(__file__).resolve().parents[2]


def kill_group(pgid):
    """Kills what is left of the exercise's process group; True if anything was."""
    try:
        os.killpg(pgid, signal.SIGKILL)
        return True
    except ProcessLookupError:
        return False


def run(exercise, build, script=None):
    """Runs one exercise (or `script`, a broken variant of it): (problems, output, seconds).
    For a broken variant, `problems` are the expectations its output missed."""
    env = dict(os.environ)
    # The build's programs, then scripts/ for `lab` (the two-host lab).
    env["PATH"] = ":".join([str(build / d) for d in PROGRAM_DIRS] + [str(SOURCE_ROOT / "scripts")]) + ":" + env.get(
        "PATH", "/usr/bin:/bin")
    env["LC_ALL"] = "C.UTF-8"
    env["NO_COLOR"] = "1"
    with tempfile.TemporaryDirectory(prefix="socklab-exercise.") as tmp:
        Path(tmp, "exercise.sh").write_text(script or exercise.script, encoding="utf-8")
        out_path = Path(tmp, "output.txt")
        started = time.monotonic()
        problems = []
        with open(out_path, "wb") as out:
            proc = subprocess.Popen(["bash", "-e", "exercise.sh"], cwd=tmp, env=env, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            try:
                status = proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                status = None
                problems.append(f"did not finish within {TIMEOUT} s")
                # SIGTERM first: bash then runs the exercise's EXIT trap (the
                # lab exercise removes its network namespaces there).
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
            # Anything still running in the group (a server the exercise left
            # behind, or the whole exercise on a timeout) ends here.
            if kill_group(proc.pid) and status is not None:
                problems.append("left processes running in the background (stop what you start)")
            if status is None:
                proc.wait(timeout=10)
        seconds = time.monotonic() - started
        output = out_path.read_text(encoding="utf-8", errors="replace")
    if status == SKIP:
        return None, output, seconds
    if script is not None:
        return lessons.check_output(exercise.expect, output), output, seconds
    if status not in (None, 0):
        problems.append(f"bash exited with status {status} (a command failed; see the output)")
    problems += lessons.check_output(exercise.expect, output)
    return problems, output, seconds


def lesson_path():
    """The lesson under test: SOCKLAB_LESSON (meson sets it, one lesson per meson test)."""
    return Path(os.environ["SOCKLAB_LESSON"]).resolve()


def build_dir():
    return Path(os.environ.get("SOCKLAB_BUILD") or SOURCE_ROOT / "build").resolve()


def _collect():
    """(exercises, the LessonError) of the lesson under test, read once at collection."""
    try:
        return lessons.exercises(lesson_path(), lesson_path().name), None
    except lessons.LessonError as e:
        return [], e
    except KeyError:
        return [], None  # imported without a lesson (pytest over the folder): nothing to run


FOUND, ERROR = _collect()
EXERCISES = [pytest.param(e, id=f"exercise-{n}-line-{e.line}") for n, e in enumerate(FOUND, 1)]
BROKEN = [pytest.param(e, script, id=f"exercise-{n}-broken-line-{line}")
          for n, e in enumerate(FOUND, 1) for line, script in e.broken]


def shown(title, text):
    return f"{title}:\n" + "".join("  | " + line + "\n" for line in text.rstrip("\n").split("\n"))


def test_the_lesson_has_exercises_and_a_broken_variant():
    assert ERROR is None, str(ERROR)
    assert FOUND, f"{lesson_path().name}: no exercises (every lesson ends with some)"
    assert any(e.broken for e in FOUND), \
        f"{lesson_path().name}: no ```sh broken variant (every lesson shows one of its checks failing)"


@pytest.mark.parametrize("exercise", EXERCISES)
def test_exercise(exercise):
    problems, output, _ = run(exercise, build_dir())
    if problems is None:
        pytest.skip(output.strip().splitlines()[-1] if output.strip() else "exit 77")
    assert not problems, "\n".join(["- " + p for p in problems] + [shown("script", exercise.script),
                                                                  shown("output", output)])


@pytest.mark.parametrize("exercise,script", BROKEN)
def test_broken_variant_misses_its_expectations(exercise, script):
    missed, output, _ = run(exercise, build_dir(), script)
    if missed is None:
        pytest.skip(output.strip().splitlines()[-1] if output.strip() else "exit 77")
    assert missed, "its check passes, so it observes nothing that was broken\n" + shown("output", output)
