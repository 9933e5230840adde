/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of hellod-check's verdicts and output: reply matching, the status line, its
 * performance data and the JSON object. */
#include <errno.h>
#include <stdlib.h>

#include "test.h"
#include "../../src/check/report.c"

static struct check
check_greeting(void)
{
	return (struct check){ .host = "127.0.0.1", .port = 12345, .mode = EXPECT_GREETING,
		.expect = "Thank you for connecting", .timeout_usec = 10000000 };
}

static struct probe_result
result_done(const char *reply, size_t n, uint64_t usec)
{
	struct probe_result r = { .stage = PROBE_DONE, .tried = 1, .usec = usec };

	snprintf(r.address, sizeof(r.address), "127.0.0.1");
	memcpy(r.reply, reply, n);
	r.reply_len = n;
	return r;
}

/* The line report_print() writes, without its newline, in a static buffer. */
static const char *
printed(const struct check *c, const struct probe_result *r, const struct verdict *v, bool json)
{
	static char buf[8192];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	report_print(f, c, r, v, json);
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static void
greeting_match_allows_one_line_end(void)
{
	struct check c = check_greeting();

	CHECK(reply_matches(&c, "Thank you for connecting\n", 25));
	CHECK(reply_matches(&c, "Thank you for connecting\r\n", 26));
	CHECK(reply_matches(&c, "Thank you for connecting", 24));
	CHECK(!reply_matches(&c, "Thank you for connecting\n\n", 26));
	CHECK(!reply_matches(&c, "Thank you for connectin\n", 24));
	CHECK(!reply_matches(&c, "Thank you for connecting!\n", 26));
	CHECK(!reply_matches(&c, "", 0));
}

static void
substring_and_regex_see_past_nul(void)
{
	struct check c = check_greeting();
	regex_t re;

	c.mode = EXPECT_SUBSTRING;
	c.expect = "ok";
	CHECK(reply_matches(&c, "\0\0ok", 4));
	CHECK(!reply_matches(&c, "o\0k", 3));

	CHECK(regcomp(&re, "^second$", REG_EXTENDED | REG_NOSUB | REG_NEWLINE) == 0);
	c.mode = EXPECT_REGEX;
	c.expect = "^second$";
	c.regex = &re;
	CHECK(reply_matches(&c, "first\0\nsecond\n", 14));
	CHECK(!reply_matches(&c, "first second\n", 13));
	CHECK(reply_matches(&c, "first\nsecond\r\n", 14));
	CHECK(!reply_matches(&c, "second\r\nthird\n", 14));
	regfree(&re);
}

static void
show_escapes_and_cuts(void)
{
	char buf[HELLOD_CHECK_SHOW_MAX + 1], big[1000];

	CHECK_STR(reply_show("a\r\nb|c\n", 7, buf, sizeof(buf)), "a\\r\\nb\\x7cc");
	CHECK_STR(reply_show("x\r\n", 3, buf, sizeof(buf)), "x");
	CHECK_STR(reply_show("x\n\n", 3, buf, sizeof(buf)), "x\\n");
	CHECK_STR(reply_show("\xff\x00", 2, buf, sizeof(buf)), "\\xff\\x00");
	memset(big, 'a', sizeof(big));
	reply_show(big, sizeof(big), buf, sizeof(buf));
	CHECK(strlen(buf) == HELLOD_CHECK_SHOW_MAX);
	CHECK(strcmp(buf + HELLOD_CHECK_SHOW_MAX - 3, "...") == 0);
}

static void
ok_line_and_perfdata(void)
{
	struct check c = check_greeting();
	struct probe_result r = result_done("Thank you for connecting\n", 25, 214);
	struct verdict v;

	check_judge(&c, &r, &v);
	CHECK(v.state == STATE_OK && v.error == NULL);
	CHECK_STR(printed(&c, &r, &v, false), "HELLOD OK - 0.000214 s response time on 127.0.0.1 "
	    "port 12345 [Thank you for connecting]|time=0.000214s;;;0.000000;10.000000 "
	    "size=25B;;;0");
	c.warning_usec = 1000000;
	c.critical_usec = 2000000;
	check_judge(&c, &r, &v);
	CHECK_STR(strchr(printed(&c, &r, &v, false), '|'),
	    "|time=0.000214s;1.000000;2.000000;0.000000;10.000000 size=25B;;;0");
}

static void
thresholds(void)
{
	struct check c = check_greeting();
	struct probe_result r = result_done("Thank you for connecting\n", 25, 1500000);
	struct verdict v;

	c.warning_usec = 1000000;
	check_judge(&c, &r, &v);
	CHECK(v.state == STATE_WARNING);
	CHECK_STR(v.text, "1.500000 s response time (over 1 s) on 127.0.0.1 port 12345 "
	    "[Thank you for connecting]");
	c.critical_usec = 1250000;
	check_judge(&c, &r, &v);
	CHECK(v.state == STATE_CRITICAL);
	CHECK(strstr(v.text, "(over 1.25 s)") != NULL);
	r.usec = 1000000;       /* equal is not over */
	check_judge(&c, &r, &v);
	CHECK(v.state == STATE_OK);
}

static void
failures(void)
{
	struct check c = check_greeting();
	struct probe_result r = result_done("", 0, 100);
	struct verdict v;

	r.stage = PROBE_CONNECT;
	r.error = ECONNREFUSED;
	check_judge(&c, &r, &v);
	CHECK(v.state == STATE_CRITICAL);
	CHECK_STR(v.text, "connection refused on 127.0.0.1 port 12345");
	r.tried = 3;
	check_judge(&c, &r, &v);
	CHECK_STR(v.text, "connection refused on 127.0.0.1 port 12345 (last of 3 addresses tried)");
	r.tried = 1;

	r.error = ETIMEDOUT;
	check_judge(&c, &r, &v);
	CHECK_STR(v.text, "no connection within 10 s to 127.0.0.1 port 12345");
	c.udp = true;
	check_judge(&c, &r, &v);
	CHECK_STR(v.text, "no reply within 10 s from 127.0.0.1 UDP port 12345");
	c.udp = false;

	r.stage = PROBE_READ;
	r.error = ECONNRESET;
	memcpy(r.reply, "Tha", 3);
	r.reply_len = 3;
	check_judge(&c, &r, &v);
	CHECK_STR(v.text, "connection reset after 3 bytes on 127.0.0.1 port 12345 [Tha]");

	r.error = ENETUNREACH;
	r.stage = PROBE_CONNECT;
	check_judge(&c, &r, &v);
	CHECK(v.state == STATE_CRITICAL);
	CHECK_STR(v.text, "Network is unreachable on 127.0.0.1 port 12345");

	r.stage = PROBE_DONE;
	r.error = 0;
	r.reply_len = 0;
	check_judge(&c, &r, &v);
	CHECK(v.state == STATE_CRITICAL && strcmp(v.error, "no data") == 0);

	r.stage = PROBE_RESOLVE;
	r.gai_error = EAI_NONAME;
	c.host = "bad|name";
	check_judge(&c, &r, &v);
	CHECK(v.state == STATE_UNKNOWN);
	CHECK(strncmp(v.text, "cannot resolve bad\\x7cname: ", 28) == 0);
	r.error = ETIMEDOUT;
	check_judge(&c, &r, &v);
	CHECK_STR(v.text, "cannot resolve bad\\x7cname within 10 s");
}

static void
mismatch_shows_both(void)
{
	struct check c = check_greeting();
	struct probe_result r = result_done("Go away\n", 8, 100);
	struct verdict v;

	check_judge(&c, &r, &v);
	CHECK(v.state == STATE_CRITICAL);
	CHECK_STR(v.text, "unexpected reply on 127.0.0.1 port 12345 [Go away], "
	    "expected [Thank you for connecting]");
	c.mode = EXPECT_SUBSTRING;
	c.expect = "a|b";
	check_judge(&c, &r, &v);
	CHECK_STR(v.text, "reply without [a\\x7cb] on 127.0.0.1 port 12345 [Go away]");
}

static void
usage_line_has_no_perfdata(void)
{
	struct check c = { 0 };
	struct verdict v = { .state = STATE_UNKNOWN, .error = "usage" };

	snprintf(v.text, sizeof(v.text), "unknown option -x");
	CHECK_STR(printed(&c, NULL, &v, false), "HELLOD UNKNOWN - unknown option -x");
	CHECK_STR(printed(&c, NULL, &v, true), "{\"status\":\"UNKNOWN\",\"code\":3,\"host\":null,"
	    "\"address\":null,\"port\":null,\"proto\":\"tcp\",\"proxy\":null,\"seconds\":null,\"bytes\":null,"
	    "\"truncated\":null,\"reply\":null,\"error\":\"usage\","
	    "\"message\":\"unknown option -x\"}");
}

/* --proxy: the line and the JSON say so once the header went out, and a header that could
 * not be sent is CRITICAL with its reason. */
static void
proxy_header(void)
{
	struct check c = check_greeting();
	struct probe_result r = result_done("Thank you for connecting\n", 25, 214);
	struct verdict v;

	c.proxy = PROXY_V1;
	r.proxy_sent = PROXY_V1;
	check_judge(&c, &r, &v);
	CHECK(v.state == STATE_OK);
	CHECK_STR(v.text, "0.000214 s response time on 127.0.0.1 port 12345 after a PROXY v1 "
	    "header [Thank you for connecting]");
	CHECK(strstr(printed(&c, &r, &v, true), ",\"proto\":\"tcp\",\"proxy\":\"v1\",") != NULL);

	c.proxy = PROXY_V2;
	r = (struct probe_result){ .stage = PROBE_SEND, .error = EPIPE, .tried = 1 };
	snprintf(r.address, sizeof(r.address), "127.0.0.1");
	check_judge(&c, &r, &v);
	CHECK(v.state == STATE_CRITICAL && strcmp(v.error, "PROXY header not sent") == 0);
	CHECK_STR(v.text, "PROXY v2 header not sent: Broken pipe on 127.0.0.1 port 12345");
	CHECK(strstr(printed(&c, &r, &v, true), ",\"proxy\":null,") != NULL);
	r.error = ETIMEDOUT;
	check_judge(&c, &r, &v);
	CHECK_STR(v.text, "PROXY v2 header not sent within 10 s on 127.0.0.1 port 12345");
}

static void
json_escapes(void)
{
	struct check c = check_greeting();
	struct probe_result r = result_done("\"\\\t\x01\x7f" "caf\xc3\xa9" "\xc3" "\xed\xa0\x80"
	    "\xc0\xaf" "\xf4\x90\x80\x80" "\xf0\x9f\x98\x80", 24, 5);
	struct verdict v;

	check_judge(&c, &r, &v);
	CHECK_STR(strstr(printed(&c, &r, &v, true), "\"reply\""), "\"reply\":\"\\\"\\\\\\t"
	    "\\u0001\\u007fcaf\xc3\xa9\\u00c3\\u00ed\\u00a0\\u0080\\u00c0\\u00af"
	    "\\u00f4\\u0090\\u0080\\u0080\xf0\x9f\x98\x80\",\"error\":\"unexpected reply\","
	    "\"message\":\"unexpected reply on 127.0.0.1 port 12345 [\\\"\\\\\\\\\\\\t"
	    "\\\\x01\\\\x7fcaf\\\\xc3\\\\xa9\\\\xc3\\\\xed\\\\xa0\\\\x80\\\\xc0\\\\xaf"
	    "\\\\xf4\\\\x90\\\\x80\\\\x80\\\\xf0\\\\x9f\\\\x98\\\\x80], expected "
	    "[Thank you for connecting]\"}");
}

/* Issue 14, item 13: what could spoof a monitoring page is escaped in JSON, and in the status
 * line every byte from 0x7f up is anyway. */
static void
json_escapes_c1_and_bidi(void)
{
	struct check c = check_greeting();
	/* CSI from C1, U+0085 (NEL), RLO ... PDF, RLI ... PDI, and their neighbours kept. */
	static const char reply[] = "a\xc2\x9b" "2J\xc2\x85\xc2\x9f\xc2\xa0"
	    "\xe2\x80\xa9\xe2\x80\xaa\xe2\x80\xae" "gnp.exe\xe2\x80\xac\xe2\x80\xaf"
	    "\xe2\x81\xa5\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9\xe2\x81\xaa\n";
	struct probe_result r = result_done(reply, sizeof(reply) - 1, 5);
	struct verdict v;
	const char *line;

	check_judge(&c, &r, &v);
	line = printed(&c, &r, &v, true);
	CHECK(strstr(line, ",\"reply\":\"a\\u009b2J\\u0085\\u009f\xc2\xa0\\u2029\\u202a"
	    "\\u202egnp.exe\\u202c\xe2\x80\xaf\xe2\x81\xa5\\u2066\\u2067\\u2068\\u2069"
	    "\xe2\x81\xaa\\n\",\"error\":") != NULL);
	/* The status line has no byte from 0x7f up at all. */
	line = printed(&c, &r, &v, false);
	for (const char *p = line; *p; p++)
		CHECK((unsigned char)*p < 0x7f);
	CHECK(strstr(line, "[a\\xc2\\x9b2J\\xc2\\x85") != NULL);
	CHECK(strstr(line, "\\xe2\\x80\\xaegnp.exe\\xe2\\x80\\xac") != NULL);
}

int
main(void)
{
	RUN("unit/report", greeting_match_allows_one_line_end);
	RUN("unit/report", substring_and_regex_see_past_nul);
	RUN("unit/report", show_escapes_and_cuts);
	RUN("unit/report", ok_line_and_perfdata);
	RUN("unit/report", thresholds);
	RUN("unit/report", failures);
	RUN("unit/report", mismatch_shows_both);
	RUN("unit/report", usage_line_has_no_perfdata);
	RUN("unit/report", proxy_header);
	RUN("unit/report", json_escapes);
	RUN("unit/report", json_escapes_c1_and_bidi);
	return tests_failed ? 1 : 0;
}
