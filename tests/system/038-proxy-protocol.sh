# SPDX-License-Identifier: BSD-2-Clause
# The PROXY protocol and [access], against hellod alone (039 puts real HAProxy and nginx in
# front): a trusted proxy's header, v1 or v2, whole or in pieces, names the client; a bad one,
# or none by proxy_timeout, is a reset without a greeting, counted; LOCAL and UNKNOWN are
# greeted; an untrusted peer's header is only data; allow and deny judge the client, the
# PROXY one included, over TCP and UDP, and a reload changes them.
. "$HELLOD_TOP/tests/lib.sh"
. "$HELLOD_TOP/tests/lib-check.sh"

port=$(free_port)
conf=$T/hellod.conf
# The trusted proxy is 127.0.0.1; 127.0.0.2 and up are direct clients (-B binds them).
HOST=127.0.0.1 TIMEOUT=1 EXEMPT='' CLOSE=linger
write_conf() {
	{
		printf '[server]\nhost = %s\nport = %s\nudp = yes\n' "$HOST" "$port"
		printf 'close = %s\n' "$CLOSE"
		printf 'proxy_protocol = yes\ntrusted_proxies = 127.0.0.1\n'
		printf '[limits]\nproxy_timeout = %s\nlinger_timeout = 1\n' "$TIMEOUT"
		printf 'exempt = %s\n' "$EXEMPT"
		printf '[log]\nconnections = yes\n'
		printf '[access]\n'
		for line in "$@"; do
			printf '%s\n' "$line"
		done
	} >"$conf"
}
# via CHUNK...: what a client of the trusted proxy gets after sending CHUNKs; the status
# (0 EOF, 2 reset, 3 timeout) in $T/status.
via() {
	"$CLIENT" -t 5000 chunks 127.0.0.1 "$port" "$@" >"$T/out" 2>"$T/err"
	echo $? >"$T/status"
}
greeted() { [ "$(cat "$T/status")" = 0 ] && [ "$(cat "$T/out")" = "Thank you for connecting" ]; }
reset_without_greeting() { [ "$(cat "$T/status")" = 2 ] && [ ! -s "$T/out" ]; }
# counters: the line SIGUSR1 logs (STATUS= says the same).
counters() {
	c_seen=$(grep -c 'Serving' "$T/hellod.log")
	kill -USR1 "$HPID"
	wait_until 5 at_least $((c_seen + 1)) 'Serving' "$T/hellod.log" &&
		grep -E 'Serving' "$T/hellod.log" | tail -n 1
}
# reload_to LINE...: a reload to write_conf's file with LINEs in [access].
reload_to() {
	write_conf "$@"
	: >"$T/hellod.log"
	kill -HUP "$HPID"
	wait_until 10 log_has 'Reloaded' || fail "hellod reloads" "$(cat "$T/hellod.log")"
}
proxy_refused() { counters | grep -Eo '[0-9]+ without a valid PROXY header' | cut -d' ' -f1; }
denied() { counters | grep -Eo 'denied: [0-9]+' | cut -d' ' -f2; }

SIG='\r\n\r\n\x00\r\nQUIT\n'
# v2 PROXY over TCP/IPv4: 192.0.2.8:5555 to 127.0.0.1:12345.
V2_INET="$SIG"'\x21\x11\x00\x0c\xc0\x00\x02\x08\x7f\x00\x00\x01\x15\xb3\x30\x39'
# v2 PROXY over TCP/IPv6: [2001:db8::9]:5556 to [::1]:12345.
V2_INET6="$SIG"'\x21\x21\x00\x24\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x09'
V2_INET6="$V2_INET6"'\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x15\xb4\x30\x39'

write_conf
start_hellod "$conf"

