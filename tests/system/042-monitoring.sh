#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The shipped monitoring glue in etc/monitoring/ against the real programs from Debian, all on
# loopback: blackbox_exporter 0.23 probes hellod with blackbox.yml's module (the one that
# prometheus-scrape.yml asks for); Icinga 2.13 and Nagios 4.4 validate a minimal configuration
# that includes the shipped file, then run their daemon just long enough to expand the example
# service's command line (read from their debug logs), which then runs against hellod. The
# validations are the commands that the folder's guide, etc/monitoring/README.md, shows.
. "$HELLOD_TOP/tests/lib.sh"

MON=$HELLOD_TOP/etc/monitoring
GUIDE=$MON/README.md
BLACKBOX=prometheus-blackbox-exporter
GREETING="Thank you for connecting"

check_guide "$GUIDE"
expect_guide_cmds "... and shows the validations this test runs (icinga2 daemon -C, nagios4 -v)" \
    "$GUIDE" "icinga2 daemon -C" "nagios4 -v"

have_peers() {
	command -v "$BLACKBOX" >/dev/null && command -v icinga2 >/dev/null &&
	    command -v nagios4 >/dev/null
}
if ! have_peers && [ "$(id -u)" = 0 ]; then
	"$HELLOD_TOP/packaging/build-deps.sh" prometheus-blackbox-exporter icinga2-bin \
	    nagios4-core >"$T/install.log" 2>&1
fi
if ! have_peers; then
	skip "blackbox_exporter, Icinga 2 and Nagios against hellod" \
	    "needs prometheus-blackbox-exporter, icinga2-bin and nagios4-core (apt-get install -y --no-install-recommends prometheus-blackbox-exporter icinga2-bin nagios4-core)"
	exit 0
fi

# http_get URL: the body, with curl or else python3's urllib; false on an HTTP error.
http_get() {
	if command -v curl >/dev/null; then
		curl -sf --max-time 10 "$1"
	else
		python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "$1"
	fi
}

# in_group COMMAND...: COMMAND in the background in a process group of its own (setsid), which
# the cleanup kills whole: Icinga and Nagios leave helpers and workers behind their main
# process. Sets GPID.
in_group() {
	setsid "$@" &
	GPID=$!
	KILL_PIDS="$KILL_PIDS $GPID"
	CLEANUP="$CLEANUP kill -9 -- -$GPID 2>/dev/null;"
}

PORT=$(free_port)    # hellod, TCP and UDP
OTHER=$(free_port)   # a hellod with another greeting
CLOSED=$(free_port)  # nothing listens there
loopback_conf "$T/hellod.conf" "$PORT" "udp = yes"
start_hellod "$T/hellod.conf"
loopback_conf "$T/other.conf" "$OTHER" "greeting = Go away"
spawn_hellod "$T/other.log" -c "$T/other.conf"
if ! wait_until 20 grep -q 'Started hellod' "$T/other.log"; then
	fail "the second hellod starts" "$(cat "$T/other.log")"
	exit 1
fi

# blackbox_exporter, with the module that prometheus-scrape.yml names.
t0=$(now_ms)
MODULE=$(sed -n 's/^ *module: \[\(.*\)\]$/\1/p' "$MON/prometheus-scrape.yml")
expect_grep "prometheus-scrape.yml's module ($MODULE) is one of blackbox.yml's" \
    "^  ${MODULE:-none}:$" "$MON/blackbox.yml"
BPORT=$(free_port)
"$BLACKBOX" --web.listen-address="127.0.0.1:$BPORT" --config.file="$MON/blackbox.yml" \
    >"$T/blackbox.log" 2>&1 &
KILL_PIDS="$KILL_PIDS $!"
if ! wait_until 20 http_get "http://127.0.0.1:$BPORT/-/healthy" >/dev/null; then
	fail "blackbox_exporter starts" "$(cat "$T/blackbox.log")"
	exit 1
