/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of the metrics endpoint's request reader: what real scrapers send, each kind of
 * bad request, the bound, and bytes arriving one at a time. */
#include <errno.h>
#include <stdlib.h>

#include "../../src/hellod/http.c"
#include "test.h"

#define MAX 4096

/* Prometheus 2.42's scrape request, as it sends it. */
static const char prometheus[] = "GET /metrics HTTP/1.1\r\n"
    "Host: 127.0.0.1:12346\r\n"
    "User-Agent: Prometheus/2.42.0\r\n"
    "Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
    "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
    "Accept-Encoding: gzip\r\n"
    "X-Prometheus-Scrape-Timeout-Seconds: 10\r\n"
    "\r\n";

static int
parse(const char *s, struct http_request *req)
{
	return http_parse(s, strlen(s), MAX, req);
}

/* Parses s whole, expecting its full length back as a GET or HEAD of /metrics or not. */
static bool
whole(const char *s, enum http_method method, bool metrics)
{
	struct http_request req = { .method = HTTP_OTHER };
	int r = parse(s, &req);

	if (r != (int)strlen(s) || req.method != method || req.metrics != metrics) {
		printf("# %d (of %zu), method %d, metrics %d: %s\n", r, strlen(s), req.method,
		    req.metrics, s);
		return false;
	}
	return true;
}

static bool
refused(const char *s, int error)
{
	struct http_request req;
	int r = parse(s, &req);

	if (r != error) {
		printf("# %d, not %d: %s\n", r, error, s);
		return false;
	}
	return true;
}

static void
scrapers(void)
{
	struct http_request req;

	CHECK(whole(prometheus, HTTP_GET, true));
	CHECK(parse(prometheus, &req) > 0 && req.minor == 1);
	/* curl, HTTP/1.0 without Host, HEAD, a query string, LF alone, absolute form. */
	CHECK(whole("GET /metrics HTTP/1.1\r\nHost: localhost:12346\r\nUser-Agent: curl/7.88.1\r\n"
	    "Accept: */*\r\n\r\n", HTTP_GET, true));
	CHECK(whole("GET /metrics HTTP/1.0\r\n\r\n", HTTP_GET, true));
	CHECK(parse("GET /metrics HTTP/1.0\r\n\r\n", &req) > 0 && req.minor == 0);
	CHECK(whole("HEAD /metrics HTTP/1.0\r\n\r\n", HTTP_HEAD, true));
	CHECK(whole("GET /metrics?name[]=up HTTP/1.0\n\n", HTTP_GET, true));
	CHECK(whole("GET http://h:1/metrics HTTP/1.1\r\nhost: h:1\r\n\r\n", HTTP_GET, true));
	CHECK(whole("GET HTTPS://h/metrics?x HTTP/1.1\r\nHOST: h\r\n\r\n", HTTP_GET, true));
	/* Empty lines before the request line are skipped; a higher 1.x minor is 1.1's. */
	CHECK(whole("\r\n\nGET /metrics HTTP/1.9\r\nHost: h\r\n\r\n", HTTP_GET, true));
	/* Other paths and methods are well-formed requests: 404 and 405 are the endpoint's. */
	CHECK(whole("GET / HTTP/1.0\r\n\r\n", HTTP_GET, false));
	CHECK(whole("GET /metrics/ HTTP/1.0\r\n\r\n", HTTP_GET, false));
	CHECK(whole("GET /metricsx HTTP/1.0\r\n\r\n", HTTP_GET, false));
	CHECK(whole("GET /Metrics HTTP/1.0\r\n\r\n", HTTP_GET, false));
	CHECK(whole("GET http://h HTTP/1.0\r\n\r\n", HTTP_GET, false));
	CHECK(whole("POST /metrics HTTP/1.0\r\nContent-Length: 5\r\n\r\n", HTTP_OTHER, true));
	CHECK(whole("get /metrics HTTP/1.0\r\n\r\n", HTTP_OTHER, true));
	CHECK(whole("BREW /pot HTTP/1.0\r\n\r\n", HTTP_OTHER, false));
	/* Field names are tokens: RFC 9110's tchar, each of them; a four-letter name other than
	 * Host is no Host field (HTTP/1.1 needs exactly one). */
	CHECK(whole("GET /metrics HTTP/1.0\r\nAz09!#$%&'*+-.^_`|~: v\r\n\r\n", HTTP_GET, true));
	CHECK(whole("GET /metrics HTTP/1.1\r\nHost: h\r\nHxst: a\r\nhosts: b\r\n\r\n", HTTP_GET,
	    true));
	CHECK(whole("M-SEARCH /metrics HTTP/1.0\r\n\r\n", HTTP_OTHER, true));
	/* Field values may be empty, hold tabs and obs-text. */
	CHECK(whole("GET /metrics HTTP/1.1\r\nHost:\r\nX:\t\xe9t\xe9 \r\n\r\n", HTTP_GET, true));
}

/* The body is never looked at: the head's length is returned, whatever follows. */
static void
body_not_read(void)
{
	struct http_request req;
	const char *s = "POST /metrics HTTP/1.0\r\nContent-Length: 9\r\n\r\n\x01\x02 junk\r\n";

	CHECK(parse(s, &req) == (int)(strlen(s) - 9) && req.method == HTTP_OTHER);
	s = "GET /metrics HTTP/1.0\r\n\r\nGET /metrics HTTP/1.0\r\n\r\n";
	CHECK(parse(s, &req) == (int)strlen(s) / 2);
}

