# SPDX-License-Identifier: BSD-2-Clause
# The greeting server of a Python tutorial, for bench.py: a blocking accept loop behind
# listen(5), and a thread answering UDP; tutorial.py host port runs until killed.
#
# One change to the tutorial: the replies are in try blocks, without which the first client
# that resets its connection before its greeting (a load generator's timeout does) kills it.
import socket
import sys
import threading

GREETING = b"Thank you for connecting\n"


def serve_udp(u):
    while True:
        _, addr = u.recvfrom(2048)
        try:
            u.sendto(GREETING, addr)
        except OSError:
            pass


def main():
    if len(sys.argv) != 3 or not sys.argv[2].isdigit() or not 0 < int(sys.argv[2]) < 65536:
        sys.exit("usage: tutorial.py host port")
    host, port = sys.argv[1], int(sys.argv[2])

    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((host, port))
    s.listen(5)
    threading.Thread(target=serve_udp, args=(u,), daemon=True).start()
    while True:
        conn, _ = s.accept()
        try:
            conn.sendall(GREETING)
        except OSError:
            pass
        conn.close()


if __name__ == "__main__":
    main()
