#!/usr/bin/env python3
"""Reads meson's testlog.json and prints the closing line "N passed, N failed, N skipped".

A meson test that ran a pytest module (tests/run_isolated.py prints the path of
its JUnit file as "pytest results: PATH") counts each of its pytest tests; any
other meson test counts as one. Under CI (CI set in the environment) a skipped
test counts as failed, because CI runs as root with every tool installed and
must not skip. Exit status 1 when anything failed.
"""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

MARK = re.compile(r"^pytest results: (.+)$", re.M)


def pytest_cases(stdout):
    """[(name, 'passed'|'failed'|'skipped')] from the JUnit file the test named, or None."""
    m = MARK.search(stdout or "")
    if not m or not os.path.exists(m.group(1)):
        return None
    try:
        root = ET.parse(m.group(1)).getroot()
    except ET.ParseError:
        return None
    cases = []
    for case in root.iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        if case.find("failure") is not None or case.find("error") is not None:
            cases.append((name, "failed"))
        elif case.find("skipped") is not None:
            cases.append((name, "skipped"))
        else:
            cases.append((name, "passed"))
    return cases


def main(path):
    ci = bool(os.environ.get("CI"))
    counts = {"passed": 0, "failed": 0, "skipped": 0}

    def count(name, outcome):
        if outcome == "skipped" and ci:
            print(f"skipped under CI (counted as failed): {name}")
            outcome = "failed"
        counts[outcome] += 1

    with open(path, encoding="utf-8") as log:
        for line in log:
            if not line.strip():
                continue
            test = json.loads(line)
            result = test["result"]
            outcome = {"OK": "passed", "EXPECTEDFAIL": "passed", "SKIP": "skipped"}.get(result, "failed")
            cases = pytest_cases(test.get("stdout"))
            if cases is None:
                count(test["name"], outcome)
                continue
            for name, case_outcome in cases:
                count(name, case_outcome)
            # The file failed although no case did (a crash, a timeout, no test ran).
            if outcome == "failed" and not any(o == "failed" for _, o in cases):
                count(f"{test['name']} ({result})", "failed")
    skipped = f", {counts['skipped']} skipped" if counts["skipped"] else ""
    print(f"{counts['passed']} passed, {counts['failed']} failed{skipped}")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
