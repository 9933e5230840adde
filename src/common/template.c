/* SPDX-License-Identifier: BSD-2-Clause */
/* Greeting templates: $variables parsed once per config, rendered into the caller's buffer. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "template.h"
#include "util.h"

static const char *const var_names[VAR_N] = {
	[VAR_HOSTNAME] = "hostname",
	[VAR_REMOTE_ADDR] = "remote_addr",
	[VAR_REMOTE_PORT] = "remote_port",
	[VAR_SERVER_ADDR] = "server_addr",
	[VAR_SERVER_PORT] = "server_port",
	[VAR_PROTOCOL] = "protocol",
	[VAR_TIME_ISO8601] = "time_iso8601",
	[VAR_DAYTIME] = "daytime",
	[VAR_QUOTE] = "quote",
};

static const size_t var_widths[VAR_N] = {
	[VAR_HOSTNAME] = TEMPLATE_HOSTNAME_MAX,
	[VAR_REMOTE_ADDR] = TEMPLATE_ADDR_MAX,
	[VAR_REMOTE_PORT] = TEMPLATE_PORT_MAX,
	[VAR_SERVER_ADDR] = TEMPLATE_ADDR_MAX,
	[VAR_SERVER_PORT] = TEMPLATE_PORT_MAX,
	[VAR_PROTOCOL] = TEMPLATE_PROTOCOL_MAX,
	[VAR_TIME_ISO8601] = TEMPLATE_ISO8601_MAX,
	[VAR_DAYTIME] = TEMPLATE_DAYTIME_MAX,
	[VAR_QUOTE] = 0,        /* the caller's quote_max */
};

#define ALLOWED "allowed: $hostname, $remote_addr, $remote_port, $server_addr, $server_port, " \
	"$protocol, $time_iso8601, $daytime, $quote, $$ for a $"

static bool
is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* What a host name may show: the rest could be a terminal's control sequence. */
static bool
is_host_char(char c)
{
	return is_letter(c) || (c >= '0' && c <= '9') || c == '.' || c == '-';
}

/* Name characters are nginx's: a letter first, then letters, digits and underscores. */
static bool
is_name_char(char c)
{
	return is_letter(c) || (c >= '0' && c <= '9') || c == '_';
}

static int
var_find(const char *name, size_t n)
{
	for (int i = 0; i < VAR_N; i++)
		if (strlen(var_names[i]) == n && memcmp(var_names[i], name, n) == 0)
			return i;
	return -1;
}

/* Appends a part; a literal directly after a literal grows it ("a$$b" is one part). */
static int
add_part(struct template *t, bool var, enum template_var which, size_t off, size_t len)
{
	struct template_part *last = t->n > 0 ? &t->parts[t->n - 1] : NULL;

	if (!var && last && !last->var && last->off + last->len == off) {
		last->len += len;
		return 0;
	}
	if (t->n == TEMPLATE_PARTS_MAX)
		return -E2BIG;
	t->parts[t->n++] = (struct template_part){ .var = var, .which = which, .off = off,
	    .len = len };
	if (var)
		t->uses |= 1u << which;
	return 0;
}

/* Reads the variable after the '$' at s, "name" or "{name}": its name's span in *ret_name and
 * *ret_len, the bytes it takes after the '$' as the result, or -EINVAL with msg filled in. */
static int
var_read(const char *s, const char **ret_name, size_t *ret_len, char *msg, size_t size)
{
	char escaped[32];
	const char *end;
	size_t n;

	if (*s != '{') {
		for (n = 0; is_name_char(s[n]); n++)
			;
		*ret_name = s;
		*ret_len = n;
		return (int)n;
	}
	end = strchr(s + 1, '}');
	if (!end) {
		snprintf(msg, size, "unterminated ${; allowed: ${name} with a closing }");
		return -EINVAL;
	}
	n = (size_t)(end - s - 1);
	if (n == 0) {
		snprintf(msg, size, "empty variable name ${}; " ALLOWED);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++)
		if (!is_name_char(s[1 + i]) || (i == 0 && !is_letter(s[1]))) {
			snprintf(msg, size, "bad variable name ${%s}; " ALLOWED,
			    str_escape(s + 1, n, escaped, sizeof(escaped)));
			return -EINVAL;
		}
	*ret_name = s + 1;
	*ret_len = n;
	return (int)n + 2;
}

