/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of the configuration: every rule, valid and invalid, with the exact file:line. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* Included to reach parse_greeting(): its limits lie beyond what a 199-byte line can hold. */
#include "../../src/common/config.c"
#include "test.h"

static struct config_errors errs;

/* Parses text through the same line reader as a file. Returns config_parse()'s result. */
static int
parse(const char *text, struct hellod_config **ret)
{
	FILE *f = *text ? fmemopen((void *)(uintptr_t)text, strlen(text), "r") :
	    fopen("/dev/null", "r");
	int r;

	r = config_parse(f, "t.conf", ret, &errs);
	fclose(f);
	return r;
}

/* True when the only error is on line and its text contains what. */
static bool
only_error(unsigned line, const char *what)
{
	if (errs.n != 1 || errs.line[0] != line || !strstr(errs.text[0], what)) {
		printf("# %u errors; first: line %u: %s\n", errs.n, errs.line[0], errs.text[0]);
		return false;
	}
	return true;
}

/* Parses text that must be rejected with one error on line mentioning what. */
static bool
rejected(const char *text, unsigned line, const char *what)
{
	struct hellod_config *c = (struct hellod_config *)&errs;  /* a sentinel */

	if (parse(text, &c) != -EINVAL || c != (struct hellod_config *)&errs)
		return false;
	return only_error(line, what);
}

static void
empty_file_gives_defaults(void)
{
	struct hellod_config *c = NULL;

	CHECK(parse("; nothing set\n", &c) == 0);
	CHECK(c && c->host == NULL && c->port == 12345 && c->backlog == 4096);
	CHECK(c && !c->udp && c->workers == 1 && c->log_level == LOG_INFO && !c->log_connections);
	CHECK_STR(c ? c->greeting : NULL, "Thank you for connecting");
	CHECK_STR(c ? c->line : NULL, "Thank you for connecting\n");
	CHECK(c && c->line_len == 25);
	CHECK_STR(c ? c->path : NULL, "t.conf");
	config_unref(c);
}

static void
every_key_set(void)
{
	struct hellod_config *c = NULL;

	CHECK(parse("; comment\n# comment\n\n[server]\nhost = 127.0.0.1\nport = 8007\n"
	    "backlog = 77\ngreeting = Hello, world\nudp = yes\nworkers = 4\n"
	    "[log]\nlevel = debug\nconnections = on\n", &c) == 0);
	CHECK(c && strcmp(c->host, "127.0.0.1") == 0 && c->port == 8007 && c->backlog == 77);
	CHECK(c && c->udp && c->workers == 4 && c->log_level == LOG_DEBUG && c->log_connections);
	CHECK_STR(c ? c->line : NULL, "Hello, world\n");
	config_unref(c);
}

static void
limits_keys(void)
{
	struct hellod_config *c = NULL;
	struct addr_prefix a;
	char buf[64];

	/* The defaults: loopback exempt, UDP rate-limited, TCP not. */
	CHECK(parse("\n", &c) == 0);
	CHECK(c && c->max_connections == 0 && c->max_per_source == 64);
	CHECK(c && c->send_usec == 5000000 && c->linger_usec == 5000000 && c->drain_usec == 5000000);
	CHECK(c && c->udp_rate == 20 && c->udp_burst == 40 && c->tcp_rate == 0);
	CHECK(c && c->prefix4 == 24 && c->prefix6 == 56 && c->n_exempt == 2);
	CHECK(c && c->summary_usec == 60000000);
	CHECK(c && addr_prefix_parse("127.255.0.1", &a) == 0 && config_exempts(c, &a));
	CHECK(c && addr_prefix_parse("::1", &a) == 0 && config_exempts(c, &a));
	CHECK(c && addr_prefix_parse("128.0.0.1", &a) == 0 && !config_exempts(c, &a));
	CHECK(c && addr_prefix_parse("::2", &a) == 0 && !config_exempts(c, &a));
	config_unref(c);

	CHECK(parse("[limits]\nmax_connections = 100\nmax_connections_per_source = 0\n"
	    "send_timeout = 0.5\nlinger_timeout = 2\ndrain_timeout = 30\nudp_rate = 0\n"
	    "udp_burst = 1\ntcp_rate = 7\ntcp_burst = 9\nrate_prefix_ipv4 = 32\n"
	    "rate_prefix_ipv6 = 64\nexempt = 10.1.2.3/8, 2001:db8::/32\n"
	    "[log]\nsummary_interval = 0\n", &c) == 0);
	CHECK(c && c->max_connections == 100 && c->max_per_source == 0);
	CHECK(c && c->send_usec == 500000 && c->linger_usec == 2000000 && c->drain_usec == 30000000);
	CHECK(c && c->udp_rate == 0 && c->udp_burst == 1 && c->tcp_rate == 7 && c->tcp_burst == 9);
	CHECK(c && c->prefix4 == 32 && c->prefix6 == 64 && c->summary_usec == 0);
	CHECK(c && c->n_exempt == 2);
	/* Masked to the prefix: 10.1.2.3/8 is 10.0.0.0/8. */
	CHECK_STR(c ? addr_prefix_format(&c->exempt[0], buf, sizeof(buf)) : NULL, "10.0.0.0/8");
	CHECK_STR(c ? addr_prefix_format(&c->exempt[1], buf, sizeof(buf)) : NULL, "2001:db8::/32");
	config_unref(c);
	CHECK(parse("[limits]\nexempt =\nmax_connections = auto\n", &c) == 0);
	CHECK(c && c->n_exempt == 0 && c->max_connections == 0);
	config_unref(c);

	CHECK(rejected("[limits]\nmax_connections = 0\n", 2, "max_connections = '0': out of "
	    "range; allowed: auto (from the open files limit, at most 16384) or 1-1048576"));
	CHECK(rejected("[limits]\nlinger_timeout = 0\n", 2, "out of range; allowed: seconds "
	    "from 0.001 to 3600"));
	CHECK(rejected("[limits]\nsend_timeout = 5m\n", 2, "not a number of seconds"));
	CHECK(rejected("[limits]\nudp_burst = 0\n", 2, "udp_burst = '0': out of range; "
	    "allowed: 1-1000000"));
	CHECK(rejected("[limits]\nrate_prefix_ipv4 = 33\n", 2, "allowed: 1-32 (bits)"));
	CHECK(rejected("[limits]\nexempt = 127.0.0.1 10.0.0.0/33\n", 2, "'10.0.0.0/33' has "
	    "too long a prefix length"));
	CHECK(rejected("[limits]\nexempt = localhost\n", 2, "'localhost' is not an address "
	    "or prefix"));
	CHECK(rejected("[limits]\nexempt = ::1 ::1 ::1 ::1 ::1 ::1 ::1 ::1 ::1 ::1 ::1 ::1 ::1 "
	    "::1 ::1 ::1 ::1\n", 2, "more than 16 prefixes"));
}

