# SPDX-License-Identifier: BSD-2-Clause
# Where hellod listens: UDP, IPv6, "*" on both families, backlog, service names, greeting.
. "$HELLOD_TOP/tests/lib.sh"

port=$(free_port)
printf '[server]\nhost = 127.0.0.1\nport = %s\nudp = yes\nbacklog = 77\ngreeting = Custom\tgreeting, caf\303\251\n' \
	"$port" >"$T/hellod.conf"
start_hellod "$T/hellod.conf"
printf 'Custom\tgreeting, caf\303\251\n' >"$T/expected"

greeting_of 127.0.0.1 "$port" >"$T/got"
check "a custom greeting (tab, UTF-8) is sent as configured" cmp -s "$T/expected" "$T/got"
"$CLIENT" udp 127.0.0.1 "$port" >"$T/udp"
check "a UDP datagram gets one datagram holding the greeting line" cmp -s "$T/expected" "$T/udp"
if "$CLIENT" -t 500 -s "" udp 127.0.0.1 "$port" >"$T/udp0" 2>&1; then
	fail "an empty UDP datagram gets no answer (no reply larger than its request)" \
		"$(cat "$T/udp0")"
else
	expect_grep "an empty UDP datagram gets no answer (no reply larger than its request)" \
		'timed out' "$T/udp0"
fi
backlog=$(ss -ltnH "sport = :$port" | awk '{print $3}')
expect_eq "backlog = 77 is the listen queue ss -ltn shows" 77 "$backlog"
stop_hellod

if has_ipv6; then
	printf '[server]\nhost = ::1\nport = %s\n' "$port" >"$T/v6.conf"
	start_hellod "$T/v6.conf"
	greeting_of ::1 "$port" >"$T/got"
	check "host = ::1 serves IPv6" grep -q '^Thank you for connecting$' "$T/got"
	if "$CLIENT" -t 1000 tcp 127.0.0.1 "$port" >/dev/null 2>&1; then
		fail "host = ::1 does not serve IPv4" "127.0.0.1 answered"
	else
		pass "host = ::1 does not serve IPv4"
	fi
	stop_hellod

	printf '[server]\nhost = *\nport = %s\nudp = yes\n' "$port" >"$T/all.conf"
	start_hellod "$T/all.conf"
	for addr in 127.0.0.1 ::1; do
		greeting_of "$addr" "$port" >"$T/got"
		check "host = * answers TCP on $addr" grep -q '^Thank you for connecting$' "$T/got"
		"$CLIENT" udp "$addr" "$port" >"$T/got"
		check "host = * answers UDP on $addr" grep -q '^Thank you for connecting$' "$T/got"
	done
	# Dual stack as two sockets: [::] with IPV6_V6ONLY beside 0.0.0.0.
	ss -ltnH "sport = :$port" | awk '{print $4}' | sort >"$T/ss"
	printf '0.0.0.0:%s\n[::]:%s\n' "$port" "$port" | sort >"$T/ss.expected"
	check "host = * listens on 0.0.0.0 and [::] (V6ONLY)" cmp -s "$T/ss.expected" "$T/ss"
	stop_hellod
else
	skip "IPv6 on ::1 and host = *" "this machine's loopback has no ::1"
fi

# A port given by service name: a /etc/services entry above 1024 whose port is free here.
service=""
if [ -r /etc/services ]; then
	while read -r name spec _; do
		num=${spec%/tcp}
		[ "$num" != "$spec" ] && [ "$num" -gt 1024 ] 2>/dev/null || continue
		if [ -z "$(ss -ltnH "sport = :$num")" ]; then
			service=$name
			break
		fi
	done </etc/services
fi
if [ -n "$service" ]; then
	printf '[server]\nhost = 127.0.0.1\nport = %s\n' "$service" >"$T/svc.conf"
	start_hellod "$T/svc.conf"
	greeting_of 127.0.0.1 "$num" >"$T/got"
	check "port = $service serves on port $num from /etc/services" \
		grep -q '^Thank you for connecting$' "$T/got"
	stop_hellod
else
	skip "port by service name" "no free service port above 1024 in /etc/services"
fi

# Port in use: a clear error and exit status 71, in the foreground too.
printf '[server]\nhost = 127.0.0.1\nport = %s\n' "$port" >"$T/busy.conf"
start_hellod "$T/busy.conf"
hellod -c "$T/busy.conf" >"$T/second.log" 2>&1
expect_eq "a second hellod on a port in use exits 71" 71 "$?"
expect_grep "... saying which address and why" \
	"Failed to listen on 127.0.0.1:$port \(TCP\): Address already in use" "$T/second.log"
stop_hellod
