# SPDX-License-Identifier: BSD-2-Clause
"""A scenario's plan, all of it drawn from its seed: a profile, hellod's first configuration,
the timed control events (reloads, pauses, SIGUSR1, lulls) and an endless stream of clients,
each with the script it plays."""
import ipaddress
import random
import struct

from model import Conf, QuoteFile, GREETING_MAX, VAR_WIDTH

# Each profile stresses a corner where features meet; seed % 6 picks one, so that any six
# consecutive seeds cover them all. Within a profile everything else is drawn at random.
PROFILES = ("balancer", "quotes", "limits", "access", "udp", "chaos")

TRUSTED = "127.0.0.1"   # the load balancer (::1 in an IPv6 scenario, where it is never trusted)
# Forged clients named by PROXY headers: documentation networks (RFC 5737, RFC 3849).
FORGED_NETS = ("192.0.2.", "198.51.100.", "203.0.113.", "2001:db8:a::", "2001:db8:b::")
STATIC = ("Welcome to greeter-1", "hello, world", "costs $5 to enter", "\u00fcber-greeter \u2713",
          "a\ttab and ; a semicolon", "x")
UNIQUE = (
    [("t", "Hello "), ("v", "remote_addr")],
    [("t", "Hello "), ("v", "remote_addr"), ("t", ":"), ("v", "remote_port")],
    [("v", "remote_addr"), ("t", " port "), ("v", "remote_port"), ("t", " over "),
     ("v", "protocol"), ("t", " to "), ("v", "server_addr"), ("t", ":"), ("v", "server_port")],
    [("v", "remote_port")],
    [("t", "client="), ("v", "remote_addr"), ("t", "/"), ("v", "remote_port"), ("t", " host="),
     ("v", "hostname")],
)
QUOTE = ([("v", "quote")], [("t", "QOTD: "), ("v", "quote")],
         [("v", "quote"), ("t", " (for "), ("v", "remote_addr"), ("t", ")")])
TIMED = ([("t", "now "), ("v", "time_iso8601"), ("t", " for "), ("v", "remote_addr")],)
WORDS = ("the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "greeting", "daemon",
         "quote", "of", "day", "\u00e9t\u00e9", "na\u00efve", "tab\there")

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"
# Headers a trusted proxy must never get past (tests/system/038's hostile ones, and more).
BAD_HEADERS = (
    b"GET / HTTP/1.0\r\n\r\n",
    b"PROXY TCP4 " + b"x" * 120,
    b"PROXY TCP4 192.0.02.7 127.0.0.1 5555 12345\r\n",
    b"PROXY TCP4 192.0.2.7 127.0.0.1 05555 12345\r\n",
    b"PROXY TCP4 2001:db8::1 127.0.0.1 5555 12345\r\n",
    b"PROXY TCP4 192.0.2.7 127.0.0.1 5555 12345\n",
    V2_SIG + b"\x11\x11\x00\x0c\xc0\x00\x02\x08\x7f\x00\x00\x01\x15\xb3\x30\x39",
    V2_SIG + b"\x22\x11\x00\x0c\xc0\x00\x02\x08\x7f\x00\x00\x01\x15\xb3\x30\x39",
    V2_SIG + b"\x21\x11\x00\x08\xc0\x00\x02\x08\x7f\x00\x00\x01",
)


class ClientSpec:
    """One client: TCP or UDP, its source, and its script. For TCP the script is a list of
    steps: ("send", bytes), ("sleep", s), ("shut",), ("read",) to EOF or reset,
    ("read_some",), ("slow", chunk, delay) reading to EOF in small pieces, ("abort",) a reset
    of our own. head says what the stream's first bytes are to a PROXY reader: "valid",
    "local", "bad", "incomplete" (a prefix, or nothing, then a wait or a FIN)."""
    __slots__ = ("n", "proto", "src", "steps", "head", "hdr", "size", "label", "aborts",
                 "waits")

    def __init__(self, n, proto, src, label):
        self.n, self.proto, self.src, self.label = n, proto, src, label
        self.steps, self.head, self.hdr, self.size, self.aborts = [], "incomplete", None, 0, False
        self.waits = False      # it may hold its slot a while: counted apart (Plan.slow_cap)

    def script_seconds(self):
        return sum(s[1] for s in self.steps if s[0] == "sleep") + \
            sum(1.0 for s in self.steps if s[0] == "slow")

    def kind(self):
        """Which cap the client counts against: "udp", "slow" or "tcp"."""
        if self.proto == "udp":
            return "udp"
        return "slow" if self.waits or self.script_seconds() >= 0.05 else "tcp"


