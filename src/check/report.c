/* SPDX-License-Identifier: BSD-2-Clause */
/* hellod-check's verdict on a probe and its one line of output: plugin status line or JSON. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "report.h"
#include "util.h"

static const char *const state_names[] = {
	[STATE_OK] = "OK",
	[STATE_WARNING] = "WARNING",
	[STATE_CRITICAL] = "CRITICAL",
	[STATE_UNKNOWN] = "UNKNOWN",
};

const char *
check_state_name(enum check_state state)
{
	return state_names[state];
}

/* The length of reply without one final "\n" or "\r\n". */
static size_t
strip_line_end(const char *reply, size_t n)
{
	if (n > 0 && reply[n - 1] == '\n') {
		n--;
		if (n > 0 && reply[n - 1] == '\r')
			n--;
	}
	return n;
}

bool
reply_matches(const struct check *c, const char *reply, size_t n)
{
	regmatch_t m = { .rm_so = 0 };

	switch (c->mode) {
	case EXPECT_GREETING:
		n = strip_line_end(reply, n);
		return n == strlen(c->expect) && memcmp(reply, c->expect, n) == 0;
	case EXPECT_SUBSTRING:
		return memmem(reply, n, c->expect, strlen(c->expect)) != NULL;
	case EXPECT_PREFIX:
		return n >= strlen(c->expect) && memcmp(reply, c->expect, strlen(c->expect)) == 0;
	case EXPECT_REGEX:
		/* Without its final line end, so that "$" matches after a last line ended by
		 * "\r\n" too. REG_STARTEND: the reply is no C string and may hold NUL bytes. */
		m.rm_eo = (regoff_t)strip_line_end(reply, n);
		return regexec(c->regex, reply, 1, &m, REG_STARTEND) == 0;
	}
	return false;
}

char *
reply_show(const char *reply, size_t n, char *buf, size_t size)
{
	if (size > HELLOD_CHECK_SHOW_MAX + 1)
		size = HELLOD_CHECK_SHOW_MAX + 1;
	return str_escape_also(reply, strip_line_end(reply, n), buf, size, "|");
}

char *
text_show(const char *s, char *buf, size_t size)
{
	return str_escape_also(s, strlen(s), buf, size, "|");
}

static void
text_add(struct verdict *v, const char *format, ...)
{
	size_t used = strlen(v->text);
	va_list ap;

	va_start(ap, format);
	vsnprintf(v->text + used, sizeof(v->text) - used, format, ap);
	va_end(ap);
}

static void
set_verdict(struct verdict *v, enum check_state state, const char *error)
{
	v->state = state;
	v->error = error;
	v->text[0] = '\0';
}

/* "v1" or "v2"; NULL for PROXY_NONE. */
static const char *
proxy_name(enum proxy_version p)
{
	return p == PROXY_V1 ? "v1" : p == PROXY_V2 ? "v2" : NULL;
}

/* "127.0.0.1 port 12345", "::1 UDP port 12345", with the addresses tried when several were,
 * and the PROXY header when one was sent. */
static void
add_where(struct verdict *v, const struct check *c, const struct probe_result *r)
{
	text_add(v, "%s %sport %u", r->address, c->udp ? "UDP " : "", (unsigned)c->port);
	if (r->tried > 1)
		text_add(v, " (last of %u addresses tried)", r->tried);
	if (r->proxy_sent != PROXY_NONE)
		text_add(v, " after a PROXY %s header", proxy_name(r->proxy_sent));
}

static void
add_reply(struct verdict *v, const struct probe_result *r)
{
	char shown[HELLOD_CHECK_SHOW_MAX + 1];

	text_add(v, " [%s]", reply_show(r->reply, r->reply_len, shown, sizeof(shown)));
}

static double
seconds(uint64_t usec)
{
	return (double)usec / 1e6;
}

/* Seconds as people write them: "10", "0.5", "0.000214". */
static const char *
fmt_seconds(uint64_t usec, char *buf, size_t size)
{
	size_t n;

	snprintf(buf, size, "%.6f", seconds(usec));
	n = strlen(buf);
	while (n > 1 && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n > 1 && buf[n - 1] == '.')
		buf[--n] = '\0';
	return buf;
}

