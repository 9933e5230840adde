# SPDX-License-Identifier: BSD-2-Clause
# [limits]: one abusive source does not deny others (max_connections_per_source); tcp_rate
# and udp_rate are token buckets per prefix, a forged-source style flood included; exempt
# sources are left alone; 1000 idle clients cost a slot each until linger_timeout and no
# more; max_connections evicts the oldest lingering client; what was refused is counted in
# STATUS= and summarised in one log line per period. Figures are counts bounded by the limits
# over the time loadgen measured; no timing is asserted.
# hellod-serial: per-source rates, which count time
# hellod-timed: what it asserts is about time or load, which an emulator distorts
. "$HELLOD_TOP/tests/lib.sh"

port=$(free_port)
conf=$T/hellod.conf
base_conf() {
	printf '[server]\nhost = 127.0.0.1\nport = %s\nudp = yes\n' "$port"
	printf '[log]\nsummary_interval = 1\n[limits]\nlinger_timeout = 1\n'
}
# at_most WHAT MAX VALUE / at_least_n MIN VALUE
at_most() {
	if [ "$3" -le "$2" ]; then
		pass "$1 ($3, at most $2)"
	else
		fail "$1" "$3, more than $2"
	fi
}
at_least_n() { [ "$2" -ge "$1" ]; }
# bound BURST RATE FILE: what a token bucket lets through over loadgen's run, plus one.
bound() {
	awk -v b="$1" -v r="$2" -v e="$(json_field elapsed_s "$3")" \
		'BEGIN { printf "%d", b + r * e + 1 }'
}
reload() {
	: >"$T/hellod.log"
	kill -HUP "$HPID"
	wait_until 10 log_has 'Reloaded' || fail "hellod reloads" "$(cat "$T/hellod.log")"
}

notify_listen
{ base_conf; printf 'exempt =\nmax_connections_per_source = 16\n'; } >"$conf"
: >"$T/hellod.log"
NOTIFY_SOCKET=$T/notify spawn_hellod "$T/hellod.log" -c "$conf"
wait_until 20 notified '^READY=1$' || fail "hellod starts" "$(cat "$T/hellod.log")"

# 10,000 connections from one abusive source, each held 300 ms without reading, while a
# polite client from another address connects 2000 times.
"$LOADGEN" -p "$port" -b 127.0.0.2 -i -c 256 -n 10000 -t 300 -d 120 >"$T/abuse" &
abuser=$!
sleep 0.2
"$LOADGEN" -p "$port" -b 127.0.0.3 -c 4 -n 2000 -t 5000 -d 120 >"$T/polite"
wait "$abuser"
ok=$(json_field ok "$T/polite")
if [ "$ok" -ge 1980 ]; then
	pass "an abusive source (10,000 connections): a polite client keeps >= 99% ($ok of 2000)"
else
	fail "an abusive source (10,000 connections): a polite client keeps >= 99%" \
		"$(cat "$T/polite")"
fi
expect_eq "... the abusive source made its 10,000 connections" 10000 \
	"$(json_field "done" "$T/abuse")"
# A slot is held 300 ms: 16 at once are at most 16 per 300 ms.
max=$(awk -v e="$(json_field elapsed_s "$T/abuse")" 'BEGIN { printf "%d", 16 * (e / 0.3 + 2) }')
at_most "... and held at most 16 connections at once" "$max" "$(json_field ok "$T/abuse")"
if wait_until 5 notified 'TCP refused: [0-9]+ over max_connections_per_source$'; then
	pass "STATUS= counts the refused connections"
else
	fail "STATUS= counts the refused connections" "$(grep STATUS "$T/notify.out" | tail -n 1)"
fi
check "one summary line per period says so, naming the key" wait_until 5 \
	log_has '^hellod: Limits in the last 1 s: TCP refused: [0-9]+ over max_connections_per_source$'

# tcp_rate, per /32 here; only 127.0.0.1 exempt.
{ base_conf; printf 'tcp_rate = 5\ntcp_burst = 5\nrate_prefix_ipv4 = 32\nexempt = 127.0.0.1\n'; } \
	>"$conf"
reload
"$LOADGEN" -p "$port" -b 127.0.0.4 -c 100 -n 100 -t 5000 -d 60 >"$T/rate"
got=$(json_field ok "$T/rate")
at_most "tcp_rate = 5, tcp_burst = 5: of 100 connections at once, greeted" \
	"$(bound 5 5 "$T/rate")" "$got"
check "... at least the burst of them" at_least_n 5 "$got"
"$LOADGEN" -p "$port" -b 127.0.0.5 -c 1 -n 5 -t 5000 -d 60 >"$T/rate"
expect_eq "... another address (another /32) meanwhile: 5 of 5" 5 "$(json_field ok "$T/rate")"
"$LOADGEN" -p "$port" -b 127.0.0.1 -c 20 -n 500 -t 5000 -d 60 >"$T/rate"
expect_eq "... 127.0.0.1, exempt: 500 of 500" 500 "$(json_field ok "$T/rate")"
check "... the summary line counts tcp_rate and names the prefix" wait_until 5 \
	log_has 'TCP refused: [0-9]+ over tcp_rate; over a rate limit: 1 prefix, the busiest 127.0.0.4/32'

