#!/bin/bash
# hellod-check tries every address a name resolves to, in order, each with its share of the
# deadline. The name comes from an /etc/hosts of the test's own, bind-mounted in a private
# mount namespace; an unanswered connect is made in a private network namespace: root only.
. "$HELLOD_TOP/tests/lib.sh"
. "$HELLOD_TOP/tests/lib-check.sh"

if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
	skip "addresses of a name" "needs root and unshare(1) to give hellod-check its own /etc/hosts"
	exit 0
fi
printf '127.0.0.2 multi.test\n127.0.0.1 multi.test\n' >"$T/hosts"

# in_ns COMMAND...: runs COMMAND seeing $T/hosts as /etc/hosts.
in_ns() {
	unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$T/hosts" "$@"
}
if ! in_ns true 2>"$T/ns.err"; then
	skip "addresses of a name" "no private mount namespace here: $(cat "$T/ns.err")"
	exit 0
fi
# The resolver's order (RFC 6724 may sort them): FIRST is tried first.
order=$(in_ns getent ahostsv4 multi.test | awk '$2 == "STREAM" { print $1 }' | tr '\n' ' ')
FIRST=${order%% *}
SECOND=$(echo "$order" | awk '{ print $2 }')
expect_eq "multi.test resolves to two loopback addresses" 2 "$(echo "$order" | wc -w)"

port=$(free_port)

# TCP: the first address refuses, the second answers.
fake_server -a "$SECOND" -p "$port" reply 'Thank you for connecting\n'
CHECK_IN=in_ns run_check -H multi.test -p "$port" --config /dev/null
expect_eq "TCP: a refused first address, then OK on the second" \
    "0 HELLOD OK - on $SECOND port $port (last of 2 addresses tried)" \
    "$CRC $(sed -E 's/ [0-9.]+ s response time//; s/ \[.*//' "$T/check.out")"

# TCP: nothing answers; the line names the last address and its error.
port2=$(free_port)
CHECK_IN=in_ns run_check -H multi.test -p "$port2" --config /dev/null
expect_eq "TCP: both refuse: CRITICAL naming the last address" \
    "2 HELLOD CRITICAL - connection refused on $SECOND port $port2 (last of 2 addresses tried)" \
    "$CRC $(sed 's/|.*//' "$T/check.out")"

# UDP: the first address is silent, the second answers. With -t 4 each gets 2 s: without the
# share, the silent one would take the whole deadline.
port3=$(free_port)
fake_server -a "$FIRST" -p "$port3" udp-silent
fake_server -a "$SECOND" -p "$port3" udp-reply 'Thank you for connecting\n'
CHECK_IN=in_ns run_check -u -H multi.test -p "$port3" -t 4 --config /dev/null
expect_eq "UDP: a silent first address gets half the deadline, then OK on the second" \
    "0 HELLOD OK - on $SECOND UDP port $port3 (last of 2 addresses tried)" \
    "$CRC $(sed -E 's/ [0-9.]+ s response time//; s/ \[.*//' "$T/check.out")"
expect_took "UDP: the silent address was given 2 s of the 4" 2000 4000

# A connect that is never answered: in a network namespace of the test's own, packets to
# 192.0.2.0/24 (TEST-NET-1) go out through lo to nobody and are dropped.
in_netns() {
	unshare -n sh -c 'ip link set lo up && ip route add 192.0.2.0/24 dev lo && exec "$@"' sh "$@"
}
if in_netns true 2>"$T/netns.err"; then
	CHECK_IN=in_netns run_check -H 192.0.2.1 -p 9 -e x -t 1
	expect_eq "a connect never answered is CRITICAL at the deadline" \
	    "2 HELLOD CRITICAL - no connection within 1 s to 192.0.2.1 port 9" \
	    "$CRC $(sed 's/|.*//' "$T/check.out")"
	expect_took "the unanswered connect gives up after 1 s plus a margin" 1000 4000
else
	skip "a connect never answered" "no network namespace here: $(cat "$T/netns.err")"
fi
