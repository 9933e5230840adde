#!/bin/bash
# hellod-check and monitoring-plugins' check_tcp -e / check_udp reach the same verdict on the
# same servers. check_tcp's -M crit makes a mismatch CRITICAL, as hellod-check has it (its
# default is WARNING). The one deliberate difference, a reply that never ends, is in 009.
. "$HELLOD_TOP/tests/lib.sh"
. "$HELLOD_TOP/tests/lib-check.sh"

PLUGINS=/usr/lib/nagios/plugins
if [ ! -x "$PLUGINS/check_tcp" ] || [ ! -x "$PLUGINS/check_udp" ]; then
	skip "agreement with check_tcp and check_udp" \
	    "$PLUGINS/check_tcp missing (apt-get install monitoring-plugins-basic)"
	exit 0
fi
GREETING="Thank you for connecting"

# agree NAME STATUS PORT [ARGS...]: both checks of 127.0.0.1:PORT exit with STATUS.
agree() {
	ag_name=$1 ag_status=$2 ag_port=$3
	shift 3
	"$PLUGINS/check_tcp" -H 127.0.0.1 -p "$ag_port" -e "$GREETING" -M crit "$@" \
	    >"$T/plugin.out" 2>&1
	ag_plugin=$?
	run_check -H 127.0.0.1 -p "$ag_port" -e "$GREETING" "$@"
	expect_eq "TCP, $ag_name: check_tcp and hellod-check both exit $ag_status" \
	    "$ag_status $ag_status" "$ag_plugin $CRC"
}

# check_udp's request must be as long as the greeting line: hellod sends no reply larger
# than its request (udp_max_ratio = 1).
UDP_PROBE=$(printf '%64s' probe)
agree_udp() {
	ag_name=$1 ag_status=$2 ag_port=$3
	shift 3
	"$PLUGINS/check_udp" -H 127.0.0.1 -p "$ag_port" -s "$UDP_PROBE" -e "$GREETING" -M crit "$@" \
	    >"$T/plugin.out" 2>&1
	ag_plugin=$?
	run_check -u -H 127.0.0.1 -p "$ag_port" -e "$GREETING" "$@"
	expect_eq "UDP, $ag_name: check_udp and hellod-check both exit $ag_status" \
	    "$ag_status $ag_status" "$ag_plugin $CRC"
}

PORT=$(free_port)
printf '[server]\nhost = 127.0.0.1\nport = %s\nudp = yes\n' "$PORT" >"$T/hellod.conf"
start_hellod "$T/hellod.conf"

agree "hellod" 0 "$PORT"
agree "hellod, under -w and -c" 0 "$PORT" -w 5 -c 9
agree "closed port" 2 "$(free_port)"
fake_server reply 'Go away\n'
agree "wrong greeting" 2 "$FPORT"
fake_server slow 400 "$GREETING\n"
agree "slow, over -w" 1 "$FPORT" -w 0.1
agree "slow, over -c" 2 "$FPORT" -w 0.1 -c 0.2
fake_server silent
agree "silent server" 2 "$FPORT" -t 1
fake_server close
agree "closed without data" 2 "$FPORT"
fake_server rst
agree "reset after accept" 2 "$FPORT"

# check_tcp's known gap: without -e it reads nothing, so a server that closes without a word
# passes. hellod-check always reads the reply.
fake_server close
"$PLUGINS/check_tcp" -H 127.0.0.1 -p "$FPORT" >"$T/plugin.out" 2>&1
ag_plugin=$?
run_check -H 127.0.0.1 -p "$FPORT" --config "$T/hellod.conf"
expect_eq "without -e, check_tcp passes a server that says nothing; hellod-check does not" \
    "0 2" "$ag_plugin $CRC"

agree_udp "hellod" 0 "$PORT"
agree_udp "closed port" 2 "$(free_port)"
fake_server udp-reply 'Go away\n'
agree_udp "wrong greeting" 2 "$FPORT"
fake_server udp-silent
agree_udp "silent server" 2 "$FPORT" -t 1

stop_hellod