static void
hosts(void)
{
	struct hellod_config *c = NULL;

	CHECK(parse("[server]\nhost = *\n", &c) == 0 && c->host == NULL);
	config_unref(c);
	CHECK(parse("[server]\nhost =\n", &c) == 0 && c->host == NULL);
	config_unref(c);
	CHECK(parse("[server]\nhost = ::1\n", &c) == 0 && strcmp(c->host, "::1") == 0);
	config_unref(c);
	CHECK(parse("[server]\nhost = greeter.example.org\n", &c) == 0);
	config_unref(c);
	CHECK(rejected("[server]\nhost = not a host\n", 2, "host = 'not a host': not a host"));
	CHECK(rejected("[server]\n\nhost = 1.2.3.4:80\n", 3, "allowed: * (every address)"));
}

/* Issue 14, item 10: an IPv6 socket cannot bind an IPv4-mapped address, so -t refuses it. */
static void
ipv4_mapped_hosts(void)
{
	struct hellod_config *c = NULL;

	CHECK(rejected("[server]\nhost = ::ffff:127.0.0.1\n", 2, "host = '::ffff:127.0.0.1': "
	    "an IPv4-mapped address; write it as 127.0.0.1"));
	CHECK(rejected("[server]\nhost = ::FFFF:7f00:2\n", 2, "write it as 127.0.0.2"));
	CHECK(rejected("[server]\nhost = ::ffff:192.0.2.1%lo\n", 2, "write it as 192.0.2.1"));
	CHECK(rejected("[server]\nhost = ::ffff:0.0.0.0\n", 2, "write it as 0.0.0.0"));
	/* Not mapped: IPv4-compatible, the IPv6 unspecified address, a NAT64 address. */
	CHECK(parse("[server]\nhost = ::127.0.0.1\n", &c) == 0);
	config_unref(c);
	CHECK(parse("[server]\nhost = ::\n", &c) == 0);
	config_unref(c);
	CHECK(parse("[server]\nhost = 64:ff9b::127.0.0.1\n", &c) == 0);
	config_unref(c);
}

static void
ports(void)
{
	struct hellod_config *c = NULL;

	CHECK(parse("[server]\nport = http\n", &c) == 0 && c->port == 80);
	config_unref(c);
	CHECK(rejected("[server]\nport = 0\n", 2, "port = '0': out of range; allowed: 1-65535"));
	CHECK(rejected("[server]\nport = 65536\n", 2, "out of range"));
	CHECK(rejected("[server]\nport = -5\n", 2, "not a port number or a known service name"));
	CHECK(rejected("[server]\nport = nosuchservice\n", 2, "service name from /etc/services"));
}

static void
numbers(void)
{
	struct hellod_config *c = NULL;

	CHECK(parse("[server]\nbacklog = 65535\nworkers = auto\n", &c) == 0);
	CHECK(c && c->backlog == 65535 && c->workers == 0);
	config_unref(c);
	CHECK(rejected("[server]\nbacklog = 0\n", 2, "backlog = '0': out of range; allowed: 1-65535"));
	CHECK(rejected("[server]\nbacklog = 65536\n", 2, "out of range"));
	CHECK(rejected("[server]\nbacklog = many\n", 2, "not a number"));
	CHECK(rejected("[server]\nbacklog = 12 34\n", 2, "not a number"));
	CHECK(rejected("[server]\nworkers = 0\n", 2, "allowed: auto (one per CPU) or 1-64"));
	CHECK(rejected("[server]\nworkers = 65\n", 2, "workers = '65'"));
}

static void
close_modes(void)
{
	struct hellod_config *c = NULL;

	CHECK(parse("[server]\n", &c) == 0);
	CHECK(c && !c->close_fast);
	config_unref(c);
	CHECK(parse("[server]\nclose = fast\n", &c) == 0);
	CHECK(c && c->close_fast);
	config_unref(c);
	CHECK(parse("[server]\nclose = linger\n", &c) == 0);
	CHECK(c && !c->close_fast);
	config_unref(c);
	CHECK(parse("[limits]\nudp_max_ratio = 100\n", &c) == 0);
	CHECK(c && c->udp_max_ratio == 100);
	config_unref(c);
	CHECK(parse("[server]\n", &c) == 0);
	CHECK(c && c->udp_max_ratio == 1);
	config_unref(c);
	CHECK(rejected("[limits]\nudp_max_ratio = 0\n", 2, "udp_max_ratio = '0': out of range; "
	    "allowed: 1-100 (times the request's size)"));
	CHECK(rejected("[limits]\nudp_max_ratio = 101\n", 2, "allowed: 1-100"));
	CHECK(rejected("[server]\nclose = yes\n", 2, "close = 'yes': allowed: linger (wait for "
	    "the client's end) or fast (close at once unless the client sent something)"));
}

static void
booleans_and_levels(void)
{
	struct hellod_config *c = NULL;

	CHECK(parse("[server]\nudp = true\n[log]\nlevel = err\nconnections = 0\n", &c) == 0);
	CHECK(c && c->udp && c->log_level == LOG_ERR && !c->log_connections);
	config_unref(c);
	CHECK(rejected("[server]\nudp = maybe\n", 2, "allowed: yes/no, true/false, on/off, 1/0"));
	CHECK(rejected("[log]\nlevel = loud\n", 2,
	    "allowed: err, warning, notice, info, debug"));
	CHECK(rejected("[log]\nconnections = sometimes\n", 2, "not a boolean"));
}

