#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
# The benchmark of issue 6: CPU per greeting of hellod and other greeting servers, as a ratio to
# a minimal "limit" server measured in the same round, plus latency, memory and start-up time.
"""Runs every server once on its own loopback port, then for each round, scenario and server
(in an order that rotates per round) one bounded load from loadgen, measuring the server's CPU
time (its whole process tree: threads, live children, reaped children), its memory and the
listen queue drops. Prints Markdown tables and writes results.md and results.json.

As root it runs in a private network namespace (unshare -n) so that the kernel's SYN drop
counters see only this benchmark; otherwise in the host's, where other traffic counts too."""

import argparse
import json
import os
import platform
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import counts

HOST = "127.0.0.1"
GREETING = "Thank you for connecting"
HERE = os.path.dirname(os.path.abspath(__file__))
CLK_TCK = os.sysconf("SC_CLK_TCK")
NETNS_ENV = "HELLOD_BENCH_NETNS"

START_TIMEOUT = 10.0        # seconds for a server to answer after its start
STOP_TIMEOUT = 5.0          # seconds for a server to exit after SIGTERM, then SIGKILL
SETTLE_MAX = 2.0            # seconds to wait after a run for the server to go idle
SETTLE_IDLE_NS = 500_000    # CPU per 20 ms below which a server counts as idle
OP_TIMEOUT_MS = 2000        # a connection or request unanswered this long is a timeout
MISMATCH_NS = 30_000_000    # schedstat and clock-tick accounting may differ this much
READY_TIMEOUT = 5.0         # seconds for hellod to send READY=1
QUOTES_N = 10000            # quotes in the file whose loading and memory hellod_extras() measure
QUOTES_SEED = 18            # the file is the same on every run
RSS_GREETINGS = 100         # TCP greetings before a start's second RSS sample
RSS_SETTLE = 0.3            # seconds before an RSS sample, as after a row's start
PROXY_V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"  # the 12 bytes a PROXY v2 header starts with
HOSTNAME_MAX = 64           # hellod's $hostname: at most this many bytes of gethostname()
MASK_ANY = "?"              # loadgen -m: in the expected greeting, any byte but a newline
LATE_HEADER_S = 0.001       # a PROXY header this long after the handshake (issue 23, item 4)
LATE_HEADER_N = 200         # connections per server measured so

# Templated greetings (issue 18), one row each, configured as the default hellod row but for
# `greeting`: key: greeting. Their expected replies are in expected_greeting(). Both stay far
# below the 64-byte UDP request (loadgen -l 64), as udp_max_ratio = 1 requires per datagram.
TEMPLATED = {
    "hellod-host": "Hello from $hostname to $remote_addr",
    "hellod-time": "$time_iso8601",
}

# (key, row title, speaks UDP, full mode only). The PROXY rows are TCP only: there is no PROXY
# for UDP, and their UDP would be the rows' above.
SERVERS = [
    ("limit", "limit: accept4 thread + recvmmsg thread per CPU, SO_REUSEPORT", True, False),
    ("hellod", "hellod (default)", True, False),
    ("hellod-host", f"hellod, `greeting = {TEMPLATED['hellod-host']}`", True, False),
    ("hellod-time", f"hellod, `greeting = {TEMPLATED['hellod-time']}`", True, False),
    ("hellod-fast", "hellod, close = fast", True, False),
    ("hellod-workers2", "hellod, workers = 2", True, False),
    ("hellod-metrics", "hellod, `[metrics] listen` on, scraped every second", True, False),
    ("hellod-proxy", "hellod, PROXY v2 (`proxy_protocol = yes`, `trusted_proxies = 127.0.0.1`)",
     False, False),
    ("nginx-auto", "nginx 1.22 stream `return`, workers auto", True, False),
    ("nginx-1", "nginx, 1 worker", True, False),
    ("nginx-proxy", "nginx stream, `listen ... proxy_protocol`, workers auto", False, False),
    ("textbook", "textbook sd-event server, 1 worker", True, False),
    ("tutorial", "tutorial Python server (blocking, listen(5))", True, False),
    ("fork", "fork per connection (child writes, no exec)", False, True),
    ("fork-exec", "fork+exec per connection (inetd/xinetd/systemd Accept=yes)", False, True),
]

# (key, column title, loadgen arguments)
SCENARIOS = [
    ("tcp16", "TCP c=16", ["-c", "16"]),
    ("tcp128", "TCP c=128", ["-c", "128"]),
    ("udp64", "UDP 64 in flight", ["-u", "-w", "64"]),
]

# (key, title, loadgen arguments): clients that write before they read.
SEND_FIRST = [
    ("http", "HTTP request line first", ["-c", "16", "-s", "http"]),
    ("64k", "64 KiB first", ["-c", "16", "-s", "65536"]),
]

# Per mode: rounds, TCP and UDP counts per run, fork and fork+exec TCP counts, send-first
# count, seconds a run may take at most, hellod starts timed.
MODES = {
    "quick": dict(rounds=3, tcp=30000, udp=120000, fork=0, fork_exec=0, send_first=1000,
                  seconds=30, ready_starts=10, counts=2000),
    "full": dict(rounds=5, tcp=100000, udp=400000, fork=10000, fork_exec=4000, send_first=2000,
                 seconds=60, ready_starts=20, counts=5000),
}

# --- /proc ------------------------------------------------------------------------------------

def read_text(path):
    with open(path, encoding="ascii", errors="replace") as f:
        return f.read()


