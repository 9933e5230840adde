# SPDX-License-Identifier: BSD-2-Clause
# The bench's counts (issue 28): system calls and user-space instructions per greeting, which
# repeat from run to run where CPU times do not. Used by bench.py.
"""For each server and load, over N and then 2N greetings (loadgen -n), counted for the
server's processes and threads only:

  syscalls/greeting   perf stat -e raw_syscalls:sys_enter -p PIDS, attached to the running
                      server (native speed), counting from its ack of "enable" to that of
                      "disable" (--control): counted in the kernel, exact per window.
  instr/greeting      user-space instructions (Ir) of valgrind --tool=callgrind, from a second
                      start of the server under it: dumped (callgrind_control -d, which zeroes
                      the counters) right before and right after each window.

Each figure is (count over 2N - count over N) / N: whatever a window costs once (a timer
that goes off while it is open, the last FINs) cancels out. Per-connection calls repeat
exactly; calls once per wakeup (epoll_wait, the accept4 that returns EAGAIN) depend on how
many clients wait per wakeup, which is a matter of timing at c=16 (a few %), hardly at c=1 or
UDP with 1 in flight. Callgrind slows the server, not the load generator: at c=16 more
clients wait per wakeup under it than natively, so its figure there leans low on per-wakeup
work; at c=1 and UDP 1 in flight it is the native path."""

import glob
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time

# (key, title, loadgen arguments, TCP): the loads counted.
LOADS = [
    ("tcp1", "TCP c=1", ["-c", "1"], True),
    ("tcp16", "TCP c=16", ["-c", "16"], True),
    ("udp1", "UDP 1 in flight", ["-u", "-w", "1"], False),
]
PERF_ACK_TIMEOUT = 10.0  # seconds for perf stat to answer enable or disable
SETTLE_S = 0.2          # after a load, before its window closes: the last FINs are handled
CG_START_TIMEOUT = 30.0  # seconds for a server under callgrind to greet
CG_DUMP_TIMEOUT = 10.0   # seconds for a dump to appear
# Servers not counted, and why: children forked per connection escape perf -p and callgrind,
# and an interpreter's instructions are not the server's.
NOT_COUNTED = {"fork": "forks per connection", "fork-exec": "forks per connection"}
NO_CALLGRIND = {"tutorial": "an interpreter"}


def tools():
    """(perf, valgrind, callgrind_control) paths, None where missing."""
    return shutil.which("perf"), shutil.which("valgrind"), shutil.which("callgrind_control")


def run_load(ctx, srv, args, n):
    """One bounded loadgen run; True when every greeting came."""
    argv = [ctx.loadgen, "-H", "127.0.0.1", "-p", str(srv.port), "-n", str(n), "-d", "120",
            "-t", "5000", "-e", srv.expect[0]] + (["-m"] if srv.expect[1] else []) \
        + args + srv.client_args
    p = subprocess.run(argv, capture_output=True, text=True, timeout=180, check=False)
    m = re.search(r'"ok":(\d+)', p.stdout)
    return m is not None and int(m.group(1)) == n


def perf_command(ctl, ack, word):
    """Sends perf stat a control word and waits for its ack; False if none came."""
    os.write(ctl, word.encode() + b"\n")
    ready, _, _ = select.select([ack], [], [], PERF_ACK_TIMEOUT)
    return bool(ready) and os.read(ack, 64).startswith(b"ack")


