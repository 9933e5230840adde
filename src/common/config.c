/* SPDX-License-Identifier: BSD-2-Clause */
/* The configuration: one immutable struct, read from an INI file with inih and validated. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "addr.h"
#include "config.h"
#include "util.h"

#define MSG_LEN (HELLOD_CONFIG_ERROR_LEN - 64)

struct config_key {
	const char *section;
	const char *name;
	int (*parse)(struct hellod_config *c, const char *value, char *msg);
};

struct parse_ctx {
	FILE *f;                /* the stream read, or NULL: then data */
	const char *data;       /* a file read whole, size bytes */
	size_t size, pos;
	const char *name;
	unsigned line;
	struct hellod_config *config;
	struct config_errors *errors;
	unsigned seen[32];       /* line where each key of config_keys was set, 0: not yet */
	bool oom;
};

static int
set_string(char **p, const char *value)
{
	char *s = strdup(value);

	if (!s)
		return -ENOMEM;
	free(*p);
	*p = s;
	return 0;
}

static int
parse_host(struct hellod_config *c, const char *value, char *msg)
{
	char ipv4[INET_ADDRSTRLEN];

	if (value[0] == '\0' || strcmp(value, "*") == 0) {
		free(c->host);
		c->host = NULL;
		return 0;
	}
	if (addr_check_host(value) < 0) {
		snprintf(msg, MSG_LEN, "not a host name or address; allowed: * (every address), "
		    "a host name, an IPv4 or an IPv6 address");
		return -EINVAL;
	}
	/* An IPv6 socket cannot bind ::ffff:a.b.c.d: refused here, so that -t and a start
	 * agree. */
	if (addr_host_is_v4mapped(value, ipv4, sizeof(ipv4))) {
		snprintf(msg, MSG_LEN, "an IPv4-mapped address; write it as %s", ipv4);
		return -EINVAL;
	}
	return set_string(&c->host, value);
}

static int
parse_port(struct hellod_config *c, const char *value, char *msg)
{
	int r = addr_parse_port(value, &c->port);

	if (r < 0)
		snprintf(msg, MSG_LEN, "%s; allowed: 1-65535 or a service name from /etc/services",
		    r == -ERANGE ? "out of range" : "not a port number or a known service name");
	return r;
}

static int
parse_backlog(struct hellod_config *c, const char *value, char *msg)
{
	unsigned long v;
	int r = parse_uint(value, 1, HELLOD_BACKLOG_MAX, &v);

	if (r < 0) {
		snprintf(msg, MSG_LEN, "%s; allowed: 1-%d", r == -ERANGE ? "out of range" :
		    "not a number", HELLOD_BACKLOG_MAX);
		return r;
	}
	c->backlog = (int)v;
	return 0;
}

static int
parse_greeting(struct hellod_config *c, const char *value, char *msg)
{
	size_t n = strlen(value);

	if (n == 0 || n > HELLOD_GREETING_MAX) {
		snprintf(msg, MSG_LEN, "%zu bytes long; allowed: 1-%d bytes (RFC 865)", n,
		    HELLOD_GREETING_MAX);
		return -EINVAL;
	}
	for (size_t i = 0, len; i < n; i += len) {
		uint32_t cp;

		len = utf8_decode(value + i, n - i, &cp);
		if (len == 0) {
			snprintf(msg, MSG_LEN, "not UTF-8 at byte %zu (\\x%02x); allowed: UTF-8 "
			    "text and tabs", i + 1, (unsigned char)value[i]);
			return -EINVAL;
		}
		if ((cp < 0x20 && cp != '\t') || cp == 0x7f) {
			snprintf(msg, MSG_LEN, "control character \\x%02x at byte %zu; allowed: "
			    "text and tabs", (unsigned)cp, i + 1);
			return -EINVAL;
		}
		/* C1 controls: U+009B is the CSI of terminals, as ESC [ is. */
		if (cp >= 0x80 && cp <= 0x9f) {
			snprintf(msg, MSG_LEN, "control character U+%04X at byte %zu; allowed: "
			    "text and tabs", (unsigned)cp, i + 1);
			return -EINVAL;
		}
	}
	return set_string(&c->greeting, value);
}

static int
parse_bool_into(bool *p, const char *value, char *msg)
{
	if (parse_boolean(value, p) < 0) {
		snprintf(msg, MSG_LEN, "not a boolean; allowed: yes/no, true/false, on/off, 1/0");
		return -EINVAL;
	}
	return 0;
}

static int
parse_udp(struct hellod_config *c, const char *value, char *msg)
{
	return parse_bool_into(&c->udp, value, msg);
}

