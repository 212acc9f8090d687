#!/usr/bin/env python3
"""Runs every exercise of the given lessons and checks its expect block.

    exercises_test.py BUILD_DIR LESSON.md...

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


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    build = Path(argv[1]).resolve()
    for d in ["tcp", "udp", "tcpstate"]:
        if not (build / d).is_dir():
            print(f"no {build / d}: is {build} a socklab build directory?", file=sys.stderr)
            return 1
    failed = total = broken_total = skipped = 0
    for lesson in argv[2:]:
        name = Path(lesson).name
        try:
            found = lessons.exercises(lesson, name)
        except lessons.LessonError as e:
            print(f"FAIL {e}")
            failed += 1
            continue
        if not found:
            print(f"FAIL {name}: no exercises (every lesson ends with some)")
            failed += 1
        elif not any(e.broken for e in found):
            print(f"FAIL {name}: no ```sh broken variant (every lesson shows one of its checks failing)")
            failed += 1
        for n, exercise in enumerate(found, 1):
            total += 1
            problems, output, seconds = run(exercise, build)
            where = f"{name} exercise {n} (line {exercise.line})"
            if problems is None:
                skipped += 1
                print(f"skip {where}: {output.strip().splitlines()[-1] if output.strip() else 'exit 77'}")
                continue
            if not problems:
                print(f"ok   {where}  {seconds:.1f} s")
                continue
            failed += 1
            print(f"FAIL {where}  {seconds:.1f} s")
            for p in problems:
                print(f"     - {p}")
            print("     script:")
            print("".join("       | " + l + "\n" for l in exercise.script.rstrip("\n").split("\n")), end="")
            print("     output:")
            print("".join("       | " + l + "\n" for l in output.rstrip("\n").split("\n")), end="")
        for n, exercise in enumerate(found, 1):
            for line, script in exercise.broken:
                broken_total += 1
                missed, output, seconds = run(exercise, build, script)
                where = f"{name} exercise {n}, broken variant (line {line})"
                if missed is None:
                    skipped += 1
                    print(f"skip {where}")
                    continue
                if missed:
                    print(f"ok   {where}  {seconds:.1f} s: its check fails as it should ({missed[0]})")
                    continue
                failed += 1
                print(f"FAIL {where}  {seconds:.1f} s: its check passes, so it observes nothing that was broken")
                print("     output:")
                print("".join("       | " + l + "\n" for l in output.rstrip("\n").split("\n")), end="")
    print(f"{total} exercises, {broken_total} broken variants, {skipped} skipped, {failed} failed")
    if failed:
        return 1
    return SKIP if skipped else 0  # meson shows the lesson as skipped: part of it did not run


if __name__ == "__main__":
    sys.exit(main(sys.argv))
