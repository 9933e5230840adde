/* SPDX-License-Identifier: BSD-2-Clause */
/* The listening sockets: adopted from systemd, or bound from the config. Never serves. */
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"
#include "util.h"

const char *
listen_kind(const struct listen_socket *ls)
{
	if (ls->family == AF_UNIX)
		return ls->type == SOCK_STREAM ? "unix stream" : "unix datagram";
	return ls->type == SOCK_STREAM ? "TCP" : "UDP";
}

/* what: the socket's kind, or "metrics" for the endpoint's. */
static void
log_listening(const struct listen_socket *ls, bool passed, const char *what)
{
	char address[ADDR_STR_MAX + 32], proto[32], how[sizeof(ls->name) + 32] = "";
	const char *const fields[] = { address, proto, NULL };

	snprintf(address, sizeof(address), "HELLOD_ADDRESS=%s", ls->address);
	snprintf(proto, sizeof(proto), "HELLOD_PROTOCOL=%s", what);
	if (passed)
		snprintf(how, sizeof(how), " (passed by systemd%s%s)", ls->name[0] ? " as " : "",
		    ls->name);
	log_struct(LOG_INFO, 0, HELLOD_MESSAGE_LISTEN, fields, "Serving %s on %s%s", what,
	    ls->address, how);
}

static void
socket_describe(struct listen_socket *ls)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len = sizeof(ss);

	/* The fd is a socket (sd_is_socket() said so): getsockname() cannot fail. */
	if (getsockname(ls->fd, (struct sockaddr *)&ss, &len) < 0) {    /* GCOVR_EXCL_BR_LINE */
		snprintf(ls->address, sizeof(ls->address), "fd %d", ls->fd);  /* GCOVR_EXCL_LINE */
		return;                                                 /* GCOVR_EXCL_LINE */
	}
	ls->family = ss.ss_family;
	addr_format((struct sockaddr *)&ss, len, ls->address, sizeof(ls->address));
}

static int
adopt_one(struct listen_set *set, int fd, const char *name)
{
	struct listen_socket *ls;
	int type, flags;

	if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) > 0)
		type = SOCK_STREAM;
	else if (sd_is_socket(fd, AF_UNSPEC, SOCK_DGRAM, -1) > 0)
		type = SOCK_DGRAM;
	else {
		log_warning("Passed fd %d (%s) is neither a listening stream socket nor a "
		    "datagram socket, ignoring", fd, name ? name : "unnamed");
		close(fd);
		return 0;
	}
	if (set->n == LISTEN_SOCKETS_MAX) {
		log_warning("More than %d sockets passed, ignoring fd %d", LISTEN_SOCKETS_MAX, fd);
		close(fd);
		return 0;
	}

	/* systemd hands sockets over blocking unless NonBlocking=yes: accept() must not block. */
	/* F_GETFL and F_SETFL of O_NONBLOCK on an open socket cannot fail. */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)    /* GCOVR_EXCL_BR_LINE */
		return log_error_errno(errno, "Failed to make fd %d non-blocking: %m", fd); /* GCOVR_EXCL_LINE */

	ls = &set->sockets[set->n++];
	ls->fd = fd;
	ls->type = type;
	snprintf(ls->name, sizeof(ls->name), "%s", name && strcmp(name, "unknown") != 0 ? name : "");
	socket_describe(ls);
	if (strncmp(ls->name, LISTEN_STORE_PREFIX, strlen(LISTEN_STORE_PREFIX)) != 0)
		set->stored = false;
	return 1;
}

/* A socket named "metrics" is the endpoint's: a listening stream socket, or nothing. */
static int
adopt_metrics(struct listen_set *metrics, int fd)
{
	if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
		log_warning("Passed fd %d (metrics) is not a listening stream socket, ignoring", fd);
		close(fd);
		return 0;
	}
	return adopt_one(metrics, fd, "metrics");
}

