/* SPDX-License-Identifier: BSD-2-Clause */
/* The config reader: lines, file:line errors, loading a file, and a config's lifecycle. */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config-keys.h"
#include "config.h"
#include "util.h"

struct parse_ctx {
	FILE *f;                /* the stream read, or NULL: then data */
	const char *data;       /* a file read whole, size bytes */
	size_t size, pos;
	const char *name;
	unsigned line;
	struct hellod_config *config;
	struct config_errors *errors;
	unsigned seen[CONFIG_KEYS_MAX]; /* line where each key of config_keys was set, 0: not yet */
	bool oom;
	bool ended_line;        /* the last line read ended with its newline */
	bool dev_null;          /* -c /dev/null: the built-in defaults, nothing read */
};

static void
add_error(struct parse_ctx *ctx, unsigned line, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

static void
add_error(struct parse_ctx *ctx, unsigned line, const char *format, ...)
{
	struct config_errors *e = ctx->errors;
	char msg[HELLOD_CONFIG_ERROR_LEN];
	unsigned i;
	va_list ap;

	va_start(ap, format);
	vsnprintf(msg, sizeof(msg), format, ap);
	va_end(ap);

	/* Keep the list in line order: inih's own syntax error arrives after the fact. */
	if (e->n < HELLOD_CONFIG_ERRORS_MAX) {
		for (i = e->n; i > 0 && e->line[i - 1] > line; i--) {
			e->line[i] = e->line[i - 1];
			memcpy(e->text[i], e->text[i - 1], sizeof(e->text[i]));
		}
		e->line[i] = line;
		memcpy(e->text[i], msg, sizeof(msg));
	}
	e->n++;
}

/* Checks one line before inih sees it; a rejected line is handed on blank, so that inih
 * neither acts on it nor loses count of lines. */
static void
check_line(struct parse_ctx *ctx, char *str, size_t total, bool nul, int num)
{
	/* Whatever inih's isspace() skips is indentation, \f and \v included. */
	const char *p = str + strspn(str, " \t\r\n\v\f");
	char escaped[64], sections[HELLOD_CONFIG_ERROR_LEN];

	if (total > (size_t)num - 2) {
		add_error(ctx, ctx->line, "line is %zu bytes long; allowed: at most %d", total,
		    num - 2);
		str[0] = '\0';
	} else if (nul) {
		add_error(ctx, ctx->line, "NUL byte in line; allowed: text only");
		str[0] = '\0';
	} else if (p != str && *p != '\0' && *p != ';' && *p != '#') {
		/* inih would append it to the previous key's value (or act on it as a key). */
		add_error(ctx, ctx->line, "indented line; allowed: no leading whitespace "
		    "(continuation lines are not supported)");
		str[0] = '\0';
	} else if (*p == '[') {
		const char *end = strchr(p, ']'), *rest;

		if (!end)
			return;         /* inih's syntax error */
		rest = end + 1 + strspn(end + 1, " \t\r\n\v\f");
		if (!config_section_known(p + 1, (size_t)(end - p - 1)))
			add_error(ctx, ctx->line, "unknown section [%s]; allowed: %s",
			    str_escape(p + 1, (size_t)(end - p - 1), escaped, sizeof(escaped)),
			    config_keys_format(NULL, sections, sizeof(sections)));
		else if (*rest != '\0' && *rest != ';' && *rest != '#')
			/* inih would ignore it: "[server] greeting = x" sets nothing. The line is
			 * kept, so that the keys below are not also reported outside a section. */
			add_error(ctx, ctx->line, "text after the section header: '%s'; allowed: "
			    "nothing after ], or a ; or # comment", str_escape(rest,
			    strcspn(rest, "\r\n"), escaped, sizeof(escaped)));
	}
}

static int
next_byte(struct parse_ctx *ctx)
{
	if (ctx->f)
		return getc(ctx->f);
	return ctx->pos < ctx->size ? (unsigned char)ctx->data[ctx->pos++] : EOF;
}

/* An ini_reader: hands inih one line per call, newline included as fgets() would (newer inih
 * tells a whole line from a cut one by it), and counts them. A line has room for num - 2
 * bytes besides its newline and the NUL. */
static char *
config_reader(char *str, int num, void *stream)
{
	struct parse_ctx *ctx = stream;
	size_t n = 0, total = 0;
	bool nul = false, any = false;
	int ch;

	while ((ch = next_byte(ctx)) != EOF) {
		any = true;
		if (ch == '\n')
			break;
		if (ch == '\0')
			nul = true;
		if (n < (size_t)num - 2)
			str[n++] = (char)ch;
		total++;
	}
	if (!any)
		return NULL;
	ctx->ended_line = ch == '\n';
	if (ch == '\n')
		str[n++] = '\n';
	str[n] = '\0';
	ctx->line++;

	/* A UTF-8 byte order mark is allowed on the first line, as inih allows it. */
	if (ctx->line == 1 && strncmp(str, "\xef\xbb\xbf", 3) == 0) {
		memmove(str, str + 3, n - 2);   /* the rest and its NUL */
		total -= 3;
	}
	check_line(ctx, str, total, nul, num);
	return str;
}

static int
config_handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse_ctx *ctx = user;
	char msg[MSG_LEN], escaped[64], allowed[HELLOD_CONFIG_ERROR_LEN];
	const struct config_key *k;
	int r;

	if (section[0] == '\0') {
		add_error(ctx, ctx->line, "key '%s' outside any section; allowed: under %s",
		    str_escape(name, strlen(name), escaped, sizeof(escaped)),
		    config_keys_format(NULL, allowed, sizeof(allowed)));
		return 1;
	}
	if (!config_section_known(section, strlen(section)))
		return 1; /* reported at the section's line */

	k = config_key_find(section, name);
	if (!k) {
		add_error(ctx, ctx->line, "unknown key '%s' in [%s]; allowed: %s",
		    str_escape(name, strlen(name), escaped, sizeof(escaped)), section,
		    config_keys_format(section, allowed, sizeof(allowed)));
		return 1;
	}
	if (ctx->seen[k - config_keys]) {
		add_error(ctx, ctx->line, "duplicate key '%s' (first set on line %u); allowed: "
		    "once per file", name, ctx->seen[k - config_keys]);
		return 1;
	}
	ctx->seen[k - config_keys] = ctx->line;
	ctx->config->n_settings++;

	r = config_key_parse(k, ctx->config, value, msg);
	if (r == -ENOMEM)
		ctx->oom = true;
	else if (r < 0)
		add_error(ctx, ctx->line, "%s = '%s': %s", name,
		    str_escape(value, strlen(value), escaped, sizeof(escaped)), msg);
	return 1;
}

