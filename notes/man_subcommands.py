#!/usr/bin/env python3
"""Writes a help2man include file with one section per subcommand, taken
from the program's own `PROGRAM SUB --help`, so that `man tcpstate` shows
the options of watch, snapshot, demo and diagram too.
Usage: man_subcommands.py OUTPUT PROGRAM SUB..."""
import os
import subprocess
import sys


def roff_escape(line):
    # A backslash starts a roff escape; a line starting with . or ' is a
    # request; \- is a minus sign that survives copy and paste as "-".
    line = line.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + line if line.startswith((".", "'")) else line


def main():
    output, program, subs = sys.argv[1], sys.argv[2], sys.argv[3:]
    name = os.path.basename(program)
    parts = ["[SUBCOMMANDS]\n"]
    for sub in subs:
        r = subprocess.run([program, sub, "--help"], capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            sys.exit(f"{name} {sub} --help: exit {r.returncode}: {r.stderr.strip()}")
        parts.append(f'.SS "{name} {sub}"\n.nf\n')
        parts.extend(roff_escape(line) + "\n" for line in r.stdout.rstrip("\n").splitlines())
        parts.append(".fi\n")
    with open(output, "w") as f:
        f.writelines(parts)


if __name__ == "__main__":
    main()
