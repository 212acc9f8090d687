#!/usr/bin/env python3
"""Runs every exercise of one lesson and checks its expect block.

    SOCKLAB_LESSON=notes/tcp-handshake.md SOCKLAB_BUILD=build python3 -m pytest tests/notes/exercises_test.py
    python3 tests/notes/exercises_test.py build notes/sliding-window.md     one lesson, a line per check

Each exercise runs as `bash -e exercise.sh` in a fresh temporary directory,
with the build's program folders first on PATH, stdin from /dev/null, stdout
and stderr together in one file. It runs in its own session (process group),
marked by an environment variable of its own: when it ends, or after TIMEOUT
seconds, whatever it left running (in its group, or escaped from it) is
killed. It passes when bash exits 0, within the time, leaving nothing
running, and the output meets the expect block (see lessons.check_output).
An exercise that cannot run here says why and exits 77: it is reported as
skipped, not passed.

Each `sh broken` variant runs the same way. It counts only when it, too, runs
to its end (exit 0, no timeout, nothing left running) and its output MISSES
its expect block: at least one expectation unmet. A variant that merely fails
a command, times out or leaves a process behind is a failure of the test: the
check itself must notice what was broken.

Exercises run as an ordinary user, as a student runs them: as root (CI), each
runs as user nobody; inside the user namespace tests/run_isolated.py makes for
an ordinary user (where we look like uid 0), each runs in a nested user
namespace as that user's own uid. An exercise marked `sh exercise root` (the
two-host lab) keeps root, and its broken variants with it.
"""
import dataclasses
import os
import pwd
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lessons  # noqa: E402

TIMEOUT = 60  # seconds per exercise; the slowest takes a few seconds
PROGRAM_DIRS = ["tcp", "udp", "filexfer", "tcpstate", "notes/go"]
SKIP = 77  # an exercise's exit status for "cannot run here"
SOURCE_ROOT = Path(__file__).resolve().parents[2]
BROKEN_RULE = "a broken variant counts only when it runs to its end and misses an expectation; this one: "
MARK = "SOCKLAB_EXERCISE_RUN"  # the environment variable that marks one run's processes


@dataclasses.dataclass
class Outcome:
    """What one run of an exercise (or of a broken variant) did."""
    status: object  # bash's exit status; None when it was stopped at TIMEOUT
    output: str
    seconds: float
    left_running: list  # the processes it left behind (their command lines)
    missed: list  # the expectations its output missed
    user: str  # who ran it

    @property
    def skipped(self):
        return self.status == SKIP

    def run_problems(self):
        """Why the run itself was not clean (empty: it ran to its end)."""
        problems = []
        if self.status is None:
            problems.append(f"did not finish within {TIMEOUT} s")
        elif self.status != 0:
            problems.append(f"bash exited with status {self.status} (a command failed; see the output)")
        if self.left_running:
            problems.append("left processes running in the background (stop what you start): "
                            + "; ".join(self.left_running))
        return problems

    def exercise_problems(self):
        """Why the exercise fails (empty: it passes)."""
        return self.run_problems() + self.missed

    def broken_problems(self):
        """Why the broken variant does not count (empty: it runs to its end and misses its check)."""
        problems = self.run_problems()
        if problems:
            return [BROKEN_RULE + p for p in problems]
        if not self.missed:
            return ["its check passes, so it observes nothing that was broken"]
        return []


def outer_ids():
    """(uid, gid) outside the user namespace we are uid 0 in, or None in the
    first namespace (real root): read from /proc/self/uid_map and gid_map."""
    def first(path):
        fields = Path(path).read_text().split()
        return int(fields[0]), int(fields[1]), int(fields[2])
    inner, outer, count = first("/proc/self/uid_map")
    if count == 4294967295:
        return None
    return outer, first("/proc/self/gid_map")[1]


def ordinary_user():
    """(prefix, who): the command prefix that runs an exercise as an ordinary user."""
    if os.geteuid() != 0:
        return [], f"uid {os.geteuid()}"
    ids = outer_ids()
    if ids is None:
        nobody = pwd.getpwnam("nobody")
        return (["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups", "--"],
                f"nobody (uid {nobody.pw_uid})")
    uid, gid = ids
    return ["unshare", f"--map-user={uid}", f"--map-group={gid}", "--"], f"uid {uid} (a nested user namespace)"