/* The line of a key in the file, 0 when it was not set. */
static unsigned
line_of(const struct parse_ctx *ctx, const char *section, const char *name)
{
	return ctx->seen[config_key_find(section, name) - config_keys];
}

/* Reads the quotes file, a relative path taken from the config file's directory (so that a
 * daemon that changed its directory reads the same file at a reload). */
static int
load_quotes(struct parse_ctx *ctx)
{
	struct hellod_config *c = ctx->config;
	const char *slash = ctx->name ? strrchr(ctx->name, '/') : NULL;
	char path[2 * HELLOD_PATH_MAX + 2], msg[MSG_LEN], escaped[96];
	int r;

	if (c->quotes_path[0] != '/' && slash)
		snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - ctx->name), ctx->name,
		    c->quotes_path);
	else
		snprintf(path, sizeof(path), "%s", c->quotes_path);
	r = quotes_load(path, &c->quotes, msg, sizeof(msg));
	if (r == -ENOMEM)
		ctx->oom = true;
	else if (r < 0)
		add_error(ctx, line_of(ctx, "server", "quotes"), "quotes = '%s': %s",
		    str_escape(c->quotes_path, strlen(c->quotes_path), escaped, sizeof(escaped)),
		    msg);
	return r;
}

/* The greeting's variables: parsed once, each known, the whole bounded whatever they hold. */
static void
check_greeting(struct parse_ctx *ctx)
{
	struct hellod_config *c = ctx->config;
	unsigned line = line_of(ctx, "server", "greeting");
	char msg[MSG_LEN];
	size_t max;

	c->template = malloc(sizeof(*c->template));
	if (!c->template) {
		ctx->oom = true;
		return;
	}
	if (template_parse(c->greeting, c->template, msg, sizeof(msg)) < 0) {
		add_error(ctx, line, "greeting: %s", msg);
		return;
	}
	if ((c->template->uses & (1u << VAR_QUOTE)) && !c->quotes_path) {
		add_error(ctx, line, "greeting: $quote needs a quotes file; allowed: quotes = FILE "
		    "in [server], such as /usr/share/games/fortunes/fortunes");
		return;
	}
	max = template_max_len(c->template, c->quotes ? c->quotes->max_len : 1);
	if (max > HELLOD_GREETING_MAX)
		add_error(ctx, line, "greeting: its variables can make it %zu bytes long%s; allowed: "
		    "at most " STRINGIFY(HELLOD_GREETING_MAX) " (RFC 865)", max,
		    c->template->uses & (1u << VAR_QUOTE) ? " with the longest quote" : "");
	if (c->template->uses & (1u << VAR_HOSTNAME))
		template_hostname(c->hostname);
}