static void
malformed(void)
{
	CHECK(refused("GET\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /metrics\r\n\r\n", -EBADMSG));                /* HTTP/0.9 */
	CHECK(refused("GET  /metrics HTTP/1.0\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /metrics  HTTP/1.0\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /metrics HTTP/1.0 \r\n\r\n", -EBADMSG));
	CHECK(refused("GET /met\trics HTTP/1.0\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /met\x80rics HTTP/1.0\r\n\r\n", -EBADMSG));
	CHECK(refused("G(T /metrics HTTP/1.0\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /metrics http/1.0\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /metrics HTTP/1.10\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /metrics HTTP/1\r\n\r\n", -EBADMSG));
	/* Each byte of the version checked: digit, dot, digit ('/' and ':' are either side). */
	CHECK(refused("GET /metrics HTTP//.0\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /metrics HTTP/:.0\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /metrics HTTP/1,0\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /metrics HTTP/1./\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /metrics HTTP/1.:\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /metrics HTTPS1.0\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /metrics HTTP/2.0\r\n\r\n", -EPROTONOSUPPORT));
	CHECK(refused("GET /metrics HTTP/0.9\r\n\r\n", -EPROTONOSUPPORT));
	CHECK(refused("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", -EPROTONOSUPPORT));
	/* Fields: a colon, a token before it and no space; no folding; no control character. */
	CHECK(refused("GET /metrics HTTP/1.0\r\nHost\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /metrics HTTP/1.0\r\nHost : h\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /metrics HTTP/1.0\r\n: h\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /metrics HTTP/1.0\r\nX: a\r\n b\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /metrics HTTP/1.0\r\nX: a\rb\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /metrics HTTP/1.0\r\nX: a\r\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /metrics HTTP/1.0\r\nX: a\x7f\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /metrics HTTP/1.0\r\nX@Y: a\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /metrics HTTP/1.0\r\nX\x80: a\r\n\r\n", -EBADMSG));
	/* HTTP/1.1 needs exactly one Host; 1.0 at most one. */
	CHECK(refused("GET /metrics HTTP/1.1\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /metrics HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", -EBADMSG));
	CHECK(refused("GET /metrics HTTP/1.0\r\nHost: a\r\nHost: a\r\n\r\n", -EBADMSG));
	/* A bad line decides at once, before the head ends. */
	CHECK(refused("GET /metrics HTTP/1.0\r\nX\r\n", -EBADMSG));
	CHECK(refused("\x16\x03\x01\x02\xfc\x03\x03\n", -EBADMSG));   /* TLS */
}

static void
nul_bytes(void)
{
	static const char s[] = "GET /metrics HTTP/1.0\r\nX: a\0b\r\n\r\n";
	static const char t[] = "GET /met\0rics HTTP/1.0\r\n\r\n";
	struct http_request req;

	CHECK(http_parse(s, sizeof(s) - 1, MAX, &req) == -EBADMSG);
	CHECK(http_parse(t, sizeof(t) - 1, MAX, &req) == -EBADMSG);
}

/* Nothing whole yet: more is needed, whatever has come. */
static void
incomplete(void)
{
	struct http_request req;

	CHECK(parse("", &req) == 0);
	CHECK(parse("GET /metrics HTTP/1.0", &req) == 0);
	CHECK(parse("GET /metrics HTTP/1.0\r\n", &req) == 0);
	CHECK(parse("GET /metrics HTTP/1.0\r\nHost: x\r\n\r", &req) == 0);
	CHECK(parse("\r\n\r\n\r\n", &req) == 0);
	/* A bad line that has not ended is not judged yet. */
	CHECK(parse("G(T /metrics", &req) == 0);
}

/* Every prefix of Prometheus's request waits; the whole is whole. */
static void
byte_at_a_time(void)
{
	size_t n = strlen(prometheus);
	struct http_request req;

	for (size_t k = 0; k < n; k++)
		CHECK(http_parse(prometheus, k, MAX, &req) == 0);
	CHECK(http_parse(prometheus, n, MAX, &req) == (int)n);
}

/* The bound: a head that does not end within max bytes is too large, and a longer input is
 * not looked at past it. */
static void
bounded(void)
{
	char *s = malloc(MAX + 64);
	struct http_request req;
	size_t n;

	CHECK(s != NULL);
	if (!s)
		return;
	n = (size_t)snprintf(s, MAX, "GET /metrics HTTP/1.0\r\nX: ");
	memset(s + n, 'a', MAX + 64 - n);
	CHECK(http_parse(s, MAX - 1, MAX, &req) == 0);
	CHECK(http_parse(s, MAX, MAX, &req) == -EMSGSIZE);
	CHECK(http_parse(s, MAX + 64, MAX, &req) == -EMSGSIZE);
	/* A request line alone that long. */
	memcpy(s, "GET /", 5);
	memset(s + 5, 'm', MAX + 59);
	CHECK(http_parse(s, MAX + 64, MAX, &req) == -EMSGSIZE);
	/* A head that ends exactly at the bound is whole. */
	n = (size_t)snprintf(s, MAX, "GET /metrics HTTP/1.0\r\nX: ");
	memset(s + n, 'a', MAX - n - 4);
	memcpy(s + MAX - 4, "\r\n\r\n", 4);
	CHECK(http_parse(s, MAX + 64, MAX, &req) == MAX && req.metrics);
	/* Empty lines alone, without end. */
	memset(s, '\n', MAX + 64);
	CHECK(http_parse(s, MAX + 64, MAX, &req) == -EMSGSIZE);
	free(s);
}

int
main(void)
{
	RUN("unit/http", scrapers);
	RUN("unit/http", body_not_read);
	RUN("unit/http", malformed);
	RUN("unit/http", nul_bytes);
	RUN("unit/http", incomplete);
	RUN("unit/http", byte_at_a_time);
	RUN("unit/http", bounded);
	return tests_failed ? 1 : 0;
}