int
listen_adopt(struct listen_set *set, struct listen_set *metrics)
{
	char **names = NULL;
	int n, r = 0;

	set->n = metrics->n = 0;
	set->stored = true;
	n = sd_listen_fds_with_names(1, &names);
	if (n < 0)
		return log_error_errno(n, "Failed to read the sockets systemd passed: %m");
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i, q;

		if (names && strcmp(names[i], "metrics") == 0)
			q = adopt_metrics(metrics, fd);
		else
			q = adopt_one(set, fd, names ? names[i] : NULL);
		/* Only adopt_one()'s fcntl() (cannot fail, above) returns q < 0. */
		if (q < 0 && r == 0)    /* GCOVR_EXCL_BR_LINE */
			r = q;          /* GCOVR_EXCL_LINE */
	}
	for (int i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	if (r < 0)                      /* GCOVR_EXCL_BR_LINE: only after q < 0 (above) */
		return r;               /* GCOVR_EXCL_LINE: only after q < 0 (above) */
	if (n > 0 && set->n == 0)
		return log_error_errno(EBADF, "None of the %d passed sockets can be greeted on%s", n,
		    metrics->n > 0 ? " (the metrics socket needs hellod.socket beside it)" : "");
	set->activated = metrics->activated = n > 0;
	set->stored = set->stored && set->n > 0;
	/* Stored sockets are logged as listen_bind() takes them, or dropped. */
	for (size_t i = 0; i < set->n && !set->stored; i++)
		log_listening(&set->sockets[i], true, listen_kind(&set->sockets[i]));
	for (size_t i = 0; i < metrics->n; i++)
		log_listening(&metrics->sockets[i], true, "metrics");
	return (int)set->n;
}

/* The fd store's name for worker's ls: "hellod-store-w0-tcp-127.0.0.1-12345". */
static void
store_name(struct listen_socket *ls, unsigned worker)
{
	char *p = ls->name;

	/* Written piece by piece: the address is a field of the same struct. */
	p = stpcpy(p, LISTEN_STORE_PREFIX);
	p += sprintf(p, "w%u-", worker % 1000);
	p = stpcpy(p, ls->type == SOCK_STREAM ? "tcp-" : "udp-");
	(void)stpcpy(p, ls->address);   /* name has room for the prefix and any address */
	for (p = ls->name; *p; p++)
		if (*p == ':')
			*p = '-';
}

/* Takes from stored the socket of type bound to sa, if there is one: into ls, its backlog set
 * to the config's (listen() again changes it), SO_REUSEPORT set when more workers are to bind
 * the address too (a store from a run of one worker has none). Returns 1 when taken, 0 when
 * none, or a negative errno. */
static int
take_stored(struct listen_set *stored, const struct sockaddr *sa, socklen_t len, int type,
    int backlog, bool reuseport, struct listen_socket *ls)
{
	static const int one = 1;

	for (size_t i = 0; stored && i < stored->n; i++) {
		struct listen_socket *s = &stored->sockets[i];
		struct sockaddr_storage ss;
		socklen_t n = sizeof(ss);

		if (s->fd < 0 || s->type != type ||
		    getsockname(s->fd, (struct sockaddr *)&ss, &n) < 0 || n != len ||
		    memcmp(&ss, sa, len) != 0)
			continue;
		if ((type == SOCK_STREAM && listen(s->fd, backlog) < 0) ||
		    (reuseport && setsockopt(s->fd, SOL_SOCKET, SO_REUSEPORT, &one,
		    sizeof(one)) < 0))
			return -errno;
		*ls = *s;
		s->fd = -1;
		return 1;
	}
	return 0;
}

static int
bind_one(const struct sockaddr *sa, socklen_t len, int type, int backlog, bool reuseport,
    struct listen_socket *ls)
{
	static const int one = 1;
	int fd;

	addr_format(sa, len, ls->address, sizeof(ls->address));
	ls->type = type;
	ls->family = sa->sa_family;
	ls->name[0] = '\0';