static void
judge_failure(const struct check *c, const struct probe_result *r, struct verdict *v)
{
	char t[32];

	if (r->stage == PROBE_RESOLVE) {
		char host[HELLOD_CHECK_SHOW_MAX + 1];

		set_verdict(v, STATE_UNKNOWN, "cannot resolve");
		text_show(c->host, host, sizeof(host));
		if (r->error == ETIMEDOUT)
			text_add(v, "cannot resolve %s within %s s", host,
			    fmt_seconds(c->timeout_usec, t, sizeof(t)));
		else
			text_add(v, "cannot resolve %s: %s", host, gai_strerror(r->gai_error));
		return;
	}
	set_verdict(v, STATE_CRITICAL, NULL);
	if (r->stage == PROBE_CONNECT && r->error == ETIMEDOUT) {
		v->error = c->udp ? "no reply" : "connect timeout";
		text_add(v, c->udp ? "no reply within %s s from " : "no connection within %s s to ",
		    fmt_seconds(c->timeout_usec, t, sizeof(t)));
	} else if (r->stage == PROBE_CONNECT && r->error == ECONNREFUSED) {
		v->error = c->udp ? "port unreachable" : "connection refused";
		text_add(v, "%s on ", c->udp ? "port unreachable (ICMP)" : "connection refused");
	} else if (r->stage == PROBE_SEND) {
		v->error = "PROXY header not sent";
		if (r->error == ETIMEDOUT)
			text_add(v, "PROXY %s header not sent within %s s on ",
			    proxy_name(c->proxy), fmt_seconds(c->timeout_usec, t, sizeof(t)));
		else
			text_add(v, "PROXY %s header not sent: %s on ", proxy_name(c->proxy),
			    strerror(r->error));
	} else if (r->stage == PROBE_READ && r->error == ETIMEDOUT) {
		v->error = "timeout";
		text_add(v, "reply not ended within %s s, %zu bytes read, on ",
		    fmt_seconds(c->timeout_usec, t, sizeof(t)), r->reply_len);
	} else if (r->stage == PROBE_READ && r->error == ECONNRESET) {
		v->error = "connection reset";
		text_add(v, "connection reset after %zu bytes on ", r->reply_len);
	} else {
		v->error = strerror(r->error);
		text_add(v, "%s on ", strerror(r->error));
	}
	add_where(v, c, r);
	if (r->stage == PROBE_READ && r->reply_len > 0)
		add_reply(v, r);
}

static void
judge_reply(const struct check *c, const struct probe_result *r, struct verdict *v)
{
	char shown[HELLOD_CHECK_SHOW_MAX + 1];

	set_verdict(v, STATE_CRITICAL, "unexpected reply");
	if (c->mode == EXPECT_GREETING)
		text_add(v, "unexpected reply on ");
	else if (c->mode == EXPECT_SUBSTRING)
		text_add(v, "reply without [%s] on ", text_show(c->expect, shown, sizeof(shown)));
	else if (c->mode == EXPECT_PREFIX)
		text_add(v, "reply not starting with [%s] on ",
		    text_show(c->expect, shown, sizeof(shown)));
	else
		text_add(v, "reply not matching /%s/ on ",
		    text_show(c->expect, shown, sizeof(shown)));
	add_where(v, c, r);
	add_reply(v, r);
	if (c->mode == EXPECT_GREETING)
		text_add(v, ", expected [%s]", text_show(c->expect, shown, sizeof(shown)));
}

void
check_judge(const struct check *c, const struct probe_result *r, struct verdict *v)
{
	char t[32];

	if (r->stage != PROBE_DONE)
		return judge_failure(c, r, v);
	if (r->reply_len == 0) {
		set_verdict(v, STATE_CRITICAL, "no data");
		text_add(v, c->udp ? "empty reply from " :
		    "no data, the connection closed without a reply, on ");
		add_where(v, c, r);
		return;
	}
	if (!reply_matches(c, r->reply, r->reply_len))
		return judge_reply(c, r, v);

	if (c->critical_usec && r->usec > c->critical_usec)
		set_verdict(v, STATE_CRITICAL, "response time over critical threshold");
	else if (c->warning_usec && r->usec > c->warning_usec)
		set_verdict(v, STATE_WARNING, "response time over warning threshold");
	else
		set_verdict(v, STATE_OK, NULL);
	text_add(v, "%.6f s response time ", seconds(r->usec));
	if (v->state != STATE_OK)
		text_add(v, "(over %s s) ", fmt_seconds(v->state == STATE_CRITICAL ?
		    c->critical_usec : c->warning_usec, t, sizeof(t)));
	text_add(v, "on ");
	add_where(v, c, r);
	add_reply(v, r);
}