# --- Headers that name the client ---
via 'PROXY TCP4 192.0.2.7 127.0.0.1 5555 12345\r\n'
check "v1 TCP4 from the trusted proxy: greeted" greeted
check "v1: [log] connections names the header's client, 192.0.2.7:5555" \
	wait_until 5 log_has 'Greeting 192\.0\.2\.7:5555 over TCP \(from a PROXY header\)'
via "$V2_INET"
check "v2 PROXY AF_INET: greeted" greeted
check "v2 AF_INET: the log names 192.0.2.8:5555" \
	wait_until 5 log_has 'Greeting 192\.0\.2\.8:5555 over TCP'
via "$V2_INET6"
check "v2 PROXY AF_INET6: greeted" greeted
check "v2 AF_INET6: the log names [2001:db8::9]:5556" \
	wait_until 5 log_has 'Greeting \[2001:db8::9\]:5556 over TCP'
via 'PROXY TCP6 2001:db8::a ::1 5557 12345\r\n'
check "v1 TCP6: greeted, the log names [2001:db8::a]:5557" sh -c \
	"[ \"\$(cat '$T/status')\" = 0 ] && grep -q 'Greeting \[2001:db8::a\]:5557' '$T/hellod.log'"
# What follows the header is the client's, drained: the greeting still comes whole.
via 'PROXY TCP4 192.0.2.7 127.0.0.1 5558 12345\r\nGET / HTTP/1.0\r\n\r\n'
check "data after the header is drained, the client greeted" greeted

# --- LOCAL and UNKNOWN: the connection's own addresses ---
via "$SIG"'\x20\x00\x00\x00'
check "v2 LOCAL (HAProxy's health check): greeted" greeted
via 'PROXY UNKNOWN\r\n'
check "v1 UNKNOWN: greeted" greeted
via 'PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n'
check "v1 UNKNOWN with addresses (ignored): greeted" greeted
via "$SIG"'\x21\x00\x00\x00'
check "v2 PROXY AF_UNSPEC: greeted" greeted