def stat_fields(pid):
    """The fields of /proc/PID/stat after the command name: [0] is the state (field 3)."""
    return read_text(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()


def children_map():
    kids = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                kids.setdefault(int(stat_fields(name)[1]), []).append(int(name))
            except (OSError, IndexError, ValueError):
                pass
    return kids


def tree(root):
    """root and its descendants, alive or zombies."""
    kids = children_map()
    pids, todo = [], [root]
    while todo and len(pids) < 100000:
        pid = todo.pop()
        pids.append(pid)
        todo.extend(kids.get(pid, []))
    return pids


def schedstat_works():
    try:
        return int(read_text("/proc/self/schedstat").split()[0]) > 0
    except (OSError, ValueError, IndexError):
        return False


SCHEDSTAT = schedstat_works()


def proc_cpu(pid):
    """(runtime ns of its live threads, utime+stime ns, cutime+cstime ns) of one process.
    schedstat counts nanoseconds; /proc/PID/stat counts clock ticks (10 ms), and holds the
    time of reaped children in cutime and cstime."""
    try:
        f = stat_fields(pid)
    except OSError:
        return 0, 0, 0
    tick = 1e9 / CLK_TCK
    own = (int(f[11]) + int(f[12])) * tick
    reaped = (int(f[13]) + int(f[14])) * tick
    run = 0
    if SCHEDSTAT:
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                try:
                    run += int(read_text(f"/proc/{pid}/task/{tid}/schedstat").split()[0])
                except (OSError, ValueError, IndexError):
                    pass
        except OSError:
            pass
    else:
        run = own
    return run, own, reaped


def tree_cpu(pids):
    """(precise ns, clock-tick ns) of a process tree, reaped children included."""
    precise = ticks = 0
    for pid in pids:
        run, own, reaped = proc_cpu(pid)
        precise += run + reaped
        ticks += own + reaped
    return precise, ticks


def rss_kb(pids):
    total = 0
    for pid in pids:
        try:
            for line in read_text(f"/proc/{pid}/status").splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            pass
    return total


def tcpext():
    """TcpExt counters from /proc/net/netstat (of this network namespace)."""
    lines = read_text("/proc/net/netstat").splitlines()
    for head, values in zip(lines[::2], lines[1::2]):
        if head.startswith("TcpExt:"):
            return dict(zip(head.split()[1:], map(int, values.split()[1:])))
    return {}


def syn_drops(before, after):
    """ListenDrops counts every SYN or handshake a listener dropped, overflows included."""
    return (after.get("ListenDrops", 0) - before.get("ListenDrops", 0),
            after.get("ListenOverflows", 0) - before.get("ListenOverflows", 0))


# --- servers ----------------------------------------------------------------------------------

def free_port(used):
    """A port free for both TCP and UDP on HOST, not handed out before."""
    for _ in range(100):
        with socket.socket() as t, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            t.bind((HOST, 0))
            port = t.getsockname()[1]
            try:
                u.bind((HOST, port))
            except OSError:
                continue
        if port not in used:
            used.add(port)
            return port
    raise RuntimeError("no free port")


def proxy_v2(s):
    """A PROXY v2 header (PROXY, TCP over IPv4) naming the socket's own address as the client's,
    as loadgen -P v2 sends."""
    src, sport = s.getsockname()
    dst, dport = s.getpeername()
    return (PROXY_V2_SIG + bytes([0x21, 0x11, 0, 12]) + socket.inet_aton(src)
            + socket.inet_aton(dst) + sport.to_bytes(2, "big") + dport.to_bytes(2, "big"))


def hellod_hostname():
    """$hostname as hellod renders it: each byte outside [A-Za-z0-9.-] made '-', "-" if none."""
    name = socket.gethostname()[:HOSTNAME_MAX]
    return "".join(c if c.isascii() and (c.isalnum() or c in ".-") else "-"
                   for c in name) or "-"


def expected_greeting(key):
    """(the greeting line a server sends without its newline, whether it is a mask): the
    clients connect from HOST, and $time_iso8601 changes each second, so it is a mask of '?'
    for its digits and its offset's sign."""
    if key == "hellod-host":
        return f"Hello from {hellod_hostname()} to {HOST}", False
    if key == "hellod-time":
        return "????-??-??T??:??:?????:??", True
    return GREETING, False


def greets(data, expect):
    """Whether data is the line expect (text, mask) stands for."""
    text, mask = expect
    line = (text + "\n").encode()
    if not mask:
        return data == line
    return len(data) == len(line) and all(
        d != 0x0a if e == ord(MASK_ANY) else d == e for d, e in zip(data, line))


def greets_tcp(port, expect, proxy=False):
    try:
        with socket.create_connection((HOST, port), timeout=1.0) as s:
            if proxy:
                s.sendall(proxy_v2(s))
            data = b""
            for _ in range(64):
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return greets(data, expect)
    except OSError:
        return False


def greets_udp(port, expect):
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.5)
            s.connect((HOST, port))
            s.send(b"x" * 64)
            return greets(s.recv(4096), expect)
    except OSError:
        return False


def clean_env():
    env = dict(os.environ)
    for k in ("NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "WATCHDOG_USEC",
              "WATCHDOG_PID"):
        env.pop(k, None)
    return env


