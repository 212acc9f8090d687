"""A serial echo server (the bug: no thread per connection): it serves one
client until that client leaves, and only then accepts the next."""
import socket

listener = socket.create_server(("127.0.0.1", 8001))
while True:
    conn, _ = listener.accept()
    with conn:
        try:
            while True:
                data = conn.recv(4096)
                if not data:
                    break
                conn.sendall(data)
        except ConnectionError:
            pass  # a client that resets ends its connection only