# udp_rate (the default 20/s, burst here 20) per /24: one source, then a forged-source style
# flood from 512 addresses in three /24s, while an exempt client is answered.
{ base_conf; printf 'udp_burst = 20\nexempt = 127.0.0.1\n'; } >"$conf"
reload
"$LOADGEN" -u -p "$port" -b 127.0.0.2 -l 512 -w 16 -n 400 -t 200 -d 60 >"$T/udp"
got=$(json_field ok "$T/udp")
at_most "udp_rate = 20, udp_burst = 20: of 400 requests from one source, answered" \
	"$(bound 20 20 "$T/udp")" "$got"
check "... at least the burst of them" at_least_n 20 "$got"
"$LOADGEN" -u -p "$port" -b 127.1.0.1+512 -l 512 -w 256 -S 128 -n 4000 -t 200 -d 60 \
	>"$T/flood" &
flood=$!
"$LOADGEN" -u -p "$port" -l 512 -w 8 -n 2000 -t 2000 -d 60 >"$T/udp"
wait "$flood"
# UDP: the flood may overflow the socket's receive buffer, and then a request is lost.
ok=$(json_field ok "$T/udp")
if [ "$ok" -ge 1980 ]; then
	pass "... 127.0.0.1 (exempt) during a flood: >= 99% answered ($ok of 2000)"
else
	fail "... 127.0.0.1 (exempt) during a flood: >= 99% answered" "$(cat "$T/udp")"
fi
got=$(json_field ok "$T/flood")
at_most "... the flood from 512 sources in 3 prefixes: of 4000 requests, answered" \
	"$((3 * $(bound 20 20 "$T/flood")))" "$got"
# Bytes out per byte in: 25-byte replies to 512-byte requests, and only some.
ratio=$(awk -v o="$got" 'BEGIN { printf "%.4f", o * 25 / (4000 * 512) }')
check "... bytes out / bytes in = $ratio, at most udp_max_ratio (1)" \
	awk -v r="$ratio" 'BEGIN { exit !(r <= 1) }'
"$LOADGEN" -u -p "$port" -b 127.1.0.1+512 -l 1 -w 256 -S 128 -n 4000 -t 200 -d 60 >"$T/flood"
expect_eq "... the same flood of 1-byte requests: 0 bytes out" 0 "$(json_field ok "$T/flood")"
check "... the summary line names the busiest prefix" wait_until 5 \
	log_has 'UDP refused: ([0-9]+ too small or from a service port, )?[0-9]+ over udp_rate; over a rate limit: [0-9]+ prefix(es)?, the busiest 127\.1\.[0-2]\.0/24'

# 1000 idle clients that never read nor close (loopback: exempt) hold a slot each until
# linger_timeout (1 s), not longer, and new clients are greeted meanwhile.
base_conf >"$conf"
reload
base=$(fds_of "$HPID")
"$LOADGEN" -p "$port" -i -c 1000 -n 1000 -t 8000 -d 60 >"$T/idle" &
idle=$!
check "1000 idle clients: hellod holds a connection for each" wait_until 5 \
	fds_at_least $((base + 1000))
"$LOADGEN" -p "$port" -c 4 -n 500 -t 5000 -d 60 >"$T/rate"
expect_eq "... new clients are greeted meanwhile: 500 of 500" 500 "$(json_field ok "$T/rate")"
check "... and every slot is free again after linger_timeout, the clients still holding on" \
	wait_until 5 fds_at_most "$base"
wait "$idle"
expect_eq "... none of the 1000 was reset" 0 "$(json_field resets "$T/idle")"

# max_connections: at the limit the oldest lingering client makes room.
{ base_conf; printf 'max_connections = 8\nlinger_timeout = 10\n'; } | sed '/^linger_timeout = 1$/d' \
	>"$conf"
reload
"$LOADGEN" -p "$port" -i -c 20 -n 20 -t 3000 -d 60 >"$T/idle" &
idle=$!
check "max_connections = 8: 20 idle clients hold 8 slots" wait_until 5 fds_at_least $((base + 8))
"$LOADGEN" -p "$port" -c 2 -n 50 -t 5000 -d 60 >"$T/rate"
expect_eq "... new clients are greeted: 50 of 50" 50 "$(json_field ok "$T/rate")"
check "... hellod never holds more than 8" fds_at_most $((base + 8))
wait "$idle"
if wait_until 5 notified 'TCP evicted: [0-9]+ to make room'; then
	pass "... STATUS= counts the evictions"
else
	fail "... STATUS= counts the evictions" "$(grep STATUS "$T/notify.out" | tail -n 1)"
fi

stop_hellod
expect_eq "hellod exits 0" 0 "$HSTATUS"