static void
greetings(void)
{
	struct hellod_config *c = NULL;

	CHECK(parse("[server]\ngreeting = tabs\tare fine, and UTF-8: \xc3\xa9t\xc3\xa9\n", &c) == 0);
	CHECK_STR(c ? c->greeting : NULL, "tabs\tare fine, and UTF-8: \xc3\xa9t\xc3\xa9");
	config_unref(c);
	/* Debian's inih ends the value at " ;": documented in etc/hellod.conf. */
	CHECK(parse("[server]\ngreeting = Hi ; there\n", &c) == 0);
	CHECK_STR(c ? c->greeting : NULL, "Hi");
	config_unref(c);
	CHECK(rejected("[server]\ngreeting = ring\x07the bell\n", 2,
	    "control character \\x07 at byte 5; allowed: text and tabs"));
	CHECK(rejected("[server]\ngreeting = del\x7f\n", 2, "control character \\x7f"));
	CHECK(rejected("[server]\ngreeting =\n", 2, "0 bytes long; allowed: 1-511 bytes"));
}

/* Issue 14, item 13: a greeting is UTF-8 without control characters, C1 ones included. */
static void
greetings_utf8(void)
{
	struct hellod_config *c = NULL;

	CHECK(parse("[server]\ngreeting = \xc2\xa0nbsp \xe2\x82\xac \xf0\x9f\x98\x80 "
	    "\xf4\x8f\xbf\xbf \xc2\xa0\n", &c) == 0);
	CHECK_STR(c ? c->greeting : NULL, "\xc2\xa0nbsp \xe2\x82\xac \xf0\x9f\x98\x80 "
	    "\xf4\x8f\xbf\xbf \xc2\xa0");
	config_unref(c);
	CHECK(rejected("[server]\ngreeting = a\xc2\x9b" "31mred\n", 2,
	    "greeting = 'a\\xc2\\x9b31mred': control character U+009B at byte 2; allowed: "
	    "text and tabs"));
	CHECK(rejected("[server]\ngreeting = \xc2\x80\n", 2, "control character U+0080"));
	CHECK(rejected("[server]\ngreeting = x\xc2\x9f\n", 2, "control character U+009F"));
	CHECK(rejected("[server]\ngreeting = ab\x9b" "31m\n", 2,
	    "not UTF-8 at byte 3 (\\x9b); allowed: UTF-8 text and tabs"));
	CHECK(rejected("[server]\ngreeting = \xc0\xafoverlong\n", 2, "not UTF-8 at byte 1"));
	CHECK(rejected("[server]\ngreeting = \xe0\x80\xafoverlong\n", 2, "not UTF-8"));
	CHECK(rejected("[server]\ngreeting = \xed\xa0\x80surrogate\n", 2, "not UTF-8"));
	CHECK(rejected("[server]\ngreeting = \xf4\x90\x80\x80past\n", 2, "not UTF-8"));
	CHECK(rejected("[server]\ngreeting = \xf5\x80\x80\x80\n", 2, "not UTF-8"));
	CHECK(rejected("[server]\ngreeting = cut \xe2\x82\n", 2, "not UTF-8 at byte 5"));
	CHECK(rejected("[server]\ngreeting = cut \xe2\x82x\n", 2, "not UTF-8 at byte 5"));
	CHECK(rejected("[server]\ngreeting = latin-1 caf\xe9\n", 2, "(\\xe9)"));
}

/* A path longer than the kernel takes cannot come through a file (its lines end at 199 bytes),
 * but the parser, which the fuzzer and other callers reach directly, refuses it too. */
static void
path_length_limit(void)
{
	const struct config_key *k = config_key_find("server", "quotes");
	struct hellod_config *c = config_new_defaults();
	static char value[HELLOD_PATH_MAX + 2];
	char msg[MSG_LEN];

	memset(value, 'p', sizeof(value));
	value[0] = '/';
	value[HELLOD_PATH_MAX] = '\0';
	CHECK(k && c && config_key_parse(k, c, value, msg) == 0 &&
	    strlen(c->quotes_path) == HELLOD_PATH_MAX);
	value[HELLOD_PATH_MAX] = 'p';
	value[HELLOD_PATH_MAX + 1] = '\0';
	CHECK(k && c && config_key_parse(k, c, value, msg) == -EINVAL);
	CHECK(strncmp(msg, "4096 bytes long; allowed: a fortune(6) file, such as ", 52) == 0);
	config_unref(c);
}

static void
greeting_length_limit(void)
{
	struct hellod_config *c = config_new_defaults();
	char value[HELLOD_GREETING_MAX + 2], msg[MSG_LEN];

	memset(value, 'g', sizeof(value));
	value[HELLOD_GREETING_MAX] = '\0';
	CHECK(parse_greeting(c, value, msg) == 0 && strlen(c->greeting) == 511);
	value[HELLOD_GREETING_MAX] = 'g';
	value[HELLOD_GREETING_MAX + 1] = '\0';
	CHECK(parse_greeting(c, value, msg) == -EINVAL);
	CHECK(strstr(msg, "512 bytes long; allowed: 1-511 bytes") != NULL);
	config_unref(c);
}

static void
unknown_names(void)
{
	CHECK(rejected("[server]\nport = 1\n[extra]\n", 3,
	    "unknown section [extra]; allowed: [server], [limits], [access], [log], [metrics]"));
	/* Keys of an unknown section are not reported again. */
	CHECK(rejected("[extra]\nkey = 1\nother = 2\n", 1, "unknown section [extra]"));
	CHECK(rejected("[server]\nprot = 1\n", 2, "unknown key 'prot' in [server]; allowed: "
	    "host, port, backlog, greeting, udp, workers, close, quotes, quote_rotation, "
	    "proxy_protocol, trusted_proxies"));
	CHECK(rejected("[log]\nport = 1\n", 2, "unknown key 'port' in [log]; allowed: level, "
	    "connections, summary_interval"));
	CHECK(rejected("[limits]\nrate = 1\n", 2, "unknown key 'rate' in [limits]; allowed: "
	    "max_connections, max_connections_per_source, send_timeout, linger_timeout, "
	    "drain_timeout, udp_rate, udp_burst, tcp_rate, tcp_burst, rate_prefix_ipv4, "
	    "rate_prefix_ipv6, exempt, udp_max_ratio, proxy_timeout"));
	CHECK(rejected("port = 1\n", 1, "key 'port' outside any section"));
}

