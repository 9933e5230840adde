#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""hold.py PORT COUNT SECONDS [SOURCE]: opens COUNT TCP connections to 127.0.0.1:PORT from
SOURCE (127.0.0.1 by default) one after another, then sends nothing and reads nothing. Prints
'held N' (the connections that were made) once done, keeps them SECONDS, then closes them all
(as killing it does). Bounded: a connection gets 3 s, the whole opening 30 s."""
import resource
import socket
import sys
import time


def main():
    port, count, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    source = sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1"
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = count + 64
    if soft < want:
        limit = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
    held = []
    give_up = time.monotonic() + 30
    for _ in range(count):
        if time.monotonic() > give_up:
            break
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((source, 0))
        s.settimeout(3)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            s.close()
            continue
        held.append(s)
    print("held %d" % len(held), flush=True)
    time.sleep(seconds)
    for s in held:
        s.close()


if __name__ == "__main__":
    main()