class Plan:
    """Everything a seed decides."""

    def __init__(self, seed, duration=None, ipv6_ok=True):
        self.seed = seed
        self.profile = PROFILES[seed % len(PROFILES)]
        rng = random.Random("%d/config" % seed)
        self.rng = rng
        self.duration = duration or round(rng.uniform(1.5, 2.5), 2)
        # An IPv6 scenario serves ::1; without it here, the same plan on 127.0.0.1.
        self.ipv6 = self.profile in ("limits", "udp", "chaos") and rng.random() < 0.15 \
            and ipv6_ok
        self.quote_files, self.quote_pool = 0, []
        self.conf = self.first_conf()
        # The load: clients as fast as the caps let them come (None), or a trickle of this
        # many a second, as a quiet service sees (monitoring probes, a few users).
        self.rate = rng.choice((20, 50, 200)) if rng.random() < self.p(quotes=0.5, other=0.1) \
            else None
        self.events = self.control_events()
        self.tcp_cap = rng.choice((8, 16, 32, 64, 96))
        self.slow_cap = rng.choice((4, 8, 16, 32))
        self.udp_cap = rng.choice((8, 16, 32, 64))
        self.mix = self.client_mix()
        self.direct = self.source_pool(rng.choice((1, 2, 4, 8, 32, 64)))
        self.forged = [rng.choice(FORGED_NETS) + str(rng.randrange(1, 255))
                       for _ in range(rng.choice((2, 8, 64)))]

    # ---- configuration ----

    def p(self, **by_profile):
        """A probability that depends on the profile ("other" for the rest)."""
        return by_profile.get(self.profile, by_profile.get("other", 0.0))

    def source_pool(self, n):
        if self.ipv6:
            return ["::1"]
        rng = self.rng
        nets = rng.choice((["127.0.0."], ["127.0.0.", "127.0.1."], ["127.0.0.", "127.1.2.",
                                                                    "127.9.9."]))
        return sorted({rng.choice(nets) + str(rng.randrange(2, 255)) for _ in range(n)})

    def first_conf(self):
        rng, c = self.rng, Conf()
        c.host = "::1" if self.ipv6 else "127.0.0.1"
        # One worker is the default, and what a small service runs.
        c.workers = 1 if rng.random() < self.p(quotes=0.75, other=0.5) else rng.choice((2, 3, 4))
        c.udp = rng.random() < self.p(udp=1.0, limits=0.6, chaos=0.5, other=0.3)
        c.close_fast = rng.random() < 0.35
        c.proxy = not self.ipv6 and rng.random() < self.p(balancer=0.95, access=0.6, chaos=0.5,
                                                          other=0.25)
        c.trusted = (TRUSTED,) if rng.random() < 0.7 else (TRUSTED, "198.51.100.0/24", "::1")
        c.max_conn = rng.choice((4, 6, 8, 16)) \
            if rng.random() < self.p(balancer=0.75, chaos=0.4, other=0.25) \
            else rng.choice((0, 0, 256, 1024))
        self.limits(c, first=True)
        self.access(c)
        self.greeting(c)
        c.linger = rng.choice((5.0, 5.0, 1.0, 0.3))
        c.proxy_timeout = rng.choice((3.0, 2.0, 1.0, 0.5))
        c.log_connections = rng.random() < 0.15
        c.summary = rng.choice((60.0, 1.0, 0.5))
        c.explicit = self.explicit_keys()
        return c

    def explicit_keys(self):
        """Keys a file states even at their default: none, some, or (as generated examples
        do) all."""
        rng = self.rng
        p = rng.choice((0.0, 0.0, 0.2, 1.0))
        return {key for _, key, _, _ in Conf.KEYS if rng.random() < p}

    def limits(self, c, first=False):
        rng = self.rng
        if rng.random() < self.p(limits=0.8, chaos=0.5, other=0.3):
            c.exempt = rng.choice(((), ("127.0.0.9",), ("127.0.1.0/24", "203.0.113.0/24"),
                                   ("198.51.100.0/24",)))
        elif not first:
            c.exempt = None
        c.per_source = rng.choice((64, 0, 2, 4, 8)) if rng.random() < 0.7 else 64
        if rng.random() < self.p(limits=0.5, chaos=0.3, other=0.15):
            c.tcp_rate, c.tcp_burst = rng.choice((20, 100, 500)), rng.choice((5, 20, 40))
        else:
            c.tcp_rate = 0
        c.udp_rate, c.udp_burst = rng.choice(((20, 40), (20, 40), (0, 40), (200, 10), (1000, 100)))
        c.prefix4 = rng.choice((24, 24, 32, 16))
        c.prefix6 = rng.choice((56, 64, 128))
        c.ratio = rng.choice((1, 1, 2, 4))
        if not first and c.max_conn:
            c.max_conn = rng.choice([m for m in (4, 6, 8, 16, 256, 1024) if m <= self.conf.max_conn]
                                    or [self.conf.max_conn])

    def access(self, c):
        rng = self.rng
        if rng.random() >= self.p(access=0.95, chaos=0.4, other=0.2):
            c.allow, c.deny = (), ()
            return
        deny = ["127.0.0.66", "127.0.1.0/24", "203.0.113.128/25", "198.51.100.7", "2001:db8:b::/48",
                "127.9.9.0/24", "192.0.2.0/24"]
        allow = ["127.0.0.0/8", "203.0.113.0/24", "198.51.100.0/24", "2001:db8::/32", "::1",
                 "192.0.2.128/25", "127.0.0.0/16"]
        c.deny = tuple(rng.sample(deny, rng.randrange(0, 4)))
        c.allow = tuple(rng.sample(allow, rng.randrange(0, 4)))

    def greeting(self, c):
        rng = self.rng
        r = rng.random()
        if r < self.p(quotes=0.85, chaos=0.3, other=0.12):
            c.greeting = rng.choice(QUOTE)
            c.rotation = "connection" if rng.random() < 0.25 else "daily"   # daily: the default
            self.new_quotes(c)
            return
        c.quotes, c.quotes_name = None, None
        r = rng.random()
        if r < self.p(balancer=0.75, access=0.6, other=0.45):
            c.greeting = rng.choice(UNIQUE)
        elif r < 0.9:
            c.greeting = rng.choice((None, [("t", rng.choice(STATIC))]))
        else:
            c.greeting = rng.choice(TIMED)

    def new_quotes(self, c):
        """A quotes file for c's greeting: most often one of the few a deployment switches
        between (a fortune file, a message of the day...), else a new one: from 1 to 150
        usable quotes (one usable among skipped ones, now and then), multi-line ones, LF or
        CRLF."""
        rng = self.rng
        fixed = sum(len(v.encode()) if k == "t" else VAR_WIDTH.get(v, 0) for k, v in c.greeting)
        room = GREETING_MAX - fixed
        fits = [x for x in self.quote_pool if x[1].max_len <= room]
        if fits and rng.random() < 0.7:
            c.quotes_name, c.quotes = rng.choice(fits)
            return
        # A message of the day (one quote, or a few), or a fortune file (many).
        n = rng.choices((1, rng.randrange(2, 6), rng.randrange(6, 64), rng.randrange(64, 151)),
                        (25, 15, 20, 40))[0]
        entries = []
        for i in range(n):
            words = rng.randrange(1, 12)
            text = " ".join(rng.choice(WORDS) for _ in range(words)) + " #%d" % i
            if rng.random() < 0.1:
                text += "\n  -- " + rng.choice(WORDS)
            if rng.random() < 0.02:
                text = (text + " ") * (room // (len(text) + 1) + 1)
                text = text.encode()[:room].decode(errors="ignore").rstrip() or "x"
            entries.append((text, True))
        for _ in range(rng.choice((0, 0, 1, 3))):
            bad = rng.choice(("bell\a here", "y" * (GREETING_MAX + 1 + rng.randrange(50))))
            entries.insert(rng.randrange(len(entries) + 1), (bad, False))
        c.quotes = QuoteFile(entries, crlf=rng.random() < 0.2)
        self.quote_files += 1
        # Names of all lengths, as deployments choose them; a name already used is rewritten.
        c.quotes_name = rng.choice(("quotes", "q%d" % self.quote_files,
                                    "quotes-%d" % self.quote_files, "fortunes-of-the-day.txt",
                                    "quotes-of-the-day-from-the-deployment-%d.txt" %
                                    self.quote_files))
        self.quote_pool = [x for x in self.quote_pool if x[0] != c.quotes_name][-3:]
        self.quote_pool.append((c.quotes_name, c.quotes))

    # ---- control events ----

    def control_events(self):
        """Reloads (single, in bursts, or a storm of HUPs), pauses, SIGUSR1s and quiet spells, at
        times within the scenario; each reload carries the configuration it installs."""
        rng, events, conf = self.rng, [], self.conf
        n_reloads = rng.randrange(*{"quotes": (3, 10), "access": (2, 8)}.get(self.profile, (0, 5)))
        if self.rate:
            n_reloads *= 2      # a quiet service whose configuration management is not
        for _ in range(n_reloads):
            t = rng.uniform(0.05, 0.9) * self.duration
            # Two reloads in a row are the commonest burst: a deployment's template then its
            # final file, or an administrator's second thought.
            burst = rng.choice((2, 2, 2, 3, 4)) if rng.random() < self.p(quotes=0.7, other=0.4) \
                else 1
            quiet = burst > 1 and rng.random() < self.p(quotes=0.8, other=0.3)
            if quiet:
                # Reloads in a quiet moment (an administrator's, or a deployment's at night):
                # for a while no new client, or one now and then, the reloads a little after
                # it began, one right after the other.
                events.append((t, "quiet", (rng.choice((0.15, 0.25, 0.4)),
                                            rng.choice((None, None, None, 0.05, 0.1)))))
                t += 0.05
            for i in range(burst):
                # The last of a burst swaps the quotes file now and then (another file, not
                # as long: the day's quote moves).
                new = self.mutate(conf, quotes=i == burst - 1 > 0 and rng.random() < 0.5)
                how = {"write": rng.choice(("rename", "rename", "inplace")),
                       "fresh": rng.random() < 0.3 and not quiet,
                       "hups": rng.choice((2, 5, 20)) if rng.random() < 0.12 else 1}
                events.append((t, "reload", (new, how)))
                if not new.broken:
                    conf = new
        for _ in range(rng.randrange(0, 4 if self.profile == "chaos" else 2)):
            events.append((rng.uniform(0.05, 0.9) * self.duration, "pause",
                           rng.choice((0.05, 0.1, 0.2, 0.4))))
        for _ in range(rng.randrange(0, 3)):
            events.append((rng.uniform(0, 1) * self.duration, "usr1", None))
        for _ in range(rng.randrange(0, 3)):
            events.append((rng.uniform(0, 0.9) * self.duration, "quiet",
                           (rng.choice((0.05, 0.2, 0.5)), rng.choice((None, 0.01, 0.05)))))
        events.sort(key=lambda e: e[0])
        return events

    def mutate(self, base, quotes=False):
        """The next configuration: base with one to three things changed, or a broken file;
        with quotes, and quotes in use, another quotes file of another length."""
        rng = self.rng
        c = base.copy()         # the same keys written as before: a file keeps its shape
        c.broken = rng.random() < 0.08
        if c.broken:
            return c
        if quotes and c.quotes:
            for _ in range(10):
                self.new_quotes(c)
                if len(c.quotes.usable) != len(base.quotes.usable):
                    break
            return c
        changes = ["greeting", "quotes", "access", "limits", "close", "proxy", "timeouts"]
        weights = {"quotes": [2, 6, 1, 1, 1, 1, 1], "access": [1, 1, 6, 1, 1, 1, 1],
                   "limits": [1, 1, 1, 6, 1, 1, 1], "balancer": [2, 1, 1, 2, 1, 3, 1]}
        for what in rng.choices(changes, weights.get(self.profile, [1] * 7),
                                k=rng.randrange(1, 4)):
            if what == "greeting":
                self.greeting(c)
            elif what == "quotes" and c.quotes:
                self.new_quotes(c)
            elif what == "quotes":
                self.greeting(c)
            elif what == "access":
                self.access(c)
            elif what == "limits":
                self.limits(c)
            elif what == "close":
                c.close_fast = not c.close_fast
            elif what == "proxy" and not self.ipv6:
                c.proxy = not c.proxy if rng.random() < 0.3 else c.proxy
                c.trusted = (TRUSTED,) if rng.random() < 0.7 else (TRUSTED, "198.51.100.0/24")
            elif what == "timeouts":
                c.linger = rng.choice((5.0, 1.0, 0.3))
                c.proxy_timeout = rng.choice((3.0, 2.0, 1.0, 0.5))
        return c

    # ---- clients ----

    def client_mix(self):
        rng = self.rng
        mix = {"direct": 1.0, "proxied": 0.0, "udp": 0.0}
        if self.conf.proxy or rng.random() < 0.3:
            mix["proxied"] = self.p(balancer=1.2, access=0.8, other=0.5)
        if self.conf.udp:
            mix["udp"] = self.p(udp=3.0, other=0.4)
        mix["odd"] = self.p(chaos=0.5, other=0.15)      # send first, late, slow, silent, reset
        mix["hold"] = self.p(balancer=0.6, chaos=0.3, other=0.15)
        return mix

    def trickle(self):
        """A trickle's kinds, one per client, drawn from the mix."""
        rng = random.Random("%d/trickle" % self.seed)
        kinds = [k for k in ("tcp", "slow", "udp") if k != "udp" or self.mix["udp"] > 0]
        weights = [1.0 if k == "tcp" else 0.2 if k == "slow" else self.mix["udp"] / 2
                   for k in kinds]
        while True:
            yield rng.choices(kinds, weights)[0]

    def clients(self, kind):
        """The stream of clients of one kind ("tcp", "slow" or "udp", ClientSpec.kind()), from
        a generator of its own: the n-th client of a kind is the same whatever the timing let
        run before it. Drawn from the whole mix, those of other kinds set aside; a kind the
        mix (almost) never makes has no stream."""
        rng = random.Random("%d/clients/%s" % (self.seed, kind))
        kinds, weights = zip(*self.mix.items())
        n = 0
        while True:
            for _ in range(10000):
                what = rng.choices(kinds, weights)[0]
                if what == "udp":
                    spec = self.udp_client(rng, n + 1)
                elif what == "proxied":
                    spec = self.proxied_client(rng, n + 1)
                else:
                    spec = self.direct_client(rng, n + 1, what)
                if spec.kind() == kind:
                    break
            else:
                return
            n += 1
            yield spec

    def direct_client(self, rng, n, kind):
        c = ClientSpec(n, "tcp", rng.choice(self.direct), "direct")
        if kind == "hold":
            c.label = "direct, holds its end after the line"
            c.steps = [("read",), ("sleep", rng.choice((0.05, 0.2, 0.5, 1.0))), ("close",)]
            return c
        if kind != "odd":
            c.steps = [("read",), ("close",)]
            return c
        what = rng.choice(("http", "junk", "late", "slow", "silent", "reset", "reset_read",
                           "header"))
        if what == "http":
            c.label, c.head = "direct, sends an HTTP request first", "bad"
            c.steps = [("send", b"GET / HTTP/1.0\r\nHost: x\r\n\r\n"), ("read",), ("close",)]
        elif what == "junk":
            size = rng.choice((1, 100, 4096, 65536))
            c.label, c.head = "direct, sends %d bytes first" % size, "bad"
            c.steps = [("send", b"j" * size), ("read",), ("close",)]
        elif what == "late":
            c.label = "direct, sends after the first bytes"
            c.steps = [("read_some",), ("send", b"QUIT\r\n"), ("read",), ("close",)]
        elif what == "slow":
            c.label = "direct, reads slowly"
            c.steps = [("slow", rng.choice((1, 7, 64)), rng.choice((0.001, 0.005))), ("close",)]
        elif what == "silent":
            c.label = "direct, silent a while before reading"
            c.steps = [("sleep", rng.choice((0.05, 0.3, 1.0))), ("read",), ("close",)]
        elif what == "reset":
            c.label, c.aborts = "direct, resets", True
            c.steps = [("sleep", rng.choice((0.0, 0.001, 0.02))), ("abort",)]
        elif what == "reset_read":
            c.label, c.aborts = "direct, resets after its first byte", True
            c.steps = [("read_some",), ("abort",)]
        else:
            # A PROXY header from an address that is not a trusted proxy: data, drained.
            hdr, ident = self.header(rng, "valid", 1)
            c.label, c.head = "direct, sends a PROXY header of its own", "valid"
            c.hdr = ident
            c.steps = [("send", hdr), ("read",), ("close",)]
        return c

    def header(self, rng, kind, version):
        """A PROXY header naming a forged client (or LOCAL/UNKNOWN), with the client it
        names: (bytes, (address, port) or None for the connection's own)."""
        src = rng.choice(self.forged)
        port = rng.randrange(1024, 65536)
        v6 = ":" in src
        if kind == "local":
            # The spec says LOCAL is greeted with the connection's own ends, whatever family
            # and length it names (issue 23, item 6): the last one has a family, length 0.
            if version == 1:
                return rng.choice((b"PROXY UNKNOWN\r\n", b"PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n")), None
            return rng.choice((V2_SIG + b"\x20\x00\x00\x00", V2_SIG + b"\x21\x00\x00\x00",
                               V2_SIG + b"\x20\x11\x00\x00")), None
        if version == 1:
            line = "PROXY %s %s %s %d 12345\r\n" % ("TCP6" if v6 else "TCP4", src,
                                                  "::1" if v6 else "127.0.0.1", port)
            return line.encode(), (src, port)
        a = ipaddress.ip_address(src)
        dst = ipaddress.ip_address("::1" if v6 else "127.0.0.1")
        block = a.packed + dst.packed + struct.pack("!HH", port, 12345)
        tlv = b"\x04\x00\x03abc" if rng.random() < 0.2 else b""
        fam = 0x21 if v6 else 0x11
        body = block + tlv
        return V2_SIG + bytes((0x21, fam)) + struct.pack("!H", len(body)) + body, (src, port)

    def proxied_client(self, rng, n):
        """A client of the trusted proxy: a header, whole or split at random bytes with delays
        between the pieces, maybe data after it, maybe lingering; or a bad, cut or missing
        header."""
        c = ClientSpec(n, "tcp", "::1" if self.ipv6 else TRUSTED, "proxied")
        version = rng.choice((1, 2))
        what = rng.choices(("valid", "local", "bad", "stall", "fin", "none"),
                           (20, 2, 1, 0.5, 0.5, 0.3))[0]
        if what in ("valid", "local", "stall", "fin"):
            hdr, c.hdr = self.header(rng, "local" if what == "local" else "valid", version)
        if what in ("valid", "local"):
            c.head = what
            if hdr[12:14] == b"\x20\x11":
                what = "LOCAL naming a family, length 0,"
            cuts = sorted(rng.sample(range(1, len(hdr)), min(len(hdr) - 1, rng.choice((0, 0, 1, 2, 5)))))
            pieces = [hdr[i:j] for i, j in zip([0] + cuts, cuts + [len(hdr)])]
            for k, piece in enumerate(pieces):
                if k:
                    c.steps.append(("sleep", rng.choice((0.0, 0.001, 0.005, 0.02))))
                c.steps.append(("send", piece))
            if rng.random() < 0.15:
                c.steps.append(("send", b"GET / HTTP/1.0\r\n\r\n"))
            c.label = "proxied v%d %s in %d pieces" % (version, what, len(pieces))
            c.steps.append(("read",))
            if rng.random() < self.mix["hold"] / 2:
                c.steps.append(("sleep", rng.choice((0.05, 0.2, 0.5))))
            c.steps.append(("close",))
        elif what == "bad":
            c.head, c.label = "bad", "proxied, a bad header"
            c.steps = [("send", rng.choice(BAD_HEADERS)), ("read",), ("close",)]
        elif what == "stall":
            c.label, c.waits = "proxied v%d, half a header then silence" % version, True
            c.steps = [("send", hdr[:rng.randrange(1, len(hdr))]), ("read",), ("close",)]
        elif what == "fin":
            c.label, c.waits = "proxied v%d, half a header then a FIN" % version, True
            c.steps = [("send", hdr[:rng.randrange(1, len(hdr))]), ("shut",), ("read",), ("close",)]
        else:
            c.label, c.waits = "from the proxy's address, no header", True
            c.steps = [("read",), ("close",)]
        if what not in ("valid", "local"):
            c.hdr = None
        return c

    def udp_client(self, rng, n):
        c = ClientSpec(n, "udp", rng.choice(self.direct), "udp")
        c.size = rng.choice((1, 24, "line", "line+1", 512, 512, 1000, 2000))
        c.label = "UDP, %s bytes" % c.size
        return c
