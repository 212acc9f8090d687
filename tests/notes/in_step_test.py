#!/usr/bin/env python3
"""Checks that the notes hang together.

    in_step_test.py SOURCE_ROOT

- every lesson in notes/ has its Chinese version in notes/zh/ and the other
  way round, and both have the same exercises (with their broken variants) in
  the same order: the same commands and expectations, byte for byte, shell
  comments left out (the prose and the comments are translated; the commands
  and expectations are not);
- every lesson a program names (in its --help and header: "notes/NAME.md")
  exists;
- every relative link in a lesson points at a file that exists.
"""
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lessons  # noqa: E402

# The wire-format reference, for readers of filexfer/, is kept in English
# only; the Chinese file-transfer lesson links it.
ENGLISH_ONLY = {"file-transfer-protocol.md", "private-transfer-design.md"}  # references for readers of the code
CODE_DIRS = ["tcp", "udp", "filexfer", "tcpstate", "common", "scripts"]
LINK = re.compile(r"\]\(([^)#\s]+)(#[^)]*)?\)")


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    root = Path(argv[1]).resolve()
    notes, zh = root / "notes", root / "notes" / "zh"
    problems = []
    en_names = {p.name for p in notes.glob("*.md")}
    zh_names = {p.name for p in zh.glob("*.md")}
    for name in sorted(en_names - zh_names - ENGLISH_ONLY):
        problems.append(f"notes/{name} has no Chinese version notes/zh/{name}")
    for name in sorted(zh_names - en_names):
        problems.append(f"notes/zh/{name} has no English version notes/{name}")

    compared = 0
    for name in sorted(en_names & zh_names):
        try:
            en = lessons.exercises(notes / name, f"notes/{name}")
            cn = lessons.exercises(zh / name, f"notes/zh/{name}")
        except lessons.LessonError as e:
            problems.append(str(e))
            continue
        if len(en) != len(cn):
            problems.append(f"notes/{name} has {len(en)} exercises, notes/zh/{name} has {len(cn)}")
        for n, (a, b) in enumerate(zip(en, cn), 1):
            compared += 1
            if a.text() != b.text():
                problems.append(f"exercise {n} differs: notes/{name}:{a.line} vs notes/zh/{name}:{b.line}")

    named = set()
    for d in CODE_DIRS:
        for path in sorted((root / d).rglob("*")):
            if path.is_file() and path.suffix in {".cpp", ".hpp", ".sh", ".py", ""}:
                text = path.read_text(encoding="utf-8", errors="replace")
                for lesson in re.findall(r"notes/([a-z0-9-]+\.md)", text):
                    named.add(lesson)
                    if lesson not in en_names:
                        problems.append(f"{path.relative_to(root)} names notes/{lesson}, which does not exist")

    links = 0
    for page in sorted(list(notes.glob("*.md")) + list(zh.glob("*.md"))):
        text = page.read_text(encoding="utf-8")
        for target, _ in LINK.findall(text):
            if re.match(r"[a-z]+:", target):
                continue  # http:, https:, mailto:
            links += 1
            if not (page.parent / target).exists():
                problems.append(f"{page.relative_to(root)} links {target}, which does not exist")

    problems = list(dict.fromkeys(problems))  # a file naming a lesson twice is one problem
    for p in problems:
        print("FAIL", p)
    print(f"{len(en_names)} English and {len(zh_names)} Chinese pages, {compared} exercise pairs compared, "
          f"{len(named)} lessons named by programs, {links} links checked; {len(problems)} problems")
    return 1 if problems else 0


def test_english_and_chinese_in_step():
    """Every page has its twin, the exercises match, every named lesson and link exists."""
    assert main(["in_step_test.py", str(Path(__file__).resolve().parents[2])]) == 0  # the problems are printed above
