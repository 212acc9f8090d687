#!/usr/bin/env python3
"""Writes the manual page socklab-NAME.1 of one program with help2man, then
names it as installed: the page is socklab-NAME, the command `socklab NAME`
(the program itself lives in lib/socklab/, so `man sendfile` stays the
system call's page and Debian's sendfile package keeps its own).

Usage: man_page.py OUTPUT PAGE_NAME HELP2MAN [HELP2MAN ARGS...] PROGRAM
PAGE_NAME is socklab-tcp-server (or socklab for the command itself)."""
import os
import re
import subprocess
import sys


def renamed(page, program, page_name):
    """The help2man page of `program`, retitled `page_name`, its synopsis `socklab NAME`."""
    command = page_name.replace("socklab-", "socklab ", 1)
    title = page_name.upper()
    page = re.sub(r'^\.TH \S+', lambda _: ".TH " + title, page, count=1, flags=re.M)
    esc = re.escape(program)
    page = re.sub(r"^(\.SH NAME\n)" + esc + r" \\-", lambda m: m.group(1) + page_name + " \\-",
                  page, count=1, flags=re.M)
    page = re.sub(r"^\.B " + esc + r"$", lambda _: ".B " + command, page, flags=re.M)
    if page_name != "socklab":
        page += ('.SH "SEE ALSO"\n.BR socklab (1).\n'
                 f"The program itself is installed as lib/socklab/{program} under the prefix\n"
                 "(/usr/lib/socklab on Debian): add that folder to PATH to run it by its bare name.\n")
    return page


def main():
    output, page_name, help2man, program = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[-1]
    tmp = output + ".tmp"
    # meson's configure_file writes the socklab command without an execute
    # bit (only its installed copy gets one); help2man must run it.
    if not os.access(program, os.X_OK):
        os.chmod(program, os.stat(program).st_mode | 0o111)
    subprocess.run([help2man] + sys.argv[4:-1] + ["--output", tmp, program], check=True, timeout=120)
    with open(tmp, encoding="utf-8") as f:
        page = f.read()
    os.unlink(tmp)
    with open(output, "w", encoding="utf-8") as f:
        f.write(renamed(page, os.path.basename(program), page_name))


if __name__ == "__main__":
    main()
