/* SPDX-License-Identifier: BSD-2-Clause */
/* hellod-check: probes a greeting server once and says so in one line, as a monitoring plugin. */
#include <errno.h>
#include <getopt.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "addr.h"
#include "config.h"
#include "probe.h"
#include "prom.h"
#include "proxy-header.h"
#include "report.h"
#include "util.h"

enum { OPT_CONFIG = 0x100, OPT_JSON, OPT_PROXY, OPT_PROM };
#define SHORT_OPTIONS "H:p:ue:r:w:c:t:46qhV"

struct options {
	const char *config;     /* --config; NULL: the default path, if it exists */
	const char *host;       /* -H, or the config's */
	bool local;             /* host and port both from the config */
	char prefix[HELLOD_GREETING_MAX + 1];   /* a templated greeting's fixed start */
	bool quiet;             /* -q */
	bool json;              /* --json */
	const char *prom;       /* --prom FILE; NULL: none */
	int family;             /* -4, -6 */
	char usage[256];        /* the first usage error */
};

static const struct option long_options[] = {
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "host", required_argument, NULL, 'H' },
	{ "port", required_argument, NULL, 'p' },
	{ "udp", no_argument, NULL, 'u' },
	{ "proxy", required_argument, NULL, OPT_PROXY },
	{ "expect", required_argument, NULL, 'e' },
	{ "regex", required_argument, NULL, 'r' },
	{ "warning", required_argument, NULL, 'w' },
	{ "critical", required_argument, NULL, 'c' },
	{ "timeout", required_argument, NULL, 't' },
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "prom", required_argument, NULL, OPT_PROM },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void
help(void)
{
	printf("Usage: hellod-check [OPTION]...\n"
	    "Probe a hellod greeting server once; print one status line and exit\n"
	    "0 OK, 1 WARNING, 2 CRITICAL or 3 UNKNOWN (the monitoring plugin API).\n"
	    "\n"
	    "      --config FILE   take host, port and greeting from FILE (default %s)\n"
	    "  -H, --host HOST     probe HOST, a name or an address (default: the config's host)\n"
	    "  -p, --port PORT     probe PORT, a number or a service name (default: the config's)\n"
	    "  -u, --udp           probe over UDP instead of TCP\n"
	    "      --proxy v1|v2   send a PROXY protocol header first, as a load balancer does:\n"
	    "                      v1 names this connection's own addresses, v2 is LOCAL\n"
	    "  -e, --expect STR    the reply must contain STR (default: be the greeting; for\n"
	    "                      one with $variables, start with its text before the first)\n"
	    "  -r, --regex RE      the reply must match the extended regular expression RE\n"
	    "  -w, --warning SEC   WARNING when the response takes longer than SEC\n"
	    "  -c, --critical SEC  CRITICAL when the response takes longer than SEC\n"
	    "  -t, --timeout SEC   give up after SEC, all told (default %g)\n"
	    "  -4, --ipv4          use IPv4 addresses only\n"
	    "  -6, --ipv6          use IPv6 addresses only\n"
	    "  -q, --quiet         print nothing when OK (for cron)\n"
	    "      --json          print one JSON object instead of the status line\n"
	    "      --prom FILE     also write the result as Prometheus metrics to FILE,\n"
	    "                      replaced atomically (node_exporter's textfile collector)\n"
	    "  -h, --help          show this help and exit\n"
	    "  -V, --version       show the version and exit\n"
	    "\n"
	    "See hellod-check(1).\n", HELLOD_CONFIG_PATH, HELLOD_CHECK_TIMEOUT_USEC / 1e6);
}

/* What the user typed, fit for the status line: escaped (one line, no '|') and cut. For one
 * use per message: the buffer is static. */
static const char *
shown(const char *s)
{
	static char buf[80];

	return text_show(s, buf, sizeof(buf));
}

