# SPDX-License-Identifier: BSD-2-Clause
"""The clients a scenario plays, as non-blocking sockets driven by the runner's epoll loop:
each TCP client runs its plan's script step by step and records what it received and how it
ended; each UDP client sends one datagram and records the reply, if any."""
import errno
import select
import socket
import struct

# How a client's exchange ended.
EOF, RST, TIMEOUT, CONNECT, ABORT, REPLY, NONE = ("eof", "rst", "timeout", "connect", "abort",
                                                  "reply", "none")
READ_MAX = 8192         # bytes a client keeps: a line is at most 512, more is wrong anyway


class Tcp:
    """A TCP client: connect from its source, then its script."""
    __slots__ = ("run", "spec", "sock", "fd", "i", "t0", "t1", "t_hdr", "t_close", "sport",
                 "data", "end", "pending", "events", "errno", "paused_at_start", "deadline",
                 "connected", "cases", "full", "lines", "reasons")

    def __init__(self, run, spec):
        self.run, self.spec = run, spec
        self.sock, self.fd, self.i = None, -1, 0
        self.t0 = self.t1 = self.t_hdr = self.t_close = None
        self.sport, self.data, self.end, self.errno = 0, bytearray(), None, 0
        self.pending, self.events, self.connected = b"", 0, False
        self.cases, self.full, self.lines, self.reasons = (), False, (), ()

    def start(self, now):
        spec, run = self.spec, self.run
        family = socket.AF_INET6 if ":" in spec.src else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM | socket.SOCK_NONBLOCK)
        s.bind((spec.src, 0))
        self.sock, self.fd = s, s.fileno()
        self.sport = s.getsockname()[1]
        self.t0 = now
        self.deadline = now + spec.script_seconds() + run.patience
        self.paused_at_start = run.paused_total(now)
        err = s.connect_ex(run.server)
        if err not in (0, errno.EINPROGRESS):
            self.finish(now, CONNECT, err)
            return
        self.want(select.EPOLLOUT)

    def want(self, events):
        if events == self.events:
            return
        if self.events == 0:
            self.run.ep.register(self.fd, events)
            self.run.fds[self.fd] = self
        elif events == 0:
            self.run.ep.unregister(self.fd)
            del self.run.fds[self.fd]
        else:
            self.run.ep.modify(self.fd, events)
        self.events = events

    def on_event(self, ev, now):
        if not self.connected:
            err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            self.connected = True
            if err == errno.ECONNRESET:
                # Connected, then reset before this first look: what came is still there.
                self.drain()
                self.outcome(now, RST, err)
                self.steps(now)
                return
            if err:
                self.finish(now, CONNECT, err)
                return
        self.steps(now)

    def outcome(self, now, end, err=0):
        """The exchange is over: what came, and how it ended."""
        if self.end is None:
            self.end, self.t1, self.errno = end, now, err
        # Only what a client does after its reading is left: sleeping and closing.
        steps = self.spec.steps
        while self.i < len(steps) and steps[self.i][0] not in ("sleep", "close", "abort"):
            self.i += 1

    def finish(self, now, end=None, err=0):
        if end is not None:
            self.outcome(now, end, err)
        if self.sock is not None:
            self.want(0)
            self.sock.close()
            self.sock = None
            self.t_close = now
        self.run.tcp_done(self)

    def recv(self, now, size=4096):
        """One read: True when the exchange ended (EOF or reset)."""
        try:
            d = self.sock.recv(size)
        except BlockingIOError:
            return False
        except OSError as e:
            self.outcome(now, RST if e.errno == errno.ECONNRESET else CONNECT, e.errno)
            return True
        if not d:
            self.outcome(now, EOF)
            return True
        if len(self.data) < READ_MAX:
            self.data += d
        return False

    def steps(self, now):
        """Runs the script from step i until a step must wait."""
        if self.sock is None:
            return
        steps = self.spec.steps
        while self.i < len(steps):
            op = steps[self.i]
            kind = op[0]
            if kind == "send":
                if not self.pending:
                    self.pending = op[1]
                try:
                    n = self.sock.send(self.pending)
                except BlockingIOError:
                    self.want(select.EPOLLOUT)
                    return
                except OSError as e:
                    # Reset while talking (the error is the send's now, not the next read's):
                    # what came before the reset is still there to read.
                    self.pending = b""
                    self.drain()
                    self.outcome(now, RST, e.errno)
                    continue
                self.pending = self.pending[n:]
                if self.pending:
                    self.want(select.EPOLLOUT)
                    return
                self.t_hdr = now
            elif kind == "sleep":
                self.i += 1
                self.want(0)
                self.run.at(now + op[1], self.steps)
                return
            elif kind == "shut":
                try:
                    self.sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
            elif kind in ("read", "read_some"):
                self.want(select.EPOLLIN)
                if not self.readable(now, kind == "read_some"):
                    return
                continue
            elif kind == "slow":
                self.want(0)
                if self.recv(now, op[1]):
                    continue
                self.run.at(now + op[2], self.slow_again)
                return
            elif kind == "abort":
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.finish(now, ABORT)
                return
            elif kind == "close":
                self.finish(now)
                return
            self.i += 1
        self.finish(now)

    def readable(self, now, some):
        """Reads what is there: True when the step is over (the end, or some bytes for
        read_some)."""
        before = len(self.data)
        while True:
            if self.recv(now):
                return True
            if len(self.data) == before:
                return False
            if some:
                self.i += 1
                return True
            before = len(self.data)

    def slow_again(self, now):
        if self.sock is None:
            return
        if self.recv(now, self.spec.steps[self.i][1]):
            self.steps(now)
            return
        self.run.at(now + self.spec.steps[self.i][2], self.slow_again)

    def drain(self):
        """Reads what is queued, up to EOF or an error."""
        while True:
            try:
                d = self.sock.recv(4096)
            except OSError:
                return
            if not d:
                return
            if len(self.data) < READ_MAX:
                self.data += d

    def expire(self, now):
        """Its deadline passed (pauses not counted): nothing came in time. Its TCP state says
        where it stuck (SYN_SENT: never accepted by the kernel; ESTABLISHED: hellod silent)."""
        if self.end is None:
            try:
                state = self.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0]
            except OSError:
                state = 0
            self.outcome(now, TIMEOUT, state)
        self.finish(now)