static void
duplicates(void)
{
	CHECK(rejected("[server]\nport = 1\n\n[server]\nport = 2\n", 5,
	    "duplicate key 'port' (first set on line 2)"));
}

static void
long_lines(void)
{
	char text[600];
	struct hellod_config *c = NULL;

	/* 198 bytes and the newline fill Debian's 200-byte inih buffer: accepted, whole. */
	snprintf(text, sizeof(text), "[server]\ngreeting = %0187d\n", 0);
	CHECK(parse(text, &c) == 0 && c && strlen(c->greeting) == 187);
	config_unref(c);
	/* 199 do not: inih would cut the line and read its tail as a line of its own. */
	snprintf(text, sizeof(text), "[server]\n\ngreeting = %0188d\n", 0);
	CHECK(rejected(text, 3, "line is 199 bytes long; allowed: at most 198"));
	/* The lines after a long one keep their numbers. */
	snprintf(text, sizeof(text), "[server]\ngreeting = %0400d\nport = x\n", 0);
	CHECK(parse(text, &c) == -EINVAL && errs.n == 2 && errs.line[0] == 2 && errs.line[1] == 3);
	CHECK(strstr(errs.text[0], "line is 411 bytes long") != NULL);
}

static void
indented_lines(void)
{
	struct hellod_config *c = NULL;

	CHECK(rejected("[server]\ngreeting = first\n  second\n", 3,
	    "indented line; allowed: no leading whitespace"));
	CHECK(rejected("[server]\n\tport = 1\n", 2, "indented line"));
	/* inih skips \f and \v as it skips spaces: a section behind them is indented too. */
	CHECK(parse("[server]\n\f[lgo]\nlevel = debug\n", &c) == -EINVAL);
	CHECK(errs.line[0] == 2 && strstr(errs.text[0], "indented line"));
	CHECK(rejected("[server]\nport = 1\n\vhost = x\n", 3, "indented line"));
	/* Indented comments and blank lines with spaces are harmless. */
	CHECK(parse("[server]\n   ; note\n  \t\nport = 7\n", &c) == 0 && c && c->port == 7);
	config_unref(c);
}

static void
syntax_errors(void)
{
	struct hellod_config *c = NULL;

	CHECK(rejected("[server]\nport 1\n", 2, "syntax error; allowed: [section], key = value"));
	/* The section never opened, so its key is outside any section: two errors. */
	CHECK(parse("[server\nport = 1\n", &c) == -EINVAL && errs.n == 2);
	CHECK(errs.line[0] == 1 && strstr(errs.text[0], "syntax error"));
	CHECK(errs.line[1] == 2 && strstr(errs.text[1], "outside any section"));
}

static void
nul_bytes(void)
{
	static const char text[] = "[server]\nport = 1\ngreeting = a\0b\n";
	struct hellod_config *c = (struct hellod_config *)&errs;
	FILE *f = fmemopen((void *)(uintptr_t)text, sizeof(text) - 1, "r");

	CHECK(config_parse(f, "t.conf", &c, &errs) == -EINVAL);
	CHECK(only_error(3, "NUL byte in line"));
	fclose(f);
}

static void
errors_in_line_order(void)
{
	struct hellod_config *c = NULL;

	/* inih reports its syntax error (line 2) after the handler's errors (lines 4 and 6). */
	CHECK(parse("[server]\nbroken\n[server]\nport = x\n[log]\nlevel = x\n", &c) == -EINVAL);
	CHECK(errs.n == 3 && errs.line[0] == 2 && errs.line[1] == 4 && errs.line[2] == 6);
	CHECK(strstr(errs.text[0], "syntax error") && strstr(errs.text[1], "port = 'x'"));
	CHECK_STR(errs.file, "t.conf");
}

static void
many_errors_counted(void)
{
	char text[2048] = "[server]\n";
	struct hellod_config *c = NULL;

	for (int i = 0; i < 20; i++)
		strcat(text, "bogus = 1\n");
	CHECK(parse(text, &c) == -EINVAL && errs.n == 20);
	CHECK(errs.line[HELLOD_CONFIG_ERRORS_MAX - 1] == HELLOD_CONFIG_ERRORS_MAX + 1);
}

static void
crlf_and_bom(void)
{
	struct hellod_config *c = NULL;

	CHECK(parse("\xef\xbb\xbf[server]\r\nport = 99\r\ngreeting = dos\r\n", &c) == 0);
	CHECK(c && c->port == 99);
	CHECK_STR(c ? c->greeting : NULL, "dos");
	config_unref(c);
	CHECK(rejected("\xef\xbb\xbf[serverx]\r\n", 1, "unknown section [serverx]"));
}

/* Issue 14, item 11: inih ignores what follows "]"; a comment is all that may. */
static void
text_after_section(void)
{
	struct hellod_config *c = NULL;

	CHECK(rejected("[server] greeting = Custom\n", 1, "text after the section header: "
	    "'greeting = Custom'; allowed: nothing after ], or a ; or # comment"));
	CHECK(rejected("# c\n[log]x\n", 2, "text after the section header: 'x'"));
	CHECK(rejected("[limits]\t\tudp_rate = 5\r\n", 1, "'udp_rate = 5'"));
	/* The keys below it are still read as [server]'s: one error, not one per key. */
	CHECK(rejected("[server] port = 1\ngreeting = x\nhost = *\n", 1, "'port = 1'"));
	CHECK(parse("[server] ; a comment\n[limits]\t# another\n[log];\n[server]#\n"
	    "[server]  \r\n[server]\n", &c) == 0);
	config_unref(c);
}

/* The settings a file made: the lead's reload tells an empty file from a real one by it. */
static void
settings_counted(void)
{
	struct hellod_config *c = NULL;

	c = config_new_defaults();
	CHECK(c && c->n_settings == 0);
	config_unref(c);
	CHECK(parse("\n", &c) == 0 && c->n_settings == 0);
	config_unref(c);
	CHECK(parse("; nothing\n\n[server]\n# at all\n[log]\n", &c) == 0 && c->n_settings == 0);
	config_unref(c);
	CHECK(parse("[server]\nport = 7\ngreeting = hi\n[log]\nlevel = debug\n", &c) == 0 &&
	    c->n_settings == 3);
	config_unref(c);
}

