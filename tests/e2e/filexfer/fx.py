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


class Relay:
    """A TCP relay on loopback between a sender and recvfile, standing in for
    the network: it can slow the sender's bytes to `rate` bytes a second,
    counts the bytes each connection carried towards the receiver, and can
    cut the cable: `cut()` stops carrying anything on the connections open
    now, in both directions, without closing them (no FIN, no RST reaches
    either side), while new connections go through."""

    def __init__(self, target_port, rate=None):
        import socket
        import threading
        self.target_port = target_port
        self.rate = rate
        self.counts = []  # bytes carried towards the receiver, per connection
        self._cut = []  # one threading.Event per connection
        self._socks = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.peer = f"127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import socket
        import threading
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                index = len(self.counts)
                self.counts.append(0)
                cut = threading.Event()
                self._cut.append(cut)
                self._socks += [client, server]
            threading.Thread(target=self._pump, args=(client, server, index, cut, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, index, cut, False), daemon=True).start()

    def _pump(self, src, dst, index, cut, towards_receiver):
        import socket
        import time
        start = time.monotonic()
        carried = 0
        while not cut.is_set():
            try:
                chunk = src.recv(16384)
            except OSError:
                chunk = b""
            if cut.is_set():
                break
            if not chunk:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            if towards_receiver and self.rate:
                carried += len(chunk)
                ahead = carried / self.rate - (time.monotonic() - start)
                if ahead > 0:
                    time.sleep(ahead)
            if cut.is_set():
                break
            try:
                dst.sendall(chunk)
            except OSError:
                return
            if towards_receiver:
                with self._lock:
                    self.counts[index] += len(chunk)
        cut.wait()  # cut: hold both sockets open, carry nothing

    def cut(self):
        """Cuts every connection open now (later ones go through)."""
        with self._lock:
            for event in self._cut:
                event.set()

    def close(self):
        self.cut()
        self._listener.close()
        with self._lock:
            for s in self._socks:
                s.close()