class Server:
    def __init__(self, key, title, udp, ctx, tag=""):
        self.key, self.title, self.udp, self.ctx = key, title, udp, ctx
        self.proc = None
        self.port = None
        self.status = "ok"      # or "n/a (...)"
        self.notes = []
        self.idle_rss_kb = None
        self.wrapper = []       # a command the server runs under (callgrind, for the counts)
        self.start_timeout = START_TIMEOUT
        self.dir = os.path.join(ctx.tmp, key + tag)
        os.makedirs(self.dir)
        self.log_path = os.path.join(ctx.logs, key + tag + ".log")
        self.proxy = key.endswith("-proxy")
        self.metrics_port = None        # hellod-metrics: its endpoint's port
        self.scraper = None     # ... the thread that scrapes it
        self.scrapes = [0, 0]   # ... answered 200, and not
        self.expect = expected_greeting(key)
        # What loadgen adds for this server: a PROXY v2 header from each connection.
        self.client_args = ["-P", "v2"] if self.proxy else []

    def hellod_conf(self, extra):
        path = os.path.join(self.dir, f"{self.key}.conf")
        with open(path, "w", encoding="ascii") as f:
            f.write(f"[server]\nhost = {HOST}\nport = {self.port}\nudp = yes\n{extra}"
                    "[log]\nlevel = warning\n")
        return path

    def nginx_conf(self, workers, proxy):
        with open(os.path.join(HERE, "nginx.conf.in"), encoding="ascii") as f:
            text = f.read()
        subst = {"@WORKERS@": workers, "@DIR@": self.dir, "@HOST@": HOST,
                 "@PORT@": str(self.port), "@GREETING@": GREETING,
                 "@PROXY@": " proxy_protocol" if proxy else "",
                 "@USER@": "user root;" if os.geteuid() == 0 else ""}
        for k, v in subst.items():
            text = text.replace(k, v)
        path = os.path.join(self.dir, "nginx.conf")
        with open(path, "w", encoding="ascii") as f:
            f.write(text)
        return path

    def argv(self):
        c, p = self.ctx, str(self.port)
        bench = os.path.join(c.build, "bench")
        if self.key == "limit":
            return [os.path.join(bench, "limit"), HOST, p, GREETING]
        if self.key.startswith("hellod"):
            extra = {"hellod": "", "hellod-fast": "close = fast\n",
                     "hellod-host": f"greeting = {TEMPLATED['hellod-host']}\n",
                     "hellod-time": f"greeting = {TEMPLATED['hellod-time']}\n",
                     "hellod-workers2": "workers = 2\n",
                     "hellod-metrics": f"[metrics]\nlisten = {HOST}:{self.metrics_port}\n",
                     "hellod-proxy": f"proxy_protocol = yes\ntrusted_proxies = {HOST}\n"}[self.key]
            return [c.hellod, "-c", self.hellod_conf(extra)]
        if self.key.startswith("nginx"):
            if not c.nginx:
                return None
            conf = self.nginx_conf("1" if self.key == "nginx-1" else "auto", self.proxy)
            return [c.nginx, "-p", self.dir, "-c", conf, "-e", "stderr"]
        if self.key == "textbook":
            return [os.path.join(bench, "textbook"), HOST, p, GREETING]
        if self.key == "tutorial":
            return [c.python, os.path.join(HERE, "tutorial.py"), HOST, p]
        if self.key == "fork":
            return [os.path.join(bench, "forkserver"), HOST, p, GREETING]
        if self.key == "fork-exec":
            return [os.path.join(bench, "forkserver"), "-x", HOST, p, GREETING]
        raise ValueError(self.key)

    def log_lines(self):
        try:
            text = read_text(self.log_path)
        except OSError:
            return []
        return [line.replace(self.dir + "/", "") for line in text.splitlines() if line.strip()]

    def scrape_every_second(self):
        """hellod-metrics: GET /metrics once a second while it runs, as Prometheus would
        (every 15 s by default), counting the answers that are and are not 200."""
        while self.proc and self.status == "ok":
            try:
                with socket.create_connection((HOST, self.metrics_port), timeout=2.0) as s:
                    s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
                    data = b""
                    while chunk := s.recv(65536):
                        data += chunk
                self.scrapes[0 if data.startswith(b"HTTP/1.1 200 ") else 1] += 1
            except OSError:
                self.scrapes[1] += 1
            time.sleep(1.0)

    def start(self):
        self.port = free_port(self.ctx.ports)
        self.metrics_port = free_port(self.ctx.ports) if self.key == "hellod-metrics" else None
        argv = self.argv()
        if argv is None:
            self.status = "n/a (nginx is not installed)"
            return
        with open(self.log_path, "w", encoding="ascii") as log:
            self.proc = subprocess.Popen(self.wrapper + argv, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, env=clean_env(),
                                         start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                self.proc = None
                self.failed(rc)
                return
            if greets_tcp(self.port, self.expect, self.proxy) and \
                    (not self.udp or greets_udp(self.port, self.expect)):
                break
            time.sleep(0.05)
        else:
            self.status = f"n/a (no greeting within {self.start_timeout:.0f} s)"
            self.stop()
            return
        time.sleep(0.3)
        self.idle_rss_kb = rss_kb(tree(self.proc.pid))
        if self.key.startswith("hellod"):
            self.notes += [f"said at start: {line}" for line in self.log_lines()[:4]]
        if self.metrics_port:
            self.scraper = threading.Thread(target=self.scrape_every_second, daemon=True)
            self.scraper.start()

    def alive(self):
        """False once the server has exited, which then shows as its status."""
        if self.status != "ok":
            return False
        rc = self.proc.poll()
        if rc is None:
            return True
        self.proc = None
        self.failed(rc, "during the runs")
        log(f"{self.key}: {self.status}")
        return False

    def failed(self, rc, when="at start"):
        lines = self.log_lines() or ["no message"]
        # hellod names the file and line first; a traceback ends with the exception.
        msg = next((ln for ln in lines if ":" in ln), lines[0]) if rc == 78 else lines[-1]
        if msg.startswith("hellod: "):
            msg = msg[len("hellod: "):]
        if rc == 78:
            self.status = f"n/a (config refused: {msg})"
        else:
            self.status = f"n/a (exited {when} with status {rc}: {msg})"

    def stop(self):
        """SIGTERM, then SIGKILL for the group; stray descendants by their pid."""
        if not self.proc:
            return
        if self.scraper:
            self.status, status = "stopping", self.status
            self.scraper.join()
            self.scraper = None
            self.status = status
            self.notes.append(f"scrapes: {self.scrapes[0]} answered 200, {self.scrapes[1]} not")
        pids = [(pid, start_time(pid)) for pid in tree(self.proc.pid)]
        try:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        for pid, started in pids[1:]:
            if started is not None and start_time(pid) == started:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        self.proc = None


def start_time(pid):
    try:
        return stat_fields(pid)[19]
    except (OSError, IndexError):
        return None


# --- runs -------------------------------------------------------------------------------------

def settle(root, baseline):
    """Waits until the tree is back to its processes before the run and uses no CPU."""
    deadline = time.monotonic() + SETTLE_MAX
    prev = tree_cpu(tree(root))[0]
    while time.monotonic() < deadline:
        time.sleep(0.02)
        pids = tree(root)
        cur = tree_cpu(pids)[0]
        if set(pids) <= baseline and cur - prev < SETTLE_IDLE_NS:
            return
        prev = cur


def loadgen(ctx, srv, args, count, seconds, sample_rss=True):
    """One bounded run: loadgen's JSON line plus the server's CPU, RSS and listen drops."""
    root = srv.proc.pid
    pids = tree(root)
    argv = [ctx.loadgen, "-H", HOST, "-p", str(srv.port), "-n", str(count), "-d", str(seconds),
            "-t", str(OP_TIMEOUT_MS), "-e", srv.expect[0]] + (["-m"] if srv.expect[1] else []) \
        + args + srv.client_args
    net0 = tcpext()
    cpu0 = tree_cpu(pids)
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         start_new_session=True)
    ctx.loadgen_proc = p
    rss = 0
    deadline = time.monotonic() + seconds + 10
    while True:
        try:
            out, err = p.communicate(timeout=0.2)
            break
        except subprocess.TimeoutExpired:
            if sample_rss:
                rss = max(rss, rss_kb(pids))
            if time.monotonic() > deadline:
                p.kill()
                out, err = p.communicate()
                break
    ctx.loadgen_proc = None
    rss = max(rss, rss_kb(pids))
    settle(root, set(pids))
    cpu1 = tree_cpu(tree(root))
    net1 = tcpext()
    try:
        res = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError(f"loadgen failed ({p.returncode}): {err.strip()}") from None
    drops, overflows = syn_drops(net0, net1)
    res.update(cpu_ns=cpu1[0] - cpu0[0], cpu_ticks_ns=cpu1[1] - cpu0[1], syn_drops=drops,
               listen_overflows=overflows, rss_loaded_kb=rss)
    res["cpu_us_per_greeting"] = res["cpu_ns"] / 1000 / res["ok"] if res["ok"] else None
    if abs(res["cpu_ns"] - res["cpu_ticks_ns"]) > max(MISMATCH_NS, 0.1 * res["cpu_ns"]):
        res["accounting_mismatch"] = True
    return res


