#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""The fault sweep (issue 24, section 2): hellod and hellod-check run under tests/fault/fault.c,
an LD_PRELOAD shim that fails one chosen call, each call site in turn.

A baseline run of each program records every call site of the shim's functions (allocation,
accept4, send*, recv*, epoll_ctl, timerfd_settime, open/read/fstat, connect, socket) with the
number of its first call. Then, for each site and each realistic error of its function, one
trial fails that call once (a few trials fail a kind of call for a while instead), with the same
workload as the baseline, and checks what a user would see:

hellod: it never dies of a signal; a fault at start ends it with 71 or 78 and a line saying
why on stderr; no client ever receives anything but its own whole line (or nothing: a refusal);
it logs no flood (at most LOG_SLACK lines more than the baseline); once the fault has passed it
greets TCP and UDP clients normally, and SIGTERM ends it with 0.

hellod-check: it exits 0-3 with one status line, 'HELLOD ...' (the plugin API): UNKNOWN or
CRITICAL when the fault stopped the check, OK only when the greeting was read whole.

Prints '# ' lines, then 'fault sweep: ...'; exits 1 when a trial failed, each failure with the
command that replays it."""

import argparse
import concurrent.futures
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HOST = "127.0.0.1"
GREETING = "Hello $remote_addr"
PROXY = "127.0.0.2"     # the trusted proxy of the trials' config
LOG_SLACK = 10          # log lines a single fault may add over the baseline's
START_TIMEOUT = 5.0     # seconds for hellod to say it started, or to exit
CLIENT_TIMEOUT = 2.0    # seconds a client waits for its greeting (a refusal may not come fast)
START_EXIT = (71, 78)   # hellod(8): an OS error, a config error

ERRNOS = {
    "malloc": ["ENOMEM"], "calloc": ["ENOMEM"], "realloc": ["ENOMEM"],
    "accept4": ["EMFILE", "ENFILE", "ENOBUFS", "ECONNABORTED"],
    "send": ["EAGAIN", "ENOBUFS", "EPIPE"], "sendto": ["EAGAIN", "ENOBUFS", "EPIPE"],
    "sendmsg": ["EAGAIN", "ENOBUFS", "EPIPE"], "sendmmsg": ["EAGAIN", "ENOBUFS", "EPIPE"],
    "recv": ["EAGAIN", "ECONNRESET", "ENOMEM"], "recvfrom": ["EAGAIN", "ECONNRESET", "ENOMEM"],
    "recvmsg": ["EAGAIN", "ENOMEM"], "recvmmsg": ["EAGAIN", "ENOMEM"],
    "epoll_ctl": ["ENOMEM", "ENOSPC"], "timerfd_settime": ["EINVAL"],
    "open": ["EACCES", "EMFILE"], "openat": ["EACCES", "EMFILE"], "read": ["EIO", "EINTR"],
    "fstat": ["ENOMEM"], "connect": ["ECONNREFUSED", "ETIMEDOUT"], "socket": ["EMFILE", "ENOBUFS"],
}
# Faults that last: a kind of call failing for a while, then no more.
LASTING = [("accept4", "EMFILE", 50), ("accept4", "ENOBUFS", 50), ("malloc", "ENOMEM", 30),
           ("sendmmsg", "EAGAIN", 20), ("recvmmsg", "ENOMEM", 20), ("epoll_ctl", "ENOMEM", 10),
           ("send", "EAGAIN", 20)]
SKIP_OBJECTS = ("ld-linux", "fault.so")


class Trial:
    """One run of hellod under a fault (None: the baseline, which records the sites)."""

    def __init__(self, args, fault, sites_file=None):
        self.args, self.fault, self.sites_file = args, fault, sites_file
        self.problems, self.stderr_lines, self.faulted = [], 0, ""

    def env(self, tmp):
        env = dict(os.environ)
        env["LD_PRELOAD"] = self.args.shim
        env["HELLOD_FAULT_LOG"] = os.path.join(tmp, "faulted")
        env["HELLOD_FAULT_DISARM"] = os.path.join(tmp, "disarm")
        env["NOTIFY_SOCKET"] = os.path.join(tmp, "notify")
        if self.fault:
            env["HELLOD_FAULT"] = self.fault
        if self.sites_file:
            env["HELLOD_FAULT_SITES"] = self.sites_file
        if "ASAN_OPTIONS" in env:
            env["ASAN_OPTIONS"] += ":verify_asan_link_order=0"
        return env

    def bad(self, what):
        self.problems.append(what)

    def run(self):
        tmp = tempfile.mkdtemp(prefix="hellod-fault.")
        try:
            self._run(tmp)
        finally:
            try:
                with open(os.path.join(tmp, "faulted")) as f:
                    self.faulted = f.read().strip().replace("\n", "; ")
            except OSError:
                pass
            shutil.rmtree(tmp, ignore_errors=True)
        return self

    def _run(self, tmp):
        notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        notify.bind(os.path.join(tmp, "notify"))
        notify.settimeout(0.2)
        stop = threading.Event()
        reader = threading.Thread(target=drain_notify, args=(notify, stop), daemon=True)
        reader.start()
        port = free_port()
        self.mport = free_port()
        conf = os.path.join(tmp, "hellod.conf")
        with open(conf, "w") as f:
            f.write(f"[server]\nhost = {HOST}\nport = {port}\nudp = yes\n"
                    f"greeting = {GREETING}\nproxy_protocol = yes\n"
                    f"trusted_proxies = {PROXY}\n[limits]\nlinger_timeout = 1\n"
                    f"[metrics]\nlisten = {HOST}:{self.mport}\n")
        old = time.time() - 60
        os.utime(conf, (old, old))
        err_path = os.path.join(tmp, "stderr")
        err = open(err_path, "w")
        proc = subprocess.Popen([self.args.hellod, "-c", conf], stdin=subprocess.DEVNULL,
                                stdout=err, stderr=err, env=self.env(tmp))
        try:
            self._drive(proc, port, err_path)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            err.close()
            stop.set()
            reader.join()
            notify.close()
            with open(err_path, errors="replace") as f:
                text = f.read()
            self.stderr_lines = text.count("\n")
            self.stderr_tail = text.splitlines()[-3:]

    def _drive(self, proc, port, err_path):
        tmp = os.path.dirname(err_path)
        if not wait_for(lambda: proc.poll() is not None or "Started" in read(err_path),
                        START_TIMEOUT):
            self.bad("neither started nor exited within 5 s")
            return
        if proc.poll() is not None:
            status = proc.returncode
            if status not in START_EXIT:
                self.bad(f"a fault at start ended it with {status}, not 71 or 78")
            elif not any(line.startswith("hellod: ") for line in read(err_path).splitlines()):
                self.bad("a fault at start ended it with no line saying why")
            return
        line = f"Hello {HOST}\n".encode()
        # The workload, the same as the baseline's: any of it may meet the fault.
        for _ in range(3):
            self.tcp(port, line, must=False)
        for _ in range(2):
            self.udp(port, line, must=False)
        self.scrape(must=False)
        self.tcp(port, line, must=False, send=b"GET / HTTP/1.0\r\n\r\n")
        self.tcp(port, b"Hello 192.0.2.9\n", must=False, source=PROXY,
                 send=b"PROXY TCP4 192.0.2.9 127.0.0.1 4000 80\r\n")
        proc.send_signal(signal.SIGUSR1)
        reloads = read(err_path).count("Reload")
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: read(err_path).count("Reload") > reloads + 1 or proc.poll() is not None,
                 2.0)
        for _ in range(2):
            self.tcp(port, line, must=False)
        if proc.poll() is not None:
            self.bad(f"died while serving: status {proc.returncode}")
            return
        # The fault has passed, or never comes now: service as normal. Which call a fault's
        # number lands on varies with timing (a connection that lingers makes more calls than
        # one that closes at once), so a fault not yet met is disarmed rather than left to
        # land on a client that must be served.
        open(os.path.join(tmp, "disarm"), "w").close()
        time.sleep(0.05)
        for _ in range(3):
            self.tcp(port, line, must=True)
        self.tcp(port, b"Hello 192.0.2.9\n", must=True, source=PROXY,
                 send=b"PROXY TCP4 192.0.2.9 127.0.0.1 4000 80\r\n")
        self.udp(port, line, must=True)
        self.scrape(must=True)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=8)
        except subprocess.TimeoutExpired:
            self.bad("SIGTERM did not end it within 8 s")
            return
        if proc.returncode != 0:
            self.bad(f"SIGTERM ended it with {proc.returncode}, not 0")

    def scrape(self, must):
        """GET /metrics: under a fault nothing, or a whole answer; after it, a 200 with the
        greetings counter."""
        got = exchange(self.mport, b"GET /metrics HTTP/1.0\r\n\r\n")
        whole = got.startswith(b"HTTP/1.1 200 OK\r\n") and b"hellod_greetings_total" in got
        if got and not whole and not got.startswith(b"HTTP/1.1 5"):
            self.bad(f"a scrape got {got[:80]!r}, neither the metrics nor an error status")
        elif must and not whole:
            self.bad(f"once the fault passed, a scrape got {got[:80]!r}, not the metrics")

    def tcp(self, port, line, must, send=b"", source=None):
        got = exchange(port, send, source)
        if got and got != line:
            self.bad(f"a TCP client got {got!r}, not its line {line!r}")
        elif must and got != line:
            self.bad(f"once the fault passed, a TCP client got {got!r}, not {line!r}")

    def udp(self, port, line, must):
        got = b""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.5 if not must else CLIENT_TIMEOUT)
            try:
                s.sendto(b"x" * 64, (HOST, port))
                got = s.recv(4096)
            except OSError:
                pass
        if got and got != line:
            self.bad(f"a UDP client got {got!r}, not its line {line!r}")
        elif must and got != line:
            self.bad(f"once the fault passed, a UDP client got {got!r}, not {line!r}")


def exchange(port, send=b"", source=None):
    """A TCP client of HOST:port from source: sends send, then reads until the end; what it
    got before the end, a reset or the timeout."""
    got = b""
    try:
        with socket.create_connection((HOST, port), timeout=CLIENT_TIMEOUT,
                                      source_address=(source, 0) if source else None) as s:
            if send:
                s.sendall(send)
            while True:
                b = s.recv(65536)
                if not b:
                    break
                got += b
    except OSError:
        pass
    return got


def check_trial(args, fault, port, sites_file=None):
    """hellod-check under a fault, against a healthy hellod on port."""
    env = dict(os.environ)
    env["LD_PRELOAD"] = args.shim
    if fault:
        env["HELLOD_FAULT"] = fault
    if sites_file:
        env["HELLOD_FAULT_SITES"] = sites_file
    if "ASAN_OPTIONS" in env:
        env["ASAN_OPTIONS"] += ":verify_asan_link_order=0"
    problems = []
    p = subprocess.run([args.check, "-H", HOST, "-p", str(port), "-e", f"Hello {HOST}", "-t",
                        "5"], capture_output=True, env=env, timeout=20)
    out = p.stdout.decode(errors="replace").splitlines()
    if p.returncode not in (0, 1, 2, 3):
        problems.append(f"exit {p.returncode}, not a plugin status 0-3")
    elif len(out) != 1 or not out[0].startswith("HELLOD "):
        problems.append(f"not one status line: {out!r}")
    elif p.returncode == 0 and not out[0].startswith("HELLOD OK"):
        problems.append(f"exit 0 with {out[0]!r}")
    return problems, (out[0] if out else "")


def drain_notify(sock, stop):
    while not stop.is_set():
        try:
            sock.recv(4096)
        except OSError:
            pass


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def wait_for(cond, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.005)
    return cond()


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return free_port()
    return port


def sites_of(path):
    """{(func, site): first call number} from a baseline's record."""
    sites = {}
    for line in read(path).splitlines():
        func, n, site = line.split(" ", 2)
        if func in ERRNOS and not any(o in site for o in SKIP_OBJECTS):
            sites.setdefault((func, site), int(n))
    return sites


