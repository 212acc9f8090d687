#!/usr/bin/env python3
"""The test harness itself (socklab_test.main): a skip ends one test, not the
script; a failure is never hidden by a later skip; a script counts as skipped
(exit 77, what meson reads as SKIP) only when every test in it skipped."""
import os
import subprocess
import sys
import tempfile

from socklab_test import main

SCRIPT = """
from socklab_test import main, skip
def test_skips(): skip("no such tool")
def test_passes(): pass
def test_fails(): raise AssertionError("boom")
if __name__ == "__main__":
    main(globals())
"""


def run_script(*only):
    with tempfile.TemporaryDirectory(prefix="socklab-harness-") as d:
        path = os.path.join(d, "example_test.py")
        with open(path, "w") as f:
            f.write(SCRIPT)
        return subprocess.run([sys.executable, path, *only], capture_output=True, text=True, timeout=30)


def test_a_skip_does_not_hide_a_failure():
    r = run_script()
    assert r.returncode == 1, r
    assert "skip test_skips: no such tool" in r.stdout, r.stdout
    assert "ok   test_passes" in r.stdout and "FAIL test_fails" in r.stdout, r.stdout
    assert r.stdout.splitlines()[-1] == "1 ok, 1 skipped, 1 failed", r.stdout


def test_a_skip_beside_passes_is_a_pass():
    r = run_script("test_skips", "test_passes")
    assert r.returncode == 0, r
    assert r.stdout.splitlines()[-1] == "1 ok, 1 skipped, 0 failed", r.stdout


def test_all_skipped_is_a_skipped_script():
    r = run_script("test_skips")
    assert r.returncode == 77, r
    assert r.stdout.splitlines()[-1] == "SKIP: no such tool", r.stdout


if __name__ == "__main__":
    main(globals())