/* Issue 23, item 7: a file that sets nothing is the defaults when it is whole lines, and is
 * refused when it is empty or its last line has no newline (caught while being rewritten),
 * the same for -t, a start and a reload, which all read through here. */
static void
whole_or_refused(void)
{
	struct hellod_config *c = NULL;

	CHECK(rejected("", 0, "empty (0 bytes): caught while being rewritten? A configuration "
	    "that sets nothing holds at least one line, such as a comment; -c /dev/null gives the "
	    "built-in defaults"));
	CHECK(rejected("; all commented out", 1, "sets nothing, and its last line has no "
	    "newline: cut short while being written? allowed: whole lines, each ending with a "
	    "newline"));
	CHECK(rejected("# a\n[server]\n# greeting = x", 3, "sets nothing, and its last line "
	    "has no newline: cut short while being written? allowed: whole lines, each ending with "
	    "a newline"));
	/* Whole: the shipped file's shape, a lone newline, a section. */
	CHECK(parse("# hellod.conf\n[server]\n# greeting = x\n", &c) == 0 && c->n_settings == 0);
	CHECK_STR(c ? c->line : NULL, "Thank you for connecting\n");
	config_unref(c);
	CHECK(parse("[server]\n", &c) == 0);
	config_unref(c);
	/* A file that sets a key is judged by its keys, as before. */
	CHECK(parse("[server]\nport = 7", &c) == 0 && c->port == 7);
	config_unref(c);
}

/* Writes size bytes of comment lines to path. */
static bool
write_comments(const char *path, size_t size)
{
	FILE *f = fopen(path, "w");
	bool ok = f != NULL;

	for (size_t i = 0; ok && i < size; i++)
		ok = fputc(i % 100 == 99 || i == size - 1 ? '\n' : i % 100 == 0 ? '#' : 'x', f) != EOF;
	return f && fclose(f) == 0 && ok;
}

static void
load_timed_out(int sig)
{
	static const char msg[] = "FAIL unit/config/load_regular_files_only: config_load() "
	    "still reading after 10 s\n";

	(void)!write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	_exit(1);
}

/* Issue 14, item 2: only a regular file is read, and at most HELLOD_CONFIG_SIZE_MAX bytes. */
static void
load_regular_files_only(void)
{
	struct hellod_config *c = NULL;
	char dir[] = "/tmp/hellod-test-XXXXXX", path[64], link[64], big[64];
	FILE *f;

	/* A FIFO or /dev/zero held the old config_load() for ever: a hang is a failure. */
	fflush(stdout);
	signal(SIGALRM, load_timed_out);
	alarm(10);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	snprintf(link, sizeof(link), "%s/zero", dir);
	snprintf(big, sizeof(big), "%s/big", dir);
	CHECK(mkfifo(path, 0600) == 0);
	/* Without O_NONBLOCK, this open would wait for a writer for ever. */
	CHECK(config_load(path, true, &c, &errs) == -EBADFD && !c);
	CHECK(errs.n == 1 && errs.line[0] == 0);
	CHECK_STR(errs.text[0], "not a regular file (a FIFO); only a regular file is read");
	CHECK(config_load(path, false, &c, &errs) == -EBADFD && !c);
	CHECK(config_load("/dev/zero", true, &c, &errs) == -EBADFD && !c);
	CHECK_STR(errs.text[0], "not a regular file (a character device); only a regular file "
	    "is read");
	/* /dev/null is the one device read, as the empty file it is. */
	CHECK(config_load("/dev/null", true, &c, &errs) == 0 && c && c->n_settings == 0);
	CHECK_STR(c ? c->path : NULL, "/dev/null");
	config_unref(c);
	c = NULL;
	CHECK(symlink("/dev/zero", link) == 0);
	CHECK(config_load(link, true, &c, &errs) == -EBADFD && !c);
	CHECK(errs.n == 1 && strstr(errs.text[0], "(a character device)"));

	CHECK(write_comments(big, HELLOD_CONFIG_SIZE_MAX));
	CHECK(config_load(big, true, &c, &errs) == 0 && c && c->n_settings == 0);
	config_unref(c);
	c = NULL;
	CHECK(write_comments(big, HELLOD_CONFIG_SIZE_MAX + 1));
	CHECK(config_load(big, true, &c, &errs) == -EFBIG && !c);
	CHECK(errs.n == 1 && errs.line[0] == 0);
	CHECK_STR(errs.text[0], "65537 bytes long; allowed: at most 65536 bytes");

	/* A regular file is parsed as config_parse() would, errors and all: an empty one is
	 * refused (whole_or_refused), unlike /dev/null. */
	CHECK(write_comments(big, 0));
	CHECK(config_load(big, true, &c, &errs) == -EINVAL && !c);
	CHECK(errs.n == 1 && errs.line[0] == 0 && strstr(errs.text[0], "empty (0 bytes)"));
	CHECK(write_comments(big, 100));
	CHECK(config_load(big, true, &c, &errs) == 0 && c && strcmp(c->path, big) == 0);
	config_unref(c);
	c = NULL;
	f = fopen(big, "w");
	CHECK(f && fputs("[server]\nport = 9\nbacklog = x", f) >= 0 && fclose(f) == 0);
	CHECK(config_load(big, true, &c, &errs) == -EINVAL && !c);
	CHECK(errs.n == 1 && errs.line[0] == 3 && strstr(errs.text[0], "backlog = 'x'"));
	alarm(0);
	unlink(path);
	unlink(link);
	unlink(big);
	rmdir(dir);
}

static void
load_missing_and_unreadable(void)
{
	struct hellod_config *c = NULL;
	char dir[] = "/tmp/hellod-test-XXXXXX";

	CHECK(config_load("/nonexistent/hellod.conf", false, &c, &errs) == 0);
	CHECK(c && c->path == NULL && c->port == 12345);
	config_unref(c);
	c = NULL;
	CHECK(config_load("/nonexistent/hellod.conf", true, &c, &errs) == -ENOENT && !c);
	CHECK(errs.n == 1 && errs.line[0] == 0 && strstr(errs.text[0], "No such file"));
	CHECK(mkdtemp(dir) != NULL);
	CHECK(config_load(dir, true, &c, &errs) == -EISDIR && !c);
	CHECK(errs.n == 1 && strstr(errs.text[0], "not a regular file (a directory)"));
	rmdir(dir);
}