static int
parse_workers(struct hellod_config *c, const char *value, char *msg)
{
	unsigned long v;

	if (strcmp(value, "auto") == 0) {
		c->workers = 0;
		return 0;
	}
	if (parse_uint(value, 1, HELLOD_WORKERS_MAX, &v) < 0) {
		snprintf(msg, MSG_LEN, "allowed: auto (one per CPU) or 1-%d", HELLOD_WORKERS_MAX);
		return -EINVAL;
	}
	c->workers = (unsigned)v;
	return 0;
}

static int
parse_close(struct hellod_config *c, const char *value, char *msg)
{
	if (strcmp(value, "linger") == 0)
		c->close_fast = false;
	else if (strcmp(value, "fast") == 0)
		c->close_fast = true;
	else {
		snprintf(msg, MSG_LEN, "allowed: linger (wait for the client's end) or fast "
		    "(close at once unless the client sent something)");
		return -EINVAL;
	}
	return 0;
}

/* A number in [min, max] into *p; what is allowed is said by allowed. */
static int
parse_number_into(unsigned *p, const char *value, unsigned long min, unsigned long max,
    const char *allowed, char *msg)
{
	unsigned long v;
	int r = parse_uint(value, min, max, &v);

	if (r < 0) {
		snprintf(msg, MSG_LEN, "%s; allowed: %s", r == -ERANGE ? "out of range" :
		    "not a number", allowed);
		return r;
	}
	*p = (unsigned)v;
	return 0;
}

static int
parse_max_connections(struct hellod_config *c, const char *value, char *msg)
{
	if (strcmp(value, "auto") == 0) {
		c->max_connections = 0;
		return 0;
	}
	return parse_number_into(&c->max_connections, value, 1, HELLOD_CONNECTIONS_MAX,
	    "auto (from the open files limit, at most " STRINGIFY(HELLOD_CONNECTIONS_AUTO) ") "
	    "or 1-" STRINGIFY(HELLOD_CONNECTIONS_MAX), msg);
}

static int
parse_per_source(struct hellod_config *c, const char *value, char *msg)
{
	return parse_number_into(&c->max_per_source, value, 0, HELLOD_CONNECTIONS_MAX,
	    "0 (no cap) or 1-" STRINGIFY(HELLOD_CONNECTIONS_MAX), msg);
}

static int
parse_timeout_into(uint64_t *p, const char *value, char *msg)
{
	uint64_t usec;
	int r = parse_seconds(value, HELLOD_TIMEOUT_MAX_USEC, &usec);

	if (r == 0 && usec < 1000)
		r = -ERANGE;
	if (r < 0) {
		snprintf(msg, MSG_LEN, "%s; allowed: seconds from 0.001 to 3600, such as 5 or 0.5",
		    r == -ERANGE ? "out of range" : "not a number of seconds");
		return r;
	}
	*p = usec;
	return 0;
}

static int
parse_send_timeout(struct hellod_config *c, const char *value, char *msg)
{
	return parse_timeout_into(&c->send_usec, value, msg);
}

static int
parse_linger_timeout(struct hellod_config *c, const char *value, char *msg)
{
	return parse_timeout_into(&c->linger_usec, value, msg);
}

static int
parse_drain_timeout(struct hellod_config *c, const char *value, char *msg)
{
	return parse_timeout_into(&c->drain_usec, value, msg);
}

#define RATE_ALLOWED "0 (no limit) or 1-" STRINGIFY(HELLOD_RATE_MAX) " per second"
#define BURST_ALLOWED "1-" STRINGIFY(HELLOD_RATE_MAX)

static int
parse_udp_rate(struct hellod_config *c, const char *value, char *msg)
{
	return parse_number_into(&c->udp_rate, value, 0, HELLOD_RATE_MAX, RATE_ALLOWED, msg);
}

static int
parse_udp_burst(struct hellod_config *c, const char *value, char *msg)
{
	return parse_number_into(&c->udp_burst, value, 1, HELLOD_RATE_MAX, BURST_ALLOWED, msg);
}

static int
parse_tcp_rate(struct hellod_config *c, const char *value, char *msg)
{
	return parse_number_into(&c->tcp_rate, value, 0, HELLOD_RATE_MAX, RATE_ALLOWED, msg);
}

static int
parse_tcp_burst(struct hellod_config *c, const char *value, char *msg)
{
	return parse_number_into(&c->tcp_burst, value, 1, HELLOD_RATE_MAX, BURST_ALLOWED, msg);
}

static int
parse_prefix4(struct hellod_config *c, const char *value, char *msg)
{
	return parse_number_into(&c->prefix4, value, 1, 32, "1-32 (bits)", msg);
}