def tcp_count(mode, key):
    """Connections per TCP run: fewer for the servers that fork, so that they take < 1 min."""
    return {"fork": mode["fork"], "fork-exec": mode["fork_exec"]}.get(key, mode["tcp"])


def run_rounds(ctx, servers):
    """Each server's run is paired with a run of the limit server just before or after it (the
    order alternates), and its ratio is to that run: slow drifts of the machine cancel out."""
    runs = []
    pairs = 0
    limit = servers[0]
    others = [s for s in servers[1:] if s.status == "ok"]
    for rnd in range(ctx.mode["rounds"]):
        for sc_key, sc_title, sc_args in SCENARIOS:
            udp = sc_key.startswith("udp")
            cands = [s for s in others if s.udp or not udp]
            shift = rnd % len(cands) if cands else 0
            for i, srv in enumerate(cands[shift:] + cands[:shift] or [None]):
                if not limit.alive():
                    return runs
                if srv is not None and not srv.alive():
                    continue
                count = ctx.mode["udp"] if udp else tcp_count(ctx.mode, srv.key if srv else "")
                pair = [limit, srv] if (rnd + i) % 2 == 0 or srv is None else [srv, limit]
                res = {}
                pairs += 1
                for s in pair:
                    if s is not None:
                        res[s.key] = loadgen(ctx, s, sc_args, count, ctx.mode["seconds"])
                        res[s.key].update(round=rnd + 1, scenario=sc_key, server=s.key,
                                          pair=pairs)
                base = res["limit"]["cpu_us_per_greeting"]
                res["limit"]["ratio"] = 1.0 if base else None
                runs.append(res["limit"])
                if srv is None:
                    continue
                r = res[srv.key]
                cpu = r["cpu_us_per_greeting"]
                r["ratio"] = cpu / base if base and cpu is not None else None
                runs.append(r)
                log(f"round {rnd + 1}/{ctx.mode['rounds']} {sc_title:17} {srv.key:16} "
                    f"{r['ok']:6}/{count} ok {r['rate']:7.0f}/s  CPU/greeting "
                    + (f"{cpu:7.2f} us, limit {base:6.2f} us: {r['ratio']:5.2f}"
                       if r["ratio"] else "n/a"))
    return runs


def send_first(ctx, servers):
    out = {}
    for srv in servers:
        if not srv.alive():
            continue
        out[srv.key] = {}
        for key, _, args in SEND_FIRST:
            count = min(ctx.mode["send_first"], tcp_count(ctx.mode, srv.key))
            res = loadgen(ctx, srv, args, count, ctx.mode["seconds"], sample_rss=False)
            out[srv.key][key] = res
            log(f"send-first {key:5} {srv.key:16} {res['ok']}/{res['done']} clean, "
                f"{res['reset_full']} greeting then reset, "
                f"{res['resets'] - res['reset_full']} reset without it")
    return out


