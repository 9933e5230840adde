# SPDX-License-Identifier: BSD-2-Clause
"""The judge: each client's outcome against the model (README.md, "The model"), then hellod's
counters against what the clients saw, its fds and memory against their bounds, and its end.
Every failure is one line in Verdict.mismatches."""
import bisect
import itertools
import signal

from clients import EOF, RST, TIMEOUT, CONNECT, ABORT, REPLY
from model import allows, exempts, trusts, render, source_key, rate_key, prefix_key, \
    daily_index, QuoteFile

# Refusals a client can see (a reset, no datagram), matched against the counters.
SEEN = ("per_source", "tcp_rate", "proxy", "denied", "udp_size", "udp_rate", "udp_loop")
RSS_GROWTH_MAX = 8 * 1024       # kB hellod's memory may grow by in one scenario (native only)
TCP_STATES = {1: "ESTABLISHED", 2: "SYN_SENT", 7: "CLOSE", 8: "CLOSE_WAIT"}   # tcp_states.h
EXAMPLES = 2                    # clients shown for each kind of wrong outcome
FD_SLACK = 256                  # fds over the baseline and the clients' caps: connections
                                # whose client closed, not yet seen (an accept burst's worth)
UDP_LOOP_SECONDS = 1.0          # hellod's loop guard (HELLOD_UDP_LOOP_USEC)
LOOP_WAYS = 8                   # ... its table's sets (HELLOD_RATE_WAYS)


class Verdict:
    def __init__(self):
        self.mismatches = []
        self.clients = self.checked = 0
        self.died = None

    def bad(self, text):
        self.mismatches.append(text)


class Index:
    """Intervals by key, to count those that overlap a time span."""

    def __init__(self):
        self.starts, self.ends = {}, {}

    def add(self, key, a, b):
        self.starts.setdefault(key, []).append(a)
        self.ends.setdefault(key, []).append(b)

    def freeze(self):
        for v in self.starts.values():
            v.sort()
        for v in self.ends.values():
            v.sort()

    def overlapping(self, key, a, b):
        """How many intervals of key meet [a, b]."""
        starts, ends = self.starts.get(key, ()), self.ends.get(key, ())
        return bisect.bisect_right(starts, b) - bisect.bisect_left(ends, a)


