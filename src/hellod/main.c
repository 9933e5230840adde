/* SPDX-License-Identifier: BSD-2-Clause */
/* hellod: options, mode (foreground, socket-activated, forking) and exit codes. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "config.h"
#include "daemon.h"
#include "listen.h"
#include "log.h"
#include "notify.h"
#include "reload.h"
#include "server.h"
#include "util.h"

static const char *arg_config = HELLOD_CONFIG_PATH;
static bool arg_config_given;
static bool arg_test;
static bool arg_daemon;
static const char *arg_pidfile;
static const char *arg_user;
static bool arg_verbose;
static long arg_reload;         /* --reload PID */

static void
usage(FILE *f)
{
	fprintf(f,
	    "Usage: hellod [-c FILE] [-t] [-d] [-P PIDFILE] [-u USER] [-v]\n"
	    "       hellod --reload PID\n"
	    "Greets each TCP client (and, if enabled, each UDP datagram) with one line, "
	    "RFC 865 style.\n\n"
	    "  -c, --config FILE    read FILE (default %s; optional unless given)\n"
	    "  -t, --test           check the configuration, print the result and exit\n"
	    "  -d, --daemon         fork into the background; return once it serves\n"
	    "  -P, --pidfile FILE   write the daemon's PID to FILE, removed at exit\n"
	    "  -u, --user USER      switch to USER once the sockets are bound (with -t: test\n"
	    "                       the file as USER, as reloads will read it)\n"
	    "  -v, --verbose        log debug messages too\n"
	    "      --reload PID     send the hellod of PID SIGHUP and wait for its answer: exit\n"
	    "                       0 once the new configuration serves, 1 when refused\n"
	    "  -h, --help           show this help and exit\n"
	    "  -V, --version        show the version and exit\n\n"
	    "Systemd socket activation is used when sockets are passed ($LISTEN_FDS).\n"
	    "SIGHUP reloads the configuration; SIGTERM and SIGINT stop; SIGUSR1 logs the counters.\n"
	    "Exit status: 0 ok, 64 usage, 67 unknown user, 71 system error, 78 bad config.\n"
	    "See hellod(8) and hellod.conf(5).\n", HELLOD_CONFIG_PATH);
}

/* Returns 0 to go on, 1 to exit successfully (help, version), -EINVAL on bad usage. */
static int
parse_argv(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "daemon", no_argument, NULL, 'd' },
		{ "pidfile", required_argument, NULL, 'P' },
		{ "user", required_argument, NULL, 'u' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "reload", required_argument, NULL, 'R' },
		{ 0 }
	};
	unsigned long pid;
	int c;

	while ((c = getopt_long(argc, argv, "c:tdP:u:vhV", options, NULL)) >= 0) {
		switch (c) {
		case 'c':
			arg_config = optarg;
			arg_config_given = true;
			break;
		case 't':
			arg_test = true;
			break;
		case 'd':
			arg_daemon = true;
			break;
		case 'P':
			arg_pidfile = optarg;
			break;
		case 'u':
			arg_user = optarg;
			break;
		case 'v':
			arg_verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 1;
		case 'V':
			printf("hellod %s\n", HELLOD_VERSION);
			return 1;
		case 'R':
			if (parse_uint(optarg, 1, INT_MAX, &pid) < 0) {
				fprintf(stderr, "hellod: --reload %s: not a process ID\n", optarg);
				return -EINVAL;
			}
			arg_reload = (long)pid;
			break;
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hellod: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/* Opens /dev/null on any of fds 0-2 that is closed, so that no later file lands there and is
 * mistaken for stdin, stdout or stderr (the readiness pipe, say). Returns 0 or -errno. */
static int
open_std_fds(void)
{
	/* Going up from 0, the lowest free fd, which open() returns, is the one being filled. */
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF && open("/dev/null", O_RDWR) < 0)
			return -errno;
	return 0;
}

/* The daemon works in /: a relative path must be made absolute before it gets there. Returns
 * a new string (or NULL when out of memory). */
static char *
absolute_path(const char *path)
{
	char cwd[PATH_MAX], *s;

	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return strdup(path);
	if (asprintf(&s, "%s/%s", cwd, path) < 0)
		return NULL;
	return s;
}

/* Loads the configuration into *ret, logging each error. Returns 0, EX_CONFIG for a file in
 * error, or EX_OSERR when it could not be read through (out of memory): the file may be fine. */
static int
load_config(struct hellod_config **ret)
{
	struct config_errors *errors = malloc(sizeof(*errors));
	struct hellod_config *c = NULL;
	int r, status = 0;

	if (!errors) {
		log_error_errno(ENOMEM, "Failed to load %s: %m", arg_config);
		return EX_OSERR;
	}
	r = config_load(arg_config, arg_config_given, &c, errors);
	if (r >= 0 && (r = config_fold_hostname(c)) < 0)
		c = config_unref(c);
	if (r < 0 && errors->n == 0) {
		log_error_errno(r, "Failed to load %s: %m", arg_config);
		status = EX_OSERR;
	} else if (r < 0) {
		log_config_errors(errors);
		status = EX_CONFIG;
	} else if (!c->path)
		log_debug("No %s, serving the built-in defaults", arg_config);
	else
		log_config_notes(c);
	free(errors);
	*ret = c;
	return status;
}

static int
lookup_user(uid_t *ret_uid, gid_t *ret_gid)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(arg_user);
	if (!pw) {
		if (errno)
			log_error_errno(errno, "Failed to look up user '%s': %m", arg_user);
		else
			log_error("Unknown user '%s'", arg_user);
		return EX_NOUSER;
	}
	if (pw->pw_uid == 0) {
		log_error("Refusing -u %s: it would keep running as root", arg_user);
		return EX_USAGE;
	}
	*ret_uid = pw->pw_uid;
	*ret_gid = pw->pw_gid;
	return 0;
}

