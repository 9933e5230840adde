/* SPDX-License-Identifier: BSD-2-Clause */
/* A test client for hellod: plays the clients a greeting server meets, and reads sd_notify. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "defaults.h"
#include "util.h"

static int timeout_ms = 5000;
static int stall_ms;             /* -w: notify reads nothing for this long first */
static const char *send_data;
static unsigned long local_port;         /* -P: bind to this source port first */
static const char *local_addr;           /* -B: bind to this source address first */
static int chunk_ms;                     /* -d: between the chunks of "chunks" */
static size_t send_bytes;

static void
die(int status, const char *what)
{
	fprintf(stderr, "client: %s: %s\n", what, strerror(errno));
	exit(status);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int
wait_for(int fd, short events, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long long left = deadline - now_ms();
	int r;

	r = poll(&p, 1, left > 0 ? (int)left : 0);
	if (r == 0) {
		fprintf(stderr, "client: timed out\n");
		exit(3);
	}
	return r;
}

static int
connect_to(const char *host, const char *port, int type)
{
	struct addrinfo hints = { .ai_socktype = type, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	struct addrinfo *ai;
	int fd, r;

	r = getaddrinfo(host, port, &hints, &ai);
	if (r != 0) {
		fprintf(stderr, "client: %s: %s\n", host, gai_strerror(r));
		exit(1);
	}
	fd = socket(ai->ai_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die(1, "socket");
	if (local_port || local_addr) {
		struct sockaddr_storage me;

		memset(&me, 0, sizeof(me));
		me.ss_family = (sa_family_t)ai->ai_family;
		if (local_addr && inet_pton(ai->ai_family, local_addr, ai->ai_family == AF_INET ?
		    (void *)&((struct sockaddr_in *)&me)->sin_addr :
		    (void *)&((struct sockaddr_in6 *)&me)->sin6_addr) != 1) {
			fprintf(stderr, "client: -B %s: not an address of the target's family\n",
			    local_addr);
			exit(1);
		}
		/* sin_port and sin6_port lie at the same offset. */
		((struct sockaddr_in *)&me)->sin_port = htons((uint16_t)local_port);
		if (bind(fd, (struct sockaddr *)&me, ai->ai_addrlen) < 0)
			die(1, "bind");
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		die(1, "connect");
	freeaddrinfo(ai);
	return fd;
}

static void
send_request(int fd)
{
	char junk[4096];
	size_t left = send_bytes;

	if (send_data && send(fd, send_data, strlen(send_data), MSG_NOSIGNAL) < 0)
		die(2, "send");
	memset(junk, 'j', sizeof(junk));
	while (left > 0) {
		ssize_t n = send(fd, junk, left < sizeof(junk) ? left : sizeof(junk), MSG_NOSIGNAL);

		if (n < 0)
			die(2, "send");
		left -= (size_t)n;
	}
}

/* Reads to EOF and prints what came; a reset is exit status 2, a timeout 3. */
static int
stream_read_all(int fd)
{
	long long deadline = now_ms() + timeout_ms;
	char buf[4096];
	size_t total = 0;

	send_request(fd);
	for (;;) {
		ssize_t n;

		wait_for(fd, POLLIN, deadline);
		n = recv(fd, buf, sizeof(buf), 0);
		if (n == 0)
			return 0;
		if (n < 0) {
			fprintf(stderr, "client: %s after %zu bytes\n", strerror(errno), total);
			return 2;
		}
		fwrite(buf, 1, (size_t)n, stdout);
		total += (size_t)n;
	}
}

/* Decodes \r, \n, \t, \\ and \xHH in s into buf; returns the length. */
static size_t
unescape(const char *s, char *buf, size_t size)
{
	size_t n = 0;

	while (*s && n < size) {
		unsigned v;

		if (s[0] != '\\' || !s[1]) {
			buf[n++] = *s++;
			continue;
		}
		switch (s[1]) {
		case 'r': buf[n++] = '\r'; s += 2; break;
		case 'n': buf[n++] = '\n'; s += 2; break;
		case 't': buf[n++] = '\t'; s += 2; break;
		case 'x':
			if (sscanf(s + 2, "%2x", &v) != 1) {
				fprintf(stderr, "client: bad escape in %s\n", s);
				exit(64);
			}
			buf[n++] = (char)v;
			s += 4;
			break;
		default: buf[n++] = s[1]; s += 2; break;
		}
	}
	return n;
}

/* Sends each chunk (with escapes) as a segment of its own, -d MS apart (TCP_NODELAY), then
 * reads to EOF as "tcp" does: how a load balancer's PROXY header may arrive. */
static int
chunks(int fd, int n, char **chunk)
{
	static char buf[65536];
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	for (int i = 0; i < n; i++) {
		size_t len = unescape(chunk[i], buf, sizeof(buf));

		if (i > 0 && chunk_ms > 0)
			usleep((useconds_t)chunk_ms * 1000);
		if (send(fd, buf, len, MSG_NOSIGNAL) < 0)
			die(2, "send");
	}
	return stream_read_all(fd);
}

/* One recv() of at most size bytes, printed. */
static int
recv_once(int fd, size_t size)
{
	static char buf[65536];
	ssize_t n;

	wait_for(fd, POLLIN, now_ms() + timeout_ms);
	n = recv(fd, buf, size < sizeof(buf) ? size : sizeof(buf), 0);
	if (n < 0)
		die(2, "recv");
	fwrite(buf, 1, (size_t)n, stdout);
	return 0;
}

/* The seed tutorial's client: connect, one recv(1024), print it, close. */
static int
tutorial(int fd)
{
	return recv_once(fd, 1024);
}

/* A UDP request as long as the longest greeting line, so that hellod's udp_max_ratio = 1
 * lets it be answered in full (hellod-check pads its probe likewise). */
static const char *
udp_request(size_t *ret_len)
{
	static char probe[HELLOD_GREETING_MAX + 1];

	if (send_data) {
		*ret_len = strlen(send_data);
		return send_data;
	}
	memset(probe, 'x', sizeof(probe));
	*ret_len = sizeof(probe);
	return probe;
}

/* One datagram out (DATA, or a 512-byte probe), the one reply printed. */
static int
dgram_exchange(int fd)
{
	size_t len;
	const char *req = udp_request(&len);

	if (send(fd, req, len, 0) < 0)
		die(2, "send");
	return recv_once(fd, 65536);
}

/* COUNT datagrams from each of SOURCES sockets, all sent before any reply is read, so that
 * the server finds many queued from different sources at once. Prints how many replies each
 * source got that equal the first reply seen, and how many differed; exit 0 when every source
 * got one reply per datagram. */
static int
udp_burst(const char *host, const char *port, unsigned sources, unsigned count)
{
	int fds[16];
	unsigned got[16] = { 0 }, odd = 0, total = 0;
	char first[1024] = "", buf[1024];
	ssize_t first_len = -1;
	long long deadline;
	bool all = true;
	size_t len;
	const char *req = udp_request(&len);

	if (sources == 0 || sources > 16)
		return 64;
	for (unsigned i = 0; i < sources; i++)
		fds[i] = connect_to(host, port, SOCK_DGRAM);
	/* Round robin, so consecutive datagrams in the queue come from different sources. */
	for (unsigned n = 0; n < count; n++)
		for (unsigned i = 0; i < sources; i++)
			if (send(fds[i], req, len, 0) < 0)
				die(2, "send");
	deadline = now_ms() + timeout_ms;
	while (total < sources * count && now_ms() < deadline) {
		struct pollfd p[16];
		long long left = deadline - now_ms();

		for (unsigned i = 0; i < sources; i++)
			p[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
		if (poll(p, sources, left > 0 ? (int)left : 0) <= 0)
			break;
		for (unsigned i = 0; i < sources; i++) {
			ssize_t n;

			if (!(p[i].revents & POLLIN))
				continue;
			n = recv(fds[i], buf, sizeof(buf), MSG_DONTWAIT);
			if (n < 0)
				continue;
			if (first_len < 0) {
				memcpy(first, buf, (size_t)n);
				first_len = n;
			}
			if (n == first_len && memcmp(buf, first, (size_t)n) == 0)
				got[i]++;
			else
				odd++;
			total++;
		}
	}
	for (unsigned i = 0; i < sources; i++) {
		printf("source %u: %u replies\n", i + 1, got[i]);
		all = all && got[i] == count;
	}
	printf("other replies: %u\n", odd);
	return all && odd == 0 ? 0 : 1;
}

/* The Internet checksum (RFC 1071) of len bytes, sum carried in. */
static uint16_t
inet_checksum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* One UDP datagram (DATA, or the 512-byte probe) to dst:dport from a forged source,
 * src:sport, as a raw IPv4 packet that we write whole (IP_HDRINCL; needs root): the first
 * datagram of a loop between two servers, as an attacker would send it. */
static int
forge(const char *src, const char *sport, const char *dst, const char *dport)
{
	static struct {
		struct iphdr ip;
		struct udphdr udp;
		char data[4096];
	} __attribute__((packed)) pkt;
	struct sockaddr_in to = { .sin_family = AF_INET };
	unsigned long sp, dp;
	uint32_t sum;
	size_t len;
	const char *req = udp_request(&len);
	int fd, one = 1;

	if (len > sizeof(pkt.data) || parse_uint(sport, 1, 65535, &sp) < 0 ||
	    parse_uint(dport, 1, 65535, &dp) < 0 || inet_pton(AF_INET, src, &pkt.ip.saddr) != 1 ||
	    inet_pton(AF_INET, dst, &pkt.ip.daddr) != 1) {
		fprintf(stderr, "client: forge wants IPv4 addresses, ports and at most %zu bytes\n",
		    sizeof(pkt.data));
		return 64;
	}
	memcpy(pkt.data, req, len);
	pkt.ip.version = 4;
	pkt.ip.ihl = sizeof(pkt.ip) / 4;
	pkt.ip.ttl = 64;
	pkt.ip.protocol = IPPROTO_UDP;
	pkt.ip.tot_len = htons((uint16_t)(sizeof(pkt.ip) + sizeof(pkt.udp) + len));
	pkt.udp.source = htons((uint16_t)sp);
	pkt.udp.dest = htons((uint16_t)dp);
	pkt.udp.len = htons((uint16_t)(sizeof(pkt.udp) + len));
	/* The pseudo-header: addresses, protocol, UDP length; then the header and data. The
	 * kernel fills in the IP header's own checksum. */
	sum = ntohs((uint16_t)(pkt.ip.saddr >> 16)) + ntohs((uint16_t)pkt.ip.saddr) +
	    ntohs((uint16_t)(pkt.ip.daddr >> 16)) + ntohs((uint16_t)pkt.ip.daddr) +
	    IPPROTO_UDP + sizeof(pkt.udp) + len;
	pkt.udp.check = htons(inet_checksum(&pkt.udp, sizeof(pkt.udp) + len, sum));
	if (pkt.udp.check == 0)
		pkt.udp.check = 0xffff;
	to.sin_addr.s_addr = pkt.ip.daddr;
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0)
		die(1, "raw socket");
	if (sendto(fd, &pkt, sizeof(pkt.ip) + sizeof(pkt.udp) + len, 0, (struct sockaddr *)&to,
	    sizeof(to)) < 0)
		die(2, "sendto");
	return 0;
}

static int
unix_socket(const char *path, int type, bool bind_self)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die(1, "socket");
	if (bind_self) {
		/* A datagram client needs an address of its own to be answered. */
		struct sockaddr_un me = { .sun_family = AF_UNIX };

		snprintf(me.sun_path + 1, sizeof(me.sun_path) - 1, "hellod-test-%d", getpid());
		if (bind(fd, (struct sockaddr *)&me, offsetof(struct sockaddr_un, sun_path) + 1 +
		    strlen(me.sun_path + 1)) < 0)
			die(1, "bind");
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die(1, "connect");
	return fd;
}

/* Prints each sd_notify datagram sent to path (or @abstract), then a line "--", until the
 * timeout; with -w, only after not reading for that long. */
static int
notify_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	long long deadline = now_ms() + timeout_ms;
	char buf[4096];
	int fd;

	socklen_t len = sizeof(sa);

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	/* "@name": an abstract address, as $NOTIFY_SOCKET writes it; its length is the name's. */
	if (path[0] == '@') {
		sa.sun_path[0] = '\0';
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) < 0)
		die(1, "bind");
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("listening\n--\n");
	/* -w: a reader that does not read for a while, so that the queue fills. */
	if (stall_ms > 0)
		poll(NULL, 0, stall_ms);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return 0;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			continue;
		buf[n] = '\0';
		printf("%s\n--\n", buf);
	}
}

/* A port free for TCP and UDP on 127.0.0.1 (and ::1, where there is IPv6). */
static int
free_port(void)
{
	for (int attempt = 0; attempt < 50; attempt++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
		socklen_t len = sizeof(sa);
		int fd = socket(AF_INET, SOCK_STREAM, 0), ok = 1;

		if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
			die(1, "bind");
		close(fd);
		for (int type = SOCK_STREAM; type <= SOCK_DGRAM; type++) {
			struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = sa.sin_port,
				.sin6_addr = IN6ADDR_LOOPBACK_INIT };
			int f4 = socket(AF_INET, type, 0), f6 = socket(AF_INET6, type, 0);

			if (bind(f4, (struct sockaddr *)&sa, sizeof(sa)) < 0)
				ok = 0;
			if (f6 >= 0 && bind(f6, (struct sockaddr *)&s6, sizeof(s6)) < 0 &&
			    errno == EADDRINUSE)
				ok = 0;
			close(f4);
			if (f6 >= 0)
				close(f6);
		}
		if (ok) {
			printf("%u\n", ntohs(sa.sin_port));
			return 0;
		}
	}
	fprintf(stderr, "client: no free port found\n");
	return 1;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: client [-t MS] [-s DATA] [-n BYTES] [-P SOURCEPORT] [-B SOURCEADDR] [-w MS]\n"
	    "              [-d MS] MODE ARGS\n"
	    "  tcp HOST PORT       connect, send DATA/BYTES, print all until EOF\n"
	    "  tutorial HOST PORT  connect, one recv(1024), print\n"
	    "  chunks HOST PORT CHUNK...\n"
	    "                      send each CHUNK (\\r \\n \\xHH) as a segment, -d MS apart,\n"
	    "                      then as tcp\n"
	    "  udp HOST PORT       send DATA (default: 512 bytes), print the one reply\n"
	    "  udpburst HOST PORT SOURCES COUNT\n"
	    "                      COUNT datagrams from each of SOURCES sockets, then count replies\n"
	    "  unix PATH           like tcp over an AF_UNIX stream socket\n"
	    "  unixgram PATH       like udp over an AF_UNIX datagram socket\n"
	    "  notify PATH         print sd_notify messages sent to PATH (or @NAME), each ending \"--\"\n"
	    "                      (-w MS: read nothing for MS first)\n"
	    "  forge SRC SPORT DST DPORT\n"
	    "                      send DATA (default: 512 bytes) to DST:DPORT from a forged\n"
	    "                      SRC:SPORT, as a raw IPv4 packet (needs root)\n"
	    "  freeport            print a port free for TCP and UDP on loopback\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	unsigned long v;
	int c;

	while ((c = getopt(argc, argv, "t:s:n:P:w:B:d:")) >= 0) {
		switch (c) {
		case 'B':
			local_addr = optarg;
			break;
		case 'd':
			if (parse_uint(optarg, 0, 600000, &v) < 0)
				usage();
			chunk_ms = (int)v;
			break;
		case 'w':
			if (parse_uint(optarg, 1, 600000, &v) < 0)
				usage();
			stall_ms = (int)v;
			break;
		case 't':
			if (parse_uint(optarg, 1, 600000, &v) < 0)
				usage();
			timeout_ms = (int)v;
			break;
		case 's':
			send_data = optarg;
			break;
		case 'P':
			if (parse_uint(optarg, 1, 65535, &local_port) < 0)
				usage();
			break;
		case 'n':
			if (parse_uint(optarg, 0, 1UL << 30, &v) < 0)
				usage();
			send_bytes = v;
			break;
		default:
			usage();
		}
	}
	argv += optind;
	argc -= optind;
	if (argc < 1)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(argv[0], "tcp") == 0 && argc == 3)
		return stream_read_all(connect_to(argv[1], argv[2], SOCK_STREAM));
	if (strcmp(argv[0], "chunks") == 0 && argc >= 4)
		return chunks(connect_to(argv[1], argv[2], SOCK_STREAM), argc - 3, argv + 3);
	if (strcmp(argv[0], "tutorial") == 0 && argc == 3)
		return tutorial(connect_to(argv[1], argv[2], SOCK_STREAM));
	if (strcmp(argv[0], "udp") == 0 && argc == 3)
		return dgram_exchange(connect_to(argv[1], argv[2], SOCK_DGRAM));
	if (strcmp(argv[0], "udpburst") == 0 && argc == 5 && parse_uint(argv[3], 1, 16, &v) == 0) {
		unsigned sources = (unsigned)v;

		if (parse_uint(argv[4], 1, 100000, &v) < 0)
			usage();
		return udp_burst(argv[1], argv[2], sources, (unsigned)v);
	}
	if (strcmp(argv[0], "unix") == 0 && argc == 2)
		return stream_read_all(unix_socket(argv[1], SOCK_STREAM, false));
	if (strcmp(argv[0], "unixgram") == 0 && argc == 2)
		return dgram_exchange(unix_socket(argv[1], SOCK_DGRAM, true));
	if (strcmp(argv[0], "notify") == 0 && argc == 2)
		return notify_listen(argv[1]);
	if (strcmp(argv[0], "forge") == 0 && argc == 5)
		return forge(argv[1], argv[2], argv[3], argv[4]);
	if (strcmp(argv[0], "freeport") == 0 && argc == 1)
		return free_port();
	usage();
}
