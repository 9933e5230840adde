/* SPDX-License-Identifier: BSD-2-Clause */
/* Every default and limit of hellod and hellod-check, each named once. */
#ifndef HELLOD_DEFAULTS_H
#define HELLOD_DEFAULTS_H

#ifndef HELLOD_VERSION
#define HELLOD_VERSION "0.1.0"
#endif

#ifndef HELLOD_CONFIG_PATH
#define HELLOD_CONFIG_PATH "/etc/hellod/hellod.conf"
#endif

/* [server] defaults (DESIGN.md section 4). */
#define HELLOD_PORT_DEFAULT 12345
#define HELLOD_BACKLOG_DEFAULT 4096        /* SOMAXCONN on current kernels */
#define HELLOD_BACKLOG_MAX 65535
#define HELLOD_GREETING_DEFAULT "Thank you for connecting"
#define HELLOD_GREETING_MAX 511            /* RFC 865 wants < 512 characters; +1 for the newline */
#define HELLOD_WORKERS_MAX 64
#define HELLOD_HOST_MAX 253                /* longest DNS name; IPv6 literals with a zone fit too */
#define HELLOD_QUOTES_SIZE_MAX (16UL * 1024 * 1024) /* bytes of a quotes file, 16 MiB */

/* [limits] defaults. */
#define HELLOD_CONNECTIONS_AUTO 16384      /* max_connections = auto: at most this many */
#define HELLOD_CONNECTIONS_MAX 1048576     /* max_connections, the hard maximum */
#define HELLOD_PER_SOURCE_DEFAULT 64       /* TCP connections per IPv4 address or IPv6 /64 */
#define HELLOD_SEND_USEC (5 * 1000000ULL)  /* send_timeout: to send the greeting */
#define HELLOD_LINGER_USEC (5 * 1000000ULL) /* linger_timeout: for the FIN (nginx: 5 s) */
#define HELLOD_DRAIN_USEC (5 * 1000000ULL) /* drain_timeout: a stop waits this long for clients */
#define HELLOD_TIMEOUT_MAX_USEC (3600 * 1000000ULL)
#define HELLOD_UDP_RATE_DEFAULT 20         /* UDP replies per second per prefix */
#define HELLOD_RATE_BURST_DEFAULT 40       /* udp_burst and tcp_burst */
#define HELLOD_RATE_MAX 1000000            /* udp_rate, tcp_rate and the bursts */
#define HELLOD_PREFIX4_DEFAULT 24          /* a rate limit counts per IPv4 /24 ... */
#define HELLOD_PREFIX6_DEFAULT 56          /* ... and per IPv6 /56 (RRL's defaults) */
#define HELLOD_EXEMPT_DEFAULT "127.0.0.0/8 ::1"
#define HELLOD_EXEMPT_MAX 16               /* prefixes in exempt */
#define HELLOD_PATH_MAX 4095               /* a file's path in the config (PATH_MAX - 1) */
#define HELLOD_PROXIES_MAX 16              /* prefixes in trusted_proxies */
#define HELLOD_ACCESS_MAX 64               /* prefixes in [access] allow, and in deny */
#define HELLOD_PROXY_USEC (3 * 1000000ULL) /* proxy_timeout: a trusted proxy's whole header */
#define HELLOD_UDP_MAX_RATIO_DEFAULT 1     /* a UDP reply is never larger than its request */
#define HELLOD_UDP_MAX_RATIO_MAX 100
#define HELLOD_UDP_PORT_MIN 1024           /* requests from service ports are ignored (Loop DoS) */
#define HELLOD_UDP_LOOP_USEC (1000000ULL) /* loop guard: one reply >= its request per address:port */
#define HELLOD_UDP_LOOP_TABLE 8192         /* address:ports the loop guard holds at once */
#define HELLOD_SUMMARY_USEC (60 * 1000000ULL) /* [log] summary_interval */
#define HELLOD_RATE_TABLE 8192             /* prefixes tracked by the rate limits at once */
#define HELLOD_RATE_WAYS 8                 /* ... in sets of this many, the stalest replaced */

/* [metrics]: hellod's own Prometheus endpoint (metrics.c), off unless listen is set or systemd
 * passes a socket named "metrics". */
#define HELLOD_METRICS_LISTEN_MAX 8        /* ADDRESS:PORT items in listen */
#define HELLOD_METRICS_ALLOW_MAX 16        /* prefixes in allow */
#define HELLOD_METRICS_ALLOW_DEFAULT "127.0.0.0/8 ::1" /* allow: loopback only */
#define HELLOD_METRICS_CONNECTIONS 8       /* scrapers served at once (then the oldest idle goes) */
#define HELLOD_METRICS_BACKLOG 128         /* listen(2) backlog of the sockets it binds */
#define HELLOD_METRICS_ACCEPT_BURST 16     /* accepts per wakeup, the greetings' turn between */
#define HELLOD_METRICS_REQUEST_MAX 4096    /* request line and headers; more: 431 */
#define HELLOD_METRICS_REQUEST_USEC (3 * 1000000ULL) /* for the whole request; then 408 */
#define HELLOD_METRICS_ANSWER_USEC (3 * 1000000ULL)  /* for the answer and the client's end */
#define HELLOD_METRICS_RESPONSE_MAX 16384  /* status line, headers and metrics text */