int
template_parse(const char *greeting, struct template *t, char *msg, size_t size)
{
	size_t len = strnlen(greeting, HELLOD_GREETING_MAX + 1), o = 0;
	char escaped[32];

	t->n = 0;
	t->uses = 0;
	if (len > HELLOD_GREETING_MAX) {
		snprintf(msg, size, "longer than %d bytes; allowed: at most %d",
		    HELLOD_GREETING_MAX, HELLOD_GREETING_MAX);
		return -EINVAL;
	}
	for (size_t i = 0; i < len; ) {
		const char *name;
		size_t n, start = i;
		int r, which;

		/* A run of text up to the next '$', or a '$' that starts no variable. */
		if (greeting[i] != '$' || !(is_letter(greeting[i + 1]) || greeting[i + 1] == '{' ||
		    greeting[i + 1] == '$')) {
			for (i++; i < len && greeting[i] != '$'; i++)
				;
			memcpy(t->text + o, greeting + start, i - start);
			r = add_part(t, false, 0, o, i - start);
			o += i - start;
		} else if (greeting[i + 1] == '$') {
			t->text[o] = '$';
			r = add_part(t, false, 0, o++, 1);
			i += 2;
		} else {
			r = var_read(greeting + i + 1, &name, &n, msg, size);
			if (r < 0)
				return r;
			i += 1 + (size_t)r;
			which = var_find(name, n);
			if (which < 0) {
				snprintf(msg, size, "unknown variable $%s; " ALLOWED,
				    str_escape(name, n, escaped, sizeof(escaped)));
				return -EINVAL;
			}
			r = add_part(t, true, (enum template_var)which, 0, 0);
		}
		if (r < 0) {
			snprintf(msg, size, "more than %d parts (variables and the texts between "
			    "them); allowed: at most %d", TEMPLATE_PARTS_MAX, TEMPLATE_PARTS_MAX);
			return -EINVAL;
		}
	}
	t->text[o] = '\0';
	return 0;
}

size_t
template_max_len(const struct template *t, size_t quote_max)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct template_part *p = &t->parts[i];

		if (!p->var)
			n += p->len;
		else if (p->which == VAR_QUOTE)
			n += quote_max > 0 ? quote_max : 1;     /* "-" when there is none */
		else
			n += var_widths[p->which];
	}
	return n;
}

/* Appends s[0..n) to buf, cut so that the NUL still fits in size. */
static void
put(char *buf, size_t size, size_t *o, const char *s, size_t n)
{
	if (n > size - 1 - *o)
		n = size - 1 - *o;
	memcpy(buf + *o, s, n);
	*o += n;
}

/* "00" to "99": two digits a step, for what each greeting formats ($remote_addr above all). */
static const char digit_pairs[] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Writes v in decimal at buf, NUL-terminated; returns the number of digits. By hand: the
 * stdio that inet_ntop() and snprintf() go through was most of what $remote_addr cost a
 * greeting (callgrind: 2,800 instructions each, the reply a few hundred). */
static size_t
put_decimal(char *buf, unsigned v)
{
	char digits[10];
	size_t i = sizeof(digits), n;

	for (; v >= 100; v /= 100) {
		i -= 2;
		memcpy(digits + i, digit_pairs + 2 * (size_t)(v % 100), 2);
	}
	if (v >= 10) {
		i -= 2;
		memcpy(digits + i, digit_pairs + 2 * (size_t)v, 2);
	} else
		digits[--i] = (char)('0' + v);
	n = sizeof(digits) - i;
	memcpy(buf, digits + i, n);
	buf[n] = '\0';
	return n;
}

/* 0 to 255 as an IPv4 address shows them, each in 4 bytes: its 1-3 digits, then its length in
 * the last byte. Made by the compiler. */
#define OCTET(v) { \
	(char)((v) >= 100 ? '0' + (v) / 100 : (v) >= 10 ? '0' + (v) / 10 : '0' + (v)), \
	(char)((v) >= 100 ? '0' + (v) / 10 % 10 : (v) >= 10 ? '0' + (v) % 10 : 0), \
	(char)((v) >= 100 ? '0' + (v) % 10 : 0), \
	(char)((v) >= 100 ? 3 : (v) >= 10 ? 2 : 1) }
#define OCTET4(v) OCTET(v), OCTET((v) + 1), OCTET((v) + 2), OCTET((v) + 3)
#define OCTET16(v) OCTET4(v), OCTET4((v) + 4), OCTET4((v) + 8), OCTET4((v) + 12)
#define OCTET64(v) OCTET16(v), OCTET16((v) + 16), OCTET16((v) + 32), OCTET16((v) + 48)
static const char octets[256][4] = { OCTET64(0), OCTET64(64), OCTET64(128), OCTET64(192) };

