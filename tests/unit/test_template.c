/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of greeting templates: the $ rules, errors, every variable rendered, the widths
 * template_max_len() promises (over random values too) and the two time formats. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/un.h>
#include <unistd.h>

#include "template.h"
#include "test.h"
#include "util.h"

static struct template t;
static char msg[256], out[1024];

/* Their ports, in network order, are set with the addresses: a constant such as 0x409c is
 * 40000 only on a little-endian machine (check-cross on s390x said 16540). */
static struct sockaddr_in remote4 = { .sin_family = AF_INET };
static struct sockaddr_in6 local6 = { .sin6_family = AF_INET6 };

static struct template_values values = {
	.hostname = "web-1.example",
	.remote = (const struct sockaddr *)&remote4, .remote_len = sizeof(remote4),
	.local = (const struct sockaddr *)&local6, .local_len = sizeof(local6),
	.protocol = "TCP",
	.time_iso8601 = "2026-12-01T09:30:00+01:00",
	.daytime = "Tuesday, December 1, 2026 09:30:00-CET",
	.quote = "Hi\r\nthere", .quote_len = 9,
};

static void
setup_values(void)
{
	inet_pton(AF_INET, "192.0.2.7", &remote4.sin_addr);
	inet_pton(AF_INET6, "2001:db8::1", &local6.sin6_addr);
	remote4.sin_port = htons(40000);
	local6.sin6_port = htons(12345);
}

/* Parses and renders greeting with values; NULL if it does not parse (msg says why). */
static const char *
rendered(const char *greeting)
{
	size_t n;

	if (template_parse(greeting, &t, msg, sizeof(msg)) != 0)
		return NULL;
	n = template_render(&t, &values, out, sizeof(out));
	if (n != strlen(out) || n > template_max_len(&t, values.quote_len))
		return "(bad length)";
	return out;
}

/* Whether greeting is refused with a message holding text. */
static bool
refused(const char *greeting, const char *text)
{
	msg[0] = '\0';
	if (template_parse(greeting, &t, msg, sizeof(msg)) != -EINVAL)
		return false;
	if (!strstr(msg, text)) {
		printf("# message: %s\n", msg);
		return false;
	}
	return true;
}

static void
every_variable(void)
{
	CHECK_STR(rendered("$hostname|$remote_addr|$remote_port|$server_addr|$server_port|"
	    "$protocol|$time_iso8601|$daytime|$quote"), "web-1.example|192.0.2.7|40000|"
	    "2001:db8::1|12345|TCP|2026-12-01T09:30:00+01:00|Tuesday, December 1, 2026 "
	    "09:30:00-CET|Hi\r\nthere");
	CHECK(t.n == 17 && t.uses == (1u << VAR_N) - 1);
	CHECK_STR(rendered("${hostname}${remote_addr}${quote}"),
	    "web-1.example192.0.2.7Hi\r\nthere");
	CHECK(t.n == 3 && t.uses == (1u << VAR_HOSTNAME | 1u << VAR_REMOTE_ADDR | 1u << VAR_QUOTE));
	CHECK_STR(rendered("Hello from $hostname"), "Hello from web-1.example");
	CHECK(t.n == 2 && !t.parts[0].var && t.parts[1].var && t.parts[1].which == VAR_HOSTNAME);
}

static void
literal_dollars(void)
{
	CHECK_STR(rendered("Thank you for connecting"), "Thank you for connecting");
	CHECK(t.n == 1 && t.uses == 0 && strcmp(t.text, "Thank you for connecting") == 0);
	CHECK_STR(rendered("$$"), "$");
	CHECK_STR(rendered("$$hostname"), "$hostname");
	CHECK_STR(rendered("$$$hostname"), "$web-1.example");
	CHECK_STR(rendered("costs $5"), "costs $5");
	CHECK_STR(rendered("$"), "$");
	CHECK_STR(rendered("at the end $"), "at the end $");
	CHECK_STR(rendered("$ $- $. $_x $1a $\t"), "$ $- $. $_x $1a $\t");
	/* Literal runs are joined: the text is one part however its dollars were written. */
	CHECK_STR(rendered("a$$b $5 c$"), "a$b $5 c$");
	CHECK(t.n == 1 && strcmp(t.text, "a$b $5 c$") == 0);
	CHECK_STR(rendered(""), "");
	CHECK(t.n == 0);
}