static int
parse_prefix6(struct hellod_config *c, const char *value, char *msg)
{
	return parse_number_into(&c->prefix6, value, 1, 128, "1-128 (bits)", msg);
}

static int
parse_udp_max_ratio(struct hellod_config *c, const char *value, char *msg)
{
	return parse_number_into(&c->udp_max_ratio, value, 1, HELLOD_UDP_MAX_RATIO_MAX,
	    "1-" STRINGIFY(HELLOD_UDP_MAX_RATIO_MAX) " (times the request's size)", msg);
}

/* A list of addresses and prefixes, separated by spaces or commas; empty: none. */
static int
parse_exempt(struct hellod_config *c, const char *value, char *msg)
{
	static const char sep[] = " \t,";
	const char *p = value;
	unsigned n = 0;

	for (p += strspn(p, sep); *p; p += strspn(p, sep)) {
		size_t len = strcspn(p, sep);
		char word[64], escaped[64];
		int r = -EINVAL;

		if (n == HELLOD_EXEMPT_MAX) {
			snprintf(msg, MSG_LEN, "more than %d prefixes; allowed: at most %d",
			    HELLOD_EXEMPT_MAX, HELLOD_EXEMPT_MAX);
			return -EINVAL;
		}
		if (len < sizeof(word)) {
			memcpy(word, p, len);
			word[len] = '\0';
			r = addr_prefix_parse(word, &c->exempt[n]);
		}
		if (r < 0) {
			snprintf(msg, MSG_LEN, "'%s' %s; allowed: IPv4 or IPv6 addresses or prefixes "
			    "such as 192.0.2.0/24 or 2001:db8::/32, separated by spaces",
			    str_escape(p, len, escaped, sizeof(escaped)), r == -ERANGE ?
			    "has too long a prefix length" : "is not an address or prefix");
			return -EINVAL;
		}
		n++;
		p += len;
	}
	c->n_exempt = n;
	return 0;
}

static int
parse_summary(struct hellod_config *c, const char *value, char *msg)
{
	if (strcmp(value, "0") == 0) {
		c->summary_usec = 0;
		return 0;
	}
	return parse_timeout_into(&c->summary_usec, value, msg);
}

static int
parse_level(struct hellod_config *c, const char *value, char *msg)
{
	int level = parse_log_level(value);

	if (level < 0) {
		snprintf(msg, MSG_LEN, "not a log level; allowed: err, warning, notice, info, debug");
		return -EINVAL;
	}
	c->log_level = level;
	return 0;
}

static int
parse_connections(struct hellod_config *c, const char *value, char *msg)
{
	return parse_bool_into(&c->log_connections, value, msg);
}

static const struct config_key config_keys[] = {
	{ "server", "host", parse_host },
	{ "server", "port", parse_port },
	{ "server", "backlog", parse_backlog },
	{ "server", "greeting", parse_greeting },
	{ "server", "udp", parse_udp },
	{ "server", "workers", parse_workers },
	{ "server", "close", parse_close },
	{ "limits", "max_connections", parse_max_connections },
	{ "limits", "max_connections_per_source", parse_per_source },
	{ "limits", "send_timeout", parse_send_timeout },
	{ "limits", "linger_timeout", parse_linger_timeout },
	{ "limits", "drain_timeout", parse_drain_timeout },
	{ "limits", "udp_rate", parse_udp_rate },
	{ "limits", "udp_burst", parse_udp_burst },
	{ "limits", "tcp_rate", parse_tcp_rate },
	{ "limits", "tcp_burst", parse_tcp_burst },
	{ "limits", "rate_prefix_ipv4", parse_prefix4 },
	{ "limits", "rate_prefix_ipv6", parse_prefix6 },
	{ "limits", "exempt", parse_exempt },
	{ "limits", "udp_max_ratio", parse_udp_max_ratio },
	{ "log", "level", parse_level },
	{ "log", "connections", parse_connections },
	{ "log", "summary_interval", parse_summary },
};

static const char *const config_sections[] = { "server", "limits", "log" };
static const char sections_allowed[] = "[server], [limits], [log]";

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

static bool
section_known(const char *name, size_t n)
{
	for (size_t i = 0; i < ELEMENTSOF(config_sections); i++)
		if (strlen(config_sections[i]) == n && strncmp(config_sections[i], name, n) == 0)
			return true;
	return false;
}

/* Checks one line before inih sees it; a rejected line is handed on blank, so that inih
 * neither acts on it nor loses count of lines. */