class Udp:
    """A UDP client: one datagram of its size, then the reply or nothing. Its socket stays
    open past its own patience, so that a late reply is still seen."""
    __slots__ = ("run", "spec", "sock", "fd", "t0", "t1", "sport", "size", "data", "source",
                 "end", "soft", "paused_at_start", "lines", "reasons")

    def __init__(self, run, spec):
        self.run, self.spec = run, spec
        self.sock, self.fd, self.data, self.source, self.end = None, -1, b"", None, None
        self.t0 = self.t1 = None
        self.lines = self.reasons = ()

    def start(self, now):
        """Binds, sends the request (its size may be its own line's: known once bound)."""
        family = socket.AF_INET6 if ":" in self.spec.src else socket.AF_INET
        s = socket.socket(family, socket.SOCK_DGRAM | socket.SOCK_NONBLOCK)
        s.bind((self.spec.src, 0))
        self.sock, self.fd = s, s.fileno()
        self.sport = s.getsockname()[1]
        self.size = self.run.udp_size(self.spec, self.sport)
        self.t0 = now
        self.soft = now + self.run.udp_patience
        self.paused_at_start = self.run.paused_total(now)
        self.run.ep.register(self.fd, select.EPOLLIN)
        self.run.fds[self.fd] = self
        try:
            s.sendto(b"u" * self.size, self.run.server)
        except OSError as e:
            self.run.engine_error("UDP client %d: sendto: %s" % (self.spec.n, e))
            self.close(now, NONE)

    def on_event(self, ev, now):
        try:
            data, source = self.sock.recvfrom(65535)
        except BlockingIOError:
            return
        except OSError:
            return
        self.data, self.source = data, source[:2]
        self.close(now, REPLY)

    def close(self, now, end):
        if self.sock is None:
            return
        self.end, self.t1 = end, now
        self.run.ep.unregister(self.fd)
        del self.run.fds[self.fd]
        self.sock.close()
        self.sock = None
        self.run.udp_done(self)