/* Writes an IPv4 address's octet v at buf, 4 bytes of which must be writable, not terminated;
 * returns its length. One copy of 4 bytes: the division of each octet was a third of what
 * $remote_addr cost (issue 28). */
static size_t
put_octet(char *buf, uint8_t v)
{
	memcpy(buf, octets[v], 4);
	return (size_t)octets[v][3];
}

/* Formats the address of sa as text without brackets into buf (TEMPLATE_ADDR_MAX + 1 bytes),
 * or with want_port its port; an IPv4-mapped IPv6 address as the IPv4 one it is. Returns the
 * length, 0 for what has none. */
static size_t
format_sockaddr(const struct sockaddr *sa, socklen_t len, bool want_port, char *buf)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
	const uint8_t *a;
	uint16_t p;
	size_t n;
	int family;

	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET && len >= sizeof(*in)) {
		family = AF_INET;
		a = (const uint8_t *)&in->sin_addr;
		p = in->sin_port;
	} else if (sa->sa_family == AF_INET6 && len >= sizeof(*in6)) {
		family = IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) ? AF_INET : AF_INET6;
		a = family == AF_INET ? &in6->sin6_addr.s6_addr[12] : in6->sin6_addr.s6_addr;
		p = in6->sin6_port;
	} else
		return 0;
	if (want_port)
		return put_decimal(buf, ntohs(p));
	if (family == AF_INET) {
		/* Unrolled: a loop's own counting was a third of this. */
		n = put_octet(buf, a[0]);
		buf[n++] = '.';
		n += put_octet(buf + n, a[1]);
		buf[n++] = '.';
		n += put_octet(buf + n, a[2]);
		buf[n++] = '.';
		n += put_octet(buf + n, a[3]);
		buf[n] = '\0';
		return n;
	}
	if (!inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN))
		return 0;
	n = strlen(buf);
	if (in6->sin6_scope_id != 0) {
		buf[n++] = '%';
		n += put_decimal(buf + n, in6->sin6_scope_id);
	}
	return n;
}

/* Appends s, at most max bytes of it, or "-" when it is NULL. */
static void
put_text(char *buf, size_t size, size_t *o, const char *s, size_t max)
{
	if (!s)
		put(buf, size, o, "-", 1);
	else
		put(buf, size, o, s, strnlen(s, max));
}

/* Appends the host name with the same bytes replaced as template_hostname() does: the caller
 * may have passed gethostname()'s own. */
static void
put_hostname(char *buf, size_t size, size_t *o, const char *s)
{
	size_t n;

	if (!s || *s == '\0') {
		put(buf, size, o, "-", 1);
		return;
	}
	n = strnlen(s, TEMPLATE_HOSTNAME_MAX);
	for (size_t i = 0; i < n && *o < size - 1; i++)
		buf[(*o)++] = (char)(is_host_char(s[i]) ? s[i] : '-');
}

int
template_fold_hostname(struct template *t, const char *hostname)
{
	struct template f = { .n = 0 };
	size_t o = 0;

	for (size_t i = 0; i < t->n; i++) {
		const struct template_part *p = &t->parts[i];
		char host[TEMPLATE_HOSTNAME_MAX + 2];
		const char *s = t->text + p->off;
		size_t len = p->len;

		if (p->var && p->which == VAR_HOSTNAME) {
			len = 0;
			put_hostname(host, sizeof(host), &len, hostname);
			s = host;
		} else if (p->var) {
			if (add_part(&f, true, p->which, 0, 0) < 0)
				return -E2BIG;
			continue;
		}
		if (len > HELLOD_GREETING_MAX - o)
			return -E2BIG;
		memcpy(f.text + o, s, len);
		if (add_part(&f, false, VAR_N, o, len) < 0)
			return -E2BIG;
		o += len;
	}
	f.text[o] = '\0';
	*t = f;
	return 0;
}