/* An UNKNOWN verdict whose text holds what the user gave: escaped as shown() does. */
static void
set_unknown(struct verdict *v, const char *error, const char *format, ...)
{
	char raw[HELLOD_CHECK_TEXT_MAX];
	va_list ap;

	va_start(ap, format);
	vsnprintf(raw, sizeof(raw), format, ap);
	va_end(ap);
	v->state = STATE_UNKNOWN;
	v->error = error;
	text_show(raw, v->text, sizeof(v->text));
}

static void
usage_error(struct options *o, const char *format, ...)
{
	va_list ap;

	if (o->usage[0] != '\0')
		return;
	va_start(ap, format);
	vsnprintf(o->usage, sizeof(o->usage), format, ap);
	va_end(ap);
}

static void
parse_time(struct options *o, const char *name, const char *s, uint64_t *ret)
{
	int r = parse_seconds(s, HELLOD_CHECK_SECONDS_MAX * 1000000ULL, ret);

	if (r == 0 && *ret == 0)
		r = -ERANGE;
	if (r < 0)
		usage_error(o, "%s: %s \"%s\"; give seconds from 0.000001 to %u, at most six "
		    "decimals", name, r == -ERANGE ? "out of range:" : "not a number of seconds:",
		    shown(s), HELLOD_CHECK_SECONDS_MAX);
}

/* -e STRING or -r REGEX: what the reply must hold. */
static void
parse_expect(struct options *o, struct check *c, regex_t *re, int opt, const char *arg)
{
	int r;

	if (c->mode != EXPECT_GREETING) {
		usage_error(o, "-e and -r: give only one of them, once");
		return;
	}
	c->mode = opt == 'e' ? EXPECT_SUBSTRING : EXPECT_REGEX;
	c->expect = arg;
	if (arg[0] == '\0')
		usage_error(o, "-%c: an empty string matches anything", opt);
	else if (opt == 'r' &&
	    (r = regcomp(re, arg, REG_EXTENDED | REG_NOSUB | REG_NEWLINE)) != 0) {
		char msg[128];

		regerror(r, re, msg, sizeof(msg));
		usage_error(o, "-r: %s", msg);
	} else if (opt == 'r')
		c->regex = re;
}

/* The options that say what to probe and what to expect. Returns false for any other. */
static bool
parse_probe_option(struct options *o, struct check *c, regex_t *re, int opt, const char *arg)
{
	switch (opt) {
	case 'H':
		o->host = arg;
		if (strcmp(arg, "*") != 0 && addr_check_host(arg) < 0)
			usage_error(o, "-H: not a host name or address: \"%s\"",
			    shown(arg));
		return true;
	case 'p':
		if (addr_parse_port(arg, &c->port) < 0)
			usage_error(o, "-p: not a port (1-65535) or service name: \"%s\"",
			    shown(arg));
		return true;
	case 'u':
		c->udp = true;
		return true;
	case OPT_PROXY:
		if (proxy_version_parse(arg, &c->proxy) < 0)
			usage_error(o, "--proxy: \"%s\" is not a PROXY protocol version; "
			    "give v1 or v2", shown(arg));
		return true;
	case 'e':
	case 'r':
		parse_expect(o, c, re, opt, arg);
		return true;
	case '4':
	case '6':
		if (o->family != AF_UNSPEC)
			usage_error(o, "-4 and -6: give only one of them");
		o->family = opt == '4' ? AF_INET : AF_INET6;
		return true;
	default:
		return false;
	}
}

/* An option getopt did not know, or one given an argument it does not take. */
static void
unknown_option(struct options *o, char **argv)
{
	/* A long option is a whole argument, and getopt has stepped past it. Its optopt is 0
	 * (unknown) or its value (an argument it does not take). */
	if (optopt == 0 || optopt > 0xff || strchr(SHORT_OPTIONS, optopt))
		usage_error(o, "%s: unknown option, or one that takes no argument",
		    shown(argv[optind - 1]));
	else
		usage_error(o, "unknown option -%s", shown((char[]){ (char)optopt, 0 }));
}