static void
same_listen(void)
{
	struct hellod_config *a = NULL, *b = NULL;

	CHECK(parse("[server]\ngreeting = one\n", &a) == 0);
	CHECK(parse("[server]\ngreeting = two\n[log]\nlevel = debug\n", &b) == 0);
	CHECK(a && b && config_same_listen(a, b));
	config_unref(b);
	CHECK(parse("[server]\nport = 1\n", &b) == 0);
	CHECK(a && b && !config_same_listen(a, b));
	config_unref(b);
	CHECK(parse("[server]\nhost = ::1\n", &b) == 0);
	CHECK(a && b && !config_same_listen(a, b) && !config_same_listen(b, a));
	config_unref(b);
	config_unref(a);
}

/* The text of path in the source tree (HELLOD_TOP, else the working directory), or NULL. */
static char *
read_source(const char *path)
{
	const char *top = getenv("HELLOD_TOP");
	size_t size = 256 * 1024, n;
	char name[512], *text;
	FILE *f;

	snprintf(name, sizeof(name), "%s/%s", top ? top : ".", path);
	f = fopen(name, "r");
	text = f ? calloc(1, size + 1) : NULL;
	if (!text) {
		printf("# cannot read %s\n", name);
		if (f)
			fclose(f);
		return NULL;
	}
	n = fread(text, 1, size, f);
	fclose(f);
	text[n] = '\0';
	return text;
}

/* Whether some ".TP" item of the man page names key on its ".B" line, as a word. */
static bool
man_has_key(const char *man, const char *key)
{
	static const char word[] = "abcdefghijklmnopqrstuvwxyz_0123456789";
	size_t n = strlen(key);

	for (const char *p = strstr(man, "\n.TP\n.B "); p; p = strstr(p + 1, "\n.TP\n.B ")) {
		const char *line = p + 8, *end = strchr(line, '\n');

		for (const char *q = strstr(line, key); q && (!end || q < end);
		    q = strstr(q + 1, key))
			if ((q == line || !strchr(word, q[-1])) && !strchr(word, q[n]))
				return true;
	}
	return false;
}

/* Each row is sound: its storage fits its type, its default its range; a section is one run. */
static void
schema_rows_sound(void)
{
	char listen[HELLOD_CONFIG_ERROR_LEN] = "";

	CHECK(config_n_keys > 0 && config_n_keys <= CONFIG_KEYS_MAX);
	for (size_t i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		bool number = k->storage != STORE_STRING && k->storage != STORE_OTHER;

		CHECK(config_key_find(k->section, k->name) == k);
		CHECK(k->allowed != NULL);
		CHECK((k->type == CONFIG_BOOL) == (k->storage == STORE_BOOL) ||
		    k->type == CONFIG_ENUM);
		CHECK((k->type == CONFIG_HOST || k->type == CONFIG_GREETING ||
		    k->type == CONFIG_PATH || k->type == CONFIG_ENDPOINTS) ==
		    (k->storage == STORE_STRING));
		CHECK((k->type == CONFIG_PREFIXES) == (k->storage == STORE_OTHER));
		if (number && k->size < sizeof(uint64_t))
			CHECK(k->max < (1ULL << (8 * k->size)) && k->def < (1ULL << (8 * k->size)));
		if (k->type == CONFIG_UINT || k->type == CONFIG_SECONDS)
			CHECK((k->def >= k->min && k->def <= k->max) ||
			    (k->auto_word && k->def == k->auto_value) ||
			    (k->zero_off && k->def == 0));
		if (k->type == CONFIG_ENUM)
			CHECK(k->words && k->words[0] && k->words[1]);
		for (size_t j = 0; j + 1 < i; j++)
			CHECK(strcmp(config_keys[j].section, k->section) != 0 ||
			    strcmp(config_keys[j + 1].section, k->section) == 0);
		if (!k->reload)
			snprintf(listen + strlen(listen), sizeof(listen) - strlen(listen), "%s%s",
			    *listen ? ", " : "", k->name);
	}
	/* What config_same_listen() compares, and server.c's warning and hellod.conf(5) name. */
	CHECK_STR(listen, "host, port, backlog, udp, workers, listen");
}

/* Each row's -t message ends with what the row allows; a terse row's says nothing else. */
static void
schema_drives_messages(void)
{
	char text[128], what[HELLOD_CONFIG_ERROR_LEN], terse[128];
	struct hellod_config *c = NULL;

	for (size_t i = 0; i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		size_t n;

		if (k->type == CONFIG_GREETING)
			continue;       /* "\x01" is a control character there: greetings() */
		snprintf(text, sizeof(text), "[%s]\n%s = \x01\n", k->section, k->name);
		snprintf(what, sizeof(what), "allowed: %s", k->allowed);
		snprintf(terse, sizeof(terse), "%s = '\\x01': allowed: ", k->name);
		CHECK(parse(text, &c) == -EINVAL && errs.n == 1 && errs.line[0] == 2);
		n = strlen(errs.text[0]);
		CHECK(n > strlen(what) && strcmp(errs.text[0] + n - strlen(what), what) == 0);
		if (k->terse || k->type == CONFIG_ENUM)
			CHECK(strncmp(errs.text[0], terse, strlen(terse)) == 0);
		if (test_failed) {
			printf("# %s: %s\n", k->name, errs.text[0]);
			break;
		}
	}
}

/* Doc drift: every key of the table has its item in hellod.conf(5) and its line in
 * etc/hellod.conf, and the defaults that file shows commented out are the built-in ones. */
