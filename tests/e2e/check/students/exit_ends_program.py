"""The course's upper-casing server with one bug: a line "exit" ends the whole
program (os._exit, as a Go os.Exit would) instead of that connection only."""
import os
import socket
import threading


def serve(conn):
    with conn:
        for line in conn.makefile("rb"):
            if line.rstrip(b"\r\n") == b"exit":
                os._exit(0)
            conn.sendall(line.upper())


listener = socket.create_server(("127.0.0.1", 8001))
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