/* A threshold for perfdata: empty when not set. */
static const char *
threshold(uint64_t usec, char *buf, size_t size)
{
	if (usec == 0)
		return "";
	snprintf(buf, size, "%.6f", seconds(usec));
	return buf;
}

static void
print_perfdata(FILE *out, const struct check *c, const struct probe_result *r)
{
	char w[32], cr[32];

	fprintf(out, "|time=%.6fs;%s;%s;0.000000;%.6f size=%zuB;;;0", seconds(r->usec),
	    threshold(c->warning_usec, w, sizeof(w)), threshold(c->critical_usec, cr, sizeof(cr)),
	    seconds(c->timeout_usec), r->reply_len);
}

/* Whether a monitoring page must see cp as \uXXXX: C0 and C1 controls, DEL, and the bidi
 * embeddings, overrides (U+202A-U+202E) and isolates (U+2066-U+2069), which would reorder
 * the text around them and so could make a reply look like another. */
static bool
json_escaped(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    cp == 0x2028 || cp == 0x2029;
}

/* A JSON string: valid UTF-8 as it is, but for json_escaped() code points; every byte that is
 * not UTF-8 as the code point of its value. */
static void
json_string(FILE *out, const char *s, size_t n)
{
	if (!s) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (size_t i = 0, len; i < n; i += len) {
		uint32_t cp;

		len = utf8_decode(s + i, n - i, &cp);
		if (len == 0) {
			fprintf(out, "\\u%04x", (unsigned)(unsigned char)s[i]);
			len = 1;
		} else if (cp == '"' || cp == '\\')
			fprintf(out, "\\%c", (char)cp);
		else if (cp == '\n')
			fputs("\\n", out);
		else if (cp == '\r')
			fputs("\\r", out);
		else if (cp == '\t')
			fputs("\\t", out);
		else if (json_escaped(cp))
			fprintf(out, "\\u%04x", (unsigned)cp);
		else
			fwrite(s + i, 1, len, out);
	}
	fputc('"', out);
}

static void
json_field(FILE *out, const char *name, const char *value)
{
	fprintf(out, ",\"%s\":", name);
	json_string(out, value, value ? strlen(value) : 0);
}

static void
print_json(FILE *out, const struct check *c, const struct probe_result *r,
    const struct verdict *v)
{
	fprintf(out, "{\"status\":\"%s\",\"code\":%d", state_names[v->state], (int)v->state);
	json_field(out, "host", c->host);
	json_field(out, "address", r && r->tried ? r->address : NULL);
	if (c->port)
		fprintf(out, ",\"port\":%u", (unsigned)c->port);
	else
		fputs(",\"port\":null", out);
	fprintf(out, ",\"proto\":\"%s\"", c->udp ? "udp" : "tcp");
	json_field(out, "proxy", r ? proxy_name(r->proxy_sent) : NULL);
	if (r)
		fprintf(out, ",\"seconds\":%.6f,\"bytes\":%zu,\"truncated\":%s", seconds(r->usec),
		    r->reply_len, r->truncated ? "true" : "false");
	else
		fputs(",\"seconds\":null,\"bytes\":null,\"truncated\":null", out);
	fputs(",\"reply\":", out);
	if (r && (r->stage == PROBE_DONE || r->reply_len > 0))
		json_string(out, r->reply, r->reply_len);
	else
		fputs("null", out);
	json_field(out, "error", v->error);
	json_field(out, "message", v->text);
	fputs("}\n", out);
}

void
report_print(FILE *out, const struct check *c, const struct probe_result *r,
    const struct verdict *v, bool json)
{
	if (json) {
		print_json(out, c, r, v);
		return;
	}
	fprintf(out, "HELLOD %s - %s", state_names[v->state], v->text);
	if (r)
		print_perfdata(out, c, r);
	fputc('\n', out);
}
