#!/usr/bin/env python3
"""Print N distinct free 127.0.0.1 TCP ports (default 1), space-separated.

All N sockets are bound at once, so the ports are distinct, and all are closed
*before* the ports are printed: a caller that reads the line and starts a server
at once must not race this process's exit for the port (it did, in CI, when the
sockets were still open while `read` returned from a process substitution).
"""
import socket
import sys

count = int(sys.argv[1]) if len(sys.argv) > 1 else 1
socks = [socket.socket() for _ in range(count)]
for s in socks:
    s.bind(("127.0.0.1", 0))
ports = [s.getsockname()[1] for s in socks]
for s in socks:
    s.close()
print(*ports, flush=True)
