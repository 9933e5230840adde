#!/bin/bash
# The packages: make dist, make deb (lintian-clean) and make rpm (rpmlint-clean) from a clean
# tree, their file lists, conffiles and scripts; then, as root, the .deb's life under real
# systemd as PID 1: install, idle until the first client, upgrade, reboot, remove, purge, and
# the init script's forking mode.
. "$HELLOD_TOP/tests/lib.sh"
. "$HELLOD_TOP/tests/container.sh"

if [ -n "$HELLOD_CROSS" ]; then
	skip "packages" "make deb and make rpm build this machine's packages from the release \
tarball, not the $HELLOD_CROSS build: make check's run covers them"
	exit 0
fi
if [ -n "$HELLOD_WRAPPER" ] || [ -n "${HELLOD_SANITIZER:-}" ]; then
	skip "packages" "built from the release tarball with the distribution's flags, not from \
this build: make check's run covers them"
	exit 0
fi
if ! git -C "$HELLOD_TOP" rev-parse --git-dir >/dev/null 2>&1; then
	skip "packages" "make dist needs the git repository"
	exit 0
fi
VERSION=$(sed -n 's/^VERSION = //p' "$HELLOD_TOP/Makefile")
P=$T/pkg

# missing_packages TARGET: the Debian packages TARGET's dependencies name that are not
# installed (make installs them as root; elsewhere the test cannot).
missing_packages() {
	local pkg missing=""
	for pkg in $(make -s -C "$HELLOD_TOP" --eval "show-deps: ; @echo \$($1_DEPS)" show-deps); do
		# One line per architecture (see packaging/build-deps.sh).
		dpkg-query -W -f='${db:Status-Status} ${Architecture}\n' "$pkg" 2>/dev/null |
		    grep -qx -e "installed $(dpkg --print-architecture)" -e 'installed all' ||
			missing="$missing $pkg"
	done
	echo "$missing"
}

# make dist: the tracked files, under hellod-VERSION/, less what .gitattributes leaves out.
make -s -C "$HELLOD_TOP" dist BUILDDIR="$P" >"$T/dist.log" 2>&1
expect_eq "make dist makes hellod-$VERSION.tar.gz" "0 yes" \
    "$? $([ -s "$P/hellod-$VERSION.tar.gz" ] && echo yes)"
expected=$(git -C "$HELLOD_TOP" ls-files | grep -v -e '^\.ci/' -e '^\.gitignore$' -e '^\.gitattributes$' |
    sort)
actual=$(tar -tzf "$P/hellod-$VERSION.tar.gz" | grep -v '/$' | sed "s|^hellod-$VERSION/||" | sort)
expect_eq "the tarball holds the tracked files under hellod-$VERSION/, without .ci" \
    "$expected" "$actual"

# built TARGET WHAT: make TARGET (deb or rpm, its linter included) passes; returns 1 when it
# cannot run here (a skip), else 0 whether or not it passed.
built() {
	local missing
	missing=$(missing_packages "$(echo "$1" | tr a-z A-Z)")
	if [ "$(id -u)" != 0 ] && [ -n "$missing" ]; then
		skip "make $1" "needs Debian packages:$missing"
		return 1
	fi
	if make -C "$HELLOD_TOP" "$1" BUILDDIR="$P" >"$T/$1.log" 2>&1; then
		pass "make $1 $2"
	else
		fail "make $1 $2" "$(tail -30 "$T/$1.log")"
	fi
}

# The .deb.
if built deb "builds the .deb and lintian (pedantic, -EI) reports no tag"; then
	DEB=$P/deb/hellod_${VERSION}-1_$(dpkg --print-architecture).deb
	expect_eq "dpkg -c: the .deb has exactly the expected files" "$(cat <<'LIST'
