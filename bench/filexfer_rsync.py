"""rsync beside sendfile/recvfile: the tool with the same promise (a
whole-file checksum of every file, and with --fsync every file synced to
disk), run as a daemon on loopback so that, like recvfile, the receiving
side is a server. nc and socat neither hash nor sync: for a verified,
durable transfer rsync --fsync is the yardstick."""
import os
import shutil
import tempfile
import time

from processes import Server, free_port, run


class RsyncDaemon:
    """`rsync --daemon` on 127.0.0.1 with one writable module, "in", at `dest`."""

    def __init__(self, dest):
        self.dir = tempfile.mkdtemp(prefix="socklab-bench-rsyncd-")
        self.port = free_port()
        conf = os.path.join(self.dir, "rsyncd.conf")
        with open(conf, "w") as f:
            f.write(f"use chroot = no\nlog file = {self.dir}/log\n[in]\n  path = {dest}\n  read only = no\n"
                    f"  uid = {os.getuid()}\n  gid = {os.getgid()}\n")
        try:
            self.server = Server(["rsync", "--daemon", "--no-detach", "--address", "127.0.0.1", "--port",
                                  str(self.port), "--config", conf], self.port)
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        self.url = f"rsync://127.0.0.1:{self.port}/in/"

    def seconds(self, *sources, recursive=False):
        """Time of one `rsync --fsync` of `sources` into the module."""
        argv = ["rsync", "--fsync", "--whole-file"] + (["-r"] if recursive else []) + list(sources) + [self.url]
        start = time.monotonic()
        run(argv, timeout=600)
        return time.monotonic() - start

    def close(self):
        self.server.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def make_tree(root, directories=100, files_each=100, size=1024):
    """`directories` directories of `files_each` files of `size` random bytes."""
    data = os.urandom(size * files_each)
    for d in range(directories):
        sub = os.path.join(root, f"d{d:03d}")
        os.makedirs(sub)
        for i in range(files_each):
            with open(os.path.join(sub, f"f{i:03d}.bin"), "wb") as f:
                f.write(data[i * size:(i + 1) * size])
