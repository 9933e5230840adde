/* SPDX-License-Identifier: BSD-2-Clause */
/* The metrics endpoint's request reader: an HTTP/1.x request line and its header fields, read
 * line by line from what has arrived, each line judged once it is whole. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "http.h"

/* RFC 9110's tchar: what a method and a field name are made of. */
static bool
is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

static bool
is_token(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)s[i]))
			return false;
	return true;
}

/* A field value: visible characters, spaces, tabs and obs-text; no control character. */
static bool
is_field_value(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

/* The next whole line at buf[*pos..len): its start and length without the CR LF (or LF), *pos
 * moved past it. Returns false when its end has not arrived. */
static bool
next_line(const char *buf, size_t len, size_t *pos, const char **ret_line, size_t *ret_n)
{
	const char *start = buf + *pos, *lf = memchr(start, '\n', len - *pos);
	size_t n;

	if (!lf)
		return false;
	n = (size_t)(lf - start);
	*pos += n + 1;
	if (n > 0 && start[n - 1] == '\r')
		n--;
	*ret_line = start;
	*ret_n = n;
	return true;
}

/* The path of a request target, an origin-form "/path?query" or an absolute-form
 * "http://host/path?query": whether it is /metrics. */
static bool
target_is_metrics(const char *t, size_t n)
{
	const char *q;

	if (n >= 7 && strncasecmp(t, "http://", 7) == 0)
		q = t + 7;
	else if (n >= 8 && strncasecmp(t, "https://", 8) == 0)
		q = t + 8;
	else
		q = NULL;
	if (q) {
		const char *slash = memchr(q, '/', n - (size_t)(q - t));

		if (!slash)
			return false;
		n -= (size_t)(slash - t);
		t = slash;
	}
	q = memchr(t, '?', n);
	if (q)
		n = (size_t)(q - t);
	return n == 8 && memcmp(t, "/metrics", 8) == 0;
}

/* "METHOD TARGET HTTP/1.x", single spaces between. Returns 0 or a negative errno. */
static int
parse_request_line(const char *s, size_t n, struct http_request *req)
{
	const char *sp1 = memchr(s, ' ', n), *sp2, *v, *end = s + n;
	size_t method_len, target_len;

	if (!sp1)
		return -EBADMSG;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(end - sp1 - 1));
	if (!sp2)
		return -EBADMSG;
	method_len = (size_t)(sp1 - s);
	target_len = (size_t)(sp2 - sp1 - 1);
	v = sp2 + 1;
	if (!is_token(s, method_len) || target_len == 0)
		return -EBADMSG;
	for (const char *p = sp1 + 1; p < sp2; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return -EBADMSG;
	if (end - v != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' ||
	    v[6] != '.' || v[7] < '0' || v[7] > '9')
		return -EBADMSG;
	if (v[5] != '1')
		return -EPROTONOSUPPORT;
	req->minor = (unsigned)(v[7] - '0');
	if (method_len == 3 && memcmp(s, "GET", 3) == 0)
		req->method = HTTP_GET;
	else if (method_len == 4 && memcmp(s, "HEAD", 4) == 0)
		req->method = HTTP_HEAD;
	else
		req->method = HTTP_OTHER;
	req->metrics = target_is_metrics(sp1 + 1, target_len);
	return 0;
}

/* "name: value", no space before the colon, no folding. Counts Host fields into *hosts.
 * Returns 0 or -EBADMSG. */
static int
parse_field(const char *s, size_t n, unsigned *hosts)
{
	const char *colon = memchr(s, ':', n);
	size_t name_len;

	if (!colon)
		return -EBADMSG;
	name_len = (size_t)(colon - s);
	if (!is_token(s, name_len) || !is_field_value(colon + 1, n - name_len - 1))
		return -EBADMSG;
	if (name_len == 4 && strncasecmp(s, "host", 4) == 0)
		(*hosts)++;
	return 0;
}

int
http_parse(const char *buf, size_t len, size_t max, struct http_request *ret)
{
	struct http_request req = { 0 };
	size_t pos = 0, n;
	const char *line;
	unsigned hosts = 0;
	bool have_request = false;
	int r;

	/* Nothing past max counts: a head that does not end within it is too large. */
	if (len > max)
		len = max;
	while (next_line(buf, len, &pos, &line, &n)) {
		if (!have_request) {
			if (n == 0)
				continue;       /* an empty line before the request line */
			r = parse_request_line(line, n, &req);
			if (r < 0)
				return r;
			have_request = true;
			continue;
		}
		if (n == 0) {
			/* The end of the head. HTTP/1.1 needs its one Host (RFC 9112, 3.2). */
			if ((req.minor > 0 && hosts != 1) || hosts > 1)
				return -EBADMSG;
			*ret = req;
			return (int)pos;
		}
		r = parse_field(line, n, &hosts);
		if (r < 0)
			return r;
	}
	return len == max ? -EMSGSIZE : 0;
}