./etc/cron.d/hellod-check
./etc/hellod/hellod.conf
./etc/init.d/hellod
./lib/systemd/system/hellod-check-prom.service
./lib/systemd/system/hellod-check-prom.timer
./lib/systemd/system/hellod-check.service
./lib/systemd/system/hellod-check.timer
./lib/systemd/system/hellod-metrics.socket
./lib/systemd/system/hellod-standalone.service
./lib/systemd/system/hellod-udp.socket
./lib/systemd/system/hellod.service
./lib/systemd/system/hellod.socket
./usr/bin/hellod-check
./usr/lib/systemd/catalog/hellod.catalog
./usr/lib/sysusers.d/hellod.conf
./usr/sbin/hellod
./usr/share/doc/hellod/README.md.gz
./usr/share/doc/hellod/changelog.Debian.gz
./usr/share/doc/hellod/copyright
./usr/share/doc/hellod/examples/blackbox.yml
./usr/share/doc/hellod/examples/haproxy.cfg
./usr/share/doc/hellod/examples/hellod-rules.yml
./usr/share/doc/hellod/examples/icinga2-hellod.conf
./usr/share/doc/hellod/examples/kubernetes.yaml
./usr/share/doc/hellod/examples/nagios-hellod.cfg
./usr/share/doc/hellod/examples/nginx-stream.conf
./usr/share/doc/hellod/examples/prometheus-hellod.yml
./usr/share/doc/hellod/examples/prometheus-scrape.yml
./usr/share/lintian/overrides/hellod
./usr/share/man/man1/hellod-check.1.gz
./usr/share/man/man5/hellod.conf.5.gz
./usr/share/man/man8/hellod.8.gz
LIST
)" "$(dpkg -c "$DEB" 2>&1 | grep -v '^d' | awk '{ print $6 }' | sort)"
	expect_eq "the configuration, the cron file and the init script are conffiles" \
	    "/etc/cron.d/hellod-check /etc/hellod/hellod.conf /etc/init.d/hellod" \
	    "$(dpkg-deb -f "$DEB" Package >/dev/null && dpkg-deb --ctrl-tarfile "$DEB" |
	        tar -xOf - ./conffiles | sort | tr '\n' ' ' | sed 's/ $//')"
	dpkg-deb --ctrl-tarfile "$DEB" | tar -xOf - ./postinst >"$T/postinst"
	expect_eq "postinst enables and starts hellod.socket and the timer, not the service" \
	    "deb-systemd-invoke start 'hellod-check.timer' 'hellod.socket'" \
	    "$(grep -o "deb-systemd-invoke .*'hellod.socket'" "$T/postinst")"
	# Issue 25: an upgrade restarts the services into the new binary, never the socket,
	# whose restart would reset the clients queued in its backlog.
	expect_eq "postinst: on upgrade, only the running service restarts (try-restart)" \
	    "deb-systemd-invoke try-restart hellod.service hellod-standalone.service" \
	    "$(grep -o 'deb-systemd-invoke try-restart[^>]*[^ >]' "$T/postinst")"
	expect_no_grep "postinst: hellod.socket is never restarted" \
	    'deb-systemd-invoke (restart|try-restart|\$_dh_action).*hellod\.socket' "$T/postinst"
	expect_eq "the service unit runs the packaged hellod" "ExecStart=/usr/sbin/hellod" \
	    "$(dpkg-deb --fsys-tarfile "$DEB" | tar -xOf - ./lib/systemd/system/hellod.service |
	        grep '^ExecStart=')"
fi