	fd = socket(sa->sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* The IPv4 socket serves IPv4: without V6ONLY, [::] would take 0.0.0.0's port. Port
	 * sharing only for workers: it would let any process of our user bind the port too. */
	if ((sa->sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    (type == SOCK_STREAM &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
	    (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) ||
	    bind(fd, sa, len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, backlog) < 0)) {
		int r = -errno;

		close(fd);
		return r;
	}
	ls->fd = fd;
	return 0;
}

/* Whether another socket already holds sa's port. SO_REUSEPORT lets any process of our user
 * join the workers' sockets, which would share the clients out with a second hellod rather than
 * fail as a second copy must: a plain bind (as workers = 1 does) finds out first. Returns 0 when
 * the port is free, else the bind's -errno. Another hellod starting in the same instant may
 * still slip between this probe and the real bind. */
static int
port_free(const struct sockaddr *sa, socklen_t len, int type)
{
	static const int one = 1;
	int fd, r = 0;

	fd = socket(sa->sa_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* SO_REUSEADDR as the real socket has it: a TCP port in TIME_WAIT is free. */
	if ((sa->sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    (type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
	    bind(fd, sa, len) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Whether s is one address, written out. */
static bool
is_literal(const char *s)
{
	struct in6_addr a6;
	struct in_addr a4;

	return inet_pton(AF_INET, s, &a4) == 1 || inet_pton(AF_INET6, s, &a6) == 1;
}

/* Whether host is one address, written out: then it must be served, or the start fails. */
static bool
host_is_literal(const struct hellod_config *config)
{
	return config->host && is_literal(config->host);
}

/* Whether no interface has an address of family: the kernel has it disabled. */
static bool
family_disabled(int family)
{
	struct ifaddrs *list;
	bool any = false;

	if (getifaddrs(&list) < 0)
		return false;
	for (struct ifaddrs *i = list; i && !any; i = i->ifa_next)
		any = i->ifa_addr && i->ifa_addr->sa_family == family;
	freeifaddrs(list);
	return !any;
}

static bool
seen_before(const struct addrinfo *list, const struct addrinfo *ai)
{
	for (const struct addrinfo *p = list; p != ai; p = p->ai_next)
		if (p->ai_addrlen == ai->ai_addrlen &&
		    memcmp(p->ai_addr, ai->ai_addr, ai->ai_addrlen) == 0)
			return true;
	return false;
}

/* Binds one of host's addresses for type into ls, or takes it from stored. Returns 0, 1 when
 * it is skipped (its family is disabled: logged), or a negative errno (logged). */
static int
bind_address(const struct hellod_config *config, const struct addrinfo *ai, int type,
    bool reuseport, struct listen_set *stored, struct listen_socket *ls)
{
	int r = take_stored(stored, ai->ai_addr, ai->ai_addrlen, type, config->backlog, reuseport,
	    ls);

	if (r > 0) {
		log_info("%s on %s kept in systemd's file descriptor store: no client was refused "
		    "while hellod restarted", listen_kind(ls), ls->address);
		return 0;
	}
	if (r == 0 && reuseport)
		r = port_free(ai->ai_addr, ai->ai_addrlen, type);
	if (r == 0)
		r = bind_one(ai->ai_addr, ai->ai_addrlen, type, config->backlog, reuseport, ls);
	else {
		addr_format(ai->ai_addr, ai->ai_addrlen, ls->address, sizeof(ls->address));
		ls->type = type;
		ls->family = ai->ai_family;
	}
	if (r == -EAFNOSUPPORT || (r == -EADDRNOTAVAIL && !host_is_literal(config) &&
	    family_disabled(ai->ai_family))) {
		/* A kernel without IPv6, or with IPv6 disabled by sysctl (no IPv6 address
		 * anywhere, yet localhost is also ::1 in /etc/hosts), still serves IPv4. */
		log_warning_errno(r, "Cannot serve %s on %s: %m (%s is disabled on this host), "
		    "ignoring", listen_kind(ls), ls->address,
		    ai->ai_family == AF_INET6 ? "IPv6" : "IPv4");
		return 1;
	}
	if (r < 0)
		return log_error_errno(r, "Failed to listen on %s (%s): %m", ls->address,
		    listen_kind(ls));
	return 0;
}

int
listen_bind(const struct hellod_config *config, bool reuseport, bool store,
    struct listen_set *stored, struct listen_set *set)
{
	struct addrinfo hints = {
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
	};
	struct addrinfo *list, *ai;
	char port[8];
	int r;

	set->n = 0;
	set->activated = false;
	set->stored = store;
	snprintf(port, sizeof(port), "%u", config->port);
	r = getaddrinfo(config->host, port, &hints, &list);
	if (r != 0)
		return log_error_errno(r == EAI_SYSTEM ? errno : EADDRNOTAVAIL,
		    "Failed to resolve host %s: %s", config->host ? config->host : "*",
		    gai_strerror(r));

	for (ai = list; ai; ai = ai->ai_next) {
		if (seen_before(list, ai))
			continue;
		for (int udp = 0; udp <= (config->udp ? 1 : 0); udp++) {
			struct listen_socket *ls = &set->sockets[set->n];
			int type = udp ? SOCK_DGRAM : SOCK_STREAM;

			if (set->n == LISTEN_SOCKETS_MAX) {
				log_warning("Host %s has more than %d addresses, ignoring the rest",
				    config->host ? config->host : "*", LISTEN_SOCKETS_MAX / 2);
				goto done;
			}
			r = bind_address(config, ai, type, reuseport, stored, ls);
			if (r > 0)
				continue;
			if (r < 0)
				goto fail;
			if (store)
				store_name(ls, 0);
			set->n++;
			log_listening(ls, false, listen_kind(ls));
		}
	}
done:
	freeaddrinfo(list);
	if (set->n == 0)
		return log_error_errno(EADDRNOTAVAIL, "No address of host %s can be served",
		    config->host ? config->host : "*");
	return (int)set->n;
fail:
	freeaddrinfo(list);
	listen_close(set);
	return r;
}

/* Binds one item of [metrics] listen, the len bytes at item (checked when the config was
 * read), into set. Returns 0 or a negative errno, having logged why. */
static int
bind_metrics_item(const char *item, size_t len, struct listen_set *set)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV,
		.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *list;
	char host[HELLOD_HOST_MAX + 1], service[64], port[8];
	bool every;
	uint16_t number;
	int r;

	if (addr_endpoint_split(item, len, host, sizeof(host), service, sizeof(service)) < 0 ||
	    addr_parse_port(service, &number) < 0)
		return log_error_errno(EINVAL, "[metrics] listen: cannot use '%.*s'", (int)len, item);
	every = strcmp(host, "*") == 0;
	snprintf(port, sizeof(port), "%u", number);
	r = getaddrinfo(every ? NULL : host, port, &hints, &list);
	if (r != 0)
		return log_error_errno(r == EAI_SYSTEM ? errno : EADDRNOTAVAIL,
		    "[metrics] listen: failed to resolve %s: %s", host, gai_strerror(r));
	r = 0;
	for (struct addrinfo *ai = list; ai && r >= 0; ai = ai->ai_next) {
		struct listen_socket *ls = &set->sockets[set->n];

		if (seen_before(list, ai))
			continue;
		if (set->n == LISTEN_SOCKETS_MAX) {
			r = log_error_errno(EMFILE, "[metrics] listen: more than %d addresses",
			    LISTEN_SOCKETS_MAX);
			break;
		}
		r = bind_one(ai->ai_addr, ai->ai_addrlen, SOCK_STREAM, HELLOD_METRICS_BACKLOG, false,
		    ls);
		/* Every address, or a name's: a disabled family is skipped, as for host. */
		if ((r == -EAFNOSUPPORT || r == -EADDRNOTAVAIL) && (every || !is_literal(host)) &&
		    family_disabled(ai->ai_family)) {
			log_warning_errno(r, "Cannot serve metrics on %s: %m (%s is disabled on this "
			    "host), ignoring", ls->address, ai->ai_family == AF_INET6 ? "IPv6" : "IPv4");
			r = 0;
			continue;
		}
		if (r < 0) {
			log_error_errno(r, "Failed to listen on %s (metrics): %m", ls->address);
			break;
		}
		set->n++;
		log_listening(ls, false, "metrics");
	}
	freeaddrinfo(list);
	return r;
}

int
listen_bind_metrics(const struct hellod_config *config, struct listen_set *set)
{
	const char *p = config->metrics_listen;
	int r = 0;

	set->n = 0;
	set->activated = false;
	for (p += p ? strspn(p, ADDR_LIST_SEPARATORS) : 0; p && *p && r >= 0;
	    p += strspn(p, ADDR_LIST_SEPARATORS)) {
		size_t len = strcspn(p, ADDR_LIST_SEPARATORS);

		r = bind_metrics_item(p, len, set);
		p += len;
	}
	if (r < 0) {
		listen_close(set);
		return r;
	}
	return (int)set->n;
}

int
listen_again(const struct listen_set *set, int backlog, unsigned worker,
    struct listen_set *stored, struct listen_set *ret)
{
	*ret = *set;
	ret->shared = set->activated;
	if (ret->shared)
		return 0;
	for (size_t i = 0; i < set->n; i++) {
		struct sockaddr_storage ss = { 0 };
		socklen_t len = sizeof(ss);
		int r;

		r = getsockname(set->sockets[i].fd, (struct sockaddr *)&ss, &len) < 0 ? -errno :
		    take_stored(stored, (struct sockaddr *)&ss, len, set->sockets[i].type, backlog,
		    true, &ret->sockets[i]);
		if (r == 0)
			r = bind_one((struct sockaddr *)&ss, len, set->sockets[i].type, backlog,
			    true, &ret->sockets[i]);
		if (r >= 0 && set->stored)
			store_name(&ret->sockets[i], worker);
		if (r < 0) {
			ret->n = i;
			listen_close(ret);
			return log_error_errno(r, "Failed to listen on %s (%s) for another worker: %m",
			    set->sockets[i].address, listen_kind(&set->sockets[i]));
		}
	}
	return 0;
}

void
listen_close(struct listen_set *set)
{
	for (size_t i = 0; i < set->n && !set->shared; i++)
		if (set->sockets[i].fd >= 0)
			close(set->sockets[i].fd);
	set->n = 0;
}