def late_header(ctx, servers, n=LATE_HEADER_N):
    """Issue 23, item 4: the PROXY rows' latency when the header comes LATE_HEADER_S after the
    handshake, as HAProxy sends it when its first segment does not carry it: the median from
    the header's send to the greeting's first byte, one connection at a time, the server
    otherwise idle. With the default hellod's whole direct connection as the reference."""
    out = {}
    for srv in servers:
        if not srv.alive() or not (srv.proxy or srv.key == "hellod"):
            continue
        times = []
        for _ in range(n):
            try:
                with socket.create_connection((HOST, srv.port), timeout=1.0) as s:
                    t0 = time.monotonic()
                    if srv.proxy:
                        time.sleep(LATE_HEADER_S)
                        t0 = time.monotonic()
                        s.sendall(proxy_v2(s))
                    if s.recv(4096):
                        times.append(time.monotonic() - t0)
            except OSError:
                pass
            time.sleep(0.01)   # idle again between connections
        if times:
            out[srv.key] = {"median_us": statistics.median(times) * 1e6, "n": len(times)}
            log(f"late header {srv.key:16} median {out[srv.key]['median_us']:.0f} us "
                f"({len(times)}/{n})")
    return out


def late_header_table(servers, lh):
    lines = [f"A PROXY v2 header sent {LATE_HEADER_S * 1000:.0f} ms after the handshake, one "
             f"connection at a time ({LATE_HEADER_N}): median from the header to the "
             "greeting's first byte; for the default hellod, a whole direct connection from "
             "connect.", "", "| server | median µs |", "|---|---|"]
    for srv in servers:
        if srv.key in lh:
            lines.append(f"| {md(srv.title)} | {lh[srv.key]['median_us']:.0f} |")
    return lines


def write_fortunes(path, n=QUOTES_N, seed=QUOTES_SEED):
    """A fortune(6) source file of n made-up quotes much like Debian's fortunes: about 100 bytes
    each, a third of them on two or three lines, one in five with an attribution line.
    Returns its size in bytes."""
    rng = random.Random(seed)
    syllables = ["ka", "lo", "mi", "ter", "an", "dos", "ve", "rum", "pli", "so", "nat", "e",
                 "ri", "gon", "u", "bel", "tha", "ist"]

    def words(k):
        return " ".join("".join(rng.choice(syllables) for _ in range(rng.randint(1, 3)))
                        for _ in range(k))

    with open(path, "w", encoding="ascii") as f:
        for i in range(n):
            if rng.random() < 1 / 3:
                lines = [words(rng.randint(6, 10)) for _ in range(rng.randint(2, 3))]
            else:
                lines = [words(rng.randint(8, 18))]
            lines[0] = lines[0].capitalize()
            lines[-1] += "."
            if rng.random() < 0.2:
                lines.append("\t\t-- " + words(2).title())
            f.write("\n".join(lines) + "\n" + ("%\n" if i < n - 1 else ""))
    return os.stat(path).st_size


def greet_times(port, n):
    """n TCP greetings, each read to EOF. Returns how many brought a line."""
    ok = 0
    for _ in range(n):
        try:
            with socket.create_connection((HOST, port), timeout=1.0) as s:
                data = b""
                for _ in range(64):
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                ok += data.endswith(b"\n")
        except OSError:
            pass
    return ok


def hellod_starts(ctx, conf, port, log_name, path):
    """exec -> READY=1 in ms over the mode's starts of hellod -c conf, and from the first start
    its VmRSS (kB, the process tree) RSS_SETTLE s after READY=1 and after RSS_GREETINGS TCP
    greetings."""
    res = {"ready_ms": [], "rss_idle_kb": None, "rss_greeted_kb": None, "greeted": 0}
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as ns, \
            open(os.path.join(ctx.logs, log_name), "w", encoding="ascii") as log_f:
        ns.bind(path)
        env = dict(clean_env(), NOTIFY_SOCKET=path)
        for i in range(ctx.mode["ready_starts"]):
            if i == 3 and not res["ready_ms"]:
                break       # three starts without READY=1: so will the rest be
            drain(ns)
            t0 = time.monotonic()
            p = subprocess.Popen([ctx.hellod, "-c", conf], stdin=subprocess.DEVNULL,
                                 stdout=log_f, stderr=subprocess.STDOUT, env=env,
                                 start_new_session=True)
            try:
                ready = wait_ready(ns, t0 + READY_TIMEOUT)
                if ready is not None and res["rss_idle_kb"] is None:
                    time.sleep(RSS_SETTLE)
                    res["rss_idle_kb"] = rss_kb(tree(p.pid))
                    res["greeted"] = greet_times(port, RSS_GREETINGS)
                    time.sleep(RSS_SETTLE)
                    res["rss_greeted_kb"] = rss_kb(tree(p.pid))
            finally:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
            if ready is not None:
                res["ready_ms"].append((ready - t0) * 1000)
    return res


