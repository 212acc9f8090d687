#!/usr/bin/env python3
"""A noisy neighbour for checking that the tests own their network: opens and
closes loopback connections on random ports, leaving TIME_WAIT sockets
behind, as the other programs on a student's laptop do.

    tests/noisy_neighbour.py [--seconds 60] [--connections 5000]

Bounded by both: it stops at whichever comes first, then prints what it did.
Run it beside `./socklab test`; the tests run in network namespaces of their
own (tests/run_isolated.py), so none of its sockets may change a result.
"""
import argparse
import random
import socket
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=5000)
    args = parser.parse_args()
    rng = random.Random()
    deadline = time.monotonic() + args.seconds
    made = refused = 0
    while made + refused < args.connections and time.monotonic() < deadline:
        try:
            with socket.create_server(("127.0.0.1", rng.randrange(20000, 60000))) as listener:
                client = socket.create_connection(listener.getsockname(), timeout=2)
                server, _ = listener.accept()
                client.sendall(b"x")
                server.recv(1)
                client.close()  # the side that closes first holds TIME_WAIT for 60 s
                server.close()
                made += 1
        except OSError:
            refused += 1  # the port was taken: try another
        time.sleep(0.01)
    print(f"noisy neighbour: {made} connections opened and closed, {refused} ports already taken")


if __name__ == "__main__":
    main()
