/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests of greet.c: the line for one client, and its per-worker cache of the day's quote,
 * which must follow the quotes list itself, not the address it had (issue 23, item 2). */
#include <netinet/in.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "../../src/hellod/greet.c"
#include "config.h"
#include "test.h"

static char dir[] = "/tmp/hellod-greet.XXXXXX";

/* A config whose greeting is the day's quote from a file of n quotes, 'quote 0' and on. */
static struct hellod_config *
daily_config(size_t n)
{
	char path[64], text[4096];
	struct config_errors errors;
	struct hellod_config *c = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/quotes", dir);
	f = fopen(path, "w");
	for (size_t i = 0; f && i < n; i++)
		fprintf(f, "quote %zu\n%%\n", i);
	if (!f || fclose(f) != 0)
		return NULL;
	snprintf(text, sizeof(text), "[server]\ngreeting = $quote\nquotes = %s\n"
	    "quote_rotation = daily\n", path);
	f = fmemopen(text, strlen(text), "r");
	if (!f)
		return NULL;
	if (config_parse(f, "t.conf", &c, &errors) < 0)
		c = NULL;
	fclose(f);
	return c;
}

static const char *
line_of(struct greeter *g, const struct hellod_config *c, char *buf)
{
	const struct sockaddr_in sin = { .sin_family = AF_INET };
	const struct greet_peer p = { .remote = (const struct sockaddr *)&sin,
		.remote_len = sizeof(sin), .fd = -1, .protocol = "TCP" };
	size_t len;

	return greet_line(g, c, &p, buf, &len);
}

/* A new list at the very address of the one the cache was of, within the same second: as the
 * allocator gives a freed block back to the next request of its size. The line must be the new
 * list's quote. Before, the cache was keyed by the address, and its index (64 of 101 on
 * 2026-12-07) read past the new list's one quote: hellod died of SIGSEGV. */
static void
daily_cache_follows_the_list(void)
{
	struct greeter g = { 0 };
	struct hellod_config *many = NULL, *one = daily_config(1);
	struct quotes *reused, *fresh;
	char buf[GREET_LINE_MAX], want[32];
	size_t n = 101, index = 0;
	time_t second;

	/* A count of quotes whose index today is not 0, which the one-quote list also has. */
	for (; n < 140 && index == 0; n++) {
		many = config_unref(many);
		many = daily_config(n);
		CHECK(many && one);
		if (!many || !one)
			return;
		index = quotes_daily(many->quotes, time(NULL));
	}
	CHECK(index > 0);
	for (int tries = 0; tries < 3; tries++) {
		second = time(NULL);
		snprintf(want, sizeof(want), "quote %zu\n", quotes_daily(many->quotes, second));
		CHECK_STR(line_of(&g, many, buf), want);
		/* The one-quote list moves into the many-quote list's place. */
		reused = many->quotes;
		fresh = one->quotes;
		free(reused->data);
		free(reused->text);
		free(reused->len);
		*reused = *fresh;
		free(fresh);
		one->quotes = reused;
		many->quotes = NULL;
		CHECK_STR(line_of(&g, one, buf), "quote 0\n");
		if (time(NULL) == second)
			break;
		/* The second changed: the test proved nothing; again with new lists. */
		config_unref(many);
		config_unref(one);
		many = daily_config(n - 1);
		one = daily_config(1);
		if (!many || !one)
			break;
	}
	config_unref(many);
	config_unref(one);
}

/* A greeting without variables is the config's own line, not a copy. */
static void
static_line_is_the_configs(void)
{
	struct greeter g = { 0 };
	struct hellod_config *c = config_new_defaults();
	char buf[GREET_LINE_MAX];

	CHECK(c && line_of(&g, c, buf) == c->line);
	config_unref(c);
}

int
main(void)
{
	char path[64];

	if (!mkdtemp(dir))
		return 1;
	RUN("unit/greet", daily_cache_follows_the_list);
	RUN("unit/greet", static_line_is_the_configs);
	snprintf(path, sizeof(path), "%s/quotes", dir);
	unlink(path);
	rmdir(dir);
	return tests_failed ? 1 : 0;
}
