#!/usr/bin/env python3
"""`meson install --destdir` puts the programs, their man pages and the notes in place.

    install_test.py MESON BUILD_DIR

Installs into a temporary directory (nothing outside it is touched), then
checks every file meson says it installs is there, that `socklab` is the one
command in bin/, that each program is in lib/socklab/ and runs there and as
`socklab NAME`, that each has a man page socklab-NAME.1 generated from its
--help, and that the notes, the tour and the bash completion are in place.
"""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PROGRAMS = ["tcp-server", "tcp-client", "udp-server", "udp-client", "udp-relay", "tcpstate", "check"]
FILES = {"check": "socklab-check"}  # `socklab check` runs lib/socklab/socklab-check
FILEXFER = ["sendfile", "recvfile"]


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    meson, build = argv[1], Path(argv[2]).resolve()
    programs = PROGRAMS + [p for p in FILEXFER if (build / "filexfer" / p).exists()]
    problems = []
    with tempfile.TemporaryDirectory(prefix="socklab-install.") as dest:
        done = subprocess.run([meson, "install", "-C", str(build), "--no-rebuild", "--destdir", dest],
                              capture_output=True, text=True, timeout=100)
        if done.returncode != 0:
            print(done.stdout + done.stderr)
            print(f"FAIL meson install exited {done.returncode}")
            return 1
        installed = json.loads(subprocess.run([meson, "introspect", "--installed", str(build)],
                                              capture_output=True, text=True, check=True, timeout=60).stdout)
        for source, target in sorted(installed.items()):
            if not Path(dest + target).exists():
                problems.append(f"{source} should be installed as {target}, but is not")
        by_name = {}
        for target in installed.values():
            by_name.setdefault(Path(target).name, []).append(Path(dest + target))

        in_bin = sorted(str(Path(t).name) for t in installed.values() if Path(t).parent.name == "bin")
        if in_bin != ["socklab"]:
            problems.append(f"bin/ should hold only socklab, not {in_bin}")
        command = [p for p in by_name.get("socklab", []) if p.parent.name == "bin"]
        for program in programs:
            file = FILES.get(program, program)
            bins = [p for p in by_name.get(file, []) if p.parent.name == "socklab" and p.parent.parent.name == "lib"]
            if not bins:
                problems.append(f"{program} is not installed in lib/socklab/")
            else:
                run = subprocess.run([str(bins[0]), "--version"], capture_output=True, text=True, timeout=10)
                if run.returncode != 0 or file not in run.stdout:
                    problems.append(f"installed {bins[0]} --version: exit {run.returncode}, {run.stdout!r}")
            if command:
                # The command looks for the programs under the prefix, not under
                # --destdir: read its folder and check the program is listed there.
                listed = subprocess.run(["bash", str(command[0]), "help", "--names"], capture_output=True,
                                        text=True, timeout=10).stdout.split()
                if program not in listed:
                    problems.append(f"socklab help --names does not list {program}: {listed}")
            pages = [p for p in by_name.get("socklab-" + program + ".1", []) if p.parent.name == "man1"]
            if not pages:
                problems.append(f"no man page share/man/man1/socklab-{program}.1")
                continue
            page = pages[0].read_text(encoding="utf-8", errors="replace")
            want = [".TH SOCKLAB-" + program.upper(), ".SH NAME", "socklab-" + program + " \\-",
                    ".B socklab " + program, ".SH DESCRIPTION", "--help", "--version"]
            if program == "check":
                want.remove("socklab-check \\-")  # help2man names it by its file: the same words
            for w in want:
                if w.replace("-", "\\-") not in page and w not in page:
                    problems.append(f"{pages[0].name} lacks {w!r}")
            if "notes/" not in page:
                problems.append(f"{pages[0].name} does not name the program's lesson (notes/...)")
            if program == "tcpstate":  # each subcommand's own options are on the page too
                for w in [".SH SUBCOMMANDS", "tcpstate watch", "tcpstate demo", "\\-\\-interval", "\\-\\-scene"]:
                    if w not in page:
                        problems.append(f"{pages[0].name} lacks {w!r}")

        if not command:
            problems.append("socklab is not installed in bin/")
        else:
            run = subprocess.run(["bash", str(command[0]), "--version"], capture_output=True, text=True, timeout=10)
            if not run.stdout.startswith("socklab "):
                problems.append(f"socklab --version printed {run.stdout!r}")
        for want in ["/share/man/man1/socklab.1", "/share/bash-completion/completions/socklab",
                     "/lib/socklab/tour/tour.sh", "/lib/socklab/tour/tour.d/10-tcp.sh", "/lib/socklab/lab"]:
            # (a folder meson installs whole is listed as the folder: look on disk)
            if not any(str(p).endswith(want) for p in Path(dest).rglob(Path(want).name)):
                problems.append(f"{want} is not installed")

        docs = [t for t in installed.values() if "/share/doc/socklab/notes/" in t]
        for want in ["notes/README.md", "notes/tcp-states.md", "notes/zh/README.md", "notes/zh/tcp-states.md",
                     "notes/TEACHING.md", "notes/zh/TEACHING.md"]:
            if not any(t.endswith("/" + want) for t in docs):
                problems.append(f"{want} is not installed under share/doc/socklab/")
        count = sum(1 for t in installed.values() if Path(dest + t).exists())
    for p in problems:
        print("FAIL", p)
    print(f"{count} files installed; {len(programs)} programs with man pages checked; {len(problems)} problems")
    return 1 if problems else 0


def test_meson_install_puts_everything_in_place():
    assert main(["install_test.py", os.environ["MESON"], os.environ["SOCKLAB_BUILD"]]) == 0  # problems printed above
