#!/usr/bin/env python3
"""Prints the table of TEACHING.md (every lesson, every exercise, what it reads), made from the lessons.

    teaching_table.py [--zh] [--write]

The rows follow the course's order (COURSE_ORDER); a lesson not named there
comes after them, in the order of its file name, so a new lesson enters the
table by itself. Each exercise is described by the first sentence of the
paragraph before it, the tools its script reads the result with, and its
broken variants. --write puts the table into notes/TEACHING.md (or
notes/zh/TEACHING.md with --zh), between the BEGIN and END lines;
teaching_table_test.py checks that the committed tables are what this prints.
"""
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lessons  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
# The course's order: the TCP topics, then TCP against UDP, the UDP server and
# client, command-line arguments, file transfer.
COURSE_ORDER = ["tcp-handshake", "tcp-teardown", "linger-fin-timeout", "sliding-window", "tcp-states",
                "concurrent-tcp-server", "accept-queue", "broken-connections", "dual-stack",
                "tcp-vs-udp", "udp-flow", "command-line-arguments", "byte-order-framing", "file-transfer"]
NOT_LESSONS = {"README.md", "TEACHING.md", "file-transfer-protocol.md", "private-transfer-design.md"}
BEGIN = "<!-- BEGIN exercise table: made by tests/notes/teaching_table.py --write; do not edit by hand -->"
END = "<!-- END exercise table -->"
# What a script reads its result with: (pattern, name), in the order shown.
READERS = [
    (r"tcpstate ladder", "ladder"), (r"\bss -", "ss"), (r"\bnetstat\b", "netstat"),
    (r"/proc/net/tcp", "/proc/net/tcp"), (r"/proc/net/snmp|nstat", "/proc/net/snmp"),
    (r"/proc/[$A-Za-z0-9{}]+/cmdline", "/proc/PID/cmdline"), (r"tcpstate snapshot", "tcpstate snapshot"),
    (r"tcpstate watch", "tcpstate watch"), (r"tcpstate demo", "tcpstate demo"),
    (r"sha256sum|\bcmp\b", "the files on disk"), (r"\blab (up|exec)", "the two-host lab"),
]
WORDS = {
    "en": {"lesson": "lesson", "exercises": "exercises: what each observes (read with)", "broken": "broken variant",
           "brokens": "broken variants", "answer": "answer", "root": "root", "none": "no broken variant"},
    "zh": {"lesson": "课程", "exercises": "练习：各自观察什么（用什么读出）", "broken": "个故意改坏的版本",
           "brokens": "个故意改坏的版本", "answer": "答案", "root": "root", "none": "没有故意改坏的版本"},
}


def lesson_files(folder):
    names = [p.stem for p in folder.glob("*.md") if p.name not in NOT_LESSONS]
    known = [n for n in COURSE_ORDER if n in names]
    return [folder / f"{n}.md" for n in known + sorted(set(names) - set(known))]


def join(lines):
    """Joins wrapped lines: with a space between Latin words, without one between Chinese characters."""
    text = ""
    for line in (l.strip() for l in lines):
        if text and not (re.match(r"[\u3000-\u9fff\uff00-\uffef]", line[:1]) and
                         re.search(r"[\u3000-\u9fff\uff00-\uffef]$", text)):
            text += " "
        text += line
    return text


def first_sentence(text, longest=240):
    """Up to the first full stop (a period and a blank, or 。), at most `longest` characters."""
    m = re.search(r"[.!?](?=\s|$)|[。！？]", text)
    sentence = text[:m.end()] if m else text
    if len(sentence) > longest:
        sentence = sentence[:longest].rsplit(" ", 1)[0] + " …"
    return sentence.replace("|", "\\|")


def paragraph_before(lines, index):
    """The paragraph that ends before line `index` (0-based), its list number dropped; inside an
    answer (<details>), the numbered question it answers."""
    i = index - 1
    while i >= 0 and not lines[i].strip():
        i -= 1
    end = i
    while i >= 0 and lines[i].strip() and not lines[i].startswith("```"):
        i -= 1
    para = lines[i + 1:end + 1]
    in_answer = False
    for k in range(index, -1, -1):
        if lines[k].startswith("</details>"):
            break
        if lines[k].startswith("<details>"):
            in_answer = True
            break
    text = join(para)
    if in_answer and text.startswith("<details>"):
        text = ""
    return re.sub(r"^\d+\.\s*", "", text), in_answer


def readers(script):
    return [name for rx, name in READERS if re.search(rx, script)]


def rows(lang):
    folder = ROOT / "notes" / ("zh" if lang == "zh" else "")
    w = WORDS[lang]
    out = []
    for n, path in enumerate(lesson_files(folder), 1):
        lines = path.read_text(encoding="utf-8").split("\n")
        title = lines[0].lstrip("# ").strip()
        cells = []
        for k, e in enumerate(lessons.exercises(path, path.name), 1):
            what, in_answer = paragraph_before(lines, e.line - 1)
            tags = []
            if in_answer:
                tags.append(w["answer"])
            if e.root:
                tags.append(w["root"])
            read = readers(e.script)
            if read:
                tags.append(", ".join(f"`{r}`" for r in read))
            count = len(e.broken)
            if lang == "zh":
                tags.append(f"{count} {w['broken']}" if count else w["none"])
            else:
                tags.append(f"{count} {w['broken'] if count == 1 else w['brokens']}" if count else w["none"])
            cells.append(f"{k} {first_sentence(what)} ({'; '.join(tags)})")
        out.append(f"| {n} | [{title}]({path.name}) | {'<br>'.join(cells)} |")
    return [f"| # | {w['lesson']} | {w['exercises']} |", "|---|---|---|"] + out


def table(lang):
    return "\n".join([BEGIN] + rows(lang) + [END]) + "\n"


def teaching_path(lang):
    return ROOT / "notes" / ("zh" if lang == "zh" else "") / "TEACHING.md"


def committed(lang):
    """The table as it stands in TEACHING.md (None when the BEGIN/END lines are missing)."""
    text = teaching_path(lang).read_text(encoding="utf-8")
    start, stop = text.find(BEGIN), text.find(END)
    if start < 0 or stop < 0:
        return None
    return text[start:stop + len(END)] + "\n"


def main(argv):
    lang = "zh" if "--zh" in argv else "en"
    if "--write" in argv:
        path = teaching_path(lang)
        text = path.read_text(encoding="utf-8")
        old = committed(lang)
        if old is None:
            print(f"{path}: no {BEGIN!r} ... {END!r} lines to replace", file=sys.stderr)
            return 1
        path.write_text(text.replace(old, table(lang)), encoding="utf-8")
        return 0
    sys.stdout.write(table(lang))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