static void
schema_documented(void)
{
	char *man = read_source("src/hellod/hellod.conf.5"), *etc = read_source("etc/hellod.conf");
	struct hellod_config *c = NULL, *d = config_new_defaults();
	char needle[128], a[64], b[64];

	CHECK(man && etc && d);
	for (size_t i = 0; man && etc && i < config_n_keys; i++) {
		snprintf(needle, sizeof(needle), "\n;%s =", config_keys[i].name);
		if (!man_has_key(man, config_keys[i].name) || !strstr(etc, needle))
			printf("# %s: not documented\n", config_keys[i].name);
		CHECK(man_has_key(man, config_keys[i].name) && strstr(etc, needle));
	}
	/* Uncommented, etc/hellod.conf's ";key = default" lines set every key, to its default. */
	for (char *p = etc ? strstr(etc, "\n;") : NULL; p; p = strstr(p + 1, "\n;"))
		if (p[2] >= 'a' && p[2] <= 'z' && strstr(p + 2, " =") < strchr(p + 2, '\n'))
			p[1] = ' ';
	for (char *p = etc; p && (p = strstr(p, "\n ")); p++)
		memmove(p + 1, p + 2, strlen(p + 2) + 1);
	CHECK(etc && parse(etc, &c) == 0 && c && c->n_settings == config_n_keys);
	for (size_t i = 0; c && d && i < config_n_keys; i++) {
		const struct config_key *k = &config_keys[i];
		const char *pc = (const char *)c + k->offset, *pd = (const char *)d + k->offset;

		if (k->storage == STORE_STRING)
			CHECK(*(char *const *)pc == *(char *const *)pd ||
			    strcmp(*(char *const *)pc, *(char *const *)pd) == 0);
		else if (k->storage != STORE_OTHER)
			CHECK(memcmp(pc, pd, k->size) == 0);
	}
	CHECK(c && d && c->n_exempt == d->n_exempt);
	for (unsigned i = 0; c && d && i < c->n_exempt && i < d->n_exempt; i++)
		CHECK_STR(addr_prefix_format(&c->exempt[i], a, sizeof(a)),
		    addr_prefix_format(&d->exempt[i], b, sizeof(b)));
	config_unref(c);
	config_unref(d);
	free(man);
	free(etc);
}

/* proxy_protocol = yes needs trusted_proxies, said at proxy_protocol's line. */
static void
proxy_keys(void)
{
	struct hellod_config *c = NULL;

	CHECK(rejected("[server]\nport = 1\nproxy_protocol = yes\n", 3, "proxy_protocol = yes "
	    "needs trusted_proxies: the addresses of the load balancers whose PROXY headers to "
	    "believe; allowed: proxy_protocol = no, or trusted_proxies set in [server]"));
	CHECK(rejected("[server]\nproxy_protocol = yes\ntrusted_proxies =\n", 2,
	    "proxy_protocol = yes needs trusted_proxies"));
	CHECK(parse("[server]\ntrusted_proxies = 10.0.0.0/8 ::1\nproxy_protocol = on\n"
	    "[limits]\nproxy_timeout = 0.5\n", &c) == 0);
	CHECK(c && c->proxy_protocol && c->n_trusted == 2 && c->proxy_usec == 500000);
	config_unref(c);
	c = NULL;
	CHECK(parse("\n", &c) == 0);
	CHECK(c && !c->proxy_protocol && c->n_trusted == 0 && c->proxy_usec == 3000000);
	config_unref(c);
	CHECK(rejected("[limits]\nproxy_timeout = 0\n", 2, "proxy_timeout = '0'"));
	CHECK(rejected("[server]\ntrusted_proxies = 10.0.0.0/33\n", 2, "trusted_proxies = "));
}

static bool
allows(const char *text, const char *client)
{
	struct hellod_config *c = NULL;
	struct addr_prefix a;
	bool r;

	if (parse(text, &c) != 0 || addr_prefix_parse(client, &a) != 0)
		return false;
	r = config_allows(c, &a);
	config_unref(c);
	return r;
}

/* [access]: the longest match of either list decides, a tie denies, no match denies only when
 * allow is set; a mapped IPv4 client is an IPv4 one, and the families never mix. */
static void
access_lists(void)
{
	struct hellod_config *c = NULL;
	struct sockaddr_in6 mapped = { .sin6_family = AF_INET6 };
	struct addr_prefix a;

	CHECK(allows("\n", "192.0.2.1") && allows("\n", "2001:db8::1"));
	CHECK(!allows("[access]\ndeny = 192.0.2.0/24\n", "192.0.2.1"));
	CHECK(allows("[access]\ndeny = 192.0.2.0/24\n", "192.0.3.1"));
	CHECK(!allows("[access]\nallow = 192.0.2.0/24\n", "192.0.3.1"));
	CHECK(allows("[access]\nallow = 192.0.2.0/24\n", "192.0.2.200"));
	/* Longest match: a host allowed inside a denied network, and the reverse. */
	CHECK(allows("[access]\nallow = 10.1.2.3\ndeny = 10.0.0.0/8\n", "10.1.2.3"));
	CHECK(!allows("[access]\nallow = 10.1.2.3\ndeny = 10.0.0.0/8\n", "10.1.2.4"));
	CHECK(!allows("[access]\nallow = 10.0.0.0/8\ndeny = 10.1.0.0/16\n", "10.1.9.9"));
	CHECK(allows("[access]\nallow = 10.0.0.0/8\ndeny = 10.1.0.0/16\n", "10.2.9.9"));
	/* A tie goes to deny. */
	CHECK(!allows("[access]\nallow = 10.0.0.0/8\ndeny = 10.0.0.0/8\n", "10.0.0.1"));
	/* Families: ::/0 is every IPv6 client and no IPv4 one; 0.0.0.0/0 the reverse. */
	CHECK(allows("[access]\ndeny = ::/0\n", "192.0.2.1"));
	CHECK(!allows("[access]\ndeny = ::/0\n", "2001:db8::1"));
	CHECK(!allows("[access]\ndeny = 0.0.0.0/0\n", "192.0.2.1"));
	CHECK(allows("[access]\ndeny = 0.0.0.0/0\n", "::1"));
	CHECK(!allows("[access]\nallow = 2001:db8::/32\n", "192.0.2.1"));
	CHECK(allows("[access]\nallow = 2001:db8::/32\n", "2001:db8:1::5"));
	/* An IPv4 client on a dual-stack socket, ::ffff:192.0.2.1, meets the IPv4 rules. */
	CHECK(parse("[access]\nallow = 192.0.2.0/24\ndeny = ::/0\n", &c) == 0);
	CHECK(inet_pton(AF_INET6, "::ffff:192.0.2.1", &mapped.sin6_addr) == 1);
	CHECK(addr_source((struct sockaddr *)&mapped, sizeof(mapped), &a));
	CHECK(c && config_allows(c, &a));
	CHECK(inet_pton(AF_INET6, "::ffff:198.51.100.1", &mapped.sin6_addr) == 1);
	CHECK(addr_source((struct sockaddr *)&mapped, sizeof(mapped), &a));
	CHECK(c && !config_allows(c, &a));
	config_unref(c);
	CHECK(rejected("[access]\nallow = nowhere\n", 2, "allow = 'nowhere'"));
}