/* -t: reads and checks the configuration, as -u's user when given, as the daemon's reloads
 * will read it. Returns an exit status. */
static int
test_config(void)
{
	struct hellod_config *config;
	uid_t uid;
	gid_t gid;
	int r;

	if (arg_user && (r = lookup_user(&uid, &gid)) > 0)
		return r;
	if (arg_user && (r = privileges_drop(uid, gid)) < 0) {
		log_error_errno(r, "Failed to switch to user %s: %m", arg_user);
		return EX_OSERR;
	}
	r = load_config(&config);
	if (r != 0) {
		fprintf(stderr, "hellod: configuration test failed\n");
		return r;
	}
	printf("hellod: %s: configuration OK\n",
	    config->path ? config->path : "built-in defaults (no file)");
	config_unref(config);
	return EXIT_SUCCESS;
}

/* workers = auto: one per CPU this process may run on. */
static unsigned
workers_wanted(const struct hellod_config *config)
{
	cpu_set_t cpus;
	int n;

	if (config->workers > 0)
		return config->workers;
	n = sched_getaffinity(0, sizeof(cpus), &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
	return n < 1 ? 1 : n > HELLOD_WORKERS_MAX ? HELLOD_WORKERS_MAX : (unsigned)n;
}

static void
close_sets(struct listen_set *sets, unsigned n)
{
	/* Shared sets go first: they borrow the fds of the first. */
	while (n-- > 0)
		listen_close(&sets[n]);
}

/* Under a service manager that keeps a file descriptor store (hellod-standalone.service's
 * FileDescriptorStoreMax=), the sockets hellod bound are handed to it, so that a restart, an
 * upgrade or a crash finds them open: clients queue in their backlogs meanwhile instead of
 * being refused. Those in stale, kept from before but no longer configured, are taken out and
 * closed. Never blocks: a manager that does not read loses only the store. */
static void
fd_store(const struct listen_set *sets, unsigned n_sets, struct listen_set *stale)
{
	struct notify *n = NULL;
	char msg[sizeof(sets->sockets[0].name) + 32];
	int r = notify_open(&n);

	for (size_t i = 0; i < stale->n; i++) {
		if (stale->sockets[i].fd < 0)
			continue;
		snprintf(msg, sizeof(msg), "FDSTOREREMOVE=1\nFDNAME=%s", stale->sockets[i].name);
		if (r > 0)
			(void)notify_fd(n, msg, -1);
		log_info("Closed %s on %s: no longer configured", listen_kind(&stale->sockets[i]),
		    stale->sockets[i].address);
		close(stale->sockets[i].fd);
	}
	for (unsigned w = 0; r > 0 && w < n_sets; w++) {
		const struct listen_set *set = &sets[w];

		for (size_t i = 0; r > 0 && i < set->n; i++) {
			snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", set->sockets[i].name);
			r = notify_fd(n, msg, set->sockets[i].fd);
			if (r < 0)
				log_warning_errno(r, "Failed to keep %s on %s in systemd's file "
				    "descriptor store: %m; a restart will refuse clients meanwhile",
				    listen_kind(&set->sockets[i]), set->sockets[i].address);
			r = r < 0 ? 0 : 1;
		}
	}
	notify_free(n);
}

/* The sockets: the first set passed by systemd, kept in its store, or bound, then one more set
 * per worker; and the metrics endpoint's, passed by name or bound from [metrics] listen (not
 * stored: a scraper retries). */
static int
listen_all(const struct hellod_config *config, struct listen_set *sets, unsigned n,
    struct listen_set *metrics)
{
	struct listen_set *stored = calloc(1, sizeof(*stored));
	bool store = !arg_daemon && getenv("NOTIFY_SOCKET");
	int r;

	if (!stored)
		return log_error_errno(ENOMEM, "Out of memory");
	r = arg_daemon ? 0 : listen_adopt(&sets[0], metrics);
	if (r > 0 && sets[0].stored) {
		*stored = sets[0];
		r = 0;
	}
	/* Sockets from .socket units are systemd's own already: nothing to store. */
	store = store && r == 0;
	if (r == 0)
		r = listen_bind(config, n > 1, store, stored, &sets[0]);
	if (r >= 0 && sets[0].activated && config->metrics_listen)
		log_notice("[metrics] listen is not used: systemd passed the sockets (%s)",
		    metrics->n > 0 ? "the metrics one too" : "hellod-metrics.socket passes the "
		    "metrics one");
	else if (r >= 0 && !sets[0].activated && (r = listen_bind_metrics(config, metrics)) < 0)
		listen_close(&sets[0]);
	for (unsigned i = 1; r >= 0 && i < n; i++) {
		r = listen_again(&sets[0], config->backlog, i, stored, &sets[i]);
		if (r < 0) {
			close_sets(sets, i);
			listen_close(metrics);
		}
	}
	if (r >= 0 && store)
		fd_store(sets, n, stored);
	else
		listen_close(stored);
	free(stored);
	return r < 0 ? r : 0;
}

/* The PID file, locked. Returns its fd or a negative errno, logged. */
static int
take_pidfile(void)
{
	long other = 0;
	int fd = pidfile_take(arg_pidfile, &other);

	if (fd == -EBUSY)
		log_error("PID file %s is locked by a running hellod (PID %ld), refusing to start a "
		    "second one", arg_pidfile, other);
	else if (fd < 0)
		log_error_errno(fd, "Failed to write PID file %s: %m", arg_pidfile);
	return fd;
}

/* The listening sockets (sets, one per worker, and metrics) and the PID file, as root.
 * Returns 0, or an exit status with everything closed again. */
static int
open_all(const struct hellod_config *config, struct listen_set *sets, unsigned n,
    struct listen_set *metrics, int *pidfile_fd)
{
	if (listen_all(config, sets, n, metrics) < 0)
		return EX_OSERR;
	if (arg_pidfile && (*pidfile_fd = take_pidfile()) < 0) {
		close_sets(sets, n);
		listen_close(metrics);
		return EX_OSERR;
	}
	return 0;
}

/* -u: from root to the user, once everything that needs root is open. Returns 0 or an exit
 * status. */
static int
drop_to_user(const struct hellod_config *config, uid_t uid, gid_t gid)
{
	int r = privileges_drop(uid, gid);

	if (r < 0) {
		log_error_errno(r, "Failed to switch to user %s: %m", arg_user);
		return EX_OSERR;
	}
	/* The file was read as root; every reload reads it as the user. */
	if (config->path && access(config->path, R_OK) < 0)
		log_warning_errno(errno, "User %s cannot read %s (%m): every reload will fail; make "
		    "it readable to the user (mode 0644, or 0640 with the user's group)", arg_user,
		    config->path);
	return 0;
}

/* Everything after the configuration: sockets, PID file, privileges, the loop. Returns an
 * exit status. *ready_fd is the forking mode's pipe to the waiting parent, or -1; it is set to
 * -1 once the parent was told the daemon serves. */
static int
run(struct hellod_config *config, int *ready_fd)
{
	struct listen_set metrics = { 0 };
	struct server_options options = {
		.config_path = arg_config,
		.log_level_override = arg_verbose ? LOG_DEBUG : -1,
		.workers = workers_wanted(config),
		.metrics = &metrics,
	};
	struct listen_set *sets;
	struct server *server = NULL;
	uid_t uid = 0;
	gid_t gid = 0;
	int r, pidfile_fd = -1;

	if (arg_user && (r = lookup_user(&uid, &gid)) > 0)
		return r;
	server_signals_setup();
	sets = calloc(options.workers, sizeof(*sets));
	if (!sets) {
		log_error_errno(ENOMEM, "Out of memory");
		return EX_OSERR;
	}
	r = open_all(config, sets, options.workers, &metrics, &pidfile_fd);
	if (r != 0) {
		free(sets);
		return r;
	}
	if (arg_user && (r = drop_to_user(config, uid, gid)) != 0) {
		close_sets(sets, options.workers);
		listen_close(&metrics);
	} else if (server_new(config, sets, &options, &server) < 0) {
		r = EX_OSERR;
	} else {
		if (*ready_fd >= 0) {
			daemon_done(*ready_fd, 0);
			*ready_fd = -1;
		}
		r = server_run(server) < 0 ? EX_OSERR : 0;
		server_free(server);
	}
	free(sets);
	if (arg_pidfile && unlink(arg_pidfile) < 0)
		log_warning_errno(errno, "Failed to remove PID file %s: %m", arg_pidfile);
	if (pidfile_fd >= 0)
		close(pidfile_fd);      /* after the unlink: the lock covers the removal */
	return r;
}

/* -d, before anything is opened: daemon(7) step 1, and the paths made absolute, as the
 * daemon changes to /. Returns 0 or an exit status. */
static int
daemon_prepare(char **abs_config, char **abs_pidfile)
{
	/* Close every inherited fd beyond stdin, stdout and stderr. */
	(void)close_range(3, ~0U, 0);
	*abs_config = absolute_path(arg_config);
	*abs_pidfile = arg_pidfile ? absolute_path(arg_pidfile) : NULL;
	if (!*abs_config || (arg_pidfile && !*abs_pidfile)) {
		fprintf(stderr, "hellod: out of memory\n");
		return EX_OSERR;
	}
	arg_config = *abs_config;
	arg_pidfile = *abs_pidfile;
	return 0;
}

/* -d, once the configuration is loaded: forks, and in the original process waits for the
 * daemon to serve. Returns 0 in the daemon (logging to syslog, *ready_fd its pipe to the
 * parent), or 1 in the original process with *status its exit status. */
static int
daemon_start(int *ready_fd, int *status)
{
	int r = daemon_fork(ready_fd, status);

	if (r < 0) {
		log_error_errno(r, "Failed to fork: %m");
		*status = EX_OSERR;
	}
	if (r != 0)
		return 1;
	log_set_target(LOG_TARGET_SYSLOG);
	daemon_report_errors(*ready_fd);
	return 0;
}

int
main(int argc, char **argv)
{
	struct hellod_config *config = NULL;
	char *abs_config = NULL, *abs_pidfile = NULL;
	int r, ready_fd = -1, status;

	/* Sends use MSG_NOSIGNAL; this covers anything else that writes to a closed peer. */
	signal(SIGPIPE, SIG_IGN);
	r = parse_argv(argc, argv);
	if (r != 0)
		return r > 0 ? EXIT_SUCCESS : EX_USAGE;
	if (open_std_fds() < 0)
		return EX_OSERR;
	if (arg_daemon && !arg_test && (status = daemon_prepare(&abs_config, &abs_pidfile)) != 0)
		goto out;
	log_open_auto("hellod");
	if (arg_test)
		log_set_target(LOG_TARGET_STDERR);
	log_set_max_level(arg_verbose ? LOG_DEBUG : LOG_INFO);

	if (arg_test)
		status = test_config();
	else if (arg_reload > 0)
		status = reload_request(arg_reload);
	else if ((status = load_config(&config)) == 0) {
		log_set_max_level(arg_verbose ? LOG_DEBUG : config->log_level);
		/* The original process: daemon_start returns once the daemon serves or failed. */
		if (!arg_daemon || daemon_start(&ready_fd, &status) == 0) {
			status = run(config, &ready_fd);
			if (ready_fd >= 0 && status != 0)
				daemon_done(ready_fd, status);
		}
	}
out:
	config_unref(config);
	log_close();
	free(abs_config);
	free(abs_pidfile);
	return status;
}
