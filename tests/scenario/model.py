# SPDX-License-Identifier: BSD-2-Clause
"""What hellod.conf(5) says a configuration does, as pure functions: the configuration file a
Conf writes, who [access] admits, who is exempt or trusted, which per-source and rate keys a
client counts against, and every line a client may be sent (README.md: "The model")."""
import functools
import ipaddress
import math
import socket
import time

# hellod's bounds (src/common/defaults.h, template.h), for the generator's greetings and quotes.
GREETING_MAX = 511
VAR_WIDTH = {"hostname": 64, "remote_addr": 56, "remote_port": 5, "server_addr": 56,
             "server_port": 5, "protocol": 3, "time_iso8601": 25}
DEFAULT_GREETING = "Thank you for connecting"
DEFAULT_EXEMPT = ("127.0.0.0/8", "::1")
CONNECTIONS_AUTO = 16384

# The refusal counters, named as in stats.c, with the words the counters' line uses.
REASONS = ("max_connections", "per_source", "tcp_rate", "proxy", "send_timeout", "evicted",
           "udp_size", "udp_rate", "udp_loop", "denied")
REASON_WORDS = (
    ("per_source", "over max_connections_per_source"),
    ("max_connections", "over max_connections"),
    ("tcp_rate", "over tcp_rate"),
    ("proxy", "without a valid PROXY header"),
    ("send_timeout", "at send_timeout"),
    ("evicted", "to make room"),
    ("udp_size", "too small or from a service port"),
    ("udp_rate", "over udp_rate"),
    ("udp_loop", "looping"),
    ("denied", "by [access]"),
)


class QuoteFile:
    """A fortune(6) file as the generator wrote it: its bytes and, in file order, the quotes
    hellod keeps (the others are skipped: too long, or with a control character)."""

    def __init__(self, entries, crlf=False):
        self.entries = entries          # [(text, usable)]
        self.crlf = crlf
        nl = "\r\n" if crlf else "\n"
        self.text = (nl + "%" + nl).join(t for t, _ in entries) + nl
        self.usable = [t for t, ok in entries if ok]
        self.max_len = max(len(t.encode()) for t in self.usable)


