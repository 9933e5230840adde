# SPDX-License-Identifier: BSD-2-Clause
# UDP replies come from the address the request was sent to (issue 14, item 4), with host = *
# on a host of several addresses: 127.0.0.2 on loopback, one at a time and in batches, on a
# dual-stack socket systemd passed, and in a network namespace with two IPv4 and two IPv6
# addresses on one interface. A connected client (hellod-check -u) drops a reply from any
# other address.
. "$HELLOD_TOP/tests/lib.sh"
. "$HELLOD_TOP/tests/lib-check.sh"

port=$(free_port)
printf '[server]\nport = %s\nudp = yes\n' "$port" >"$T/hellod.conf"
printf 'Thank you for connecting\n' >"$T/expected"
num='[0-9]+\.[0-9]{6}'

# From 127.0.0.1 to 127.0.0.2: the kernel would answer from 127.0.0.1, loopback's own.
start_hellod "$T/hellod.conf"
expect_check "item 4: host = *: hellod-check -u -H 127.0.0.2 is OK (answered from there)" 0 \
    "^HELLOD OK - $num s response time on 127\.0\.0\.2 UDP port $port " \
    -u -H 127.0.0.2 -p "$port" -t 3 --config "$T/hellod.conf"
check "item 4: ... and a connected client is answered" sh -c \
	"\"$CLIENT\" -t 3000 udp 127.0.0.2 $port | cmp -s - \"$T/expected\""
expect_check "item 4: ... 127.0.0.1 still is OK" 0 \
    "^HELLOD OK - .* on 127\.0\.0\.1 UDP port $port " \
    -u -H 127.0.0.1 -p "$port" -t 3 --config "$T/hellod.conf"

# In batches: with hellod stopped, 3 connected sources queue 20 datagrams each to 127.0.0.2;
# each must get its 20 replies from there.
kill -STOP "$HPID"
"$CLIENT" -t 10000 udpburst 127.0.0.2 "$port" 3 20 >"$T/burst" &
burst=$!
udp_queued() { [ "$(ss -lunH "src 0.0.0.0:$port" | awk '{print $2}')" -ge "$1" ]; }
wait_until 10 udp_queued $((60 * 512)) ||
	fail "item 4: 60 datagrams queue up while hellod is stopped" "$(ss -lun "sport = :$port")"
kill -CONT "$HPID"
wait "$burst"
expect_eq "item 4: in batches: 60 datagrams queued to 127.0.0.2, each source answered 20" 0 \
	"$?" || sed 's/^/# /' "$T/burst"
stop_hellod
expect_eq "item 4: hellod exits 0" 0 "$HSTATUS"

# A socket systemd passed: [::]:PORT, dual-stack, so IPv4 requests come as v4-mapped IPv6.
if command -v systemd-socket-activate >/dev/null; then
	: >"$T/hellod.log"
	systemd-socket-activate --datagram -l "$port" $HELLOD_WRAPPER "$HELLOD" \
		-c "$T/hellod.conf" >>"$T/hellod.log" 2>&1 &
	HPID=$!
	KILL_PIDS="$KILL_PIDS $HPID"
	wait_until 10 log_has 'Listening on' ||
		fail "item 4: systemd-socket-activate listens" "$(cat "$T/hellod.log")"
	check "item 4: activated, dual-stack: a connected client of 127.0.0.2 is answered" sh -c \
		"\"$CLIENT\" -t 3000 udp 127.0.0.2 $port | cmp -s - \"$T/expected\""
	expect_check "item 4: ... hellod-check -u -H 127.0.0.2 is OK" 0 \
	    "^HELLOD OK - .* on 127\.0\.0\.2 UDP port $port " \
	    -u -H 127.0.0.2 -p "$port" -t 3 --config "$T/hellod.conf"
	stop_hellod
else
	skip "item 4: a dual-stack socket systemd passed" "systemd-socket-activate is not installed"
fi

# Two namespaces and a veth pair: hellod's has two IPv4 and two IPv6 addresses on veth0;
# the client's, one of each. The kernel would answer every request from one address of each
# family.
if [ "$(id -u)" != 0 ]; then
	skip "item 4: a namespace with two IPv4 and two IPv6 addresses" "making namespaces needs root"
	exit 0
fi
if ! command -v ip >/dev/null || ! ip netns list >/dev/null 2>&1; then
	skip "item 4: a namespace with two IPv4 and two IPv6 addresses" "ip netns is not available"
	exit 0
fi
srv=hellod-$$-srv
cli=hellod-$$-cli
# shellcheck disable=SC2034 # run by lib.sh at exit
CLEANUP="ip netns del $srv; ip netns del $cli"
if ! { ip netns add "$srv" && ip netns add "$cli" &&
    ip link add veth0 netns "$srv" type veth peer name veth1 netns "$cli" &&
    ip -n "$srv" addr add 192.0.2.10/24 dev veth0 &&
    ip -n "$srv" addr add 192.0.2.11/24 dev veth0 &&
    ip -n "$srv" addr add 2001:db8::10/64 dev veth0 nodad &&
    ip -n "$srv" addr add 2001:db8::11/64 dev veth0 nodad &&
    ip -n "$cli" addr add 192.0.2.1/24 dev veth1 &&
    ip -n "$cli" addr add 2001:db8::1/64 dev veth1 nodad &&
    ip -n "$srv" link set veth0 up && ip -n "$cli" link set veth1 up &&
    ip -n "$srv" link set lo up && ip -n "$cli" link set lo up; } 2>"$T/ip.err"; then
	skip "item 4: a namespace with two IPv4 and two IPv6 addresses" \
	    "cannot make it: $(head -n 1 "$T/ip.err")"
	exit 0
fi
: >"$T/hellod.log"
( exec ip netns exec "$srv" $HELLOD_WRAPPER "$HELLOD" -c "$T/hellod.conf" \
	>>"$T/hellod.log" 2>&1 ) &
HPID=$!
KILL_PIDS="$KILL_PIDS $HPID"
wait_until 20 log_has 'Started hellod' ||
	fail "item 4: hellod starts in its namespace" "$(cat "$T/hellod.log")"
in_cli() { ip netns exec "$cli" "$@"; }
# Neighbour discovery must be done before a probe's deadline: a first probe of each.
for a in 192.0.2.10 2001:db8::10; do
	wait_until 5 in_cli "$CLIENT" -t 500 udp "$a" "$port" >/dev/null
done
for a in 192.0.2.10 192.0.2.11 2001:db8::10 2001:db8::11; do
	CHECK_IN=in_cli expect_check "item 4: in a namespace, host = *: hellod-check -u -H $a is OK" 0 \
	    "^HELLOD OK - .* on \[?$a\]? UDP port $port " \
	    -u -H "$a" -p "$port" -t 3 --config "$T/hellod.conf"
done
stop_hellod
expect_eq "item 4: hellod exits 0 in its namespace" 0 "$HSTATUS"