class Judge:
    def __init__(self, run):
        self.r = run
        self.v = Verdict()
        self.lag = 0.5 * run.scale      # hellod may hold a connection this long after our close
        self.margin = 0.1 * run.scale   # for deadlines hellod keeps on its own clock
        self.confs = [w.conf for w in run.windows]
        self.end = run.t_play_end + 1.0
        self.expected = {}              # a line -> the client it was meant for

    # ---- windows and intervals ----

    def window(self, a, b):
        return [k for k, w in enumerate(self.r.windows) if w.start <= b and w.end >= a]

    def wall(self, a, b):
        return (a + self.r.wall_offset - 0.01, b + self.r.wall_offset + 0.01)

    def paused_during(self, a, b):
        return any(p0 <= b and p1 >= a for p0, p1 in self.r.pauses)

    def held_until(self, c):
        """Until when hellod may still count c's connection: our close, plus its lag, plus
        any pause in between."""
        t = (c.t_close or c.t1 or c.t0) + self.lag
        for p0, p1 in self.r.pauses:
            if p0 <= t and p1 >= (c.t_close or c.t0):
                t = max(t, p1 + self.lag)
        return t

    def span(self, c):
        """When hellod may have decided about c: from its connect until it saw the outcome,
        or, for a client that reset first, until the end (hellod may accept it later)."""
        if c.end == ABORT:
            return c.t0, self.end
        return c.t0, c.t1 if c.t1 is not None else (getattr(c, "t_close", None) or self.end)

    # ---- TCP ----

    def tcp_cases(self, c):
        """(config at accept, config at greeting, the client as hellod sees it or None when
        its header gets it reset, trusted) for each pair of configs in c's window."""
        a, b = self.span(c)
        ks = self.window(a, b)
        own = (c.spec.src, c.sport)
        out = []
        for ka, kg in itertools.combinations_with_replacement(ks, 2):
            trusted = trusts(self.confs[ka], c.spec.src)
            if not trusted and ka != kg:
                continue
            if not trusted:
                out.append((ka, kg, own, False))
            elif c.spec.head == "valid":
                out.append((ka, kg, c.spec.hdr, True))
            elif c.spec.head == "local":
                out.append((ka, kg, own, True))
            else:
                out.append((ka, kg, None, True))
        return out

    def index_tcp(self):
        self.table = Index()
        self.sources = Index()
        self.tcp_rates = Index()
        prefixes = {(w.conf.prefix4, w.conf.prefix6) for w in self.r.windows}
        for c in self.r.tcp:
            c.cases = self.tcp_cases(c)
            a, b = self.span(c)
            held = self.held_until(c)
            self.table.add(None, a, held)
            addrs = {x[2][0] for x in c.cases if x[2] is not None}
            for key in {source_key(x) for x in addrs}:
                self.sources.add(key, a, held)
            for key in {prefix_key(x, p4, p6) for x in addrs for p4, p6 in prefixes}:
                self.tcp_rates.add(key, a, b)
        for i in (self.table, self.sources, self.tcp_rates):
            i.freeze()

    def table_may_be_full(self, c, ks):
        a, b = self.span(c)
        limit = min(self.confs[k].conn_limit() for k in ks)
        return self.table.overlapping(None, a, b) >= limit

    def tcp_reasons_lines(self, c):
        a, b = self.span(c)
        ks = sorted({x[0] for x in c.cases} | {x[1] for x in c.cases})
        full = self.table_may_be_full(c, ks) if ks else False
        c.full = full
        reasons, lines = set(), set()
        for ka, kg, ident, trusted in c.cases:
            acc, conf = self.confs[ka], self.confs[kg]
            if ident is None:
                reasons.add("proxy")
                continue
            if trusted and (full or self.proxy_may_expire(c, acc)):
                reasons.add("proxy")
            if not allows(conf, ident[0]):
                reasons.add("denied")
                continue
            if not exempts(conf, ident[0]):
                if conf.per_source > 0 and \
                        self.sources.overlapping(source_key(ident[0]), a, b) - 1 >= conf.per_source:
                    reasons.add("per_source")
                if conf.tcp_rate > 0 and self.rate_possible(self.tcp_rates, conf, ident[0], a, b,
                                                            conf.tcp_rate, conf.tcp_burst, "tcp"):
                    reasons.add("tcp_rate")
            lines |= render(conf, ident, "TCP", self.r.server, self.wall(a, b))
        return reasons, lines

    def proxy_may_expire(self, c, conf):
        """A good header may still meet proxy_timeout: it came late, or hellod was paused
        (issue 23, item 3, counts deadlines from before a pause)."""
        a = c.t0
        last = c.t_hdr or c.t1 or a
        return last - a >= conf.proxy_timeout - self.margin or \
            self.paused_during(a, last + self.margin)

    def rate_possible(self, index, conf, addr, a, b, rate, burst, proto):
        """A token bucket refuses at t only when the intervals of the admissions in the H
        seconds before t add up to more than (burst - 1) intervals, H being the furthest any
        config lets its bucket run ahead (burst / rate): with the longest interval of any
        config I, that takes (burst - 1) * (1 / rate) / I + 1 admissions or more (burst of
        them when no reload changed the rate). Are there that many others around c?"""
        confs = [x for x in self.confs if getattr(x, proto + "_rate") > 0]
        ahead = max(getattr(x, proto + "_burst") / getattr(x, proto + "_rate") for x in confs)
        longest = max(1.0 / getattr(x, proto + "_rate") for x in confs)
        need = int((burst - 1) * (1.0 / rate) / longest + 1e-9) + 1
        key = rate_key(conf, addr)
        return index.overlapping(key, a - ahead - self.margin, b) - 1 >= need

    # ---- UDP ----

    def index_udp(self):
        self.udp_rates = Index()
        self.loop_recent = Index()
        self.answered = {}
        prefixes = {(w.conf.prefix4, w.conf.prefix6) for w in self.r.windows}
        for c in self.r.udp:
            a, b = self.span(c)
            for key in {prefix_key(c.spec.src, p4, p6) for p4, p6 in prefixes}:
                self.udp_rates.add(key, a, b)
            if c.end == REPLY and len(c.data) >= c.size:
                self.answered.setdefault((c.spec.src, c.sport), []).append((c.t1, c.spec.n))
                self.loop_recent.add(None, a, c.t1)
        self.udp_rates.freeze()
        self.loop_recent.freeze()

    def loop_possible(self, c, a, b):
        """The loop guard refuses a reply not smaller than its request to an address and port
        answered so less than a second before; and, its table being bounded (sets of 8
        entries, hashed), to any when a set is full of such replies from the last second,
        which takes 8 of them or more."""
        lo = a - UDP_LOOP_SECONDS - self.margin
        if any(lo <= t <= b and n != c.spec.n
               for t, n in self.answered.get((c.spec.src, c.sport), ())):
            return True
        return self.loop_recent.overlapping(None, lo, b) - 1 >= LOOP_WAYS

    def udp_reasons_lines(self, c):
        a, b = self.span(c)
        reasons, lines = set(), set()
        for k in self.window(a, b):
            conf = self.confs[k]
            if not allows(conf, c.spec.src):
                reasons.add("denied")
                continue
            for line in render(conf, (c.spec.src, c.sport), "UDP", self.r.server,
                               self.wall(a, b)):
                if c.size * conf.ratio < len(line):
                    reasons.add("udp_size")
                    continue
                lines.add(line)
                if conf.udp_rate > 0 and not exempts(conf, c.spec.src) and \
                        self.rate_possible(self.udp_rates, conf, c.spec.src, a, b, conf.udp_rate,
                                           conf.udp_burst, "udp"):
                    reasons.add("udp_rate")
                if len(line) >= c.size and self.loop_possible(c, a, b):
                    reasons.add("udp_loop")
        return reasons, lines

    # ---- the verdict ----

    def describe(self, c):
        a, b = self.span(c)
        t = lambda x: "%.3f" % (x - self.r.t_start)     # noqa: E731
        who = "%s:%d" % (c.spec.src, c.sport)
        if c.spec.proto == "tcp" and c.spec.hdr:
            who += " naming %s:%d" % c.spec.hdr
        return "client %d (%s; %s; %s-%s s)" % (c.spec.n, c.spec.label, who, t(a), t(b))

    def whose(self, c):
        """What a wrong line is, when it can be told: (kind, words), or (None, "")."""
        data = bytes(c.data)
        n = self.expected.get(data)
        if n is not None:
            return "another client's line", " = client %d's line" % n
        if data and not data.endswith(b"\n"):
            for line, n in self.expected.items():
                if line.startswith(data):
                    return "another client's line", " = the start of client %d's line %r" % (
                        n, line)
        head = data.split(b"\n")[0] + b"\n"
        if head != data and head in self.expected:
            return "another client's line", " = client %d's line, then other bytes" % \
                self.expected[head]
        a, b = self.span(c)
        for k in self.window(a, b):
            conf = self.confs[k]
            if not conf.quotes or conf.rotation != "daily":
                continue
            n = len(conf.quotes.usable)
            day = daily_index(n, b + self.r.wall_offset)
            for i, q in enumerate(conf.quotes.usable):
                if i != day and q.encode() in data:
                    return "a quote, not the day's", \
                        " = quote %d of the %d in force, whose day's quote is %d" % (i, n, day)
            dash = conf.copy()
            dash.quotes, dash.rotation = QuoteFile([("-", True)]), "connection"
            ident = (c.spec.hdr or (c.spec.src, c.sport)) if c.spec.proto == "tcp" else \
                (c.spec.src, c.sport)
            if data in render(dash, ident, c.spec.proto.upper(), self.r.server, self.wall(a, b)):
                return "a quote, not the day's", \
                    " = '-' for the quote, where the day's is quote %d of %d" % (day, n)
        return None, ""

    def wrong(self, c, kind, what, lines):
        self.wrongs.append((c, kind, what, lines))

    def report_wrongs(self):
        """The clients with a wrong outcome, by kind (what the line is, or how it ended):
        each kind's count and its first EXAMPLES."""
        kinds = {}
        for c, kind, what, lines in self.wrongs:
            told, words = self.whose(c) if c.data else (None, "")
            kinds.setdefault(told or kind, []).append((c, what + words, lines))
        for kind, items in sorted(kinds.items(), key=lambda x: -len(x[1])):
            self.v.bad("%d client%s: %s" % (len(items), "s" if len(items) > 1 else "", kind))
            for c, what, lines in items[:EXAMPLES]:
                shown = sorted(lines)[:2]
                self.v.bad("  e.g. %s: %s; expected %s" % (
                    self.describe(c), what, " or ".join(repr(x) for x in shown) +
                    (" or ..." if len(lines) > 2 else "") if lines else "a refusal"))

    def judge_tcp(self, c, refusals, optional):
        reasons, lines = self.tcp_reasons_lines(c)
        c.lines, c.reasons = lines, reasons
        data = bytes(c.data)
        sends = any(s[0] == "send" for s in c.spec.steps)
        if c.end == ABORT:
            optional.append(reasons | ({"proxy"} if any(x[3] for x in c.cases) else set()))
            if data and not any(x.startswith(data) for x in lines):
                self.wrong(c, "bytes not its line's, before its own reset",
                           "got %r before its own reset" % data, lines)
            return 0, 1
        if c.end in (EOF, RST) and data in lines:
            if c.end == RST and not sends:
                self.wrong(c, "its line, then a reset, though it sent nothing",
                           "got its line, then a reset, though it sent nothing", lines)
            self.v.checked += 1
            return 1, 0
        fast = sends and any(self.confs[k].close_fast for k in {x[1] for x in c.cases})
        if c.end == RST and not data and fast:
            # close = fast: the request came between hellod's look and its close(), which
            # then resets, the greeting with it (hellod.conf(5): fast is for clients that do
            # not send first). Counted as a greeting, or refused for a reason of its own.
            optional.append(reasons)
            return 0, 1
        if c.end == RST and not data:
            if not reasons:
                self.wrong(c, "a reset without a line, and no refusal that could be it",
                           "reset without its line, and no refusal hellod documents could "
                           "be it", lines)
                optional.append(set(SEEN))
            else:
                refusals.append(reasons)
            return 0, 0
        self.v.checked += bool(data)
        if c.end == EOF:
            self.wrong(c, "a wrong line" if data else "EOF without a line",
                       "got %r then EOF" % data if data else "EOF without a line", lines)
        elif c.end == RST:
            self.wrong(c, "a wrong line, then a reset", "got %r then a reset" % data, lines)
        elif c.end == TIMEOUT:
            self.wrong(c, "no end in time", "no end within %.1f s (got %r; TCP state %s)" % (
                self.r.patience, data, TCP_STATES.get(c.errno, c.errno)), lines)
        elif c.end == CONNECT:
            self.wrong(c, "a failed connect or read", "connect or read failed: errno %d" %
                       c.errno, lines)
        optional.append(set(SEEN))
        return 0, 1

    def judge_udp(self, c, refusals):
        reasons, lines = self.udp_reasons_lines(c)
        c.lines, c.reasons = lines, reasons
        if c.end == REPLY:
            self.v.checked += 1
            if c.data not in lines:
                self.wrong(c, "a wrong datagram", "got the datagram %r" % c.data, lines)
            elif c.source[0] != self.r.server[0] or c.source[1] != self.r.server[1]:
                self.wrong(c, "a reply from elsewhere", "its reply came from %s:%d" % c.source,
                           lines)
            return 1
        if not reasons:
            self.wrong(c, "no reply, and no refusal that could be it", "no reply (%d bytes "
                       "sent), and no refusal hellod documents could be it" % c.size, lines)
            refusals.append(set(SEEN))
        else:
            refusals.append(reasons)
        return 0

    def cut_short(self, c):
        """Whether hellod's death ended c's exchange (the death is the mismatch, not c)."""
        t = self.r.t_died
        return t is not None and (c.end is None or c.t1 is None or c.t1 >= t - 0.05 * self.r.scale)

    def run(self):
        r, v = self.r, self.v
        self.wrongs = []
        v.clients = len(r.tcp) + len(r.udp)
        if r.died is not None:
            r.tcp = [c for c in r.tcp if not self.cut_short(c)]
            r.udp = [c for c in r.udp if not self.cut_short(c)]
        self.index_tcp()
        self.index_udp()
        refusals, optional = [], []
        tcp_lo = tcp_maybe = udp_seen = 0
        for c in r.tcp:
            sure, maybe = self.judge_tcp(c, refusals, optional)
            tcp_lo += sure
            tcp_maybe += maybe
        for c in r.udp:
            udp_seen += self.judge_udp(c, refusals)
        # The lines that can be one client's alone (they show its address or port), to tell
        # another client's line when one is sent.
        own = any(v in ("remote_addr", "remote_port") for w in r.windows
                  for k, v in w.conf.parts() if k == "v")
        for c in r.tcp + r.udp if own else ():
            for line in sorted(c.lines)[:1]:
                marks = [str(c.sport), c.spec.src] + ([str(x) for x in c.spec.hdr]
                                                      if getattr(c.spec, "hdr", None) else [])
                if any(m.encode() in line for m in marks):
                    self.expected.setdefault(line, c.spec.n)
        self.report_wrongs()
        v.wrong_clients = len(self.wrongs)
        self.counters(tcp_lo, tcp_maybe, udp_seen, refusals, optional)
        self.process()
        return v

    def counters(self, tcp_lo, tcp_maybe, udp_seen, refusals, optional):
        c, v = self.r.counters, self.v
        if c is None:
            return
        if not tcp_lo <= c["tcp"] <= tcp_lo + tcp_maybe:
            v.bad("counters: %d TCP greetings, but the clients got %d%s" % (
                c["tcp"], tcp_lo, " (up to %d more may have been sent to clients that reset "
                "first)" % tcp_maybe if tcp_maybe else ""))
        if c["udp"] != udp_seen:
            v.bad("counters: %d UDP greetings, but the clients got %d" % (c["udp"], udp_seen))
        for reason in ("max_connections", "send_timeout"):
            if c[reason]:
                v.bad("counters: %d refused %s, which no client of these can cause (every "
                      "line fits the socket buffer at once)" % (c[reason], reason))
        full = any(getattr(x, "full", False) for x in self.r.tcp)
        if c["evicted"] and not full:
            v.bad("counters: %d evicted, but the table was never full" % c["evicted"])
        v.groups = {}
        for kind, sets in (("sure", refusals), ("maybe", optional)):
            for x in sets:
                key = (kind, ",".join(sorted(x)))
                v.groups[key] = v.groups.get(key, 0) + 1
        v.bad_counts = hall(c, refusals, optional)
        for text in v.bad_counts:
            v.bad("counters: " + text)

    def process(self):
        r, v = self.r, self.v
        for text in r.errors:
            v.bad(text)
        if r.died is not None:
            v.died = describe_status(r.died)
            v.bad("hellod died: %s" % v.died)
        elif r.exit_status not in (0, None):
            v.bad("hellod exited with %s after SIGTERM" % describe_status(r.exit_status))
        cap = r.plan.tcp_cap + r.plan.slow_cap
        if r.fd_base is not None and r.fd_max is not None and \
                r.fd_max > r.fd_base + cap + FD_SLACK:
            v.bad("fds: %d at most, over the bound %d (%d at start + %d clients + %d)" % (
                r.fd_max, r.fd_base + cap + FD_SLACK, r.fd_base, cap, FD_SLACK))
        if r.died is None and r.fd_end is not None and r.fd_end > r.fd_base:
            v.bad("fds: %d once every client was gone, %d at start" % (r.fd_end, r.fd_base))
        if r.check_memory and r.rss_end is not None and \
                r.rss_end - r.rss_base > RSS_GROWTH_MAX:
            v.bad("memory: VmRSS grew from %d kB to %d kB (bound: %d kB more)" % (
                r.rss_base, r.rss_end, RSS_GROWTH_MAX))
        self.reloads()

    def reloads(self):
        """Each valid reload was applied and each broken one refused: the log's count of
        each, a storm of k SIGHUPs counting from 1 to k times."""
        r = self.r
        want = {False: [0, 0], True: [0, 0]}
        for conf, how, _, _ in r.reloads:
            want[conf.broken][0] += 1
            want[conf.broken][1] += how["hups"]
        for broken, got in ((False, r.reloaded), (True, r.reload_failed)):
            lo, hi = want[broken]
            if not lo <= got <= hi and r.died is None:
                self.v.bad("reloads: the log says %d %s, expected %s" % (
                    got, "refused" if broken else "applied",
                    lo if lo == hi else "%d to %d" % (lo, hi)))