def perf_window(perf, pids, run):
    """raw_syscalls:sys_enter of pids (all their threads) while run() runs, or None. perf
    starts with its counters off (--delay=-1) and is told to count through a FIFO, the load
    starting only once it said so: the window is exactly the load's, however slow perf is
    to attach on a busy machine."""
    tmp = tempfile.mkdtemp(prefix="hellod-bench-perf.")
    out, ctl_path, ack_path = (os.path.join(tmp, f) for f in ("out", "ctl", "ack"))
    os.mkfifo(ctl_path)
    os.mkfifo(ack_path)
    # O_RDWR: neither open waits for perf's.
    ctl = os.open(ctl_path, os.O_RDWR)
    ack = os.open(ack_path, os.O_RDWR)
    p = subprocess.Popen([perf, "stat", "-x", ",", "-o", out, "--delay=-1",
                          f"--control=fifo:{ctl_path},{ack_path}",
                          "-e", "raw_syscalls:sys_enter", "-p", ",".join(map(str, pids))],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    ok = False
    try:
        if perf_command(ctl, ack, "enable"):
            ok = run()
            time.sleep(SETTLE_S)
            ok = perf_command(ctl, ack, "disable") and ok
    finally:
        p.send_signal(signal.SIGINT)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        os.close(ctl)
        os.close(ack)
    try:
        with open(out, encoding="ascii") as f:
            text = f.read()
    except OSError:
        text = ""
    shutil.rmtree(tmp, ignore_errors=True)
    m = re.search(r"^(\d+),,raw_syscalls:sys_enter", text, re.M)
    return int(m.group(1)) if ok and m else None


def per_greeting(window, n):
    """(window(2N) - window(N)) / N, or None."""
    a = window(n)
    b = window(2 * n) if a is not None else None
    return None if b is None else (b - a) / n


def syscalls(ctx, srv, perf, pids, n):
    """{load key: syscalls per greeting} of a running server."""
    res = {}
    for key, _, args, tcp in LOADS:
        if not tcp and not srv.udp:
            continue
        res[key] = per_greeting(lambda k, a=args: perf_window(
            perf, pids, lambda: run_load(ctx, srv, a, k)), n)
    return res


class Callgrind:
    """A second start of one server under callgrind, its dumps in a directory of its own."""

    def __init__(self, ctx, srv, valgrind, control):
        self.ctx, self.srv, self.control = ctx, srv, control
        self.dir = os.path.join(srv.dir, "callgrind")
        os.makedirs(self.dir, exist_ok=True)
        srv.wrapper = [valgrind, "--tool=callgrind", "--trace-children=yes",
                       f"--callgrind-out-file={self.dir}/cg.%p"]
        srv.start_timeout = CG_START_TIMEOUT

    def pids(self):
        return self.ctx.tree(self.srv.proc.pid)

    def dump(self):
        """Dumps every process of the server, which zeroes its counters, and waits for the
        files; returns the sum of their Ir since the last dump. A dump is waited for where
        callgrind_control -z is not, so a window opens with one."""
        before = set(glob.glob(os.path.join(self.dir, "cg.*")))
        pids = self.pids()
        for pid in pids:
            subprocess.run([self.control, "-d", str(pid)],
                           capture_output=True, check=False, timeout=30)
        total, deadline = 0, time.monotonic() + CG_DUMP_TIMEOUT
        new = []
        while time.monotonic() < deadline:
            new = sorted(set(glob.glob(os.path.join(self.dir, "cg.*"))) - before)
            if len(new) >= len(pids):
                break
            time.sleep(0.1)
        time.sleep(0.1)     # a dump being written
        for path in new:
            with open(path, encoding="ascii", errors="replace") as f:
                for line in f:
                    if line.startswith(("totals:", "summary:")):
                        total += int(line.split()[1])
                        break
        return total

    def window(self, args, n):
        self.dump()
        ok = run_load(self.ctx, self.srv, args, n)
        time.sleep(SETTLE_S)
        ir = self.dump()
        return ir if ok else None

    def measure(self, n):
        res = {}
        for key, _, args, tcp in LOADS:
            if not tcp and not self.srv.udp:
                continue
            res[key] = per_greeting(lambda k, a=args: self.window(a, k), n)
        return res


def count_all(ctx, servers, make_server, n, log):
    """{server key: {"syscalls": {load: x}, "instr": {load: x}, "why": text}} for every server
    that serves: perf on the running one, then callgrind on a second start of it."""
    perf, valgrind, control = tools()
    out = {}
    for srv in servers:
        if not srv.alive():
            continue
        row = out[srv.key] = {"syscalls": {}, "instr": {}, "why": None}
        if srv.key in NOT_COUNTED:
            row["why"] = NOT_COUNTED[srv.key]
            continue
        if perf:
            row["syscalls"] = syscalls(ctx, srv, perf, ctx.tree(srv.proc.pid), n)
        if srv.key in NO_CALLGRIND or not (valgrind and control):
            row["why"] = NO_CALLGRIND.get(srv.key, "valgrind is not installed")
        else:
            cg_srv = make_server(srv)
            cg = Callgrind(ctx, cg_srv, valgrind, control)
            cg_srv.start()
            try:
                if cg_srv.status == "ok":
                    row["instr"] = cg.measure(n)
                else:
                    row["why"] = f"under callgrind: {cg_srv.status}"
            finally:
                cg_srv.stop()
        log(f"counts {srv.key:16} " + "  ".join(
            f"{k}: {fmt(row['syscalls'].get(k), 2)} sc, {fmt(row['instr'].get(k), 0)} Ir"
            for k, _, _, _ in LOADS))
    return out


def fmt(v, digits):
    return "-" if v is None else f"{v:,.{digits}f}"


def table(servers, counts, n):
    """The Markdown table of the counts, each also as a ratio to the limit server's."""
    lim = counts.get("limit", {"syscalls": {}, "instr": {}})
    head = ["server"] + [f"{t} {w}" for _, t, _, _ in LOADS for w in ("syscalls", "instr")]
    lines = [f"System calls (perf, exact) and user-space instructions (callgrind) per "
             f"greeting, each (count over {2 * n} greetings - count over {n}) / {n}; in "
             "brackets the ratio to the limit server's. Read it in tests/bench/README.md, "
             "\"Counts per greeting\".", "", "| " + " | ".join(head) + " |",
             "|---" * len(head) + "|"]
    for srv in servers:
        row = counts.get(srv.key)
        if row is None:
            continue
        cells = []
        for key, _, _, _ in LOADS:
            for what, digits in (("syscalls", 2), ("instr", 0)):
                v, base = row[what].get(key), lim[what].get(key)
                if v is None:
                    # Why instructions are not counted; a load that failed is a "-".
                    cells.append(row["why"] if what == "instr" and row["why"] else "-")
                    continue
                cell = fmt(v, digits)
                if base:
                    cell += f" ({v / base:.2f})"
                cells.append(cell)
        lines.append(f"| {srv.key} | " + " | ".join(cells) + " |")
    return lines