static void
names_next_to_text(void)
{
	CHECK_STR(rendered("${hostname}s"), "web-1.examples");
	CHECK_STR(rendered("$hostname.local"), "web-1.example.local");
	CHECK_STR(rendered("$remote_addr:$remote_port"), "192.0.2.7:40000");
	CHECK_STR(rendered("[$server_addr]:$server_port"), "[2001:db8::1]:12345");
	CHECK_STR(rendered("$protocol-$hostname"), "TCP-web-1.example");
	CHECK_STR(rendered("x${protocol}y"), "xTCPy");
}

static void
parse_errors(void)
{
	CHECK(refused("$hostnamex", "unknown variable $hostnamex; allowed: $hostname, "
	    "$remote_addr, $remote_port, $server_addr, $server_port, $protocol, $time_iso8601, "
	    "$daytime, $quote, $$ for a $"));
	CHECK(refused("$HOSTNAME", "unknown variable $HOSTNAME;"));
	CHECK(refused("hi $foo_1 there", "unknown variable $foo_1;"));
	CHECK(refused("${hostnamex}", "unknown variable $hostnamex;"));
	CHECK(refused("${", "unterminated ${"));
	CHECK(refused("hi ${hostname", "unterminated ${"));
	CHECK(refused("${}", "empty variable name ${}; allowed: $hostname"));
	CHECK(refused("${host name}", "bad variable name ${host name};"));
	CHECK(refused("${1x}", "bad variable name ${1x};"));
	CHECK(refused("${$}", "bad variable name ${$};"));
	/* A long unknown name is cut in the message, which still lists what is allowed. */
	CHECK(refused("$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	    "...; allowed: $hostname"));
	CHECK(strlen(msg) < 192);               /* MSG_LEN of config-keys.h */
}

static void
too_many_parts(void)
{
	char g[HELLOD_GREETING_MAX + 2] = "";

	/* 32 times "a${quote}" is 64 parts, the most there may be. */
	for (int i = 0; i < TEMPLATE_PARTS_MAX / 2; i++)
		strcat(g, "a${quote}");
	CHECK(template_parse(g, &t, msg, sizeof(msg)) == 0 && t.n == TEMPLATE_PARTS_MAX);
	strcat(g, "a");
	CHECK(refused(g, "more than 64 parts (variables and the texts between them); allowed: "
	    "at most 64"));
	/* Longer than a greeting may be: refused, not read past HELLOD_GREETING_MAX. */
	memset(g, 'x', HELLOD_GREETING_MAX + 1);
	g[HELLOD_GREETING_MAX + 1] = '\0';
	CHECK(refused(g, "longer than 511 bytes"));
	g[HELLOD_GREETING_MAX] = '\0';
	CHECK(template_parse(g, &t, msg, sizeof(msg)) == 0 && t.n == 1 &&
	    t.parts[0].len == HELLOD_GREETING_MAX);
}

static void
max_len(void)
{
	char g[256] = "";

	CHECK(template_parse("Thank you for connecting", &t, msg, sizeof(msg)) == 0);
	CHECK(template_max_len(&t, 0) == 24);
	CHECK(template_parse("$hostname $remote_addr $remote_port $server_addr $server_port "
	    "$protocol $time_iso8601 $daytime", &t, msg, sizeof(msg)) == 0);
	CHECK(template_max_len(&t, 0) == 64 + 56 + 5 + 56 + 5 + 3 + 25 + 49 + 7);
	CHECK(template_parse("$quote", &t, msg, sizeof(msg)) == 0);
	CHECK(template_max_len(&t, 300) == 300);
	CHECK(template_max_len(&t, 0) == 1);    /* no quote: "-" */
	/* What the config refuses: eight addresses and a text, over 511 bytes. */
	for (int i = 0; i < 8; i++)
		strcat(g, "$remote_addr ");
	strcat(g, "are all the same address, the one this server sees for you");
	CHECK(template_parse(g, &t, msg, sizeof(msg)) == 0);
	CHECK(template_max_len(&t, 0) == 8 * 56 + 8 + 58);
	CHECK(template_max_len(&t, 0) > HELLOD_GREETING_MAX);
}

/* Every octet value and every port digit count, against inet_ntop() and printf: the tables
 * and the two-digit steps that format them. */
static void
every_octet(void)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	struct template_values v = { .remote = (const struct sockaddr *)&in,
		.remote_len = sizeof(in) };
	char want[64], a[INET_ADDRSTRLEN];
	static const unsigned ports[] = { 0, 7, 10, 99, 100, 999, 1000, 9999, 10000, 65535 };

	CHECK(template_parse("[$remote_addr] $remote_port", &t, msg, sizeof(msg)) == 0);
	for (unsigned o = 0; o < 256; o++) {
		unsigned port = ports[o % (sizeof(ports) / sizeof(ports[0]))];

		in.sin_addr.s_addr = htonl(o << 24 | (255 - o) << 16 | (o * 7 % 256) << 8 | o / 3);
		in.sin_port = htons((uint16_t)port);
		inet_ntop(AF_INET, &in.sin_addr, a, sizeof(a));
		snprintf(want, sizeof(want), "[%s] %u", a, port);
		template_render(&t, &v, out, sizeof(out));
		CHECK_STR(out, want);
	}
}

static void
addresses(void)
{
	struct sockaddr_in6 mapped = { .sin6_family = AF_INET6, .sin6_port = htons(1) };
	struct sockaddr_in6 scoped = { .sin6_family = AF_INET6, .sin6_port = htons(65535),
	    .sin6_scope_id = 4294967295u };
	struct sockaddr_un un = { .sun_family = AF_UNIX, .sun_path = "/run/\x1b[2Jevil" };
	struct template_values v = { 0 };

	inet_pton(AF_INET6, "::ffff:198.51.100.9", &mapped.sin6_addr);
	inet_pton(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &scoped.sin6_addr);
	CHECK(template_parse("$remote_addr $remote_port/$server_addr $server_port", &t, msg,
	    sizeof(msg)) == 0);
	/* Nothing known: every variable is "-". */
	CHECK(template_render(&t, &v, out, sizeof(out)) == 7);
	CHECK_STR(out, "- -/- -");
	/* An IPv4 client of a dual-stack socket is shown as the IPv4 address it is. */
	v.remote = (const struct sockaddr *)&mapped;
	v.remote_len = sizeof(mapped);
	/* The widest address glibc writes (its IPv4 tails come only after zeros, which it
	 * shortens), with the widest scope; TEMPLATE_ADDR_MAX leaves room for any libc's. */
	v.local = (const struct sockaddr *)&scoped;
	v.local_len = sizeof(scoped);
	template_render(&t, &v, out, sizeof(out));
	CHECK_STR(out, "198.51.100.9 1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295 65535");
	CHECK(strlen("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255%4294967295") ==
	    TEMPLATE_ADDR_MAX);
	/* A sockaddr shorter than its family's, or of another family, is not read. */
	v.remote_len = sizeof(struct sockaddr_in);
	v.local = (const struct sockaddr *)&un;
	v.local_len = sizeof(un);
	template_render(&t, &v, out, sizeof(out));
	CHECK_STR(out, "- -/- -");
}

/* $hostname made literal once per config renders as it did, and is no variable any more. */
static void
hostname_folded(void)
{
	static const char *const greetings[] = { "Hello from $hostname to $remote_addr",
		"$hostname", "Hello from $hostname", "$$$hostname$$", "${hostname}s $protocol",
		"$hostname|$remote_addr|$remote_port|$server_addr|$server_port|$hostname",
		"<$hostname> $quote $time_iso8601" };
	const char *const names[] = { "web-1.example", "evil\x1b[31m\r\n.example", "" };
	char want[1024];

	for (size_t i = 0; i < ELEMENTSOF(greetings); i++)
		for (size_t k = 0; k < ELEMENTSOF(names); k++) {
			struct template_values v = values;

			v.hostname = names[k];
			CHECK(template_parse(greetings[i], &t, msg, sizeof(msg)) == 0);
			template_render(&t, &v, want, sizeof(want));
			CHECK(template_fold_hostname(&t, names[k]) == 0);
			CHECK((t.uses & (1u << VAR_HOSTNAME)) == 0);
			v.hostname = "not this one";
			template_render(&t, &v, out, sizeof(out));
			CHECK_STR(out, want);
		}
	/* Nothing else left: a plain line, its text the whole of it. */
	CHECK(template_parse("Hello from $hostname", &t, msg, sizeof(msg)) == 0);
	CHECK(template_fold_hostname(&t, "h") == 0 && t.uses == 0);
	CHECK_STR(t.text, "Hello from h");
}

static void
hostname_sanitized(void)
{
	char name[TEMPLATE_HOSTNAME_MAX + 1], real[256] = "", long_name[100];
	struct template_values v = { .hostname = "evil\x1b[31m\r\n.example" };

	CHECK(template_parse("<$hostname>", &t, msg, sizeof(msg)) == 0);
	template_render(&t, &v, out, sizeof(out));
	CHECK_STR(out, "<evil--31m--.example>");
	memset(long_name, 'h', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	v.hostname = long_name;
	CHECK(template_render(&t, &v, out, sizeof(out)) == 2 + TEMPLATE_HOSTNAME_MAX);
	v.hostname = "";
	template_render(&t, &v, out, sizeof(out));
	CHECK_STR(out, "<->");

	template_hostname(name);
	CHECK(strlen(name) >= 1 && strlen(name) <= TEMPLATE_HOSTNAME_MAX);
	CHECK(strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") ==
	    strlen(name));
	CHECK(gethostname(real, sizeof(real) - 1) == 0);
	if (strspn(real, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") ==
	    strlen(real) && real[0] != '\0')
		CHECK_STR(name, real);
}

static void
cut_to_buffer(void)
{
	char small[8];

	CHECK(template_parse("$hostname and more", &t, msg, sizeof(msg)) == 0);
	memset(small, 'Z', sizeof(small));
	CHECK(template_render(&t, &values, small, 6) == 5);
	CHECK_STR(small, "web-1");
	CHECK(small[6] == 'Z' && small[7] == 'Z');
	CHECK(template_render(&t, &values, small, 1) == 0 && small[0] == '\0');
	CHECK(template_render(&t, &values, small, 0) == 0);
}

/* Random bytes that fill a sockaddr of a random family and length. */
static void
random_sockaddr(struct sockaddr_storage *ss, socklen_t *len)
{
	unsigned char *p = (unsigned char *)ss;

	for (size_t i = 0; i < sizeof(*ss); i++)
		p[i] = (unsigned char)random();
	switch (random() % 4) {
	case 0:
		ss->ss_family = AF_INET;
		break;
	case 1:
		ss->ss_family = AF_INET6;
		break;
	case 2: {
		/* Mapped, for the IPv4 branch of an IPv6 address. */
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		ss->ss_family = AF_INET6;
		memset(in6->sin6_addr.s6_addr, 0, 10);
		memset(in6->sin6_addr.s6_addr + 10, 0xff, 2);
		break;
	}
	default:
		break;
	}
	*len = (socklen_t)(random() % 2 ? sizeof(*ss) : random() % sizeof(*ss));
}

/* Over random greetings and values, the rendering is never longer than template_max_len(),
 * and its only control bytes come from the quote. */
static void
render_within_max_len(void)
{
	static const char *const pieces[] = { "$hostname", "$remote_addr", "$remote_port",
	    "$server_addr", "$server_port", "$protocol", "$time_iso8601", "$daytime", "$quote",
	    "${quote}", "-", " ", "$$", "$5", "\xc3\xa9" };
	struct sockaddr_storage remote, local;
	char iso[TEMPLATE_TIME_MAX], day[TEMPLATE_TIME_MAX], host[100], quote[400], g[600];
	char buf[13 * 400 + 2];         /* twelve pieces, each at most a quote */
	struct template_values v;
	size_t max, n;
	unsigned bad = 0;

	srandom(18);
	for (int round = 0; round < 20000; round++) {
		size_t q = (size_t)random() % sizeof(quote);

		g[0] = '\0';
		for (int k = random() % 12; k >= 0; k--)
			strcat(g, pieces[random() % ELEMENTSOF(pieces)]);
		if (template_parse(g, &t, msg, sizeof(msg)) != 0) {
			bad++;
			continue;
		}
		random_sockaddr(&remote, &v.remote_len);
		random_sockaddr(&local, &v.local_len);
		v.remote = random() % 8 ? (const struct sockaddr *)&remote : NULL;
		v.local = (const struct sockaddr *)&local;
		for (size_t i = 0; i < sizeof(host); i++)
			host[i] = (char)(random() % 255 + 1);
		host[random() % sizeof(host)] = '\0';
		v.hostname = host;
		v.protocol = random() % 2 ? "TCP" : "UDP";
		template_format_time((time_t)(random() % 4000000000L), iso, day);
		v.time_iso8601 = iso;
		v.daytime = day;
		memset(quote, 'q', q);
		if (q > 2)
			memcpy(quote + q / 2, "\r\n", 2);
		v.quote = random() % 8 ? quote : NULL;
		v.quote_len = q;
		max = template_max_len(&t, q);
		memset(buf, 'Z', sizeof(buf));
		n = template_render(&t, &v, buf, max + 1);
		CHECK(n <= max && buf[n] == '\0' && strlen(buf) == n && buf[max + 1] == 'Z');
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)buf[i] < 0x20 && !(t.uses & 1u << VAR_QUOTE))
				CHECK(!"a control byte outside the quote");
	}
	CHECK(bad == 0);
}

static void
check_time(time_t when, const char *iso, const char *daytime)
{
	char a[TEMPLATE_TIME_MAX], b[TEMPLATE_TIME_MAX];

	template_format_time(when, a, b);
	CHECK_STR(a, iso);
	CHECK_STR(b, daytime);
	CHECK(strlen(a) <= TEMPLATE_ISO8601_MAX && strlen(b) <= TEMPLATE_DAYTIME_MAX);
}

/* The expected strings are Python's time.strftime() of the same seconds under the same TZ:
 * '%Y-%m-%dT%H:%M:%S' plus %z with a colon, and '%A, %B %-d, %Y %H:%M:%S-%Z'. */
static void
time_formats(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	check_time(1796117400, "2026-12-01T09:30:00+00:00",
	    "Tuesday, December 1, 2026 09:30:00-UTC");
	check_time(0, "1970-01-01T00:00:00+00:00", "Thursday, January 1, 1970 00:00:00-UTC");

	setenv("TZ", "America/Los_Angeles", 1);
	tzset();
	/* RFC 867's own example, in the zone it was written in: 22 February 1982 was a Monday
	 * (the RFC says Tuesday). */
	check_time(383276263, "1982-02-22T17:37:43-08:00",
	    "Monday, February 22, 1982 17:37:43-PST");
	check_time(1796117400, "2026-12-01T01:30:00-08:00",
	    "Tuesday, December 1, 2026 01:30:00-PST");
	/* Summer time: the offset and the abbreviation change. */
	check_time(1782927000, "2026-07-01T10:30:00-07:00", "Wednesday, July 1, 2026 10:30:00-PDT");
	/* A negative offset that crosses the date line back into 1969. */
	check_time(0, "1969-12-31T16:00:00-08:00", "Wednesday, December 31, 1969 16:00:00-PST");

	/* A half-hour offset, and an abbreviation longer than the zone width is cut. */
	setenv("TZ", "<+0530>-5:30", 1);
	tzset();
	check_time(1796117400, "2026-12-01T15:00:00+05:30",
	    "Tuesday, December 1, 2026 15:00:00-+0530");
	setenv("TZ", "ABCDEFGHIJKLMNOP-1", 1);
	tzset();
	check_time(1796117400, "2026-12-01T10:30:00+01:00",
	    "Tuesday, December 1, 2026 10:30:00-ABCDEFGHIJ");

	/* Past the four-digit years: no guess. Only where time_t reaches them: Debian 12's armhf
	 * and i386 have a 32-bit one (check-cross on armhf said so). */
	setenv("TZ", "UTC", 1);
	tzset();
	if (sizeof(time_t) >= 8) {
		check_time((time_t)253402300799LL, "9999-12-31T23:59:59+00:00",
		    "Friday, December 31, 9999 23:59:59-UTC");
		check_time((time_t)253402300800LL, "-", "-");
	}
	unsetenv("TZ");
	tzset();
}

int
main(void)
{
	setup_values();
	RUN("unit/template", every_variable);
	RUN("unit/template", literal_dollars);
	RUN("unit/template", names_next_to_text);
	RUN("unit/template", parse_errors);
	RUN("unit/template", too_many_parts);
	RUN("unit/template", max_len);
	RUN("unit/template", addresses);
	RUN("unit/template", every_octet);
	RUN("unit/template", hostname_sanitized);
	RUN("unit/template", hostname_folded);
	RUN("unit/template", cut_to_buffer);
	RUN("unit/template", render_within_max_len);
	RUN("unit/template", time_formats);
	return tests_failed ? 1 : 0;
}