# --- In pieces ---
header='PROXY TCP4 192.0.2.11 127.0.0.1 6000 12345\r\n'
set --
rest=$header
while [ -n "$rest" ]; do
	case $rest in
	'\r'*) set -- "$@" '\r'; rest=${rest#??} ;;
	'\n'*) set -- "$@" '\n'; rest=${rest#??} ;;
	*) set -- "$@" "$(printf '%.1s' "$rest")"; rest=${rest#?} ;;
	esac
done
TIMEOUT=10
reload_to
"$CLIENT" -t 15000 -d 50 chunks 127.0.0.1 "$port" "$@" >"$T/out" 2>"$T/err"
echo $? >"$T/status"
check "a v1 header one byte at a time, 50 ms apart ($# segments): greeted" greeted
check "... and the log names 192.0.2.11:6000" log_has 'Greeting 192\.0\.2\.11:6000 over TCP'
"$CLIENT" -t 15000 -d 50 chunks 127.0.0.1 "$port" '\r' '\n' '\r' '\n' '\x00' '\r' '\n' 'Q' \
	'U' 'I' 'T' '\n' '\x21' '\x11' '\x00' '\x0c\xc0\x00' '\x02\x08\x7f\x00\x00\x01\x15' \
	'\xb3\x30' '\x39' >"$T/out" 2>"$T/err"
echo $? >"$T/status"
check "a v2 header in 19 pieces, 50 ms apart: greeted" greeted
TIMEOUT=1
reload_to

# --- A header that stops halfway: reset at proxy_timeout, others served meanwhile ---
before=$(proxy_refused)
"$CLIENT" -t 5000 chunks 127.0.0.1 "$port" 'PROXY TCP4 192.0.2' >"$T/half.out" 2>"$T/half.err" &
half=$!
sleep 0.2
other=$("$CLIENT" -B 127.0.0.2 tcp 127.0.0.1 "$port" 2>&1)
expect_eq "while a header waits, a direct client is greeted" "Thank you for connecting" "$other"
via "$V2_INET"
check "... and so is a proxied one" greeted
wait "$half"
half_status=$?
expect_eq "a header that stops halfway: reset at proxy_timeout, nothing sent" "2 0" \
	"$half_status $(wc -c <"$T/half.out")"
expect_eq "... counted as refused without a valid PROXY header" "$(( ${before:-0} + 1 ))" \
	"$(proxy_refused)"

# --- Hostile headers: each a reset, no greeting, counted ---
hostile() {
	h_name=$1
	shift
	before=$(proxy_refused)
	via "$@"
	check "$h_name: reset, no greeting" reset_without_greeting
	expect_eq "$h_name: counted" "$(( ${before:-0} + 1 ))" "$(proxy_refused)"
}
long=$(printf 'x%.0s' $(seq 1 120))
hostile "garbage (an HTTP request)" 'GET / HTTP/1.0\r\n\r\n'
hostile "v1 without CRLF within 107 bytes" "PROXY TCP4 $long"
hostile "v1 with a leading zero in an address" 'PROXY TCP4 192.0.02.7 127.0.0.1 5555 12345\r\n'
hostile "v1 with a leading zero in a port" 'PROXY TCP4 192.0.2.7 127.0.0.1 05555 12345\r\n'
hostile "v1 TCP4 with an IPv6 address" 'PROXY TCP4 2001:db8::1 127.0.0.1 5555 12345\r\n'
hostile "v1 with a bare LF" 'PROXY TCP4 192.0.2.7 127.0.0.1 5555 12345\n'
hostile "v2 with version 1" "$SIG"'\x11\x11\x00\x0c\xc0\x00\x02\x08\x7f\x00\x00\x01\x15\xb3\x30\x39'
hostile "v2 with command 2" "$SIG"'\x22\x11\x00\x0c\xc0\x00\x02\x08\x7f\x00\x00\x01\x15\xb3\x30\x39'
hostile "v2 len shorter than its address block (\\x21\\x12\\x00\\x00)" "$SIG"'\x21\x12\x00\x00'
hostile "v2 AF_INET with len 11" "$SIG"'\x21\x11\x00\x0b\xc0\x00\x02\x08\x7f\x00\x00\x01\x15\xb3\x30'
hostile "v2 over the cap (len 4097)" "$SIG"'\x21\x11\x10\x01'
hostile "v2 with a TLV that overruns the header" \
	"$SIG"'\x21\x11\x00\x10\xc0\x00\x02\x08\x7f\x00\x00\x01\x15\xb3\x30\x39\x01\x00\x05\x41'
hostile "v2 with an unknown family" "$SIG"'\x21\x41\x00\x00'
check "no hostile header was greeted, nor logged as a client" sh -c \
	"! grep -q 'Greeting .*127\\.0\\.0\\.1:.*PROXY header' '$T/hellod.log'"
check "hellod still serves after them" sh -c "[ \"\$('$CLIENT' -B 127.0.0.2 tcp 127.0.0.1 $port)\" = 'Thank you for connecting' ]"

# --- hellod-check, probing as the balancer would ---
run_check -H 127.0.0.1 -p "$port" --proxy v1
expect_grep "hellod-check --proxy v1: OK" '^HELLOD OK .*after a PROXY v1 header' "$T/check.out"
run_check -H 127.0.0.1 -p "$port" --proxy v2
expect_grep "hellod-check --proxy v2 (LOCAL): OK" '^HELLOD OK .*after a PROXY v2 header' "$T/check.out"
run_check -H 127.0.0.1 -p "$port" -t 3
expect_grep "hellod-check -H without --proxy, from a trusted address: CRITICAL (reset)" \
	'^HELLOD CRITICAL' "$T/check.out"
run_check --config "$conf"
expect_grep "hellod-check --config: the config trusts its address, so it sends v2 LOCAL: OK" \
	'^HELLOD OK .*after a PROXY v2 header' "$T/check.out"

# --- An untrusted peer's header is data, not believed ---
"$CLIENT" -B 127.0.0.3 chunks 127.0.0.1 "$port" 'PROXY TCP4 192.0.2.99 127.0.0.1 7777 12345\r\n' \
	>"$T/out" 2>"$T/err"
echo $? >"$T/status"
check "a header from an untrusted address is drained as data: greeted" greeted
check "... and the log names the real peer, 127.0.0.3" log_has 'Greeting 127\.0\.0\.3:[0-9]+ over TCP$'
check "... never the forged 192.0.2.99" sh -c "! grep -q '192\\.0\\.2\\.99' '$T/hellod.log'"

# --- [access] ---
direct() { "$CLIENT" -t 3000 -B "$1" tcp 127.0.0.1 "$port" >"$T/out" 2>"$T/err"; echo $? >"$T/status"; }
reload_to 'deny = 127.0.0.4' 'allow ='
before=$(denied)
direct 127.0.0.4
check "deny = 127.0.0.4: that client is reset without a greeting" reset_without_greeting
direct 127.0.0.5
check "... another is greeted" greeted
expect_eq "... the denial is counted as denied" "$(( ${before:-0} + 1 ))" "$(denied)"
EXEMPT=127.0.0.0/8
reload_to 'deny = 127.0.0.4'
direct 127.0.0.4
check "exempt does not exempt from deny (127.0.0.4 is in exempt = 127.0.0.0/8)" \
	reset_without_greeting
EXEMPT=
reload_to 'allow = 127.0.0.6' 'deny = 127.0.0.0/8'
direct 127.0.0.6
check "longest match: allow = 127.0.0.6 inside deny = 127.0.0.0/8 is greeted" greeted
direct 127.0.0.7
check "... 127.0.0.7 is not" reset_without_greeting
reload_to 'allow = 127.0.0.0/8' 'deny = 127.0.0.0/8'
direct 127.0.0.6
check "a tie goes to deny" reset_without_greeting
reload_to 'allow = 127.0.0.8'
direct 127.0.0.9
check "allow set, no match: reset" reset_without_greeting
direct 127.0.0.8
check "allow set, a match: greeted" greeted
# The reload changes both lists at once.
reload_to 'deny = 127.0.0.9'
direct 127.0.0.9
check "after a reload to deny = 127.0.0.9, 127.0.0.9 is reset" reset_without_greeting
direct 127.0.0.8
check "... and 127.0.0.8, no longer the only one allowed, still greeted" greeted
direct 127.0.0.10
check "... and 127.0.0.10, denied by the earlier allow list, now greeted" greeted

# deny applies to the PROXY header's client, not to the proxy.
reload_to 'deny = 192.0.2.66'
via 'PROXY TCP4 192.0.2.66 127.0.0.1 5555 12345\r\n'
check "deny = 192.0.2.66: that client behind the proxy is reset" reset_without_greeting
via 'PROXY TCP4 192.0.2.67 127.0.0.1 5555 12345\r\n'
check "... 192.0.2.67 behind the same proxy is greeted" greeted
via "$SIG"'\x20\x00\x00\x00'
check "... and the proxy's own LOCAL health check too" greeted

# UDP: a denied datagram gets no reply.
reload_to 'deny = 127.0.0.11'
before=$(denied)
"$CLIENT" -t 1000 -B 127.0.0.11 udp 127.0.0.1 "$port" >"$T/out" 2>&1
expect_eq "UDP from a denied address: no reply (the client times out)" "3" "$?"
got=$("$CLIENT" -t 3000 -B 127.0.0.12 udp 127.0.0.1 "$port" 2>&1)
expect_eq "UDP from another: the greeting" "Thank you for connecting" "$got"
expect_eq "the UDP denial is counted as denied" "$(( ${before:-0} + 1 ))" "$(denied)"

# An IPv4 client on a dual-stack socket, as hellod.socket's ListenStream=12345 makes it: its
# peer is ::ffff:127.0.0.1, which must meet the IPv4 rules. [::] is bound in a network
# namespace of the test's own, whose only interface is its loopback.
in_netns() { unshare -n sh -c 'ip link set lo up && exec "$@"' sh "$@"; }
if [ "$(id -u)" = 0 ] && command -v systemd-socket-activate >/dev/null && has_ipv6 &&
    in_netns true 2>/dev/null; then
	cat >"$T/mapped.sh" <<-EOF
	systemd-socket-activate -l $port $HELLOD_WRAPPER "$HELLOD" -c "$T/mapped.conf" \
		>"$T/mapped.log" 2>&1 &
	pid=\$!
	for i in \$(seq 1 100); do
		grep -q 'Started hellod' "$T/mapped.log" 2>/dev/null && break
		sleep 0.05
	done
	"$CLIENT" -t 3000 tcp 127.0.0.1 $port >"$T/mapped.v4" 2>&1; echo "v4 \$?"
	"$CLIENT" -t 3000 tcp ::1 $port >"$T/mapped.v6" 2>&1; echo "v6 \$?"
	kill \$pid
	wait \$pid
	EOF
	printf '[access]\ndeny = 127.0.0.1\n[log]\nconnections = yes\n' >"$T/mapped.conf"
	in_netns sh "$T/mapped.sh" >"$T/mapped.out" 2>&1
	expect_eq "a dual-stack socket: deny = 127.0.0.1 resets the IPv4 client (::ffff:127.0.0.1)" \
		"v4 2" "$(grep '^v4' "$T/mapped.out")"
	expect_eq "... and greets ::1" "v6 0" "$(grep '^v6' "$T/mapped.out")"
	check "... on the one dual-stack socket [::]:$port that it was passed" \
		grep -q "serving TCP \\[::\\]:$port\$" "$T/mapped.log"
else
	skip "dual-stack access" "needs root, systemd-socket-activate, IPv6 and unshare -n"
fi

# close = fast: a proxied client whose request came with its header, and then the rest of it
# a line every 100 ms, can send it all and still gets its greeting and a clean EOF. The one
# recv() that read the header took the request's first line as well, which close = fast's own
# look would then miss: closed at once, its later lines would meet a reset ("send: Broken
# pipe"). Such a client talked, and lingers.
CLOSE=fast
reload_to
for i in 1 2 3; do
	"$CLIENT" -t 5000 -d 100 chunks 127.0.0.1 "$port" "${V2_INET}GET / HTTP/1.0\r\n" \
	    'Host: x\r\n' 'Accept: */*\r\n' '\r\n' >"$T/out" 2>"$T/err"
	echo $? >"$T/status"
	check "close = fast: a request begun with the header, a line per 100 ms: greeted ($i)" \
		greeted
done
CLOSE=linger
reload_to

# IPv6.
if has_ipv6; then
	stop_hellod
	HOST=::1
	write_conf 'deny = ::1'
	start_hellod "$conf"
	"$CLIENT" -t 3000 tcp ::1 "$port" >"$T/out" 2>"$T/err"
	echo $? >"$T/status"
	check "IPv6: deny = ::1 resets ::1" reset_without_greeting
	reload_to 'allow = 127.0.0.0/8'
	"$CLIENT" -t 3000 tcp ::1 "$port" >"$T/out" 2>"$T/err"
	echo $? >"$T/status"
	check "IPv6: an IPv4 allow list does not let ::1 in" reset_without_greeting
	reload_to 'allow = ::1'
	"$CLIENT" -t 3000 tcp ::1 "$port" >"$T/out" 2>"$T/err"
	echo $? >"$T/status"
	check "IPv6: allow = ::1 lets ::1 in" greeted
else
	skip "IPv6 access" "no ::1 on this machine"
fi
stop_hellod