# The RPM.
if built rpm "builds the RPMs (%check ran the unit tests) and rpmlint: 0 errors, 0 warnings"; then
	RPM=$(ls "$P"/rpm/RPMS/*/hellod-"$VERSION"-1.*.rpm 2>/dev/null | head -1)
	expect_eq "rpm -qlp: the RPM has exactly the expected files (config noreplace)" \
	    "$(cat <<LIST
cn /etc/hellod/hellod.conf
- /usr/bin/hellod-check
- /usr/lib/systemd/catalog/hellod.catalog
- /usr/lib/systemd/system/hellod-check-prom.service
- /usr/lib/systemd/system/hellod-check-prom.timer
- /usr/lib/systemd/system/hellod-check.service
- /usr/lib/systemd/system/hellod-check.timer
- /usr/lib/systemd/system/hellod-metrics.socket
- /usr/lib/systemd/system/hellod-standalone.service
- /usr/lib/systemd/system/hellod-udp.socket
- /usr/lib/systemd/system/hellod.service
- /usr/lib/systemd/system/hellod.socket
- /usr/sbin/hellod
d /usr/share/doc/hellod-$VERSION/README.md
d /usr/share/doc/hellod-$VERSION/examples/blackbox.yml
d /usr/share/doc/hellod-$VERSION/examples/haproxy.cfg
d /usr/share/doc/hellod-$VERSION/examples/hellod-rules.yml
d /usr/share/doc/hellod-$VERSION/examples/icinga2-hellod.conf
d /usr/share/doc/hellod-$VERSION/examples/kubernetes.yaml
d /usr/share/doc/hellod-$VERSION/examples/nagios-hellod.cfg
d /usr/share/doc/hellod-$VERSION/examples/nginx-stream.conf
d /usr/share/doc/hellod-$VERSION/examples/prometheus-hellod.yml
d /usr/share/doc/hellod-$VERSION/examples/prometheus-scrape.yml
l /usr/share/licenses/hellod-$VERSION/LICENSE
d /usr/share/man/man1/hellod-check.1.gz
d /usr/share/man/man5/hellod.conf.5.gz
d /usr/share/man/man8/hellod.8.gz
LIST
)" "$(rpm -qp --qf '[%{FILEFLAGS:fflags}|%{FILEMODES:perms}|%{FILENAMES}\n]' "$RPM" 2>&1 |
	    awk -F '|' '$2 !~ /^d/ && $3 !~ /\.build-id/ { print ($1 == "" ? "-" : $1), $3 }' |
	    sort -k 2)"
	rpm -qp --scripts "$RPM" >"$T/scripts" 2>/dev/null
	expect_eq "the RPM's scriptlets install and remove all nine units with systemd's update helper" "2" \
	    "$(grep -c 'systemd-update-helper [a-z-]*-system-units hellod.socket hellod-udp.socket hellod-metrics.socket hellod.service hellod-standalone.service hellod-check.service hellod-check.timer hellod-check-prom.service hellod-check-prom.timer' "$T/scripts")"
	# Issue 25: on upgrade only the services restart, never the sockets.
	expect_eq "the RPM's upgrade restarts only hellod.service and hellod-standalone.service" \
	    "mark-restart-system-units hellod.service hellod-standalone.service" \
	    "$(grep -o 'mark-restart-system-units [^|]*[^ |]' "$T/scripts")"
fi

# The .deb under systemd as PID 1.
why=$(container_unusable)
if [ -n "$why" ]; then
	skip "the .deb under systemd as PID 1" "$why"
	exit 0
fi
if [ ! -s "${DEB:-}" ]; then
	fail "the .deb under systemd as PID 1" "no .deb was built"
	exit 1
fi
CT=$T/ct
mkdir -p "$CT/art"
cp "$DEB" "$CT/art/hellod.deb"
if ! container_boot "$CT"; then
	fail "systemd boots as PID 1 in a container" "$(tail -20 "$CT/console.log")"
	exit 1
fi
wants() { in_ct sh -c "[ -L /etc/systemd/system/$1 ] && echo yes || echo no"; }

in_ct dpkg -i /mnt/artifacts/hellod.deb >"$T/dpkg.log" 2>&1
expect_eq "dpkg -i installs the .deb" "0" "$?"
expect_eq "after install: hellod.socket enabled and active, the timer too" \
    "enabled active enabled active" "$(in_ct systemctl is-enabled hellod.socket) \
$(active hellod.socket) $(in_ct systemctl is-enabled hellod-check.timer) \
$(active hellod-check.timer)"
expect_eq "hellod.service is idle until the first connection, not enabled on its own" \
    "inactive no" "$(active hellod.service) $(wants multi-user.target.wants/hellod.service)"
expect_eq "a client gets the greeting, and the service is then active" \
    "Thank you for connecting active" "$(greet tcp 127.0.0.1 12345) $(active hellod.service)"
in_ct hellod-check >"$T/check.out" 2>&1
expect_eq "the packaged hellod-check says OK" "0 HELLOD OK" "$? $(cut -c 1-9 "$T/check.out")"

# An administrator's change to the conffile survives the upgrade.
in_ct sh -c 'printf "[server]\ngreeting = Local greeting\n" >/etc/hellod/hellod.conf'
in_ct dpkg -i /mnt/artifacts/hellod.deb >"$T/dpkg.log" 2>&1
rc=$?
expect_eq "upgrade (the same .deb again): keeps serving, with the administrator's greeting" \
    "0 active Local greeting" "$rc $(active hellod.socket) $(greet tcp 127.0.0.1 12345)"

# Reboot: the same overlays, a new boot.
container_stop
if ! container_boot "$CT"; then
	fail "the container boots a second time" "$(tail -20 "$CT/console.log")"
	exit 1
fi
expect_eq "after a reboot the socket is up again and serves" "active Local greeting" \
    "$(active hellod.socket) $(greet tcp 127.0.0.1 12345)"

# The init script's own path (forking mode as _hellod), as sysvinit would run it: where
# systemd runs, lsb's hook would hand it to systemctl unless told not to.
in_ct systemctl stop hellod.socket hellod.service 2>/dev/null
in_ct env SYSTEMCTL_SKIP_REDIRECT=1 /etc/init.d/hellod start >"$T/init.log" 2>&1
rc=$?
pid=$(in_ct cat /run/hellod/hellod.pid 2>/dev/null)
expect_eq "/etc/init.d/hellod start: forks, writes its PID file, runs as _hellod, serves" \
    "0 _hellod Local greeting" \
    "$rc $(in_ct ps -o user= -p "${pid:-0}") $(greet tcp 127.0.0.1 12345)"
in_ct sh -c 'printf "[server]\ngreeting = Reloaded\n" >/etc/hellod/hellod.conf'
in_ct env SYSTEMCTL_SKIP_REDIRECT=1 /etc/init.d/hellod reload >>"$T/init.log" 2>&1
rc=$?
# The file was written a moment ago: hellod reads it once it has been quiet for 0.1 s.
reloaded() { [ "$(greet tcp 127.0.0.1 12345)" = Reloaded ]; }
wait_until 5 reloaded
expect_eq "/etc/init.d/hellod reload applies a new greeting" "0 Reloaded" \
    "$rc $(greet tcp 127.0.0.1 12345)"
in_ct sh -c 'printf "[server]\nbogus = 1\n" >/etc/hellod/hellod.conf'
in_ct env SYSTEMCTL_SKIP_REDIRECT=1 /etc/init.d/hellod reload >>"$T/init.log" 2>&1
rc=$?
expect_eq "... refuses a broken file and keeps serving" "1 Reloaded" \
    "$rc $(greet tcp 127.0.0.1 12345)"
# A file only root can read: the daemon, as _hellod, could not reload it; the reload fails.
in_ct sh -c 'printf "[server]\ngreeting = Secret\n" >/etc/hellod/hellod.conf &&
    chmod 600 /etc/hellod/hellod.conf'
in_ct env SYSTEMCTL_SKIP_REDIRECT=1 /etc/init.d/hellod reload >>"$T/init.log" 2>&1
rc=$?
expect_eq "... and a file _hellod cannot read (issue 14, item 12), keeping on serving" \
    "1 Reloaded" "$rc $(greet tcp 127.0.0.1 12345)"
in_ct chmod 644 /etc/hellod/hellod.conf
in_ct sh -c 'printf "[server]\ngreeting = Local greeting\n" >/etc/hellod/hellod.conf'
in_ct env SYSTEMCTL_SKIP_REDIRECT=1 /etc/init.d/hellod stop >>"$T/init.log" 2>&1
rc=$?
sleep 0.3
expect_eq "/etc/init.d/hellod stop: stopped, PID file gone" "0 gone" \
    "$rc $(in_ct sh -c "kill -0 ${pid:-0} 2>/dev/null && echo running ||
        { [ -e /run/hellod/hellod.pid ] && echo pidfile || echo gone; }")"
in_ct systemctl start hellod.socket

in_ct dpkg -r hellod >"$T/dpkg.log" 2>&1
rc=$?
expect_eq "dpkg -r: the socket stops, the binary goes, the conffile stays" \
    "0 inactive absent present" "$rc $(active hellod.socket) \
$(in_ct sh -c '[ -e /usr/sbin/hellod ] && echo present || echo absent') \
$(in_ct sh -c '[ -e /etc/hellod/hellod.conf ] && echo present || echo absent')"
expect_eq "... and nothing answers on the port" "client: connect: Connection refused" \
    "$(greet tcp 127.0.0.1 12345)"
in_ct dpkg -P hellod >"$T/dpkg.log" 2>&1
rc=$?
expect_eq "dpkg -P: configuration and enablement removed" "0 absent no no" \
    "$rc $(in_ct sh -c '[ -e /etc/hellod ] && echo present || echo absent') \
$(wants sockets.target.wants/hellod.socket) $(wants timers.target.wants/hellod-check.timer)"
