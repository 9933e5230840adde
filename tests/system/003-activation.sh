# SPDX-License-Identifier: BSD-2-Clause
# Socket activation through systemd-socket-activate: TCP, UDP, AF_UNIX; nothing bound itself.
. "$HELLOD_TOP/tests/lib.sh"

if ! command -v systemd-socket-activate >/dev/null; then
	skip "socket activation" "systemd-socket-activate is not installed (package systemd)"
	exit 0
fi

port=$(free_port)
config_port=$(free_port)
# The config names another port and UDP: under activation neither may be used.
printf '[server]\nhost = 127.0.0.1\nport = %s\nudp = yes\n' "$config_port" >"$T/hellod.conf"

socket_activate -l "127.0.0.1:$port" --fdname=hellod-tcp
greeting_of 127.0.0.1 "$port" >"$T/got"
check "TCP: the first connection, accepted by hellod, is greeted" \
	grep -q '^Thank you for connecting$' "$T/got"
greeting_of 127.0.0.1 "$port" >"$T/got"
check "TCP: and the next" grep -q '^Thank you for connecting$' "$T/got"
expect_grep "the adopted socket is logged with its address and name" \
	"Serving TCP on 127.0.0.1:$port \(passed by systemd as hellod-tcp\)" "$T/hellod.log"
expect_eq "nothing is bound from the config (TCP)" "" "$(ss -ltnH "sport = :$config_port")"
expect_eq "nothing is bound from the config (UDP)" "" "$(ss -lunH "sport = :$config_port")"
stop_hellod
expect_eq "SIGTERM under activation: exit 0" 0 "$HSTATUS"

socket_activate --datagram -l "127.0.0.1:$port"
"$CLIENT" udp 127.0.0.1 "$port" >"$T/got"
check "UDP (--datagram): the datagram is answered" grep -q '^Thank you for connecting$' "$T/got"
"$CLIENT" udp 127.0.0.1 "$port" >"$T/got"
check "UDP: and the next" grep -q '^Thank you for connecting$' "$T/got"
expect_grep "the UDP socket is logged" "Serving UDP on 127.0.0.1:$port \(passed by systemd" \
	"$T/hellod.log"
stop_hellod

socket_activate -l "$T/stream.sock"
"$CLIENT" unix "$T/stream.sock" >"$T/got"
check "AF_UNIX stream socket: greeted" grep -q '^Thank you for connecting$' "$T/got"
expect_grep "logged as a unix stream socket" "Serving unix stream on unix:$T/stream.sock" \
	"$T/hellod.log"
stop_hellod

socket_activate --datagram -l "$T/dgram.sock"
"$CLIENT" unixgram "$T/dgram.sock" >"$T/got"
check "AF_UNIX datagram socket: answered" grep -q '^Thank you for connecting$' "$T/got"
stop_hellod

if has_ipv6; then
	socket_activate -l "[::1]:$port"
	greeting_of ::1 "$port" >"$T/got"
	check "IPv6 socket passed: greeted" grep -q '^Thank you for connecting$' "$T/got"
	stop_hellod
else
	skip "IPv6 socket activation" "no ::1 on this machine's loopback"
fi