def unreadable(build, prefix):
    """Why the ordinary user cannot run the build's programs or read the source ('' when it can)."""
    if not prefix:
        return ""
    wanted = [build / "tcpstate" / "tcpstate", build / "tcp" / "tcp-server", SOURCE_ROOT / "scripts" / "lab"]
    probe = subprocess.run(prefix + ["sh", "-c", 'for f; do [ -r "$f" ] || { echo "$f"; exit 1; }; done; '
                                     '"$1" --version > /dev/null || echo "$1 does not run"', "sh"] +
                           [str(p) for p in wanted], capture_output=True, text=True)
    return (probe.stdout + probe.stderr).strip() if probe.returncode or probe.stdout.strip() else ""


def marked_processes(mark):
    """[(pid, command line)] of the processes whose environment carries `mark`."""
    found = []
    needle = f"{MARK}={mark}".encode() + b"\0"
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes():
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                found.append((int(entry.name), cmdline))
        except OSError:
            continue  # gone, or not ours
    return found


def stop_leftovers(pgid, mark):
    """Kills what is left of the run (its group, and anything carrying its mark);
    the command lines of what was still running."""
    left = [cmd for _, cmd in marked_processes(mark)]
    try:
        os.killpg(pgid, signal.SIGKILL)
        if not left:
            left.append(f"a process in the exercise's group {pgid}")
    except ProcessLookupError:
        pass
    # Until none is left (one may be forking as we look), for at most 5 s.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = marked_processes(mark)
        if not found:
            break
        for pid, _ in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.02)
    return left