class Conf:
    """One configuration: every key's value as hellod applies it (None: the key is not
    written, hellod's default holds). greeting is a list of parts, ("t", text) or
    ("v", name)."""

    def __init__(self):
        self.host = "127.0.0.1"
        self.port = 0
        self.workers = 1
        self.udp = False
        self.close_fast = False
        self.greeting = None
        self.quotes = None              # QuoteFile
        self.quotes_name = None         # the file's name in the scenario's directory
        self.rotation = "daily"
        self.proxy = False
        self.trusted = ()
        self.max_conn = 0               # 0: auto
        self.per_source = 64
        self.exempt = None              # None: the default, 127.0.0.0/8 ::1
        self.tcp_rate = 0
        self.tcp_burst = 40
        self.udp_rate = 20
        self.udp_burst = 40
        self.prefix4 = 24
        self.prefix6 = 56
        self.ratio = 1
        self.linger = 5.0
        self.proxy_timeout = 3.0
        self.allow = ()
        self.deny = ()
        self.log_connections = False
        self.summary = 60.0
        self.broken = False             # a file with an error: the reload must be refused
        self.explicit = ()              # keys written even when they hold the default
        self._nets, self._memo = {}, {}

    def copy(self):
        c = Conf()
        c.__dict__.update(self.__dict__)
        c._nets, c._memo = {}, {}
        return c

    def greeting_text(self):
        """The greeting as written in the file: ${name} where a name character follows."""
        out = ""
        parts = self.greeting or [("t", DEFAULT_GREETING)]
        for i, (kind, value) in enumerate(parts):
            if kind == "t":
                out += value
                continue
            nxt = parts[i + 1][1][:1] if i + 1 < len(parts) and parts[i + 1][0] == "t" else ""
            out += "${%s}" % value if nxt and (nxt.isalnum() or nxt == "_") else "$" + value
        return out

    def parts(self):
        """The greeting's parts as hellod reads them: inih ends a value at a ';' that follows
        whitespace (an inline comment, hellod.conf(5)), and trims what is left."""
        out = []
        for kind, value in self.greeting or [("t", DEFAULT_GREETING)]:
            if kind == "t":
                cut = min((i for i in range(1, len(value))
                           if value[i] == ";" and value[i - 1] in " \t"), default=None)
                if cut is not None:
                    out.append(("t", value[:cut].rstrip(" \t")))
                    break
            out.append((kind, value))
        return out

    # Each key as written, and hellod's default (None: always written).
    KEYS = (
        ("server", "host", lambda c: c.host, None),
        ("server", "port", lambda c: str(c.port), None),
        ("server", "workers", lambda c: str(c.workers), "1"),
        ("server", "udp", lambda c: "yes" if c.udp else "no", "no"),
        ("server", "close", lambda c: "fast" if c.close_fast else "linger", "linger"),
        ("server", "greeting", lambda c: c.greeting_text(), DEFAULT_GREETING),
        ("server", "quotes", lambda c: c.quotes_name or "", ""),
        ("server", "quote_rotation", lambda c: c.rotation, "daily"),
        ("server", "proxy_protocol", lambda c: "yes" if c.proxy else "no", "no"),
        ("server", "trusted_proxies", lambda c: " ".join(c.trusted) if c.proxy else "", ""),
        ("limits", "max_connections", lambda c: str(c.max_conn or "auto"), "auto"),
        ("limits", "max_connections_per_source", lambda c: str(c.per_source), "64"),
        ("limits", "tcp_rate", lambda c: str(c.tcp_rate), "0"),
        ("limits", "tcp_burst", lambda c: str(c.tcp_burst), "40"),
        ("limits", "udp_rate", lambda c: str(c.udp_rate), "20"),
        ("limits", "udp_burst", lambda c: str(c.udp_burst), "40"),
        ("limits", "rate_prefix_ipv4", lambda c: str(c.prefix4), "24"),
        ("limits", "rate_prefix_ipv6", lambda c: str(c.prefix6), "56"),
        ("limits", "udp_max_ratio", lambda c: str(c.ratio), "1"),
        ("limits", "linger_timeout", lambda c: "%g" % c.linger, "5"),
        ("limits", "proxy_timeout", lambda c: "%g" % c.proxy_timeout, "3"),
        ("limits", "exempt", lambda c: " ".join(DEFAULT_EXEMPT if c.exempt is None
                                                else c.exempt), " ".join(DEFAULT_EXEMPT)),
        ("access", "allow", lambda c: " ".join(c.allow), ""),
        ("access", "deny", lambda c: " ".join(c.deny), ""),
        ("log", "level", lambda c: "info", "info"),
        ("log", "connections", lambda c: "yes" if c.log_connections else "no", "no"),
        ("log", "summary_interval", lambda c: "%g" % c.summary, "60"),
    )

    def file_text(self):
        """The configuration file: the keys whose value is not hellod's default, and those
        of self.explicit whatever their value, as users write them (most set a few keys)."""
        lines, section = [], None
        for sect, key, value_of, default in self.KEYS:
            value = value_of(self)
            if value == default and key not in self.explicit:
                continue
            if sect != section:
                lines.append("[%s]" % sect)
                section = sect
            lines.append("%s = %s" % (key, value))
        if self.broken:
            lines.insert(len(lines) // 2 + 1, "backlog = lots")
        return "\n".join(lines) + "\n"

    def nets(self, which):
        if which not in self._nets:
            if which == "exempt":
                items = DEFAULT_EXEMPT if self.exempt is None else self.exempt
            else:
                items = getattr(self, which)
            self._nets[which] = [ipaddress.ip_network(p, strict=False) for p in items]
        return self._nets[which]

    def conn_limit(self):
        """Each worker's share of max_connections (conn.c's conn_limit)."""
        total = self.max_conn or CONNECTIONS_AUTO
        return max(1, total // self.workers)


@functools.lru_cache(maxsize=None)
def parse_addr(addr):
    return ipaddress.ip_address(addr)


def _longest(addr, nets):
    best = -1
    for n in nets:
        if n.version == addr.version and addr in n and n.prefixlen > best:
            best = n.prefixlen
    return best


def _memo(conf, which, addr, compute):
    key = (which, addr)
    if key not in conf._memo:
        conf._memo[key] = compute(parse_addr(addr))
    return conf._memo[key]


def _allows(conf, a):
    best_allow, best_deny = _longest(a, conf.nets("allow")), _longest(a, conf.nets("deny"))
    if best_allow < 0 and best_deny < 0:
        return not conf.allow
    return best_allow > best_deny


def allows(conf, addr):
    """[access]: the longest prefix of allow and deny holding addr decides, a tie denies; none
    holds it: greeted when allow is empty."""
    return _memo(conf, "allows", addr, lambda a: _allows(conf, a))


def exempts(conf, addr):
    return _memo(conf, "exempt", addr, lambda a: _longest(a, conf.nets("exempt")) >= 0)


def trusts(conf, addr):
    return conf.proxy and _memo(conf, "trusted", addr,
                                lambda a: _longest(a, conf.nets("trusted")) >= 0)


@functools.lru_cache(maxsize=None)
def source_key(addr):
    """What max_connections_per_source counts: an IPv4 address, an IPv6 /64."""
    a = parse_addr(addr)
    return str(ipaddress.ip_network("%s/%d" % (a, 32 if a.version == 4 else 64), strict=False))


@functools.lru_cache(maxsize=None)
def prefix_key(addr, prefix4, prefix6):
    a = parse_addr(addr)
    bits = prefix4 if a.version == 4 else prefix6
    return str(ipaddress.ip_network("%s/%d" % (a, bits), strict=False))


def rate_key(conf, addr):
    """What udp_rate and tcp_rate count: the source's rate_prefix_ipv4 or _ipv6."""
    return prefix_key(addr, conf.prefix4, conf.prefix6)


@functools.lru_cache(maxsize=None)
def format_addr(addr):
    """An address as hellod prints it (inet_ntop)."""
    a = parse_addr(addr)
    fam = socket.AF_INET if a.version == 4 else socket.AF_INET6
    return socket.inet_ntop(fam, a.packed)


@functools.lru_cache(maxsize=None)
def hostname_shown():
    """$hostname: gethostname(), 64 bytes at most, each byte outside [A-Za-z0-9.-] a '-'."""
    raw = socket.gethostname().encode()[:64]
    return "".join(chr(b) if chr(b).isascii() and (chr(b).isalnum() or chr(b) in ".-") else "-"
                   for b in raw)


def daily_index(n, t):
    """quotes.c's quotes_daily() for the day of wall-clock time t, in UTC (hellod runs with
    TZ=UTC)."""
    if n <= 1:
        return 0
    day = int(t) // 86400
    stride = n * 618034 // 1000000 or 1
    while math.gcd(stride, n) != 1:
        stride += 1
    return (day % n) * stride % n


def iso8601(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(t))


def seconds_between(w0, w1):
    """The whole seconds of wall-clock time from w0 to w1 (a rendering happened in one)."""
    return range(int(math.floor(w0)), int(math.floor(w1)) + 1)


def render(conf, ident, protocol, server, wall):
    """Every line conf can send a client that hellod sees as ident (address, port) over
    protocol, at a wall-clock time within wall (w0, w1): a set of bytes, each with its
    newline. server is hellod's (address, port)."""
    parts = conf.parts()
    names = {v for k, v in parts if k == "v"}
    seconds = tuple(seconds_between(*wall)) if names & {"quote", "time_iso8601"} else ()
    key = ("render", protocol, seconds,
           ident[0] if names & {"remote_addr"} else None,
           ident[1] if names & {"remote_port"} else None, server if names & {"server_addr",
                                                                          "server_port"} else None)
    if key in conf._memo:
        return conf._memo[key]
    values = {"remote_addr": [format_addr(ident[0])], "remote_port": [str(ident[1])],
              "server_addr": [format_addr(server[0])], "server_port": [str(server[1])],
              "protocol": [protocol], "hostname": [hostname_shown()]}
    if "quote" in names:
        q = conf.quotes.usable
        if conf.rotation == "daily":
            values["quote"] = sorted({q[daily_index(len(q), s)] for s in seconds})
        else:
            values["quote"] = q
    if "time_iso8601" in names:
        values["time_iso8601"] = [iso8601(s) for s in seconds]
    lines = [""]
    for kind, value in parts:
        if kind == "t":
            lines = [s + value for s in lines]
        else:
            lines = [s + v for s in lines for v in values[value]]
    out = frozenset((s + "\n").encode() for s in lines)
    if len(conf._memo) < 100000:
        conf._memo[key] = out
    return out