size_t
template_render(const struct template *t, const struct template_values *v, char *buf,
    size_t size)
{
	char addr[TEMPLATE_ADDR_MAX + 1];
	size_t o = 0, n;
	bool room;

	if (size == 0)
		return 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct template_part *p = &t->parts[i];
		bool remote = p->which == VAR_REMOTE_ADDR || p->which == VAR_REMOTE_PORT;

		if (!p->var) {
			put(buf, size, &o, t->text + p->off, p->len);
			continue;
		}
		switch (p->which) {
		case VAR_HOSTNAME:
			put_hostname(buf, size, &o, v->hostname);
			break;
		case VAR_REMOTE_ADDR:
		case VAR_REMOTE_PORT:
		case VAR_SERVER_ADDR:
		case VAR_SERVER_PORT:
			/* Straight into buf when the longest fits, as it does in a greeting's. */
			room = size - 1 - o >= TEMPLATE_ADDR_MAX;
			n = format_sockaddr(remote ? v->remote : v->local,
			    remote ? v->remote_len : v->local_len,
			    p->which == VAR_REMOTE_PORT || p->which == VAR_SERVER_PORT,
			    room ? buf + o : addr);
			if (n > 0 && room)
				o += n;
			else
				put(buf, size, &o, n > 0 ? addr : "-", n > 0 ? n : 1);
			break;
		case VAR_PROTOCOL:
			put_text(buf, size, &o, v->protocol, TEMPLATE_PROTOCOL_MAX);
			break;
		case VAR_TIME_ISO8601:
			put_text(buf, size, &o, v->time_iso8601, TEMPLATE_ISO8601_MAX);
			break;
		case VAR_DAYTIME:
			put_text(buf, size, &o, v->daytime, TEMPLATE_DAYTIME_MAX);
			break;
		case VAR_QUOTE:
			if (!v->quote)
				put(buf, size, &o, "-", 1);
			else
				put(buf, size, &o, v->quote, v->quote_len);
			break;
		case VAR_N:
			break;
		}
	}
	buf[o] = '\0';
	return o;
}

/* The zone's abbreviation, at most TEMPLATE_ZONE_MAX bytes of letters, digits, '+' and '-':
 * TZ="<+0530>-5:30" is "+0530", but a TZ file may hold any bytes. */
static void
format_zone(const struct tm *tm, char *buf)
{
	const char *z = tm->tm_zone ? tm->tm_zone : "";
	size_t n = 0;

	for (; n < TEMPLATE_ZONE_MAX && z[n] != '\0'; n++)
		buf[n] = (char)(is_letter(z[n]) || (z[n] >= '0' && z[n] <= '9') || z[n] == '+' ||
		    z[n] == '-' ? z[n] : '?');
	buf[n] = '\0';
}

void
template_format_time(time_t t, char *iso8601, char *daytime)
{
	/* English names whatever the locale: RFC 867 shows them, and LC_TIME is not ours. */
	static const char *const days[7] = { "Sunday", "Monday", "Tuesday", "Wednesday",
	    "Thursday", "Friday", "Saturday" };
	static const char *const months[12] = { "January", "February", "March", "April", "May",
	    "June", "July", "August", "September", "October", "November", "December" };
	char zone[TEMPLATE_ZONE_MAX + 1];
	struct tm tm;
	long off, year;

	if (!localtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900 ||
	    tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11) {
		snprintf(iso8601, TEMPLATE_TIME_MAX, "-");
		snprintf(daytime, TEMPLATE_TIME_MAX, "-");
		return;
	}
	year = tm.tm_year + 1900L;
	/* The offset in whole minutes, as nginx and strftime's %z show it; |off| < 26 hours. */
	off = tm.tm_gmtoff / 60;
	snprintf(iso8601, TEMPLATE_TIME_MAX, "%04ld-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", year,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
	    labs(off) / 60 % 100, labs(off) % 60);
	format_zone(&tm, zone);
	/* The day without a leading zero, as the RFC's prose form reads ("February 2, 1982"). */
	snprintf(daytime, TEMPLATE_TIME_MAX, "%s, %s %d, %04ld %02d:%02d:%02d-%s", days[tm.tm_wday],
	    months[tm.tm_mon], tm.tm_mday, year, tm.tm_hour, tm.tm_min, tm.tm_sec, zone);
	/* The widths template_max_len() counts on, whatever localtime_r() gave. */
	if (strlen(iso8601) > TEMPLATE_ISO8601_MAX)
		snprintf(iso8601, TEMPLATE_TIME_MAX, "-");
	if (strlen(daytime) > TEMPLATE_DAYTIME_MAX)
		snprintf(daytime, TEMPLATE_TIME_MAX, "-");
}

char *
template_hostname(char *buf)
{
	char name[TEMPLATE_HOSTNAME_MAX + 2] = "";
	size_t n;

	/* One byte more than the maximum: a name gethostname() cut is still NUL-terminated. */
	if (gethostname(name, sizeof(name) - 1) < 0)
		name[0] = '\0';
	name[TEMPLATE_HOSTNAME_MAX] = '\0';
	n = strlen(name);
	if (n == 0)
		memcpy(buf, "-", 2);
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)(is_host_char(name[i]) ? name[i] : '-');
	if (n > 0)
		buf[n] = '\0';
	return buf;
}