def hellod_extras(ctx):
    """The stripped binary's size; exec -> READY=1 latency and RSS, of the default config and of
    greeting = $quote with a file of QUOTES_N quotes."""
    extras = {"ready_ms": []}
    if shutil.which("strip"):
        copy = os.path.join(ctx.tmp, "hellod.stripped")
        shutil.copy(ctx.hellod, copy)
        if subprocess.run(["strip", copy], check=False).returncode == 0:
            extras["stripped_bytes"] = os.stat(copy).st_size
    d = os.path.join(ctx.tmp, "ready")
    os.makedirs(d)
    fortunes = os.path.join(d, "fortunes")
    extras["quotes_file"] = {"quotes": QUOTES_N, "bytes": write_fortunes(fortunes)}
    port = free_port(ctx.ports)
    for key, extra in (("default", ""), ("quotes", f"greeting = $quote\nquotes = {fortunes}\n")):
        conf = os.path.join(d, f"{key}.conf")
        with open(conf, "w", encoding="ascii") as f:
            f.write(f"[server]\nhost = {HOST}\nport = {port}\n{extra}[log]\nlevel = warning\n")
        extras[key] = hellod_starts(ctx, conf, port, f"hellod-ready-{key}.log",
                                    os.path.join(d, f"notify-{key}"))
    extras["ready_ms"] = extras["default"]["ready_ms"]
    return extras


def drain(ns):
    ns.setblocking(False)
    for _ in range(1000):
        try:
            ns.recv(4096)
        except BlockingIOError:
            break


def wait_ready(ns, deadline):
    for _ in range(1000):
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        ns.settimeout(left)
        try:
            data = ns.recv(4096)
        except socket.timeout:
            return None
        if b"READY=1" in data.split(b"\n"):
            return time.monotonic()
    return None


# --- report -----------------------------------------------------------------------------------

def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def summarize(runs, servers):
    summary = {}
    for srv in servers:
        for sc_key, _, _ in SCENARIOS:
            rs = [r for r in runs if r["server"] == srv.key and r["scenario"] == sc_key]
            if not rs:
                continue
            summary[f"{srv.key}/{sc_key}"] = {
                "rounds": len(rs),
                "ratio": median(r.get("ratio") for r in rs),
                "rate": median(r["rate"] for r in rs),
                "p50_us": median(r["p50_us"] for r in rs if r["ok"]),
                "p99_us": median(r["p99_us"] for r in rs if r["ok"]),
                "cpu_us_per_greeting": median(r["cpu_us_per_greeting"] for r in rs),
                "errors": sum(r["errors"] + r["truncated"] for r in rs),
                "resets": sum(r["resets"] for r in rs),
                "timeouts": sum(r["timeouts"] for r in rs),
                "connect_errors": sum(r["connect_errors"] for r in rs),
                "unfinished": sum(r["unfinished"] for r in rs),
                "syn_drops": sum(r["syn_drops"] for r in rs),
                "rss_loaded_kb": max(r["rss_loaded_kb"] for r in rs),
                "accounting_mismatches": sum(1 for r in rs if r.get("accounting_mismatch")),
            }
    return summary


def md(text):
    return str(text).replace("|", "\\|")


def mb(kb):
    return "-" if kb is None else f"{kb / 1024:.1f} MB"


def anomalies(s):
    parts = []
    for key, what in (("syn_drops", "SYN drops"), ("timeouts", "timeouts"),
                      ("errors", "bad greetings"), ("resets", "resets"),
                      ("connect_errors", "connect errors"), ("unfinished", "unfinished")):
        if s[key]:
            parts.append(f"{s[key]} {what}")
    return "".join(f" + {p}" for p in parts)


def ratio_table(servers, summary, rounds):
    lines = [f"Server CPU per greeting as a ratio to that of the limit server in a run paired "
             f"with each (just before or after it), median of {rounds} rounds; in brackets the "
             "median CPU µs per greeting; + what went wrong, summed over the rounds.", "",
             "| server | " + " | ".join(t for _, t, _ in SCENARIOS) + " |",
             "|---" * (len(SCENARIOS) + 1) + "|"]
    for srv in servers:
        if srv.status != "ok":
            lines.append(f"| {md(srv.title)} | " + " | ".join([md(srv.status)] +
                         [""] * (len(SCENARIOS) - 1)) + " |")
            continue
        cells = []
        for sc_key, _, _ in SCENARIOS:
            s = summary.get(f"{srv.key}/{sc_key}")
            if not s:
                cells.append("-")
                continue
            r = "n/a" if s["ratio"] is None else f"{s['ratio']:.2f}"
            cpu = s["cpu_us_per_greeting"]
            cells.append(r + (f" ({cpu:.1f} µs)" if cpu is not None else "") + anomalies(s))
        lines.append(f"| {md(srv.title)} | " + " | ".join(cells) + " |")
    return lines


def details_table(servers, summary):
    lines = ["| server | scenario | greetings/s | p50 µs | p99 µs | CPU µs/greeting | ratio | "
             "bad | resets | timeouts | SYN drops | RSS idle | RSS loaded |",
             "|---" * 13 + "|"]

    def num(v, fmt):
        return "-" if v is None else format(v, fmt)

    for srv in servers:
        for sc_key, sc_title, _ in SCENARIOS:
            s = summary.get(f"{srv.key}/{sc_key}")
            if not s:
                continue
            lines.append(f"| {srv.key} | {sc_title} | {num(s['rate'], '.0f')} | "
                         f"{num(s['p50_us'], '.0f')} | {num(s['p99_us'], '.0f')} | "
                         f"{num(s['cpu_us_per_greeting'], '.2f')} | {num(s['ratio'], '.2f')} | "
                         f"{s['errors']} | {s['resets']} | {s['timeouts']} | {s['syn_drops']} | "
                         f"{mb(srv.idle_rss_kb)} | {mb(s['rss_loaded_kb'])} |")
    return lines