static void
check_line(struct parse_ctx *ctx, char *str, size_t total, bool nul, int num)
{
	/* Whatever inih's isspace() skips is indentation, \f and \v included. */
	const char *p = str + strspn(str, " \t\r\n\v\f");
	char escaped[64];

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
		if (!section_known(p + 1, (size_t)(end - p - 1)))
			add_error(ctx, ctx->line, "unknown section [%s]; allowed: %s",
			    str_escape(p + 1, (size_t)(end - p - 1), escaped, sizeof(escaped)),
			    sections_allowed);
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
	char msg[MSG_LEN], escaped[64];
	size_t k;
	int r;

	if (section[0] == '\0') {
		add_error(ctx, ctx->line, "key '%s' outside any section; allowed: under %s",
		    str_escape(name, strlen(name), escaped, sizeof(escaped)), sections_allowed);
		return 1;
	}
	if (!section_known(section, strlen(section)))
		return 1; /* reported at the section's line */

	for (k = 0; k < ELEMENTSOF(config_keys); k++)
		if (strcmp(config_keys[k].section, section) == 0 &&
		    strcmp(config_keys[k].name, name) == 0)
			break;
	if (k == ELEMENTSOF(config_keys)) {
		char keys[HELLOD_CONFIG_ERROR_LEN] = "";

		for (size_t i = 0, o = 0; i < ELEMENTSOF(config_keys) && o < sizeof(keys); i++)
			if (strcmp(config_keys[i].section, section) == 0)
				o += (size_t)snprintf(keys + o, sizeof(keys) - o, "%s%s", o ? ", " : "",
				    config_keys[i].name);
		add_error(ctx, ctx->line, "unknown key '%s' in [%s]; allowed: %s",
		    str_escape(name, strlen(name), escaped, sizeof(escaped)), section, keys);
		return 1;
	}
	if (ctx->seen[k]) {
		add_error(ctx, ctx->line, "duplicate key '%s' (first set on line %u); allowed: "
		    "once per file", name, ctx->seen[k]);
		return 1;
	}
	ctx->seen[k] = ctx->line;
	ctx->config->n_settings++;

	r = config_keys[k].parse(ctx->config, value, msg);
	if (r == -ENOMEM)
		ctx->oom = true;
	else if (r < 0)
		add_error(ctx, ctx->line, "%s = '%s': %s", name,
		    str_escape(value, strlen(value), escaped, sizeof(escaped)), msg);
	return 1;
}

/* Derives what is sent from what was configured, once per config. */
static int
config_validate(struct hellod_config *c)
{
	size_t n = strlen(c->greeting);

	free(c->line);
	c->line = malloc(n + 2);
	if (!c->line)
		return -ENOMEM;
	memcpy(c->line, c->greeting, n);
	c->line[n] = '\n';
	c->line[n + 1] = '\0';
	c->line_len = n + 1;
	return 0;
}

struct hellod_config *
config_new_defaults(void)
{
	struct hellod_config *c = calloc(1, sizeof(*c));
	char msg[MSG_LEN];

	if (!c)
		return NULL;
	c->refs = 1;
	c->port = HELLOD_PORT_DEFAULT;
	c->backlog = HELLOD_BACKLOG_DEFAULT;
	c->workers = 1;
	c->log_level = LOG_INFO;
	c->summary_usec = HELLOD_SUMMARY_USEC;
	c->max_per_source = HELLOD_PER_SOURCE_DEFAULT;
	c->send_usec = HELLOD_SEND_USEC;
	c->linger_usec = HELLOD_LINGER_USEC;
	c->drain_usec = HELLOD_DRAIN_USEC;
	c->udp_rate = HELLOD_UDP_RATE_DEFAULT;
	c->udp_burst = HELLOD_RATE_BURST_DEFAULT;
	c->tcp_burst = HELLOD_RATE_BURST_DEFAULT;
	c->prefix4 = HELLOD_PREFIX4_DEFAULT;
	c->prefix6 = HELLOD_PREFIX6_DEFAULT;
	c->udp_max_ratio = HELLOD_UDP_MAX_RATIO_DEFAULT;
	c->greeting = strdup(HELLOD_GREETING_DEFAULT);
	if (parse_exempt(c, HELLOD_EXEMPT_DEFAULT, msg) < 0)
		abort();        /* the built-in default is valid */
	if (!c->greeting || config_validate(c) < 0)
		return config_unref(c);
	return c;
}