static bool
may_scrape(const char *text, const char *client)
{
	struct hellod_config *c = NULL;
	struct addr_prefix a;
	bool r;

	if (parse(text, &c) != 0 || addr_prefix_parse(client, &a) != 0)
		return false;
	r = config_may_scrape(c, &a);
	config_unref(c);
	return r;
}

/* [metrics]: listen off by default, ADDRESS:PORT items kept as written; allow loopback by
 * default, nobody when empty, and the families never mix. */
static void
metrics_keys(void)
{
	struct hellod_config *c = NULL;

	CHECK(parse("\n", &c) == 0);
	CHECK(c && c->metrics_listen == NULL && c->n_metrics_allow == 2);
	config_unref(c);
	c = NULL;
	CHECK(parse("[metrics]\nlisten = 127.0.0.1:12346 [::1]:12346, *:9 localhost:http "
	    "[fe80::1%lo]:7\n", &c) == 0);
	CHECK_STR(c ? c->metrics_listen : NULL, "127.0.0.1:12346 [::1]:12346, *:9 localhost:http "
	    "[fe80::1%lo]:7");
	config_unref(c);
	c = NULL;
	CHECK(parse("[metrics]\nlisten =\n", &c) == 0);
	CHECK(c && c->metrics_listen == NULL);
	config_unref(c);

	CHECK(rejected("[metrics]\nlisten = 127.0.0.1\n", 2, "listen = '127.0.0.1': "
	    "'127.0.0.1' is not ADDRESS:PORT; allowed: ADDRESS:PORT items such as "
	    "127.0.0.1:12346 or [::1]:12346 (*:PORT: every address), or empty (off)"));
	CHECK(rejected("[metrics]\nlisten = ::1:80\n", 2, "'::1:80' is not ADDRESS:PORT"));
	CHECK(rejected("[metrics]\nlisten = [::1]:\n", 2, "'[::1]:' is not ADDRESS:PORT"));
	CHECK(rejected("[metrics]\nlisten = [::1]80\n", 2, "'[::1]80' is not ADDRESS:PORT"));
	CHECK(rejected("[metrics]\nlisten = :80\n", 2, "':80' is not ADDRESS:PORT"));
	CHECK(rejected("[metrics]\nlisten = 127.0.0.1:0\n", 2, "'127.0.0.1:0' has no port"));
	CHECK(rejected("[metrics]\nlisten = 127.0.0.1:nosuchservice\n", 2, "has no port"));
	CHECK(rejected("[metrics]\nlisten = bad_host!:1\n", 2, "has no host name or address"));
	CHECK(rejected("[metrics]\nlisten = [::ffff:127.0.0.1]:1\n", 2, "IPv4-mapped"));
	CHECK(rejected("[metrics]\nlisten = 127.1:1\n", 2, "not a dotted quad"));
	CHECK(rejected("[metrics]\nlisten = *:1 *:2 *:3 *:4 *:5 *:6 *:7 *:8 *:9\n", 2,
	    "more than 8 addresses; allowed: at most 8"));

	CHECK(may_scrape("\n", "127.0.0.1") && may_scrape("\n", "127.9.9.9"));
	CHECK(may_scrape("\n", "::1") && !may_scrape("\n", "::2"));
	CHECK(!may_scrape("\n", "192.0.2.1") && !may_scrape("\n", "2001:db8::1"));
	CHECK(!may_scrape("[metrics]\nallow =\n", "127.0.0.1"));
	CHECK(may_scrape("[metrics]\nallow = 192.0.2.0/24\n", "192.0.2.7"));
	CHECK(!may_scrape("[metrics]\nallow = 192.0.2.0/24\n", "127.0.0.1"));
	/* ::/0 is every IPv6 scraper and no IPv4 one. */
	CHECK(!may_scrape("[metrics]\nallow = ::/0\n", "192.0.2.1"));
	CHECK(may_scrape("[metrics]\nallow = ::/0\n", "2001:db8::1"));
	CHECK(rejected("[metrics]\nallow = localhost\n", 2, "allow = 'localhost'"));
}

int
main(void)
{
	RUN("unit/config", empty_file_gives_defaults);
	RUN("unit/config", every_key_set);
	RUN("unit/config", limits_keys);
	RUN("unit/config", hosts);
	RUN("unit/config", ipv4_mapped_hosts);
	RUN("unit/config", ports);
	RUN("unit/config", numbers);
	RUN("unit/config", close_modes);
	RUN("unit/config", booleans_and_levels);
	RUN("unit/config", greetings);
	RUN("unit/config", greetings_utf8);
	RUN("unit/config", greeting_length_limit);
	RUN("unit/config", path_length_limit);
	RUN("unit/config", unknown_names);
	RUN("unit/config", duplicates);
	RUN("unit/config", long_lines);
	RUN("unit/config", indented_lines);
	RUN("unit/config", syntax_errors);
	RUN("unit/config", nul_bytes);
	RUN("unit/config", errors_in_line_order);
	RUN("unit/config", many_errors_counted);
	RUN("unit/config", crlf_and_bom);
	RUN("unit/config", text_after_section);
	RUN("unit/config", settings_counted);
	RUN("unit/config", whole_or_refused);
	RUN("unit/config", load_regular_files_only);
	RUN("unit/config", load_missing_and_unreadable);
	RUN("unit/config", same_listen);
	RUN("unit/config", schema_rows_sound);
	RUN("unit/config", schema_drives_messages);
	RUN("unit/config", schema_documented);
	RUN("unit/config", proxy_keys);
	RUN("unit/config", access_lists);
	RUN("unit/config", metrics_keys);
	return tests_failed ? 1 : 0;
}
