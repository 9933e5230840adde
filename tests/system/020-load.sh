# SPDX-License-Identifier: BSD-2-Clause
# Under load (the benchmark's load generator, bounded in count and time): every greeting
# whole, no reset, no timeout, no SYN dropped at 128 connections in flight, in each mode;
# clients that send first keep their greeting; UDP with 64 requests in flight all answered.
# No timing is asserted: the figures are the benchmark's (make bench).
# As root it runs in a network namespace of its own, so that the SYN-drop counter is its own.
if [ "$(id -u)" = 0 ] && [ -z "${HELLOD_NETNS:-}" ] && command -v unshare >/dev/null &&
    unshare -n true 2>/dev/null; then
	exec env HELLOD_NETNS=1 unshare -n sh -c 'ip link set lo up && exec bash "$0"' "$0"
fi
# hellod-serial: a load of thousands of connections, bounded in time
# hellod-timed: what it asserts is about time or load, which an emulator distorts
. "$HELLOD_TOP/tests/lib.sh"

port=$(free_port)
conf=$T/hellod.conf

# Listen queue overflows so far, in this network namespace (TcpExt ListenOverflows).
overflows() {
	awk '/^TcpExt:/ { if (!n) { for (i = 1; i <= NF; i++) k[i] = $i; n = 1 } else
		for (i = 1; i <= NF; i++) if (k[i] == "ListenOverflows") print $i }' /proc/net/netstat
}

# load WHAT COUNT ARGS...: runs loadgen and checks that COUNT of COUNT were whole greetings
# and nothing went wrong.
load() {
	what=$1
	count=$2
	shift 2
	before=$(overflows)
	"$LOADGEN" -p "$port" -n "$count" -d 120 -t 10000 "$@" >"$T/load"
	after=$(overflows)
	if [ "$(json_field ok "$T/load")" = "$count" ] &&
	    [ "$(json_field errors "$T/load")" = 0 ] && [ "$(json_field resets "$T/load")" = 0 ] &&
	    [ "$(json_field timeouts "$T/load")" = 0 ] &&
	    [ "$(json_field connect_errors "$T/load")" = 0 ]; then
		pass "$what: $count of $count greeted whole, no reset, no timeout"
	else
		fail "$what: $count of $count greeted whole, no reset, no timeout" "$(cat "$T/load")"
	fi
	expect_eq "... and no SYN dropped (ListenOverflows)" "$before" "$after"
}

for mode in linger fast; do
	printf '[server]\nhost = 127.0.0.1\nport = %s\nudp = yes\nclose = %s\n' "$port" "$mode" \
		>"$conf"
	start_hellod "$conf"
	load "close = $mode, 128 connections in flight" 4000 -c 128
	load "close = $mode, clients sending an HTTP request first" 1000 -c 16 -s http
	load "close = $mode, clients sending 64 KiB first" 300 -c 16 -s 65536
	stop_hellod
	expect_eq "... hellod exits 0" 0 "$HSTATUS"
done

printf '[server]\nhost = 127.0.0.1\nport = %s\nudp = yes\nworkers = 2\n' "$port" >"$conf"
start_hellod "$conf"
load "workers = 2, 128 connections in flight" 4000 -c 128
load "workers = 2, UDP with 64 requests in flight" 20000 -u -w 64
stop_hellod
expect_eq "... hellod exits 0" 0 "$HSTATUS"
expect_grep "... having counted every greeting of both workers" \
	'Stopped after 4000 TCP and 20000 UDP greetings' "$T/hellod.log"