fi
# probe NAME SUCCESS REGEX_FAILED TARGET: /probe of TARGET reports probe_success SUCCESS and
# probe_failed_due_to_regex REGEX_FAILED (0 also when the probe never got to read).
probe() {
	http_get "http://127.0.0.1:$BPORT/probe?module=$MODULE&target=$4&debug=true" \
	    >"$T/probe.out" 2>&1
	got="$(sed -n 's/^probe_success //p' "$T/probe.out") $(sed -n \
	    's/^probe_failed_due_to_regex //p' "$T/probe.out")"
	expect_eq "$1" "$2 $3" "$got" || sed 's/^/# /' "$T/probe.out"
}
probe "blackbox_exporter: probe_success 1 against hellod" 1 0 "127.0.0.1:$PORT"
probe "... 0 against another greeting, failed on the regex" 0 1 "127.0.0.1:$OTHER"
probe "... 0 against a closed port, before any regex" 0 0 "127.0.0.1:$CLOSED"
probe "... 0 against a name that does not resolve" 0 0 "nonexistent.invalid:$PORT"
echo "# blackbox_exporter: $(( $(now_ms) - t0 )) ms"

# expand_and_run NAME LINE: LINE, a command line a monitoring daemon expanded (shell quoting),
# runs with the build's hellod-check in place of /usr/bin/hellod-check and says OK.
expand_and_run() {
	er_name=$1
	case $2 in
	"/usr/bin/hellod-check "*) ;;
	*)
		fail "$er_name" "not a /usr/bin/hellod-check command line: ${2:-nothing}"
		return
		;;
	esac
	eval "set -- $HELLOD_BUILD/hellod-check ${2#/usr/bin/hellod-check }"
	$HELLOD_WRAPPER "$@" >"$T/run.out" 2>&1
	rc=$?
	if [ "$rc" = 0 ] && grep -q "^HELLOD OK - .* port $PORT \[$GREETING\]|" "$T/run.out"; then
		pass "$er_name"
	else
		fail "$er_name" "$*" "exit $rc: $(cat "$T/run.out")"
	fi
}

# Icinga 2. As root it still switches to its own user (nagios) even for -C, and writes
# /var/cache/icinga2/icinga2.{debug,vars}: the Configuration.* constants keep it root and in $T.
t0=$(now_ms)
I=$T/icinga2
mkdir -p "$I/var"
ICINGA_DEFS=(-DConfiguration.RunAsUser=root -DConfiguration.RunAsGroup=root)
for d in CacheDir DataDir LogDir SpoolDir InitRunDir; do
	ICINGA_DEFS+=("-DConfiguration.$d=$I/var")
done
for f in ObjectsPath=icinga2.debug VarsPath=icinga2.vars PidPath=icinga2.pid \
    StatePath=icinga2.state ModAttrPath=modified-attributes.conf; do
	ICINGA_DEFS+=("-DConfiguration.${f%%=*}=$I/var/${f#*=}")
done
# icinga2_conf FILE SHIPPED: a minimal icinga2.conf including SHIPPED: the ITL, PluginDir
# (which the ITL's commands need, and constants.conf normally sets) and two hosts.
icinga2_conf() {
	cat >"$1" <<EOF
const PluginDir = "/usr/lib/nagios/plugins"
include <itl>
include <plugins>
include "$2"
object Host "greeter" {
	address = "127.0.0.1"
	check_command = "dummy"
	vars.hellod_port = $PORT
	vars.hellod_expect = "$GREETING"
}
object Host "greeter-udp" {
	address = "127.0.0.1"
	check_command = "dummy"
	vars.hellod_port = $PORT
	vars.hellod_udp = true
	vars.hellod_timeout = 3
	vars.hellod_config = "$T/hellod.conf"
}
EOF
}
icinga2_conf "$I/icinga2.conf" "$MON/icinga2-hellod.conf"
# The guide's "icinga2 daemon -C", on this configuration.
guide_run "$GUIDE" "icinga2 daemon -C" "" "" -c "$I/icinga2.conf" "${ICINGA_DEFS[@]}" \
    >"$I/validate.log" 2>&1
expect_eq "the guide's icinga2 daemon -C validates the shipped CheckCommand and apply rule (2 services)" \
    "0 1" "$? $(grep -c 'Instantiated 2 Services' "$I/validate.log")" ||
    grep -E 'critical|warning|Error' "$I/validate.log" | sed 's/^/# /'
