"""A UDP echo server that remembers the first client's address and sends
every reply there (the bug: the address of each datagram is not used)."""
import socket

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 8006))
first = None
while True:
    data, addr = sock.recvfrom(65536)
    first = first or addr
    sock.sendto(data, first)