def run(exercise, build, script=None):
    """Runs one exercise, or `script` (a broken variant of it): an Outcome."""
    mark = uuid.uuid4().hex
    env = dict(os.environ)
    # The build's programs, then scripts/ for `lab` (the two-host lab).
    env["PATH"] = ":".join([str(build / d) for d in PROGRAM_DIRS] + [str(SOURCE_ROOT / "scripts")]) + ":" + env.get(
        "PATH", "/usr/bin:/bin")
    env["LC_ALL"] = "C.UTF-8"
    env["NO_COLOR"] = "1"
    env[MARK] = mark
    prefix, user = ([], "root") if exercise.root and os.geteuid() == 0 else ordinary_user()
    with tempfile.TemporaryDirectory(prefix="socklab-exercise.") as tmp:
        Path(tmp, "exercise.sh").write_text(script or exercise.script, encoding="utf-8")
        if prefix and prefix[0] == "setpriv":
            # The directory is the exercise's own: its user must be able to write in it.
            uid, gid = int(prefix[1].split("=")[1]), int(prefix[2].split("=")[1])
            for path in [tmp, Path(tmp, "exercise.sh")]:
                os.chown(path, uid, gid)
        if prefix:
            env["HOME"] = tmp
        out_path = Path(tmp, "output.txt")
        started = time.monotonic()
        with open(out_path, "wb") as out:
            proc = subprocess.Popen(prefix + ["bash", "-e", "exercise.sh"], cwd=tmp, env=env,
                                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
            try:
                status = proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                status = None
                # SIGTERM first: bash then runs the exercise's EXIT trap (the
                # lab exercise removes its network namespaces there).
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    pass
            left = stop_leftovers(proc.pid, mark)
            if status is None:
                proc.wait(timeout=10)
                left = []  # a timeout is reported as such; what it had running was stopped with it
        seconds = time.monotonic() - started
        output = out_path.read_text(encoding="utf-8", errors="replace")
    return Outcome(status, output, seconds, left, lessons.check_output(exercise.expect, output), user)


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


_readable = {}


def need_readable_build(exercise):
    """Skips (or, under CI, fails) when the ordinary user cannot use the build or the source."""
    prefix, user = ([], "root") if exercise.root and os.geteuid() == 0 else ordinary_user()
    key = tuple(prefix)
    if key not in _readable:
        _readable[key] = unreadable(build_dir(), prefix)
    if _readable[key]:
        why = (f"the exercises run as {user}, who cannot use the build or the source "
               f"({_readable[key]}): make them readable (chmod o+rX) or build where they are")
        if os.environ.get("CI") == "true":
            pytest.fail(why + " [CI must not skip]")
        pytest.skip(why)


def skip_reason(outcome):
    return outcome.output.strip().splitlines()[-1] if outcome.output.strip() else "exit 77"


def test_the_lesson_has_exercises_and_a_broken_variant():
    assert ERROR is None, str(ERROR)
    assert FOUND, f"{lesson_path().name}: no exercises (every lesson ends with some)"
    assert any(e.broken for e in FOUND), \
        f"{lesson_path().name}: no ```sh broken variant (every lesson shows one of its checks failing)"


@pytest.mark.parametrize("exercise", EXERCISES)
def test_exercise(exercise):
    need_readable_build(exercise)
    outcome = run(exercise, build_dir())
    if outcome.skipped:
        pytest.skip(skip_reason(outcome))
    problems = outcome.exercise_problems()
    assert not problems, "\n".join(["- " + p for p in problems] + [f"(run as {outcome.user})",
                                                                  shown("script", exercise.script),
                                                                  shown("output", outcome.output)])


@pytest.mark.parametrize("exercise,script", BROKEN)
def test_broken_variant_misses_its_expectations(exercise, script):
    need_readable_build(exercise)
    outcome = run(exercise, build_dir(), script)
    if outcome.skipped:
        pytest.skip(skip_reason(outcome))
    problems = outcome.broken_problems()
    assert not problems, "\n".join(["- " + p for p in problems] + [f"(run as {outcome.user})",
                                                                  shown("output", outcome.output)])


def main(argv):
    """Runs the lessons named on the command line, one line per check, and prints the totals."""
    if len(argv) < 3 or argv[1].startswith("-"):
        print(__doc__.strip().split("\n\n")[0], file=sys.stderr)
        return 2
    if os.environ.get("SOCKLAB_NETNS") != "1":
        # In a network namespace of its own, as the meson tests run: only our sockets in the tables.
        here = [sys.executable, str(SOURCE_ROOT / "tests" / "run_isolated.py"), "script", str(Path(__file__).resolve())]
        return subprocess.run(here + [str(Path(a).resolve()) for a in argv[1:]]).returncode
    build = Path(argv[1]).resolve()
    counts = {"exercises": 0, "broken": 0, "skipped": 0, "failed": 0}
    for lesson in argv[2:]:
        name = Path(lesson).name
        try:
            found = lessons.exercises(lesson, name)
        except lessons.LessonError as e:
            print(f"FAIL {e}")
            counts["failed"] += 1
            continue
        for n, exercise in enumerate(found, 1):
            runs = [(f"exercise {n} (line {exercise.line})", None)]
            runs += [(f"exercise {n}, broken variant (line {line})", script) for line, script in exercise.broken]
            for title, script in runs:
                outcome = run(exercise, build, script)
                counts["broken" if script else "exercises"] += 1
                head = f"{name} {title}  {outcome.seconds:.1f} s"
                if outcome.skipped:
                    counts["skipped"] += 1
                    print(f"skip {head}: {skip_reason(outcome)}")
                    continue
                problems = outcome.broken_problems() if script else outcome.exercise_problems()
                if problems:
                    counts["failed"] += 1
                    print(f"FAIL {head} (as {outcome.user})")
                    for p in problems:
                        print("     - " + p)
                    print(shown("     output", outcome.output), end="")
                elif script:
                    print(f"ok   {head}: its check fails as it should ({outcome.missed[0]})")
                else:
                    print(f"ok   {head}")
    def many(n, what):
        return f"{n} {what}" + ("" if n == 1 else "s")
    print(f"{many(counts['exercises'], 'exercise')}, {many(counts['broken'], 'broken variant')}, "
          f"{counts['skipped']} skipped, {counts['failed']} failed")
    if counts["failed"]:
        return 1
    return SKIP if counts["skipped"] and counts["skipped"] == counts["exercises"] + counts["broken"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