/* Parses the command line into o and c. Returns 0 to go on, 1 when -h or -V was answered. */
static int
parse_args(int argc, char **argv, struct options *o, struct check *c, regex_t *re)
{
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":" SHORT_OPTIONS, long_options, NULL)) != -1) {
		if (parse_probe_option(o, c, re, opt, optarg))
			continue;
		switch (opt) {
		case OPT_CONFIG:
			o->config = optarg;
			break;
		case 'w':
			parse_time(o, "-w", optarg, &c->warning_usec);
			break;
		case 'c':
			parse_time(o, "-c", optarg, &c->critical_usec);
			break;
		case 't':
			parse_time(o, "-t", optarg, &c->timeout_usec);
			break;
		case 'q':
			o->quiet = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_PROM:
			if (optarg[0] == '\0')
				usage_error(o, "--prom: needs a file name");
			else
				o->prom = optarg;
			break;
		case 'h':
			help();
			return 1;
		case 'V':
			printf("hellod-check %s\n", HELLOD_VERSION);
			return 1;
		case ':':
			usage_error(o, "%s: needs an argument", shown(argv[optind - 1]));
			break;
		default:
			unknown_option(o, argv);
			break;
		}
	}
	if (optind < argc)
		usage_error(o, "unexpected argument \"%s\"", shown(argv[optind]));
	if (c->udp && c->proxy != PROXY_NONE)
		usage_error(o, "--proxy and -u: hellod reads no PROXY header over UDP; give "
		    "only one of them");
	return 0;
}

/* Fills in from the daemon's config what the command line left open. Returns 0, or fills
 * v with an UNKNOWN verdict and returns -1. */
static int
apply_config(struct options *o, struct check *c, struct hellod_config **cfgp,
    struct verdict *v)
{
	const char *path = o->config ? o->config : HELLOD_CONFIG_PATH;
	struct config_errors errors;
	struct hellod_config *cfg;
	/* Host and port both from the config: this machine's daemon as configured. */
	bool local = !o->host && c->port == 0;

	o->local = local;
	int r;

	/* A FIFO or a device is refused, not read: this cannot outlast the deadline. */
	r = config_load(path, o->config != NULL, &cfg, &errors);
	if (r == -EINVAL) {
		set_unknown(v, "config", "%s:%u: %s%s", path, errors.line[0], errors.text[0],
		    errors.n > 1 ? " (and more, see hellod -t)" : "");
		return -1;
	}
	if (r < 0) {
		set_unknown(v, "config", "cannot read %s: %s", path,
		    errors.n > 0 ? errors.text[0] : strerror(-r));
		return -1;
	}
	*cfgp = cfg;
	if (c->port == 0)
		c->port = cfg->port;
	if (!o->host)
		o->host = cfg->host ? cfg->host : "*";
	if (c->mode == EXPECT_GREETING)
		c->expect = cfg->greeting;
	/* A greeting with variables differs from client to client: what is fixed is its text
	 * before the first variable. */
	if (c->mode == EXPECT_GREETING && cfg->template) {
		const struct template_part *first = &cfg->template->parts[0];

		snprintf(o->prefix, sizeof(o->prefix), "%.*s", first->var ? 0 : (int)first->len,
		    cfg->template->text + first->off);
		c->mode = EXPECT_PREFIX;
		c->expect = o->prefix;
	}
	/* Probing the configured daemon over UDP when it does not serve UDP would only say
	 * "refused": say why instead. */
	if (c->udp && !cfg->udp && local) {
		set_unknown(v, "config", "UDP is off in %s (udp = no); probe TCP, or name the host "
		    "with -H", cfg->path ? cfg->path : "the built-in defaults");
		return -1;
	}
	return 0;
}

/* Writes the metrics to o->prom. When that fails the check is UNKNOWN, its text saying why
 * and what the check itself found. */
static void
write_prom(const struct options *o, const struct check *c, const struct probe_result *r,
    struct verdict *v)
{
	char *text = NULL, was[HELLOD_CHECK_TEXT_MAX];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	enum check_state state = v->state;
	int err = 0;

