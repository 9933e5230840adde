#!/bin/bash
# make install under a prefix: every file in place, the systemd units verified and
# hardened, the cron line's logic, make uninstall.
. "$HELLOD_TOP/tests/lib.sh"
. "$HELLOD_TOP/tests/lib-check.sh"

R=$T/root
# The build under test is installed as it is: no rebuild.
if ! make -s -C "$HELLOD_TOP" install BUILDDIR="$HELLOD_BUILD" PREFIX="$R/usr" SYSCONFDIR="$R/etc" \
    UNITDIR="$R/units" CATALOGDIR="$R/catalog" >"$T/install.log" 2>&1; then
	fail "make install under a prefix" "$(cat "$T/install.log")"
	exit 1
fi
for f in usr/bin/hellod-check usr/sbin/hellod usr/share/man/man1/hellod-check.1 \
    units/hellod-check.service units/hellod-check.timer units/hellod.socket \
    units/hellod-check-prom.service units/hellod-check-prom.timer \
    units/hellod-udp.socket units/hellod-metrics.socket units/hellod.service \
    units/hellod-standalone.service \
    etc/cron.d/hellod-check \
    etc/hellod/hellod.conf catalog/hellod.catalog; do
	[ -e "$R/$f" ] || missing="${missing:-} $f"
done
expect_eq "make install puts every file in place" "" "${missing:-}"
expect_grep "the service runs the installed hellod-check" "^ExecStart=$R/usr/bin/hellod-check -q$" \
    "$R/units/hellod-check.service"
expect_grep "the Prometheus service writes node_exporter's textfile directory" \
    "^ExecStart=$R/usr/bin/hellod-check -q --prom /var/lib/prometheus/node-exporter/hellod\.prom$" \
    "$R/units/hellod-check-prom.service"
expect_grep "hellod.service runs the installed hellod" "^ExecStart=$R/usr/sbin/hellod$" \
    "$R/units/hellod.service"

if command -v groff >/dev/null; then
	for page in man1/hellod-check.1 man5/hellod.conf.5 man8/hellod.8; do
		groff -man -ww -z "$R/usr/share/man/$page" >"$T/groff.log" 2>&1
		expect_eq "man -l renders $(basename "$page") without a warning (groff -man -ww -z)" \
		    "0 " "$? $(cat "$T/groff.log")"
	done
else
	skip "man pages render" "groff not installed"
fi

PORT=$(free_port)
printf '[server]\nhost = 127.0.0.1\nport = %s\n' "$PORT" >"$T/hellod.conf"
start_hellod "$T/hellod.conf"
# shellcheck disable=SC2086 # the wrapper is a command line
$HELLOD_WRAPPER "$R/usr/bin/hellod-check" -q --config "$T/hellod.conf" >"$T/installed.out" 2>&1
expect_eq "the installed hellod-check -q passes quietly" "0:" "$?:$(cat "$T/installed.out")"
stop_hellod

if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify --man=no "$R"/units/* >"$T/verify.log" 2>&1
	rc=$?
	expect_eq "systemd-analyze verify passes every unit" "0 " "$rc $(cat "$T/verify.log")"
	# The check needs the network (1.0 of it); hellod given its sockets needs none.
	expect_exposure "$R/units/hellod-check.service" 1.1
	# As hellod-check.service, but as root (0.4): node_exporter's directory is root's.
	expect_exposure "$R/units/hellod-check-prom.service" 1.4
	expect_exposure "$R/units/hellod.service" 0.3
	expect_exposure "$R/units/hellod-standalone.service" 1.2
else
	skip "systemd-analyze verify and security" "systemd-analyze not installed"
fi
expect_grep "the timer runs every 5 minutes" '^OnUnitActiveSec=5min$' "$R/units/hellod-check.timer"
expect_grep "the Prometheus timer runs every minute" '^OnUnitActiveSec=1min$' \
    "$R/units/hellod-check-prom.timer"
expect_grep "the timer is enabled through timers.target" '^WantedBy=timers.target$' \
    "$R/units/hellod-check.timer"

# The cron line: every 5 minutes as nobody; its command, with the paths it tests pointed at
# this test's directory, does nothing where systemd runs and runs hellod-check -q elsewhere.
line=$(grep -v '^#' "$R/etc/cron.d/hellod-check" | grep -E '^[^A-Z]' | grep .)
expect_eq "cron.d has one job, every 5 minutes, as nobody" "*/5 * * * * nobody" \
    "$(echo "$line" | awk '{ print $1, $2, $3, $4, $5, $6 }')"
expect_grep "cron mails failures to root" '^MAILTO=root$' "$R/etc/cron.d/hellod-check"
mkdir -p "$T/bin"
printf '#!/bin/sh\necho "ran with $*" >>%s\n' "$T/ran" >"$T/bin/hellod-check"
chmod 755 "$T/bin/hellod-check"
command=$(echo "$line" | cut -f 3- | sed -e "s|/run/systemd/system|$T/systemd-runs|g" \
    -e "s|$R/usr/bin|$T/bin|g")
sh -c "$command"
expect_eq "without systemd, cron runs hellod-check -q" "ran with -q" "$(cat "$T/ran" 2>&1)"
mkdir "$T/systemd-runs"
rm -f "$T/ran"
sh -c "$command"
expect_eq "with systemd running, the cron line does nothing and succeeds" "0 absent" \
    "$? $([ -e "$T/ran" ] && echo present || echo absent)"
rmdir "$T/systemd-runs"
rm "$T/bin/hellod-check"
sh -c "$command"
expect_eq "once hellod-check is removed, the cron line does nothing and succeeds" "0" "$?"

make -s -C "$HELLOD_TOP" uninstall BUILDDIR="$HELLOD_BUILD" PREFIX="$R/usr" SYSCONFDIR="$R/etc" \
    UNITDIR="$R/units" CATALOGDIR="$R/catalog" >"$T/uninstall.log" 2>&1
expect_eq "make uninstall leaves only the configuration files" \
    "etc/cron.d/hellod-check etc/hellod/hellod.conf" \
    "$(cd "$R" && find . -type f | sed 's|^\./||' | sort | tr '\n' ' ' | sed 's/ $//')"