def hall(counts, refusals, optional):
    """Whether the refusal counters can be what the clients saw: an assignment of each reset
    or unanswered client (each of which hellod refused) to one of the reasons that could be
    its, and of some of the clients that reset first, filling each counter exactly. Hall's
    condition both ways over every set S of reasons (with the reasons as counter copies, the
    Mendelsohn-Dulmage theorem joins the two): the clients whose reasons are all in S fit in
    S's counts, and S's counts are filled by the clients that have a reason in S."""
    sure = {}
    for s in refusals:
        key = frozenset(s)
        sure[key] = sure.get(key, 0) + 1
    maybe = {}
    for s in optional:
        key = frozenset(s)
        maybe[key] = maybe.get(key, 0) + 1
    out = []
    for size in range(1, len(SEEN) + 1):
        for S in itertools.combinations(SEEN, size):
            S = set(S)
            n = sum(counts[x] for x in S)
            need = sum(k for key, k in sure.items() if key <= S)
            have = sum(k for key, k in itertools.chain(sure.items(), maybe.items()) if key & S)
            names = ", ".join(sorted(S))
            if need > n:
                out.append("%d clients were refused for a reason among {%s} only, but the "
                           "counters say %d" % (need, names, n))
            if n > have:
                out.append("{%s} count %d refusals, but at most %d clients could be one" %
                           (names, n, have))
            if out:
                return out
    return out


def describe_status(status):
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = "signal %d" % -status
        return "killed by %s" % name
    return "exit status %d" % status