	if (!f)
		err = -errno;
	else {
		prom_format(f, c, r, v);
		if (fclose(f) != 0)
			err = -ENOMEM;
	}
	if (err == 0)
		err = prom_write(o->prom, text, len);
	free(text);
	if (err == 0)
		return;
	memcpy(was, v->text, sizeof(was));
	v->state = STATE_UNKNOWN;
	v->error = "metrics not written";
	if (snprintf(v->text, sizeof(v->text), "--prom: cannot write %s: %s; the check was %s - %s",
	    shown(o->prom), strerror(-err), check_state_name(state), was) >= (int)sizeof(v->text))
		memcpy(v->text + sizeof(v->text) - 4, "...", 4);
}

/* The address to probe for the host the daemon binds: its loopback address for a wildcard,
 * which is all its addresses (hellod.conf(5)). */
static const char *
probe_host(const char *host, int family)
{
	if (strcmp(host, "*") == 0)
		return family == AF_INET6 ? "::1" : "127.0.0.1";
	if (strcmp(host, "0.0.0.0") == 0)
		return "127.0.0.1";
	if (strcmp(host, "::") == 0)
		return "::1";
	return host;
}

/* True when host is an address literal of the family that -4 or -6 excludes. */
static bool
family_excluded(const char *host, int family)
{
	struct in_addr a;

	if (family == AF_INET6)
		return inet_pton(AF_INET, host, &a) == 1;
	/* A colon is in every IPv6 literal, with or without a %zone, and in no host name. */
	return family == AF_INET && strchr(host, ':') != NULL;
}

int
main(int argc, char **argv)
{
	struct options o = { .family = AF_UNSPEC };
	struct check c = { .timeout_usec = HELLOD_CHECK_TIMEOUT_USEC };
	struct hellod_config *cfg = NULL;
	struct probe_result res;
	struct verdict v = { .state = STATE_UNKNOWN };
	const struct probe_result *probed = NULL;
	const char *host;
	regex_t re;
	int r;

	if (parse_args(argc, argv, &o, &c, &re) > 0) {
		v.state = STATE_OK;
		goto out;
	}
	if (o.usage[0] != '\0') {
		/* o.usage holds what the user typed only through shown(). */
		v.error = "usage";
		snprintf(v.text, sizeof(v.text), "%s (see hellod-check --help)", o.usage);
		goto report;
	}
	/* Only what the command line does not say comes from the config. */
	if ((!o.host || c.port == 0 || c.mode == EXPECT_GREETING) &&
	    apply_config(&o, &c, &cfg, &v) < 0)
		goto report;
	c.host = o.host;
	host = probe_host(o.host, o.family);
	if (family_excluded(host, o.family)) {
		set_unknown(&v, "usage", "-%c: %s is an IPv%c address (see hellod-check --help)",
		    o.family == AF_INET ? '4' : '6', host, o.family == AF_INET ? '6' : '4');
		goto report;
	}

	/* This machine's daemon, as configured: it may want a PROXY header from us. */
	r = probe_run(&(struct probe_request){ .host = host, .port = c.port, .udp = c.udp,
	    .proxy = c.proxy, .trust = o.local ? cfg : NULL, .family = o.family,
	    .timeout_usec = c.timeout_usec }, &res);
	probed = &res;
	if (r < 0) {
		v.state = STATE_UNKNOWN;
		v.error = "internal";
		snprintf(v.text, sizeof(v.text), "cannot probe: %s", strerror(-r));
		goto report;
	}
	check_judge(&c, &res, &v);
report:
	if (o.prom)
		write_prom(&o, &c, probed, &v);
	if (!(o.quiet && v.state == STATE_OK))
		report_print(stdout, &c, probed, &v, o.json);
out:
	if (c.regex)
		regfree(&re);
	config_unref(cfg);
	if (fflush(stdout) != 0 && v.state == STATE_OK)
		v.state = STATE_UNKNOWN;
	return (int)v.state;
}
