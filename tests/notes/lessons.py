"""Reads the exercise blocks out of the notes/ lessons.

An exercise is a fenced block whose info string is `sh exercise`, followed
(blank lines allowed between) by a fenced `expect` block: one Python regular
expression per line. After the expect block may come one or more `sh broken`
blocks: the same exercise with one thing broken, whose output must MISS the
expect block (a check that passes both ways observes nothing).
An exercise that needs root (the two-host lab) says so in its info string,
`sh exercise root`; the others run as an ordinary user.
notes/README.md ("How the exercises work") describes the format for the
people who write lessons.
"""
import re
from dataclasses import dataclass, field

FENCE = "```"


@dataclass
class Exercise:
    lesson: str
    line: int  # where the ```sh exercise fence is (1-based)
    script: str
    expect: list = field(default_factory=list)  # the lines of the expect block
    expect_line: int = 0
    broken: list = field(default_factory=list)  # (line, script) of each ```sh broken block
    root: bool = False  # ```sh exercise root: it, and its broken variants, run as root

    def text(self):
        """The blocks as written, shell comments left out: the Chinese twin translates
        the comments and keeps the commands and expectations (the in-step test compares these)."""
        parts = ["```sh exercise" + (" root" if self.root else "") + "\n" + strip_comments(self.script) + "```\n```expect\n" + "\n".join(self.expect) + "\n```\n"]
        for _, script in self.broken:
            parts.append("```sh broken\n" + strip_comments(script) + "```\n")
        return "".join(parts)


def strip_comments(script):
    """The script without its shell comments: whole `#` lines, and a `#` after a
    blank outside quotes to the end of the line. Blank lines left are dropped."""
    out = []
    for line in script.split("\n"):
        quote = None
        cut = len(line)
        for k, ch in enumerate(line):
            if quote:
                if ch == quote:
                    quote = None
            elif ch in "'\"":
                quote = ch
            elif ch == "#" and (k == 0 or line[k - 1] in " \t"):
                cut = k
                break
        kept = line[:cut].rstrip()
        if kept:
            out.append(kept)
    return "".join(l + "\n" for l in out)


class LessonError(Exception):
    pass


def _block(lines, start):
    """The lines after the fence at `start` up to the closing fence; the index after it."""
    body = []
    i = start + 1
    while i < len(lines):
        if lines[i].rstrip() == FENCE:
            return body, i + 1
        body.append(lines[i])
        i += 1
    raise LessonError(f"line {start + 1}: the block is never closed")


def exercises(path, name=None):
    """Every exercise in the lesson at `path`, in order. Raises LessonError on a malformed one."""
    name = name or str(path)
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    found = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith(FENCE):
            i += 1
            continue
        info = line[len(FENCE):].strip()
        body, after = _block(lines, i)
        if info in ("sh exercise", "sh exercise root"):
            j = after
            while j < len(lines) and lines[j].strip() == "":
                j += 1
            if j >= len(lines) or lines[j].strip() != FENCE + "expect":
                raise LessonError(f"{name}:{i + 1}: an exercise must be followed by an ```expect block")
            expect, after = _block(lines, j)
            if not [e for e in expect if e.strip()]:
                raise LessonError(f"{name}:{j + 1}: the expect block is empty")
            for k, e in enumerate(expect):
                pattern = e[2:] if e.startswith("! ") else e
                try:
                    re.compile(pattern)
                except re.error as err:
                    raise LessonError(f"{name}:{j + 2 + k}: not a regular expression: {err}")
            exercise = Exercise(name, i + 1, "".join(b + "\n" for b in body), expect, j + 1,
                                root=info.endswith(" root"))
            # Any ```sh broken blocks right after the expect block belong to it.
            while True:
                k = after
                while k < len(lines) and lines[k].strip() == "":
                    k += 1
                if k >= len(lines) or lines[k].strip() != FENCE + "sh broken":
                    break
                broken, after = _block(lines, k)
                if not [b for b in broken if b.strip()]:
                    raise LessonError(f"{name}:{k + 1}: the broken block is empty")
                exercise.broken.append((k + 1, "".join(b + "\n" for b in broken)))
            found.append(exercise)
        elif info == "expect":
            raise LessonError(f"{name}:{i + 1}: an ```expect block with no ```sh exercise before it")
        elif info == "sh broken":
            raise LessonError(f"{name}:{i + 1}: a ```sh broken block must follow an exercise's ```expect block")
        i = after
    return found


def check_output(expect, output):
    """The expectations `output` misses, as sentences (empty: all met).

    Each plain line is a regex that must match (re.search) some output line,
    in order: each after the line the previous one matched. A line starting
    with "! " is a regex no output line may match.
    """
    out_lines = output.split("\n")
    problems = []
    pos = 0
    for e in expect:
        if not e.strip():
            continue
        if e.startswith("! "):
            rx = re.compile(e[2:])
            hit = next((l for l in out_lines if rx.search(l)), None)
            if hit is not None:
                problems.append(f"expected no line matching {e[2:]!r}, but got {hit!r}")
            continue
        rx = re.compile(e)
        for k in range(pos, len(out_lines)):
            if rx.search(out_lines[k]):
                pos = k + 1
                break
        else:
            anywhere = any(rx.search(l) for l in out_lines)
            problems.append(f"no line matching {e!r}" + (" after the previous match" if anywhere else ""))
    return problems