def send_first_table(servers, sf, count):
    lines = [f"Clients that write before they read ({count} connections, 16 in flight): the "
             "request rides on the handshake's last ACK, so it is queued before the server "
             "can accept; each client reads to EOF while it writes. clean = the greeting then "
             "EOF; reset = ECONNRESET, after the whole greeting or before it.", "",
             "| server | " + " | ".join(t for _, t, _ in SEND_FIRST) + " |",
             "|---" * (len(SEND_FIRST) + 1) + "|"]
    for srv in servers:
        if srv.key not in sf:
            continue
        cells = []
        for key, _, _ in SEND_FIRST:
            r = sf[srv.key][key]
            n = max(r["done"], 1)
            other = r["done"] - r["ok"] - r["resets"]
            cell = (f"{100 * r['ok'] / n:.1f}% clean, {100 * r['reset_full'] / n:.1f}% greeting "
                    f"then reset, {100 * (r['resets'] - r['reset_full']) / n:.1f}% reset "
                    "without it")
            if other:
                cell += f", {100 * other / n:.1f}% other"
            cells.append(cell)
        lines.append(f"| {md(srv.title)} | " + " | ".join(cells) + " |")
    return lines


def machine_info(ctx):
    model = "?"
    try:
        for line in read_text("/proc/cpuinfo").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    nginx = "not installed"
    if ctx.nginx:
        v = subprocess.run([ctx.nginx, "-v"], capture_output=True, text=True, check=False)
        nginx = v.stderr.strip().replace("nginx version: ", "")
    py = subprocess.run([ctx.python, "--version"], capture_output=True, text=True, check=False)
    return {
        "nproc": os.cpu_count(), "cpu": model, "kernel": platform.release(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "nginx": nginx,
        "tutorial_python": f"{ctx.python} ({py.stdout.strip() or py.stderr.strip()})",
        "network_namespace": ctx.netns,
        "cpu_accounting": "schedstat (ns) per thread + cutime/cstime" if SCHEDSTAT else
                          "clock ticks (utime+stime+cutime+cstime)",
        "command": " ".join(sys.argv),
    }


def report(ctx, servers, runs, sf, lh, cnt, extras, machine, wall):
    summary = summarize(runs, servers)
    m = ctx.mode
    lines = [f"# hellod benchmark ({ctx.mode_name} mode)", ""]
    lines += ratio_table(servers, summary, m["rounds"])
    if cnt:
        lines += ["", "## Counts per greeting", ""]
        lines += counts.table(servers, cnt, m["counts"])
    lines += ["", "Idle RSS (VmRSS summed over the process tree): " + ", ".join(
        f"{s.key} {mb(s.idle_rss_kb)}" for s in servers if s.status == "ok") + ".", ""]
    lines += ["## Details", "",
              f"Medians over rounds; per run {m['tcp']} TCP connections or {m['udp']} UDP "
              "requests" + (f" (fork {m['fork']}, fork+exec {m['fork_exec']})" if m["fork"]
                            else "") + f", at most {m['seconds']} s; latency from connect or "
              "send to EOF or reply. bad, resets, timeouts and SYN drops (TcpExt ListenDrops) "
              "are summed over the rounds; RSS loaded is the highest sample.", ""]
    lines += details_table(servers, summary)
    if sf:
        lines += ["", "## Clients that send first", ""]
        lines += send_first_table(servers, sf, m["send_first"])
    if lh:
        lines += ["", "## A PROXY header after the handshake", ""]
        lines += late_header_table(servers, lh)
    lines += ["", "## hellod", ""]
    if "stripped_bytes" in extras:
        lines.append(f"- stripped binary: {extras['stripped_bytes']} bytes "
                     f"({extras['stripped_bytes'] / 1024:.0f} KiB)")
    qf = extras.get("quotes_file")
    for key, what in (("default", "default config"),
                      ("quotes", f"`greeting = $quote`, {qf['quotes'] if qf else '?'} quotes "
                                 f"({qf['bytes'] if qf else '?'} bytes)")):
        st = extras.get(key)
        if not st:
            continue
        rd = st["ready_ms"]
        if rd:
            lines.append(f"- {what}: exec to READY=1 median {statistics.median(rd):.1f} ms "
                         f"(min {min(rd):.1f}, max {max(rd):.1f}; {len(rd)} of "
                         f"{m['ready_starts']} starts); VmRSS {RSS_SETTLE} s after READY=1 "
                         f"{st['rss_idle_kb']} kB, after {st['greeted']} of {RSS_GREETINGS} "
                         f"greetings {st['rss_greeted_kb']} kB")
        else:
            lines.append(f"- {what}: no READY=1 received")
    if extras.get("default", {}).get("rss_idle_kb") and \
            extras.get("quotes", {}).get("rss_idle_kb"):
        added = extras["quotes"]["rss_idle_kb"] - extras["default"]["rss_idle_kb"]
        lines.append(f"- the quotes add {added} kB of VmRSS idle")
    notes = [f"- {srv.key}: {md(n)}" for srv in servers for n in srv.notes]
    mism = [k for k, s in summary.items() if s["accounting_mismatches"]]
    if mism:
        notes.append("- schedstat and clock-tick CPU disagree by more than 30 ms or 10% in: "
                     + ", ".join(mism))
    if notes:
        lines += ["", "## Notes", ""] + notes
    lines += ["", "## Machine", ""]
    lines += [f"- {k}: {md(v)}" for k, v in machine.items()]
    lines.append(f"- wall time: {wall:.0f} s")
    return "\n".join(lines) + "\n", summary


# --- main -------------------------------------------------------------------------------------

def log(msg):
    print(msg, file=sys.stderr, flush=True)


def enter_netns(no_netns):
    """As root, re-executes itself in a new network namespace with only lo. Returns a note."""
    if os.environ.get(NETNS_ENV) == "1":
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        return "private (unshare -n), loopback only"
    if no_netns:
        return "host (--no-netns)"
    if os.geteuid() != 0:
        return "host (not root: SYN drop counters include other traffic)"
    if shutil.which("unshare") and shutil.which("ip") and subprocess.run(
            ["unshare", "-n", "ip", "link", "set", "lo", "up"], capture_output=True,
            check=False).returncode == 0:
        env = dict(os.environ, **{NETNS_ENV: "1"})
        os.execvpe("unshare", ["unshare", "-n", "--", sys.executable,
                               os.path.abspath(__file__)] + sys.argv[1:], env)
    return "host (unshare -n failed)"


class Context:
    pass


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build", help="where hellod and bench/ are (build)")
    ap.add_argument("--quick", action="store_true", help="3 rounds, small counts, no fork")
    ap.add_argument("--rounds", type=int, help="rounds (quick 3, full 5)")
    ap.add_argument("--only", help="servers to run, comma-separated; limit always runs; "
                    "any of: " + ", ".join(k for k, _, _, _ in SERVERS))
    ap.add_argument("--out", help="for results.md, results.json and logs/ (BUILD/bench)")
    ap.add_argument("--no-netns", action="store_true", help="stay in the host's network "
                    "namespace even as root")
    ap.add_argument("--no-counts", action="store_true", help="skip the syscall and "
                    "instruction counts per greeting (perf, callgrind)")
    ap.add_argument("--counts-only", action="store_true", help="the counts alone: no rounds, "
                    "send-first, late-header or start-up runs")
    ap.add_argument("--count-n", type=int, help="greetings per counted window, N (quick 2000, "
                    "full 5000); each count is over N and 2N")
    a = ap.parse_args()
    if a.rounds is not None and not 1 <= a.rounds <= 100:
        ap.error("--rounds: 1-100")
    if a.count_n is not None and not 100 <= a.count_n <= 1000000:
        ap.error("--count-n: 100-1000000")
    if a.counts_only and a.no_counts:
        ap.error("--counts-only and --no-counts contradict each other")
    keys = [k for k, _, _, _ in SERVERS]
    if a.only:
        want = [w.strip() for w in a.only.split(",") if w.strip()]
        bad = [w for w in want if w not in keys]
        if bad:
            ap.error(f"--only: unknown {', '.join(bad)}; known: {', '.join(keys)}")
        a.only = set(want) | {"limit"}
    return a


def main():
    a = parse_args()
    netns = enter_netns(a.no_netns)
    ctx = Context()
    ctx.netns = netns
    ctx.mode_name = "quick" if a.quick else "full"
    ctx.mode = dict(MODES[ctx.mode_name])
    if a.rounds:
        ctx.mode["rounds"] = a.rounds
    if a.count_n:
        ctx.mode["counts"] = a.count_n
    ctx.tree = tree
    ctx.build = os.path.abspath(a.build)
    ctx.hellod = os.path.join(ctx.build, "hellod")
    ctx.loadgen = os.path.join(ctx.build, "bench", "loadgen")
    ctx.nginx = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    ctx.python = "/usr/bin/python3" if os.access("/usr/bin/python3", os.X_OK) else sys.executable
    out = os.path.abspath(a.out or os.path.join(ctx.build, "bench"))
    ctx.logs = os.path.join(out, "logs")
    os.makedirs(ctx.logs, exist_ok=True)
    for path in (ctx.hellod, ctx.loadgen):
        if not os.access(path, os.X_OK):
            sys.exit(f"bench.py: {path} is missing: run make bench (or make all bench-tools)")
    ctx.ports = set()
    ctx.loadgen_proc = None
    ctx.tmp = tempfile.mkdtemp(prefix="hellod-bench-")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    servers = []
    t0 = time.monotonic()
    try:
        for key, title, udp, full_only in SERVERS:
            if (a.only and key not in a.only) or (full_only and a.quick):
                continue
            srv = Server(key, title, udp, ctx)
            servers.append(srv)
            srv.start()
            log(f"{key}: {srv.status}" + (f", port {srv.port}, idle RSS {mb(srv.idle_rss_kb)}"
                                           if srv.status == "ok" else ""))
        if servers[0].status != "ok":
            sys.exit(f"bench.py: the limit server did not start: {servers[0].status}")
        runs, sf, lh, cnt, extras = [], {}, {}, {}, {"ready_ms": []}
        if not a.counts_only:
            runs = run_rounds(ctx, servers)
            sf = send_first(ctx, servers)
            lh = late_header(ctx, servers)
        if not a.no_counts:
            cnt = counts.count_all(ctx, servers, lambda srv: Server(
                srv.key, srv.title, srv.udp, ctx, tag="-callgrind"), ctx.mode["counts"], log)
        if not a.counts_only and (not a.only or any(k.startswith("hellod") for k in a.only)):
            extras = hellod_extras(ctx)
    finally:
        if ctx.loadgen_proc and ctx.loadgen_proc.poll() is None:
            ctx.loadgen_proc.kill()
            ctx.loadgen_proc.wait()
        for srv in servers:
            srv.stop()
        shutil.rmtree(ctx.tmp, ignore_errors=True)
    wall = time.monotonic() - t0
    machine = machine_info(ctx)
    text, summary = report(ctx, servers, runs, sf, lh, cnt, extras, machine, wall)
    print(text)
    with open(os.path.join(out, "results.md"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(out, "results.json"), "w", encoding="utf-8") as f:
        json.dump({"mode": ctx.mode_name, "settings": ctx.mode, "machine": machine,
                   "servers": {s.key: {"title": s.title, "status": s.status, "port": s.port,
                                       "idle_rss_kb": s.idle_rss_kb, "notes": s.notes}
                               for s in servers},
                   "summary": summary, "runs": runs, "send_first": sf, "late_header": lh,
                   "counts": cnt,
                   "hellod": extras},
                  f, indent=1)
    log(f"wrote {out}/results.md and results.json ({wall:.0f} s)")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