/* Config files: Debian's libinih reads lines into a 200-byte buffer (INI_MAX_LINE). */
#define HELLOD_CONFIG_ERRORS_MAX 16        /* errors reported per file; the rest are counted */
#define HELLOD_CONFIG_ERROR_LEN 256        /* one formatted error message */
#define HELLOD_CONFIG_SIZE_MAX 65536       /* bytes of a config file, 64 KiB (etc/hellod.conf: 3 KiB) */

/* Serving. */
#define HELLOD_FD_RESERVE 32               /* fds kept free for logging, reloads (or 1/4 of the limit) */
#define HELLOD_CONNECTIONS_MIN 8           /* room for fewer connections: hellod does not start */
#define HELLOD_NOFILE_WANT 65536           /* soft RLIMIT_NOFILE raised up to this */
#define HELLOD_DRAIN_CHUNK 4096            /* bytes read per recv() when discarding input */
#define HELLOD_DRAIN_BURST (64 * 1024UL)     /* bytes discarded per wakeup before yielding */
#define HELLOD_CONN_EVENTS 64              /* connection events taken per epoll_wait() */
#define HELLOD_CONN_BATCHES 4              /* epoll_wait()s per poll of the connections */
#define HELLOD_SWEEP_USEC (10 * 1000ULL)   /* connections polled this often under load */
#define HELLOD_POLL_AFTER 32               /* new connections before a round of accepts polls
                                            * the set itself, sooner than the sweep would */
#define HELLOD_ACCEPT_BURST 256            /* accepts per wakeup: level-triggered, so fair */
#define HELLOD_ACCEPT_PAUSE_USEC (100 * 1000ULL) /* listener pause after EMFILE and friends */
#define HELLOD_UDP_BATCH 64                /* datagrams per recvmmsg() and sendmmsg() */
#define HELLOD_UDP_BURST 256               /* datagrams answered per wakeup */
#define HELLOD_UDP_CONTROL_LEN 128         /* control bytes per datagram: its destination, more */
#define HELLOD_STATUS_USEC (1000000ULL)    /* STATUS= at most this often, only when it changed */
#define HELLOD_STATUS_LEN 512
#define HELLOD_NOTIFY_RETRY_USEC (200 * 1000ULL) /* an sd_notify whose reader's queue was full */
#define HELLOD_RELOAD_QUIET_USEC (100 * 1000ULL) /* a reload waits until the file is this old */
#define HELLOD_RELOAD_WAIT_USEC (5 * 1000000ULL) /* ... at most this long, then is refused */
#define HELLOD_RELOAD_ANSWER_USEC (5 * 1000000ULL) /* hellod --reload waits this much more */
#define HELLOD_WARN_INTERVAL_USEC (60 * 1000000ULL) /* repeated warnings at most this often */
#define HELLOD_LOOP_PAUSE_USEC (10 * 1000)          /* after an event loop iteration failed */
#define HELLOD_LOOP_FAILURES_MAX 1000               /* ... in a row: then hellod gives up */

/* hellod-check. */
#define HELLOD_CHECK_TIMEOUT_USEC (10 * 1000000ULL) /* -t: resolve, connect and read, all told */
#define HELLOD_CHECK_SECONDS_MAX 3600      /* -t, -w and -c at most an hour */
#define HELLOD_CHECK_REPLY_MAX 4096        /* bytes of a reply read; the rest is cut */
#define HELLOD_CHECK_SHOW_MAX 128          /* characters of a reply in the status line */
#define HELLOD_CHECK_TEXT_MAX 1024         /* the status line before its performance data */
#define HELLOD_CHECK_UDP_PROBE_LEN (HELLOD_GREETING_MAX + 1) /* as long as the longest reply */
#define HELLOD_CHECK_UDP_RETRY_USEC (1000000ULL) /* UDP probe sent again after this silence */
#define HELLOD_CHECK_PROXY_MAX 107         /* --proxy v1: the spec's longest line, CRLF included */

/* MESSAGE_IDs, explained in systemd/hellod.catalog. */
#define HELLOD_MESSAGE_START "ed62cd858f7c40809cf7035928d4d752"
#define HELLOD_MESSAGE_STOP "c2054fa791d84b8780411f05f366ae31"
#define HELLOD_MESSAGE_RELOAD "132b84d7401841bba1d29539f83e89fd"
#define HELLOD_MESSAGE_RELOAD_FAILED "041559bbb4d34c6584bc82ca7ca37fa5"
#define HELLOD_MESSAGE_CONFIG_ERROR "38dfa4736a4a46668bc9191f2e3985f6"
#define HELLOD_MESSAGE_LISTEN "f71c21a006784ebf88e0e15c9fbdb972"
#define HELLOD_MESSAGE_LIMITS "71e1f2fde0804732b5c99c93dd1dd430"

#endif