/* What no single key can check, said at the line of the key that needs another. */
static void
check_across(struct parse_ctx *ctx)
{
	const struct hellod_config *c = ctx->config;

	if (c->proxy_protocol && c->n_trusted == 0)
		add_error(ctx, line_of(ctx, "server", "proxy_protocol"), "proxy_protocol = yes needs "
		    "trusted_proxies: the addresses of the load balancers whose PROXY headers to "
		    "believe; allowed: proxy_protocol = no, or trusted_proxies set in [server]");
	if (c->quotes_path)
		(void)load_quotes(ctx);
	check_greeting(ctx);
}

/* Derives what is sent from what was configured, once per config: a greeting without
 * variables is rendered here ("$$" made "$"), and its line sent as it is. */
static int
config_validate(struct hellod_config *c)
{
	const char *text = c->template ? c->template->text : c->greeting;
	size_t n;

	if (c->template && c->template->uses == 0) {
		/* text is the template's: keep the bytes before freeing it. */
		n = strlen(text);
		free(c->line);
		c->line = malloc(n + 2);
		if (!c->line)
			return -ENOMEM;
		memcpy(c->line, text, n);
		free(c->template);
		c->template = NULL;
	} else {
		n = strlen(c->greeting);
		free(c->line);
		c->line = malloc(n + 2);
		if (!c->line)
			return -ENOMEM;
		memcpy(c->line, c->greeting, n);
	}
	c->line[n] = '\n';
	c->line[n + 1] = '\0';
	c->line_len = n + 1;
	return 0;
}

int
config_fold_hostname(struct hellod_config *c)
{
	if (!c->template || !(c->template->uses & (1u << VAR_HOSTNAME)))
		return 0;
	/* Too long to fold: rendered per greeting, as before. */
	if (template_fold_hostname(c->template, c->hostname) < 0)
		return 0;
	return config_validate(c);
}

struct hellod_config *
config_new_defaults(void)
{
	struct hellod_config *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->refs = 1;
	if (config_keys_defaults(c) < 0 || config_validate(c) < 0)
		return config_unref(c);
	return c;
}

/* A file that sets nothing must be whole lines, at least one, the last with its newline: an
 * in-place rewrite (`cmd > file`, cp, an editor writing in place) truncates first, and a
 * producer that takes its time leaves the file empty for as long; a writer cut short between
 * two write()s leaves a last line without its newline. Either would otherwise be the built-in
 * defaults, replacing a running configuration. A file of nothing but comments, as shipped,
 * is whole and means the defaults. (A file that sets keys is judged by its keys; reload.c
 * also waits until any file has been quiet for a moment.) The same rule at start, for -t and
 * at a reload, so that they always agree. */
