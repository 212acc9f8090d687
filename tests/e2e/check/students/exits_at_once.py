"""A "server" that ends before it listens (the bug: it exits at once)."""
import sys

print("starting the server")
sys.exit(3)
