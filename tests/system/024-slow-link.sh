# SPDX-License-Identifier: BSD-2-Clause
# Lingering close over a delayed link: hellod in one network namespace, its clients in
# another, a veth pair between them with `tc netem delay` (or, where the kernel has no netem,
# a `tbf` rate limit, which delays a large request just the same). Clients that send first,
# an HTTP request or 64 KiB, must each get the whole greeting and a clean end, no reset.
# hellod-serial: delays on a netem link, measured
# hellod-timed: what it asserts is about time or load, which an emulator distorts
. "$HELLOD_TOP/tests/lib.sh"

if [ "$(id -u)" != 0 ]; then
	skip "a delayed link between two namespaces" "making network namespaces needs root"
	exit 0
fi
if ! command -v ip >/dev/null || ! command -v tc >/dev/null; then
	skip "a delayed link between two namespaces" "ip and tc (iproute2) are not installed"
	exit 0
fi
srv=hellod-$$-srv
cli=hellod-$$-cli
CLEANUP="ip netns del $srv; ip netns del $cli"
if ! { ip netns add "$srv" && ip netns add "$cli" &&
    ip link add veth0 netns "$srv" type veth peer name veth1 netns "$cli" &&
    ip -n "$srv" addr add 10.231.0.1/24 dev veth0 && ip -n "$cli" addr add 10.231.0.2/24 dev veth1 &&
    ip -n "$srv" link set veth0 up && ip -n "$cli" link set veth1 up &&
    ip -n "$srv" link set lo up && ip -n "$cli" link set lo up; } 2>"$T/ip.err"; then
	skip "a delayed link between two namespaces" "cannot make them: $(head -n 1 "$T/ip.err")"
	exit 0
fi
# 40 ms each way where netem exists; else 8 Mbit/s, so 64 KiB takes 65 ms to cross.
if ip netns exec "$srv" tc qdisc add dev veth0 root netem delay 40ms 2>/dev/null &&
    ip netns exec "$cli" tc qdisc add dev veth1 root netem delay 40ms 2>/dev/null; then
	link="netem delay 40 ms each way"
else
	ip netns exec "$srv" tc qdisc add dev veth0 root tbf rate 8mbit burst 16kb latency 500ms
	ip netns exec "$cli" tc qdisc add dev veth1 root tbf rate 8mbit burst 16kb latency 500ms
	link="tbf 8 Mbit/s (this kernel has no netem)"
fi

port=$(free_port)
printf '[server]\nhost = 10.231.0.1\nport = %s\n' "$port" >"$T/hellod.conf"
: >"$T/hellod.log"
( exec ip netns exec "$srv" $HELLOD_WRAPPER "$HELLOD" -c "$T/hellod.conf" >>"$T/hellod.log" 2>&1 ) &
HPID=$!
KILL_PIDS="$KILL_PIDS $HPID"
wait_until 20 log_has 'Started hellod' || fail "hellod starts in its namespace" "$(cat "$T/hellod.log")"

# load WHAT COUNT ARGS...: from the client namespace, every greeting whole, no reset.
load() {
	what=$1
	count=$2
	shift 2
	ip netns exec "$cli" "$LOADGEN" -H 10.231.0.1 -p "$port" -n "$count" -t 20000 -d 120 "$@" \
		>"$T/load"
	if [ "$(json_field ok "$T/load")" = "$count" ] && [ "$(json_field resets "$T/load")" = 0 ]; then
		pass "$link: $what: $count of $count whole greetings, no reset"
	else
		fail "$link: $what: $count of $count whole greetings, no reset" "$(cat "$T/load")"
	fi
}
load "plain clients" 200 -c 16
load "clients sending an HTTP request first" 200 -c 16 -s http
load "clients sending 64 KiB first" 40 -c 8 -s 65536
printf '[server]\nhost = 10.231.0.1\nport = %s\nclose = fast\n' "$port" >"$T/hellod.conf"
kill -HUP "$HPID"
wait_until 10 log_has 'Reloaded' || fail "hellod reloads" "$(cat "$T/hellod.log")"
load "close = fast, clients sending an HTTP request first" 200 -c 16 -s http
load "close = fast, clients sending 64 KiB first" 40 -c 8 -s 65536
stop_hellod
expect_eq "hellod exits 0" 0 "$HSTATUS"