/* Parses what ctx reads from; ctx->name and ctx->errors are set. Returns as config_parse(). */
static int
run_parser(struct parse_ctx *ctx, struct hellod_config **ret)
{
	struct config_errors *errors = ctx->errors;
	int r;

	_Static_assert(ELEMENTSOF(config_keys) <= ELEMENTSOF(ctx->seen), "seen[] too small");
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
	if (r == 0 && errors->n > 0)
		r = -EINVAL;
	if (r == 0)
		r = config_validate(ctx->config);
	if (r == 0 && ctx->name)
		r = set_string(&ctx->config->path, ctx->name);
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

/* What a file that is not a regular one is, for an error message. */
static const char *
file_type(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return "a directory";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	default:
		return "of an unknown type";
	}
}

/* Whether st is /dev/null, which reads as an empty file: "-c /dev/null", the built-in defaults,
 * is an idiom that neither blocks nor runs for ever. */
static bool
is_dev_null(const struct stat *st)
{
	struct stat null;

	return S_ISCHR(st->st_mode) && stat("/dev/null", &null) == 0 &&
	    S_ISCHR(null.st_mode) && null.st_rdev == st->st_rdev;
}

/* Reads the whole regular file open at fd, at most HELLOD_CONFIG_SIZE_MAX bytes, into a new
 * buffer (NULL for /dev/null). Returns its size and sets *ret_data, or a negative errno with
 * msg filled in. */
static ssize_t
read_file(int fd, char **ret_data, char *msg, size_t len)
{
	struct stat st;
	size_t n = 0;
	char *data;
	int r;

	if (fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(msg, len, "cannot fstat: %s", strerror(-r));
		return r;
	}
	if (is_dev_null(&st)) {
		*ret_data = NULL;
		return 0;
	}
	/* A FIFO would block the reader, a device such as /dev/zero never end. */
	if (!S_ISREG(st.st_mode)) {
		snprintf(msg, len, "not a regular file (%s); only a regular file is read",
		    file_type(st.st_mode));
		return S_ISDIR(st.st_mode) ? -EISDIR : -EBADFD;
	}
	if (st.st_size > HELLOD_CONFIG_SIZE_MAX) {
		snprintf(msg, len, "%jd bytes long; allowed: at most %d bytes",
		    (intmax_t)st.st_size, HELLOD_CONFIG_SIZE_MAX);
		return -EFBIG;
	}
	data = malloc(HELLOD_CONFIG_SIZE_MAX + 1);
	if (!data) {
		snprintf(msg, len, "%s", strerror(ENOMEM));
		return -ENOMEM;
	}
	/* The file may have grown since fstat(): read to its end, or one byte past the cap. */
	while (n <= HELLOD_CONFIG_SIZE_MAX) {
		ssize_t k = read(fd, data + n, HELLOD_CONFIG_SIZE_MAX + 1 - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			r = -errno;
			free(data);
			snprintf(msg, len, "cannot read: %s", strerror(-r));
			return r;
		}
		if (k == 0) {
			*ret_data = data;
			return (ssize_t)n;
		}
		n += (size_t)k;
	}
	free(data);
	snprintf(msg, len, "more than %d bytes long (it grew while it was read); allowed: at most "
	    "%d bytes", HELLOD_CONFIG_SIZE_MAX, HELLOD_CONFIG_SIZE_MAX);
	return -EFBIG;
}

int
config_load(const char *path, bool required, struct hellod_config **ret,
    struct config_errors *errors)
{
	struct parse_ctx ctx = { .name = path, .errors = errors };
	char *data = NULL;
	ssize_t size;
	int fd, r;

	memset(errors, 0, sizeof(*errors));
	errors->file = path;
	/* O_NONBLOCK: opening a FIFO does not wait for a writer. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT && !required) {
			*ret = config_new_defaults();
			return *ret ? 0 : -ENOMEM;
		}
		snprintf(errors->text[0], sizeof(errors->text[0]), "%s", strerror(-r));
		errors->n = 1;
		return r;
	}
	size = read_file(fd, &data, errors->text[0], sizeof(errors->text[0]));
	close(fd);
	if (size < 0) {
		errors->n = 1;
		return (int)size;
	}
	ctx.data = data;
	ctx.size = (size_t)size;
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
	free(c->path);
	free(c->host);
	free(c->greeting);
	free(c->line);
	free(c);
	return NULL;
}

bool
config_same_listen(const struct hellod_config *a, const struct hellod_config *b)
{
	bool same_host = (!a->host && !b->host) ||
	    (a->host && b->host && strcmp(a->host, b->host) == 0);

	return same_host && a->port == b->port && a->backlog == b->backlog &&
	    a->udp == b->udp && a->workers == b->workers;
}

bool
config_exempts(const struct hellod_config *c, const struct addr_prefix *source)
{
	for (unsigned i = 0; i < c->n_exempt; i++)
		if (addr_prefix_contains(&c->exempt[i], source))
			return true;
	return false;
}
