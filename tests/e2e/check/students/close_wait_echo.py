"""A threaded echo server that never closes a connection (the bug: at EOF the
handler returns without conn.close(), and keeps the socket): every connection
a client ends stays in CLOSE_WAIT."""
import socket
import threading

kept = []


def serve(conn):
    kept.append(conn)
    while True:
        data = conn.recv(4096)
        if not data:
            return
        conn.sendall(data)


listener = socket.create_server(("127.0.0.1", 8001))
while True:
    conn, _ = listener.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