static void
check_whole(struct parse_ctx *ctx)
{
	if (ctx->dev_null || ctx->config->n_settings > 0)
		return;
	if (ctx->line == 0)
		add_error(ctx, 0, "empty (0 bytes): caught while being rewritten? A configuration "
		    "that sets nothing holds at least one line, such as a comment; -c /dev/null "
		    "gives the built-in defaults");
	else if (!ctx->ended_line)
		add_error(ctx, ctx->line, "sets nothing, and its last line has no newline: cut "
		    "short while being written? allowed: whole lines, each ending with a newline");
}

/* Parses what ctx reads from; ctx->name and ctx->errors are set. Returns as config_parse(). */
static int
run_parser(struct parse_ctx *ctx, struct hellod_config **ret)
{
	struct config_errors *errors = ctx->errors;
	int r;

	memset(errors, 0, sizeof(*errors));
	errors->file = ctx->name;
	ctx->config = config_new_defaults();
	if (!ctx->config)
		return -ENOMEM;

	r = ini_parse_stream(config_reader, ctx, config_handler, ctx);
	if (r == -2 || ctx->oom)
		r = -ENOMEM;
	else if (r > 0) {
		/* Handlers report their own errors and return 1: this is a line inih could not
		 * read at all. inih names only the first one. */
		add_error(ctx, (unsigned)r, "syntax error; allowed: [section], key = value, "
		    "; comment or # comment");
		r = 0;
	}
	if (r == 0 && ctx->f && ferror(ctx->f)) {
		r = errno > 0 ? -errno : -EIO;
		add_error(ctx, ctx->line + 1, "cannot read: %s", strerror(-r));
	}
	if (r == 0)
		check_across(ctx);
	/* Out of memory while checking across keys (the greeting's template, the quotes): the
	 * config is not whole, never served as if it were. */
	if (r == 0 && ctx->oom)
		r = -ENOMEM;
	if (r == 0 && errors->n == 0)
		check_whole(ctx);
	if (r == 0 && errors->n > 0)
		r = -EINVAL;
	if (r == 0)
		r = config_validate(ctx->config);
	if (r == 0 && ctx->name) {
		ctx->config->path = strdup(ctx->name);
		if (!ctx->config->path)
			r = -ENOMEM;
	}
	if (r < 0) {
		config_unref(ctx->config);
		return r;
	}
	*ret = ctx->config;
	return 0;
}

int
config_parse(FILE *f, const char *name, struct hellod_config **ret,
    struct config_errors *errors)
{
	struct parse_ctx ctx = { .f = f, .name = name, .errors = errors };

	return run_parser(&ctx, ret);
}

int
config_load(const char *path, bool required, struct hellod_config **ret,
    struct config_errors *errors)
{
	struct parse_ctx ctx = { .name = path, .errors = errors };
	char *data = NULL, msg[sizeof(errors->text[0])];
	ssize_t size;
	int r;

	memset(errors, 0, sizeof(*errors));
	errors->file = path;
	size = read_regular_file(path, HELLOD_CONFIG_SIZE_MAX, &data, msg, sizeof(msg));
	if (size == -ENOENT && !required) {
		*ret = config_new_defaults();
		return *ret ? 0 : -ENOMEM;
	}
	if (size < 0) {
		memcpy(errors->text[0], msg, sizeof(msg));
		errors->n = 1;
		return (int)size;
	}
	ctx.data = data;
	ctx.size = (size_t)size;
	ctx.dev_null = !data;
	r = run_parser(&ctx, ret);
	free(data);
	return r;
}

struct hellod_config *
config_ref(struct hellod_config *c)
{
	/* Atomic: hellod's workers hold references from several threads. */
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	return c;
}

struct hellod_config *
config_unref(struct hellod_config *c)
{
	if (!c || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return NULL;
	config_keys_free(c);
	free(c->path);
	free(c->line);
	free(c->template);
	quotes_free(c->quotes);
	free(c);
	return NULL;
}