sed 's/set_if = /set_iff = /' "$MON/icinga2-hellod.conf" >"$I/typo.conf"
icinga2_conf "$I/typo.conf.main" "$I/typo.conf"
guide_run "$GUIDE" "icinga2 daemon -C" "" "" -c "$I/typo.conf.main" "${ICINGA_DEFS[@]}" \
    >"$I/typo.log" 2>&1
expect_eq "... and fails on a typo in it (set_iff)" "1 yes" \
    "$? $(grep -q "Validation failed for object 'hellod' of type 'CheckCommand'.*Invalid attribute: set_iff" \
        "$I/typo.log" && echo yes)"

# The daemon itself, with a debug log and the command pipe to ask for the checks at once (the
# first would otherwise come at a random time within check_interval).
cat >"$I/run.conf" <<EOF
include "$I/icinga2.conf"
object CheckerComponent "checker" { }
object FileLogger "debug" {
	path = "$I/debug.log"
	severity = "notice"
}
object ExternalCommandListener "command" {
	command_path = "$I/icinga2.cmd"
}
EOF
in_group icinga2 daemon -c "$I/run.conf" "${ICINGA_DEFS[@]}" >"$I/daemon.log" 2>&1
ICINGA_PID=$GPID
if ! wait_until 20 test -p "$I/icinga2.cmd"; then
	fail "icinga2 daemon starts" "$(tail -20 "$I/daemon.log")"
	exit 1
fi
now=$(date +%s)
printf '[%s] SCHEDULE_FORCED_SVC_CHECK;%s;hellod;%s\n' "$now" greeter "$now" \
    "$now" greeter-udp "$now" >"$I/icinga2.cmd"
# icinga_line TCP|UDP: the arguments of the last command Icinga ran for that service.
icinga_line() {
	sed -n "s/^.* notice\/Process: Running command \('\/usr\/bin\/hellod-check' .*\): PID [0-9]*$/\1/p" \
	    "$I/debug.log" | if [ "$1" = UDP ]; then grep -- "'-u'"; else grep -v -- "'-u'"; fi |
	    tail -n 1 | sed "s/^'\/usr\/bin\/hellod-check'/\/usr\/bin\/hellod-check/"
}
has_lines() { [ -n "$(icinga_line TCP)" ] && [ -n "$(icinga_line UDP)" ]; }
wait_until 20 has_lines || fail "Icinga 2 runs both checks" "$(tail -20 "$I/daemon.log")"
echo "# Icinga 2 ran: $(icinga_line TCP)"
echo "# Icinga 2 ran: $(icinga_line UDP)"
expect_eq "Icinga 2 expands the example service from the host's variables and the apply rule's" \
    "/usr/bin/hellod-check '-H' '127.0.0.1' '-c' '2' '-e' '$GREETING' '-p' '$PORT' '-w' '1'" \
    "$(icinga_line TCP)"
expand_and_run "... and that command line returns OK against hellod" "$(icinga_line TCP)"
expect_eq "... a host with hellod_udp (set_if), hellod_timeout and hellod_config" \
    "/usr/bin/hellod-check '--config' '$T/hellod.conf' '-H' '127.0.0.1' '-c' '2' '-p' '$PORT' '-t' '3' '-u' '-w' '1'" \
    "$(icinga_line UDP)"
expand_and_run "... which returns OK over UDP" "$(icinga_line UDP)"
kill "$ICINGA_PID" 2>/dev/null
echo "# Icinga 2: $(( $(now_ms) - t0 )) ms"

