#!/usr/bin/env python3
"""Runs one test file in a network namespace of its own, with only `lo` up.

    run_isolated.py pytest TEST_FILE [PYTEST_ARGS...]   a pytest module
    run_isolated.py script SCRIPT [ARGS...]             any other test script

Every socket a test opens, and every socket table it reads (ss, netstat,
/proc/net/tcp, a capture), is then its own: another program's TIME_WAIT on a
reused port cannot decide the result. As root the namespace is `unshare --net`;
as an ordinary user a user namespace maps us to root inside it
(`unshare --user --map-root-user --net`). Where neither is allowed the test is
skipped (exit 77) with that reason. SOCKLAB_REAL_UID tells the tests inside who
really runs them (need_root() reads it).

In pytest mode the per-test results go to BUILD/pytest/<file>.xml (JUnit),
which scripts/test-summary.py counts one by one; no test collected (a name
filter that matches nothing) is a failure, and all tests skipped is exit 77.
"""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SKIP = 77


def namespace_command():
    if os.geteuid() == 0:
        return ["unshare", "--net"]
    return ["unshare", "--user", "--map-root-user", "--net"]


def enter_namespace():
    """Re-runs this script inside a new network namespace (does not return)."""
    if not shutil.which("unshare"):
        print("SKIP: unshare is not installed (util-linux): no network namespace for this test")
        sys.exit(SKIP)
    probe = subprocess.run(namespace_command() + ["true"], capture_output=True, text=True)
    if probe.returncode != 0:
        print(f"SKIP: cannot make a network namespace here: {probe.stderr.strip()}")
        sys.exit(SKIP)
    env = dict(os.environ, SOCKLAB_NETNS="1")
    env.setdefault("SOCKLAB_REAL_UID", str(os.geteuid()))
    argv = namespace_command() + ["--", sys.executable, os.path.abspath(__file__)] + sys.argv[1:]
    os.execvpe(argv[0], argv, env)


def results_path(test_file):
    """BUILD/pytest/tests-e2e-tcp-server_test.xml for tests/e2e/tcp/server_test.py, or
    BUILD/pytest/NAME.xml when one file serves several meson tests (SOCKLAB_RESULTS_NAME)."""
    build = os.environ.get("SOCKLAB_BUILD") or os.getcwd()
    source = os.path.dirname(HERE)
    name = os.path.relpath(os.path.abspath(test_file), source).replace(os.sep, "-")
    name = os.environ.get("SOCKLAB_RESULTS_NAME") or os.path.splitext(name)[0]
    return os.path.join(build, "pytest", name + ".xml")


def run_pytest(test_file, args):
    xml = results_path(test_file)
    os.makedirs(os.path.dirname(xml), exist_ok=True)
    if os.path.exists(xml):
        os.unlink(xml)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(HERE, "e2e"), env.get("PYTHONPATH", "")])
    argv = [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
            "--rootdir", HERE, f"--junitxml={xml}", test_file] + args
    rc = subprocess.run(argv, env=env).returncode
    print(f"pytest results: {xml}")
    if rc == 5:
        print("FAIL: no test ran (does a name filter match nothing?)")
        return 1
    if rc == 0 and all_skipped(xml):
        return SKIP
    return rc


def all_skipped(xml):
    import xml.etree.ElementTree as ET
    try:
        cases = ET.parse(xml).getroot().iter("testcase")
        return all(case.find("skipped") is not None for case in cases)
    except (OSError, ET.ParseError):
        return False


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("pytest", "script"):
        print(__doc__, file=sys.stderr)
        return 2
    if os.environ.get("SOCKLAB_NETNS") != "1":
        enter_namespace()
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    mode, test_file, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if mode == "pytest":
        return run_pytest(test_file, args)
    return subprocess.run([sys.executable, test_file] + args).returncode


if __name__ == "__main__":
    sys.exit(main())
