#!/bin/bash
# hellod-check --proxy v1|v2 against real HAProxy 2.6: an accept-proxy frontend takes each
# header and passes hellod's greeting, and its log shows the addresses the v1 line named. A
# relay frontend without PROXY sits in front of it for that: the header then names the
# connection to the relay, which HAProxy's own view of its peer cannot.
. "$HELLOD_TOP/tests/lib.sh"
. "$HELLOD_TOP/tests/lib-check.sh"

# Usage errors need no peer.
expect_check "--proxy v3 is bad usage, naming v1 and v2" 3 \
    '^HELLOD UNKNOWN - --proxy: "v3" is not a PROXY protocol version; give v1 or v2 ' \
    --proxy v3 -H 127.0.0.1 -p 1 -e x
expect_check "--proxy v1 with --udp is bad usage: no PROXY over UDP" 3 \
    '^HELLOD UNKNOWN - --proxy and -u: hellod reads no PROXY header over UDP' \
    --proxy v1 --udp -H 127.0.0.1 -p 1 -e x
expect_check "-u before --proxy v2 is the same bad usage" 3 '^HELLOD UNKNOWN - --proxy and -u: ' \
    -u --proxy v2 -H 127.0.0.1 -p 1 -e x

if ! command -v haproxy >/dev/null && [ "$(id -u)" = 0 ]; then
	"$HELLOD_TOP/packaging/build-deps.sh" haproxy >"$T/install.log" 2>&1
fi
if ! command -v haproxy >/dev/null; then
	skip "hellod-check --proxy through HAProxy" \
	    "haproxy missing and not root to install it (apt-get install haproxy)"
	exit 0
fi

PORT=$(free_port)   # hellod, plain
PP=$(free_port)     # HAProxy: bind ... accept-proxy, to hellod
RELAY=$(free_port)  # HAProxy: plain TCP, to $PP, adding no header
loopback_conf "$T/hellod.conf" "$PORT"
start_hellod "$T/hellod.conf"

# The log line of each connection names the frontend, the client HAProxy believes in (%ci:%cp,
# the header's source) and the address it believes was dialled (%fi:%fp, its destination).
cat >"$T/haproxy.cfg" <<EOF
global
	log stdout format raw local0
	nbthread 1
	maxconn 64
defaults
	mode tcp
	log global
	log-format "%ft client=%ci:%cp frontend=%fi:%fp"
	timeout connect 2s
	timeout client 5s
	timeout server 5s
frontend pp
	bind 127.0.0.1:$PP accept-proxy
	default_backend hellod
frontend relay
	bind 127.0.0.1:$RELAY
	default_backend pp
backend hellod
	server hellod 127.0.0.1:$PORT
backend pp
	server pp 127.0.0.1:$PP
EOF
haproxy -f "$T/haproxy.cfg" -db >"$T/haproxy.log" 2>"$T/haproxy.err" &
HAPROXY=$!
KILL_PIDS="$KILL_PIDS $HAPROXY"
listening() { [ -n "$(ss -ltnH "sport = :$1")" ]; }
if ! wait_until 10 listening "$PP" || ! wait_until 5 listening "$RELAY"; then
	fail "HAProxy starts" "$(haproxy -v | head -n 1)" "$(cat "$T/haproxy.err")"
	exit 1
fi
pass "HAProxy starts ($(haproxy -v | sed -n '1s/^HAProxy version \([^ ]*\).*/\1/p'))"

# haproxy_logged N: HAProxy's log has N lines or more (it writes each at a connection's end).
haproxy_logged() { [ "$(wc -l <"$T/haproxy.log")" -ge "$1" ]; }
# last_logged FRONTEND: the last log line of FRONTEND.
last_logged() { grep "^$1 " "$T/haproxy.log" | tail -n 1; }

num='[0-9]+\.[0-9]{6}'
perf="time=${num}s;;;0\.000000;10\.000000 size=25B;;;0"
json_is() { jq -e "$1" "$T/check.out" >/dev/null 2>&1; }
expect_check "--proxy v1 through HAProxy's accept-proxy: OK, the greeting passed" 0 \
    "^HELLOD OK - $num s response time on 127\.0\.0\.1 port $PP after a PROXY v1 header \[Thank you for connecting\]\|$perf$" \
    --proxy v1 -p "$PP" --config "$T/hellod.conf"
