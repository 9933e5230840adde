# SPDX-License-Identifier: BSD-2-Clause
"""One scenario's run: hellod started on a free loopback port with the plan's configuration
and NOTIFY_SOCKET, the plan's clients and control events played against it in one epoll loop,
then its counters, file descriptors and memory read and its stop checked. What happened goes to
check.py, which judges it."""
import collections
import heapq
import os
import re
import select
import signal
import socket
import subprocess
import time

from clients import Tcp, Udp, NONE
from model import render, REASONS, REASON_WORDS

FD_SAMPLE = 0.1         # seconds between looks at hellod's fds and memory
CLIENTS_MAX = 500000    # clients in one scenario, whatever the time


def free_port(host):
    """A port free for TCP and UDP on host, as tests/tools/client.c's freeport finds one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(50):
        with socket.socket(family, socket.SOCK_STREAM) as t:
            t.bind((host, 0))
            port = t.getsockname()[1]
            try:
                with socket.socket(family, socket.SOCK_DGRAM) as u:
                    u.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port on %s" % host)


class Window:
    """A configuration and when it may have been in force: from the first SIGHUP that could
    have applied it to the moment hellod said (READY=1, or SIGUSR1's line after a storm) that
    the next one was taken by every worker."""
    __slots__ = ("conf", "start", "end")

    def __init__(self, conf, start):
        self.conf, self.start, self.end = conf, start, float("inf")


class Run:
    def __init__(self, plan, hellod, workdir, scale=1.0, wrapper="", check_memory=False):
        self.plan, self.hellod, self.dir, self.scale = plan, hellod, workdir, scale
        self.wrapper = wrapper.split()
        self.patience = 6.0 * scale + 3.0           # beyond a client's own sleeps
        self.udp_patience = 0.5 * scale
        self.ep = select.epoll()
        self.fds = {}
        self.timers, self.timer_seq = [], 0
        self.pauses, self.paused_since = [], None
        self.windows, self.tcp, self.udp = [], [], []
        self.open = {"tcp": 0, "slow": 0, "udp": 0}
        self.open_tcp, self.open_udp, self.late = set(), set(), set()
        self.started = 0
        self.errors = []
        self.ready = 0
        self.proc = None
        self.died = self.t_died = None
        self.fd_base = self.fd_max = self.rss_base = self.rss_max = self.rss_end = None
        self.fd_end = None
        self.counters = None
        self.exit_status = None
        self.reloads = []               # (conf, how, t_hup, t_done)
        self.quiet_until, self.quiet_gap, self.quiet_next = 0.0, None, 0.0
        self.log_offset, self.log_partial = 0, b""
        self.log_lines = collections.deque(maxlen=200)     # the last ones, for reports
        self.counter_lines = []
        self.reloaded = self.reload_failed = 0
        self.check_memory = check_memory

    # ---- the loop's helpers ----

    def at(self, when, callback):
        self.timer_seq += 1
        heapq.heappush(self.timers, (when, self.timer_seq, callback))

    def paused_total(self, now):
        total = sum(p1 - p0 for p0, p1 in self.pauses)
        if self.paused_since is not None:
            total += now - self.paused_since
        return total

    def engine_error(self, text):
        self.errors.append("engine: " + text)

    def log(self):
        """hellod's log, read on from where the last look stopped: its lines so far."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self.log_offset)
                data = f.read()
        except OSError:
            return list(self.log_lines)
        self.log_offset += len(data)
        data = self.log_partial + data
        lines = data.split(b"\n")
        self.log_partial = lines.pop()
        for line in lines:
            text = line.decode(errors="replace")
            if "greetings:" in text and "Serving " in text:
                self.counter_lines.append(text)
            elif "Reloaded " in text:
                self.reloaded += 1
            elif "Reloading " in text and " failed" in text:
                self.reload_failed += 1
            self.log_lines.append(text)
        return list(self.log_lines)

    def alive(self):
        if self.died is not None:
            return False
        status = self.proc.poll()
        if status is None:
            return True
        self.died, self.t_died = status, time.monotonic()
        return False

    def sample(self, now=None):
        """hellod's open fds and resident memory, the highest kept."""
        try:
            n = len(os.listdir("/proc/%d/fd" % self.proc.pid))
            with open("/proc/%d/status" % self.proc.pid) as f:
                rss = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
        except (OSError, AttributeError):
            return None, None
        self.fd_max = max(self.fd_max or 0, n)
        self.rss_max = max(self.rss_max or 0, rss)
        return n, rss

    # ---- hellod ----

    def write_files(self, conf, write, fresh):
        """conf's quotes file, then its configuration file, replaced atomically (a new file
        renamed over the old) or rewritten in place in a few writes; then, unless fresh, dated
        back so that hellod's reload does not wait for the file to be quiet."""
        conf.host, conf.port = self.server
        files = []
        if conf.quotes_name:
            files.append((conf.quotes_name, conf.quotes.text))
        files.append(("hellod.conf", conf.file_text()))
        for name, text in files:
            path = os.path.join(self.dir, name)
            data = text.encode()
            if write == "rename" or not os.path.exists(path):
                tmp = path + ".new"
                with open(tmp, "wb") as f:
                    f.write(data)
                os.rename(tmp, path)
            else:
                with open(path, "wb") as f:
                    cut = len(data) // 2
                    f.write(data[:cut])
                    f.flush()
                    time.sleep(0.002)
                    f.write(data[cut:])
            if not fresh:
                past = time.time() - 10
                os.utime(path, (past, past))

    def start_hellod(self):
        conf = self.plan.conf
        self.notify_path = os.path.join(self.dir, "notify")
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_NONBLOCK)
        self.notify.bind(self.notify_path)
        self.ep.register(self.notify.fileno(), select.EPOLLIN)
        self.log_path = os.path.join(self.dir, "hellod.log")
        for attempt in range(3):
            self.server = (conf.host, free_port(conf.host))
            self.write_files(conf, "rename", False)
            env = dict(os.environ, NOTIFY_SOCKET=self.notify_path, TZ="UTC", LC_ALL="C")
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    self.wrapper + [self.hellod, "-c", os.path.join(self.dir, "hellod.conf")],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
            deadline = time.monotonic() + 20 * self.scale
            while time.monotonic() < deadline and self.ready == 0 and self.proc.poll() is None:
                self.poll(0.05)
            if self.ready:
                return True
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            if not any("Address already in use" in x for x in self.log()):
                break
        self.errors.append("hellod did not start (status %s): %s" %
                           (self.proc.returncode, "\n".join(self.log()[-20:])))
        return False

    def on_notify(self):
        while True:
            try:
                msg = self.notify.recv(4096).decode(errors="replace")
            except BlockingIOError:
                return
            self.ready += msg.split("\n").count("READY=1")

    def signal(self, sig):
        if self.alive():
            try:
                os.kill(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    # ---- control events: each runs while the clients go on ----

    def reload(self, now, conf, how):
        """One reload: the files written, SIGHUP (or a storm of them), then the wait, in the
        loop, for hellod to say that every worker took it: READY=1, or after a storm the line
        of a SIGUSR1 sent behind it (signals are taken lowest number first). The next control
        event waits for it."""
        storm = how["hups"] > 1
        self.write_files(conf, how["write"], how["fresh"] and not storm)
        t_hup = time.monotonic()
        if not conf.broken:
            self.windows.append(Window(conf, t_hup))
        self.on_notify()
        self.log()
        ready, lines = self.ready, len(self.counter_lines)
        for _ in range(how["hups"]):
            self.signal(signal.SIGHUP)
        if storm:
            self.signal(signal.SIGUSR1)
        deadline = t_hup + 10 * self.scale

        def done(now):
            self.log()
            if not (len(self.counter_lines) > lines if storm else self.ready > ready):
                if now > deadline:
                    self.errors.append("a reload: hellod did not answer within %g s" %
                                       (10 * self.scale))
                    return True
                return False
            # Every READY=1 of a storm was sent before SIGUSR1's line was written: taken now,
            # so that none is mistaken for the next reload's.
            self.on_notify()
            if not conf.broken and len(self.windows) > 1:
                self.windows[-2].end = now
            self.reloads.append((conf, how, t_hup, now))
            return True
        return done

    def pause(self, now, seconds):
        """SIGSTOP, and SIGCONT after seconds: the clients keep coming meanwhile."""
        self.signal(signal.SIGSTOP)
        self.paused_since = now
        until = now + seconds

        def done(t):
            if t < until:
                return False
            self.signal(signal.SIGCONT)
            self.pauses.append((self.paused_since, time.monotonic()))
            self.paused_since = None
            return True
        return done

    def control(self, now, event):
        """Starts a control event; returns what says when it is over, or None."""
        _, kind, data = event
        if kind == "reload":
            return self.reload(now, *data)
        if kind == "pause":
            return self.pause(now, data)
        if kind == "usr1":
            self.signal(signal.SIGUSR1)
        elif kind == "quiet":
            self.quiet_until, self.quiet_gap = now + data[0], data[1]
            self.quiet_next = now
        return None

    # ---- clients ----

    def tcp_done(self, c):
        if c in self.open_tcp:
            self.open_tcp.discard(c)
            self.open[c.spec.kind()] -= 1

    def udp_done(self, c):
        if c in self.late:
            self.late.discard(c)
        elif c in self.open_udp:
            self.open_udp.discard(c)
            self.open["udp"] -= 1

    def udp_size(self, spec, sport):
        """A UDP client's request size: fixed, or the line it expects (and one more)."""
        if isinstance(spec.size, int):
            return spec.size
        conf = self.windows[-1].conf
        wall = time.time()
        n = max(len(x) for x in render(conf, (spec.src, sport), "UDP", self.server,
                                         (wall, wall)))
        return n + (1 if spec.size == "line+1" else 0)

    def start_client(self, spec, now):
        c = (Tcp if spec.proto == "tcp" else Udp)(self, spec)
        (self.tcp if spec.proto == "tcp" else self.udp).append(c)
        (self.open_tcp if spec.proto == "tcp" else self.open_udp).add(c)
        self.open[spec.kind()] += 1
        try:
            c.start(now)
        except OSError as e:
            self.engine_error("client %d from %s: %s" % (spec.n, spec.src, e))
            (self.tcp if spec.proto == "tcp" else self.udp).pop()
            if c.sock is not None:
                c.sock.close()
            self.fds.pop(c.fd, None)
            if c in self.open_tcp or c in self.open_udp:
                self.open_tcp.discard(c)
                self.open_udp.discard(c)
                self.open[spec.kind()] -= 1

    def start_clients(self, now, streams, most=CLIENTS_MAX):
        """Starts clients of each kind while its cap allows (at most most of each)."""
        caps = {"tcp": self.plan.tcp_cap, "slow": self.plan.slow_cap, "udp": self.plan.udp_cap}
        for kind, stream in list(streams.items()):
            for _ in range(most):
                if self.open[kind] >= caps[kind] or self.started >= CLIENTS_MAX:
                    break
                spec = next(stream, None)
                if spec is None:
                    del streams[kind]
                    break
                self.started += 1
                spec.n = self.started
                self.start_client(spec, now)

    def sweep(self, now):
        """Deadlines: a TCP client that waited past its patience (pauses not counted) times
        out; a UDP client past its own leaves its slot, its socket still listening."""
        paused = self.paused_total(now)
        for c in [c for c in self.open_tcp if now > c.deadline + paused - c.paused_at_start]:
            c.expire(now)
        for c in [c for c in self.open_udp if now > c.soft + paused - c.paused_at_start]:
            self.open_udp.discard(c)
            self.open["udp"] -= 1
            self.late.add(c)
        while len(self.late) > 1024:
            oldest = min(self.late, key=lambda c: c.t0)
            oldest.close(now, NONE)

    # ---- the loop ----

    def poll(self, timeout):
        """One turn: socket events, then due timers."""
        if self.timers:
            timeout = min(timeout, max(0.0, self.timers[0][0] - time.monotonic()))
        try:
            events = self.ep.poll(timeout)
        except InterruptedError:
            events = []
        now = time.monotonic()
        for fd, ev in events:
            if fd == self.notify.fileno():
                self.on_notify()
                continue
            c = self.fds.get(fd)
            if c is not None:
                c.on_event(ev, now)
        while self.timers and self.timers[0][0] <= now:
            _, _, callback = heapq.heappop(self.timers)
            callback(time.monotonic())
        return time.monotonic()

    def play(self):
        """The scenario: clients as fast as their caps let them start, control events at
        their times, until the plan's duration passed and every client is done."""
        plan = self.plan
        t0 = time.monotonic()
        self.t_start, self.wall_offset = t0, time.time() - t0
        self.windows.append(Window(plan.conf, float("-inf")))
        events = [(t0 + t, kind, data) for t, kind, data in plan.events]
        streams = {kind: plan.clients(kind) for kind in ("tcp", "slow", "udp")}
        trickle, trickle_next = plan.trickle(), t0
        busy = None
        t_end = t0 + plan.duration
        hard_end = t_end + 30 * self.scale + 10
        next_sweep = t0
        now = t0
        while self.alive():
            if busy is not None and busy(now):
                busy = None
            while busy is None and events and events[0][0] <= now:
                busy = self.control(now, events.pop(0))
            if now < t_end and now >= self.quiet_until and plan.rate is None:
                self.start_clients(now, streams)
            elif now < t_end and now >= self.quiet_until and now >= trickle_next:
                kind = next(trickle)
                if kind in streams:
                    self.start_clients(now, {kind: streams[kind]}, 1)
                trickle_next = max(trickle_next + 1.0 / plan.rate, now)
            elif now < t_end and self.quiet_gap is not None and now >= self.quiet_next:
                # A quiet spell: one client now and then, TCP and UDP in turn.
                kinds = [k for k in ("tcp", "udp") if k in streams]
                if kinds:
                    kind = kinds[int(now / self.quiet_gap) % len(kinds)]
                    self.start_clients(now, {kind: streams[kind]}, 1)
                self.quiet_next = now + self.quiet_gap
            if now >= next_sweep:
                self.sweep(now)
                self.sample()
                next_sweep = now + FD_SAMPLE
            if now >= t_end and not events and busy is None and not self.open_tcp \
                    and not self.open_udp:
                break
            if now > hard_end:
                self.errors.append("the scenario did not end within %g s of its plan" %
                                   (hard_end - t_end))
                for c in list(self.open_tcp):
                    c.expire(now)
                break
            now = self.poll(0.005 if busy is not None or now < self.quiet_until or plan.rate
                            else 0.05)
        self.t_play_end = time.monotonic()

    def settle(self):
        """After the play: late UDP replies, then hellod's fds back to where they started."""
        until = time.monotonic() + 0.3 * self.scale
        while self.late and time.monotonic() < until and self.alive():
            self.poll(0.02)
        now = time.monotonic()
        for c in list(self.late):
            c.close(now, NONE)
        linger = max(w.conf.linger for w in self.windows)
        until = time.monotonic() + linger + 2 * self.scale
        while self.alive() and time.monotonic() < until:
            n, _ = self.sample()
            if n is not None and n <= self.fd_base:
                break
            self.poll(0.05)
        self.fd_end, self.rss_end = self.sample()

    def read_counters(self):
        """The counters SIGUSR1 logs, as a dict: greetings and refusals by reason."""
        self.log()
        before = len(self.counter_lines)
        self.signal(signal.SIGUSR1)
        until = time.monotonic() + 10 * self.scale
        while self.alive() and time.monotonic() < until:
            self.log()
            if len(self.counter_lines) > before:
                return parse_counters(self.counter_lines[-1])
            time.sleep(0.02)
        self.errors.append("counters: no line within %g s of SIGUSR1; hellod's state: %s; its "
                           "log ends: %s" % (10 * self.scale, self.state(),
                                             " | ".join(self.log()[-3:])))
        return None

    def state(self):
        """hellod's process state and where it waits, from /proc, for a report."""
        try:
            with open("/proc/%d/stat" % self.proc.pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            with open("/proc/%d/wchan" % self.proc.pid) as f:
                return "%s in %s" % (state, f.read() or "-")
        except OSError as e:
            return str(e)

    def stop(self):
        """SIGTERM: hellod must exit 0, once its last clients are gone."""
        self.signal(signal.SIGTERM)
        try:
            self.exit_status = self.proc.wait(timeout=15 * self.scale)
        except subprocess.TimeoutExpired:
            self.errors.append("hellod did not exit within %g s of SIGTERM" % (15 * self.scale))
            self.proc.kill()
            self.exit_status = self.proc.wait()

    def execute(self):
        """The whole run; True when hellod started."""
        t = [time.monotonic()]
        if not self.start_hellod():
            return False
        t.append(time.monotonic())
        self.fd_base, self.rss_base = self.sample()
        self.fd_max, self.rss_max = self.fd_base, self.rss_base
        self.play()
        t.append(time.monotonic())
        if self.alive():
            self.settle()
        t.append(time.monotonic())
        if self.alive():
            self.counters = self.read_counters()
        if self.alive():
            self.stop()
        else:
            self.proc.wait()
        t.append(time.monotonic())
        self.phases = [b - a for a, b in zip(t, t[1:])]
        self.ep.close()
        self.notify.close()
        return True


def parse_counters(line):
    """SIGUSR1's line: 'Serving ...; greetings: 3 TCP, 1 UDP; TCP refused: 2 over
    tcp_rate, ...' as {'tcp': 3, 'udp': 1, 'tcp_rate': 2, ...}, every reason present."""
    m = re.search(r"greetings: (\d+) TCP, (\d+) UDP", line)
    out = {r: 0 for r in REASONS}
    out["tcp"], out["udp"] = int(m.group(1)), int(m.group(2))
    rest = line[m.end():]
    for reason, words in REASON_WORDS:
        found = re.search(r"(\d+) " + re.escape(words) + r"(?![_a-z])", rest)
        if found:
            out[reason] = int(found.group(1))
    return out
