"""A UDP echo server that sends back its whole buffer instead of the n bytes
received (the course's WriteToUDP(buf, addr) for WriteToUDP(buf[:n], addr))."""
import socket

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 8006))
buf = bytearray(1024)
while True:
    n, addr = sock.recvfrom_into(buf)
    sock.sendto(buf, addr)  # the bug: buf, not buf[:n]