expect_check "--proxy v2 (LOCAL) through HAProxy's accept-proxy: OK" 0 \
    "^HELLOD OK - $num s response time on 127\.0\.0\.1 port $PP after a PROXY v2 header \[Thank you for connecting\]\|$perf$" \
    --proxy v2 -p "$PP" --config "$T/hellod.conf"

run_check --json --proxy v2 -p "$PP" --config "$T/hellod.conf"
check "--json says which header went out: \"proxy\": \"v2\"" json_is \
    '.code == 0 and .proxy == "v2" and .reply == "Thank you for connecting\n"'

expect_check "without --proxy, HAProxy's accept-proxy never greets: CRITICAL at -t 2" 2 \
    "^HELLOD CRITICAL - reply not ended within 2 s, 0 bytes read, on 127\.0\.0\.1 port $PP\|" \
    -t 2 -p "$PP" --config "$T/hellod.conf"
expect_took "... within the 2 s deadline plus a margin" 2000 4000
wait_until 5 grep -q 'waiting for PROXY protocol header' "$T/haproxy.log"
expect_grep "... and HAProxy logs that it waited for the header" \
    "^127\.0\.0\.1:[0-9]+ .* pp/1: Connection closed while waiting for PROXY protocol header" \
    "$T/haproxy.log"

# Through the relay: hellod-check's connection is to $RELAY, and HAProxy's pp frontend has the
# relay as its peer. With v1 it must log hellod-check's own ends, as the line named them.
lines=$(wc -l <"$T/haproxy.log")
expect_check "--proxy v1 through a plain relay to accept-proxy: OK" 0 \
    "^HELLOD OK - .* port $RELAY after a PROXY v1 header \[Thank you for connecting\]" \
    --proxy v1 -p "$RELAY" --config "$T/hellod.conf"
wait_until 5 haproxy_logged $((lines + 2))
relay_line=$(last_logged relay)
pp_line=$(last_logged pp)
client=${relay_line#relay client=}
client=${client%% *}
expect_eq "the relay saw hellod-check's connection to its port" \
    "relay client=$client frontend=127.0.0.1:$RELAY" "$relay_line"
expect_eq "v1: HAProxy believes the header: client and dialled address are hellod-check's own" \
    "pp client=$client frontend=127.0.0.1:$RELAY" "$pp_line"

# v2 LOCAL: "use the connection's own addresses", so HAProxy logs the relay's connection.
lines=$(wc -l <"$T/haproxy.log")
expect_check "--proxy v2 through the relay: OK" 0 "^HELLOD OK - .* port $RELAY after a PROXY v2 " \
    --proxy v2 -p "$RELAY" --config "$T/hellod.conf"
wait_until 5 haproxy_logged $((lines + 2))
relay_line=$(last_logged relay)
pp_line=$(last_logged pp)
client=${relay_line#relay client=}
client=${client%% *}
pp_client=${pp_line#pp client=}
pp_client=${pp_client%% *}
expect_eq "v2 LOCAL: HAProxy keeps its own address as the one dialled" \
    "frontend=127.0.0.1:$PP" "${pp_line##* }"
if [ -n "$pp_client" ] && [ "$pp_client" != "$client" ]; then
	pass "v2 LOCAL: HAProxy's client is the relay ($pp_client), not hellod-check ($client)"
else
	fail "v2 LOCAL: HAProxy's client is the relay, not hellod-check" "relay: $relay_line" \
	    "pp:    $pp_line"
fi

grep -v 'Connection closed while waiting for PROXY protocol header' "$T/haproxy.log" \
    >"$T/haproxy.rest"
expect_no_grep "HAProxy refused none of the headers it was sent" \
    'PROXY|Received something which does not look like' "$T/haproxy.rest"

check "every status line's perfdata keeps the plugin grammar" perfdata_ok "$T/check.all"

kill "$HAPROXY"
wait "$HAPROXY"
expect_eq "HAProxy stops on SIGTERM with nothing on stderr" "" "$(cat "$T/haproxy.err")"
stop_hellod