def plan(sites, full, program):
    """The trials: each site once with its function's first error (every error in full mode,
    and in any mode for accept4 and the send calls, whose errors differ in kind); the program's
    own sites first, then the libraries'."""
    def rank(item):
        (func, site), n = item
        return (0 if site.startswith(program) else 1, func, n)
    out = []
    for (func, site), n in sorted(sites.items(), key=rank):
        errs = ERRNOS[func] if full or func in ("accept4", "send", "sendmmsg") else ERRNOS[func][:1]
        out += [(f"{func}:{n}:{e}", site) for e in errs]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", required=True, help="the build directory (hellod, tests/)")
    ap.add_argument("--budget", type=float, default=0, help="seconds at most (0: no bound)")
    ap.add_argument("--full", action="store_true", help="every error at every site")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--replay", help="PROGRAM:FAULT, as a failure prints it")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    args.hellod = os.path.join(build, "hellod")
    args.check = os.path.join(build, "hellod-check")
    args.shim = os.path.join(build, "tests", "fault.so")
    me = f"{sys.argv[0]} --build {args.build}"
    t0 = time.monotonic()
    failures = []

    def over():
        return args.budget and time.monotonic() - t0 > args.budget

    if args.replay:
        program, fault = args.replay.split(":", 1)
        if program == "hellod":
            t = Trial(args, fault).run()
            print(f"# faulted: {t.faulted or 'nothing'}; problems: {t.problems or 'none'}")
            sys.exit(1 if t.problems else 0)
        sys.exit(replay_check(args, fault))

    tmp = tempfile.mkdtemp(prefix="hellod-sweep.")
    try:
        base_file = os.path.join(tmp, "hellod.sites")
        base = Trial(args, None, base_file).run()
        if base.problems:
            print(f"# the baseline itself failed: {base.problems}; {base.stderr_tail}")
            print("fault sweep: the baseline failed")
            sys.exit(1)
        limit = base.stderr_lines + LOG_SLACK
        trials = plan(sites_of(base_file), args.full, "hellod")
        trials += [(f"{f}:{n}:{e}:{k}", "a while")
                   for f, e, k in LASTING
                   for (func, _), n in sorted(sites_of(base_file).items(), key=lambda i: i[1])[:1]
                   if func == f]
        hellod_sites = len(sites_of(base_file))
        done = landed = 0
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            pending = {}
            it = iter(trials)
            while True:
                while len(pending) < args.jobs and not over():
                    nxt = next(it, None)
                    if nxt is None:
                        break
                    pending[pool.submit(Trial(args, nxt[0]).run)] = nxt
                if not pending:
                    break
                fut = next(concurrent.futures.as_completed(pending))
                fault, site = pending.pop(fut)
                t = fut.result()
                done += 1
                landed += bool(t.faulted)
                problems = list(t.problems)
                if t.stderr_lines > limit:
                    problems.append(f"{t.stderr_lines} log lines, the baseline {base.stderr_lines}:"
                                    f" a flood? last: {t.stderr_tail}")
                if problems:
                    failures.append(f"hellod {fault} at {site} (faulted: {t.faulted}): "
                                    f"{'; '.join(problems)}; replay: {me} --replay hellod:{fault}")
        skipped = len(trials) - done

        # hellod-check, against a healthy hellod.
        port = free_port()
        conf = os.path.join(tmp, "check.conf")
        with open(conf, "w") as f:
            f.write(f"[server]\nhost = {HOST}\nport = {port}\ngreeting = {GREETING}\n")
        server = subprocess.Popen([args.hellod, "-c", conf], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        check_done = check_sites = 0
        try:
            wait_for(lambda: can_connect(port), START_TIMEOUT)
            cfile = os.path.join(tmp, "check.sites")
            problems, line = check_trial(args, None, port, cfile)
            if problems or not line.startswith("HELLOD OK"):
                failures.append(f"hellod-check's baseline: {problems} {line!r}")
            ctrials = plan(sites_of(cfile), args.full, "hellod-check")
            check_sites = len(sites_of(cfile))
            for fault, site in ctrials:
                if over():
                    break
                problems, line = check_trial(args, fault, port)
                check_done += 1
                if problems:
                    failures.append(f"hellod-check {fault} at {site}: {'; '.join(problems)}; "
                                    f"replay: {me} --replay hellod-check:{fault}")
            skipped += len(ctrials) - check_done
        finally:
            server.terminate()
            server.wait()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print(f"# FAILED {f}")
    print(f"fault sweep: {hellod_sites} hellod call sites and {check_sites} hellod-check's, "
          f"{done + check_done} faults tried ({landed} of hellod's {done} met before the"
          f" disarm) in {time.monotonic() - t0:.0f} s"
          + (f" ({skipped} left for want of time)" if skipped else "")
          + f", {len(failures)} failures")
    sys.exit(1 if failures else 0)


def replay_check(args, fault):
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        conf = os.path.join(tmp, "c.conf")
        with open(conf, "w") as f:
            f.write(f"[server]\nhost = {HOST}\nport = {port}\ngreeting = {GREETING}\n")
        server = subprocess.Popen([args.hellod, "-c", conf], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: can_connect(port), START_TIMEOUT)
            problems, line = check_trial(args, fault, port)
        finally:
            server.terminate()
            server.wait()
    print(f"# {line!r}; problems: {problems or 'none'}")
    return 1 if problems else 0


def can_connect(port):
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


if __name__ == "__main__":
    main()
