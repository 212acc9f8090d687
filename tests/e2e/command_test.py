"""The one command: `./socklab NAME` runs a program from the build, as the
installed `socklab NAME` does, and the version has one home (meson.build)
that the command, every program and the Debian changelog agree with."""
import os
import re
import subprocess

import pytest

from socklab_test import BUILD, SOURCE, run

SCRIPT = os.path.join(SOURCE, "socklab")
COMMAND = os.path.join(BUILD, "scripts", "socklab")  # the installed command, as configured in the build


def meson_version():
    with open(os.path.join(SOURCE, "meson.build"), encoding="utf-8") as f:
        return re.search(r"^  version : '([^']+)',$", f.read(), re.M).group(1)


def names():
    out = run(["bash", COMMAND, "help", "--names"]).stdout.decode().split()
    return [n for n in out if n not in ("tour", "lab", "help")]


def test_the_command_lists_every_built_program():
    listed = names()
    assert listed == ["tcp-server", "tcp-client", "udp-server", "udp-client", "udp-relay", "sendfile", "recvfile",
                      "tcpstate", "check"]


@pytest.mark.parametrize("name", ["tcp-server", "udp-relay", "sendfile", "tcpstate", "check"])
def test_checkout_command_runs_a_program_by_its_name(name):
    done = run([SCRIPT, name, "--version"])
    assert done.returncode == 0, done.stderr
    assert re.match(f"(socklab-)?{name}", done.stdout.decode()), done.stdout
    assert meson_version() in done.stdout.decode()


def test_checkout_command_passes_arguments_and_exit_status():
    done = run([SCRIPT, "tcp-server", "--listen", "nonsense:port"])
    assert done.returncode == 2  # the program's own bad-command-line status, passed through
    assert b"tcp-server" in done.stderr


def test_an_unknown_name_is_one_error_and_exit_2():
    done = run([SCRIPT, "tcp-serverr"])
    assert done.returncode == 2
    assert done.stderr.decode().splitlines()[0] == "socklab: unknown command 'tcp-serverr'"
    done = run(["bash", COMMAND, "tcp-serverr"])
    assert done.returncode == 2
    assert done.stderr.decode().strip() == "socklab: unknown command 'tcp-serverr' (socklab help lists the commands)"


def test_every_version_is_meson_builds():
    version = meson_version()
    assert run([SCRIPT, "--version"]).stdout.decode().strip() == f"socklab {version}"
    assert run(["bash", COMMAND, "--version"]).stdout.decode().strip() == f"socklab {version}"
    changelog = subprocess.run(["dpkg-parsechangelog", "-l", os.path.join(SOURCE, "debian", "changelog"), "-S",
                                "Version"], capture_output=True, text=True, timeout=30)
    assert changelog.returncode == 0, changelog.stderr
    assert changelog.stdout.strip() == version, "debian/changelog needs an entry for " + version


def test_help_for_a_program_that_is_not_there():
    done = run(["bash", COMMAND, "help", "nosuch"])
    assert done.returncode == 2
    assert done.stderr.decode().strip() == "socklab: help: no program 'nosuch' (socklab help lists them)"


def complete(tmp_path, *words):
    """What bash completes for `socklab WORDS...` (the last word being typed),
    with the checkout's ./socklab as the `socklab` on PATH."""
    if not (tmp_path / "socklab").exists():
        (tmp_path / "socklab").symlink_to(SCRIPT)
    completion = os.path.join(SOURCE, "scripts", "socklab.bash-completion")
    script = (f'source {completion}; COMP_WORDS=(socklab {" ".join(words)}); COMP_CWORD={len(words)}; '
              '_socklab; printf "%s\\n" "${COMPREPLY[@]}"')
    env = dict(os.environ, PATH=f"{tmp_path}:{os.environ['PATH']}")
    done = run(["bash", "-c", script], env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.decode().split()


def test_bash_completes_the_subcommands(tmp_path):
    assert complete(tmp_path, "tcp-s") == ["tcp-server"]
    assert "recvfile" in complete(tmp_path, "")


def test_bash_completes_a_programs_options_from_its_help(tmp_path):
    assert "--listen" in complete(tmp_path, "tcp-server", "--li")
    assert complete(tmp_path, "tcpstate", "lad") == ["ladder"]
    assert "--follow" in complete(tmp_path, "tcpstate", "ladder", "--fol")