# Nagios 4: a nagios.cfg of its own in $T, as root, with what the objects need: a timeperiod,
# a contact, generic-service (Debian's templates.cfg has one), a host and a service from the
# shipped template, probing $PORT.
t0=$(now_ms)
N=$T/nagios
mkdir -p "$N"
# nagios_cfg FILE SHIPPED
nagios_cfg() {
	cat >"$1" <<EOF
cfg_file=$N/objects.cfg
cfg_file=$2
log_file=$N/nagios.log
object_cache_file=$N/objects.cache
precached_object_file=$N/objects.precache
status_file=$N/status.dat
lock_file=$N/nagios.pid
temp_file=$N/nagios.tmp
temp_path=$N
check_result_path=$N
state_retention_file=$N/retention.dat
retain_state_information=0
nagios_user=root
nagios_group=root
check_external_commands=1
command_file=$N/nagios.cmd
use_syslog=0
check_for_updates=0
debug_file=$N/debug.log
debug_level=2048
debug_verbosity=1
EOF
}
cat >"$N/objects.cfg" <<EOF
define timeperiod {
    timeperiod_name  always
    alias            Always
    sunday           00:00-24:00
    monday           00:00-24:00
    tuesday          00:00-24:00
    wednesday        00:00-24:00
    thursday         00:00-24:00
    friday           00:00-24:00
    saturday         00:00-24:00
}
define command {
    command_name  notify-none
    command_line  /bin/true
}
define contact {
    contact_name                   admin
    host_notifications_enabled     0
    service_notifications_enabled  0
    host_notification_period       always
    service_notification_period    always
    host_notification_options      n
    service_notification_options   n
    host_notification_commands     notify-none
    service_notification_commands  notify-none
}
define service {
    name                   generic-service
    check_period           always
    notification_period    always
    notification_interval  0
    contacts               admin
    register               0
}
define host {
    host_name            greeter
    address              127.0.0.1
    max_check_attempts   1
    check_period         always
    contacts             admin
    notification_period  always
}
define service {
    use            hellod-service
    host_name      greeter
    check_command  check_hellod!$PORT!$GREETING
}
EOF
nagios_cfg "$N/nagios.cfg" "$MON/nagios-hellod.cfg"
# The guide's "nagios4 -v /etc/nagios4/nagios.cfg", on this nagios.cfg.
guide_run "$GUIDE" "nagios4 -v" /etc/nagios4/nagios.cfg "$N/nagios.cfg" >"$N/validate.log" 2>&1
expect_eq "the guide's nagios4 -v validates the shipped command and template" "0 1" \
    "$? $(grep -c '^Total Errors: *0$' "$N/validate.log")" ||
    grep -E 'Error|Warning' "$N/validate.log" | sed 's/^/# /'
sed 's/command_line /comand_line /' "$MON/nagios-hellod.cfg" >"$N/typo.cfg"
nagios_cfg "$N/typo.main.cfg" "$N/typo.cfg"
guide_run "$GUIDE" "nagios4 -v" /etc/nagios4/nagios.cfg "$N/typo.main.cfg" >"$N/typo.log" 2>&1
expect_eq "... and fails on a typo in it (comand_line)" "1 1" \
    "$? $(grep -c "Invalid command object directive 'comand_line'" "$N/typo.log")"

in_group nagios4 "$N/nagios.cfg" >"$N/daemon.log" 2>&1
NAGIOS_PID=$GPID
if ! wait_until 20 test -p "$N/nagios.cmd"; then
	fail "nagios4 starts" "$(tail -20 "$N/daemon.log")"
	exit 1
fi
now=$(date +%s)
printf '[%s] SCHEDULE_FORCED_SVC_CHECK;greeter;hellod;%s\n' "$now" "$now" >"$N/nagios.cmd"
# nagios_line: the last hellod-check command line Nagios expanded its macros into.
nagios_line() {
	sed -n "s/^.*Done\.  Final output: '\(\/usr\/bin\/hellod-check .*\)'$/\1/p" "$N/debug.log" |
	    tail -n 1
}
has_line() { [ -n "$(nagios_line)" ]; }
wait_until 20 has_line || fail "Nagios runs the check" "$(tail -20 "$N/daemon.log")"
echo "# Nagios ran: $(nagios_line)"
expect_eq "Nagios expands check_hellod!PORT!STRING into the command line" \
    "/usr/bin/hellod-check -H '127.0.0.1' -p '$PORT' -e '$GREETING' -w 1 -c 2" "$(nagios_line)"
expand_and_run "... and that command line returns OK against hellod" "$(nagios_line)"
kill "$NAGIOS_PID" 2>/dev/null
echo "# Nagios: $(( $(now_ms) - t0 )) ms"

stop_hellod
