"""Helpers the file-transfer tests share: a work directory, hashes, files."""
import atexit
import hashlib
import os
import shutil
import tempfile


def workdir():
    """A fresh directory with an empty in/ for recvfile; removed at exit,
    also when a check fails halfway."""
    d = tempfile.mkdtemp(prefix="socklab-fx-")
    atexit.register(shutil.rmtree, d, True)
    os.mkdir(os.path.join(d, "in"))
    return d


def sha(data):
    """The hex SHA-256 of `data`, as sha256sum prints it."""
    return hashlib.sha256(data).hexdigest()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path
