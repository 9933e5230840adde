/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target: greeting templates. The input is the greeting (and, its first 8 bytes,
 * a time for template_format_time()). Parsing reads no byte past the string's NUL; a parsed
 * template's parts stay in its text; its rendering with the widest values (and with none)
 * fits in template_max_len() and, unless the greeting itself holds control bytes, carries
 * none but the quote's own CR and LF. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The widest quote there may be: text, a tab and a CRLF inside. */
#define QUOTE_LEN HELLOD_GREETING_MAX

static bool
has_controls(const char *s, size_t n, bool quote)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t' && !(quote && (c == '\r' || c == '\n'))) || c == 0x7f)
			return true;
	}
	return false;
}

static void
render_checked(const struct template *t, const struct template_values *v, bool controls)
{
	size_t max = template_max_len(t, v->quote ? v->quote_len : 0);
	char *buf = malloc(max + 1);    /* exactly: ASan sees a byte written past it */
	size_t n;

	if (!buf)
		abort();
	n = template_render(t, v, buf, max + 1);
	if (n > max || buf[n] != '\0' || strlen(buf) != n)
		abort();
	if (!controls && has_controls(buf, n, t->uses & 1u << VAR_QUOTE))
		abort();
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char quote[QUOTE_LEN];
	struct sockaddr_in6 remote = { .sin6_family = AF_INET6, .sin6_port = 0xffff,
	    .sin6_scope_id = 0xffffffff };
	struct sockaddr_in local = { .sin_family = AF_INET, .sin_port = 0xffff };
	char iso[TEMPLATE_TIME_MAX], day[TEMPLATE_TIME_MAX], msg[192];
	struct template_values v = { 0 };
	struct template t;
	char *greeting;
	time_t when = 0;

	/* A copy of exactly the input and its NUL, so that ASan sees a read past it. */
	greeting = malloc(size + 1);
	if (!greeting)
		abort();
	memcpy(greeting, data, size);
	greeting[size] = '\0';
	memcpy(&when, data, size < sizeof(when) ? size : sizeof(when));
	template_format_time(when, iso, day);
	if (strlen(iso) > TEMPLATE_ISO8601_MAX || strlen(day) > TEMPLATE_DAYTIME_MAX ||
	    has_controls(iso, strlen(iso), false) || has_controls(day, strlen(day), false))
		abort();

	if (template_parse(greeting, &t, msg, sizeof(msg)) == 0) {
		size_t text = strlen(t.text);

		if (t.n > TEMPLATE_PARTS_MAX || text > HELLOD_GREETING_MAX || text > size)
			abort();
		for (size_t i = 0; i < t.n; i++)
			if (t.parts[i].var ? t.parts[i].which >= VAR_N || !(t.uses &
			    1u << t.parts[i].which) : t.parts[i].len == 0 ||
			    t.parts[i].off + t.parts[i].len > text)
				abort();
		/* No values: every variable is "-". */
		render_checked(&t, &v, has_controls(greeting, size, false));
		memset(quote, 'q', sizeof(quote));
		memcpy(quote + 10, "\t\r\n", 3);
		inet_pton(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &remote.sin6_addr);
		inet_pton(AF_INET, "255.255.255.255", &local.sin_addr);
		v = (struct template_values){
			.hostname = "\x1b[2Jhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"
			    "hhhhhhhhhhhhhhhh",
			.remote = (const struct sockaddr *)&remote, .remote_len = sizeof(remote),
			.local = (const struct sockaddr *)&local, .local_len = sizeof(local),
			.protocol = "TCP", .time_iso8601 = iso, .daytime = day,
			.quote = quote, .quote_len = sizeof(quote),
		};
		render_checked(&t, &v, has_controls(greeting, size, false));
	} else if (msg[0] == '\0' || strlen(msg) >= sizeof(msg))
		abort();                /* refused without saying why */
	free(greeting);
	return 0;
}
