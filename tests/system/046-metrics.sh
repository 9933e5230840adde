#!/bin/bash
# The metrics endpoint ([metrics], issue 26) against hellod alone: every series there from the
# start; after known traffic the greeting and refusal counters exact, the connection gauges,
# a failed and a good reload, for 1 and for 4 workers; each bad request's status, HEAD, a body
# never read, a request a byte at a time; a thousand silent connections that leave greetings
# served and the endpoint answering; a denied scraper reset and counted, then let in by a
# reload; and the socket systemd passes by the name "metrics".
. "$HELLOD_TOP/tests/lib.sh"

HOLD=$HELLOD_TOP/tests/tools/hold.py
GREETING="Thank you for connecting"

# request MPORT REQUEST [CLIENT OPTIONS...]: REQUEST (\r \n \xHH escapes) sent to the endpoint
# on MPORT, the whole answer in $T/answer, the body alone in $T/body; returns the client's
# status (0: the answer and the FIN came; 2: a reset).
request() {
	rq_port=$1 rq_text=$2
	shift 2
	"$CLIENT" -t 10000 "$@" chunks 127.0.0.1 "$rq_port" "$rq_text" >"$T/answer" 2>"$T/answer.err"
	rq_rc=$?
	sed '1,/^\r$/d' "$T/answer" >"$T/body"
	return $rq_rc
}
# status_line: the answer's first line, without its CR.
status_line() { head -n 1 "$T/answer" | tr -d '\r'; }
# header NAME: the answer's header's value.
header() { sed -n "s/^$1: \\(.*\\)\\r$/\\1/p" "$T/answer"; }
# scrape MPORT: GET /metrics into $T/body; false unless the answer is 200.
scrape() { request "$1" 'GET /metrics HTTP/1.1\r\nHost: hellod\r\n\r\n' && [ "$(status_line)" = "HTTP/1.1 200 OK" ]; }
# metric SERIES: the series' value in the last scrape's body.
metric() { awk -v s="$1" '$1 == s { print $2 }' "$T/body"; }
# counters: the greeting and refusal series of the last scrape, sorted.
counters() { grep -E '^hellod_(greetings|refused)_total' "$T/body" | sort; }
# scraped_counters_are MPORT EXPECTED: a new scrape's counters are EXPECTED (for wait_until:
# a greeting is counted once its last byte went out, which the client may see first).
scraped_counters_are() { scrape "$1" && [ "$(counters)" = "$2" ]; }
scraped() { scrape "$1" && [ "$(metric "$2")" = "$3" ]; }
# hold PORT COUNT SECONDS SOURCE: tests/tools/hold.py in the background, its output in
# $T/hold.out, waiting until it holds its connections. Sets HOLD_PID.
hold() {
	# Emptied here, not only by the child's redirection, which may come after the first
	# look: an earlier hold's "held" line would then pass for this one's.
	: >"$T/hold.out"
	python3 "$HOLD" "$@" >"$T/hold.out" 2>&1 &
	HOLD_PID=$!
	KILL_PIDS="$KILL_PIDS $HOLD_PID"
	wait_until 40 grep -q '^held' "$T/hold.out"
}
held() { sed -n 's/^held //p' "$T/hold.out"; }
unhold() { kill "$HOLD_PID" 2>/dev/null; wait "$HOLD_PID" 2>/dev/null; }
# start_with CONF LOG: hellod in the background; unlike start_hellod, a hellod that does not
# start (one that refuses [metrics]) is a failure and the test goes on, so that every
# assertion below it says for itself what is missing.
start_with() {
	: >"$2"
	spawn_hellod "$2" -c "$1"
	wait_until 20 grep -q 'Started hellod' "$2" ||
		fail "hellod starts with $(basename "$1")" "$(cat "$2")"
}

# --- Counters, gauges and reloads, exact, for 1 and 4 workers ---
printf 'The first quote\n%%\nThe second\n%%\nThe third\n' >"$T/quotes"
counters_conf() {
	loopback_conf "$T/counters.conf" "$PORT" "udp = yes" "workers = $1" "quotes = $T/quotes" \
	    "proxy_protocol = yes" "trusted_proxies = 127.0.0.6"
	cat >>"$T/counters.conf" <<EOF
[limits]
exempt = 127.0.0.1
tcp_rate = 1
tcp_burst = 2
udp_rate = 1
udp_burst = 1
max_connections_per_source = 2
linger_timeout = 30
proxy_timeout = 30
[access]
deny = 127.0.0.3
[metrics]
listen = 127.0.0.1:$MPORT
[log]
summary_interval = 0
${2:-}
EOF
}

counters_run() {
	W=$1
	PORT=$(free_port)
	MPORT=$(free_port)
	counters_conf "$W"
	t_start=$(date +%s)
	start_with "$T/counters.conf" "$T/hellod.log"

	scrape "$MPORT"
	expect_eq "$W workers: at the start every greeting and refusal series is there, at 0" \
	    "$(cat <<EOF | sort
hellod_greetings_total{proto="tcp"} 0
hellod_greetings_total{proto="udp"} 0
hellod_refused_total{proto="tcp",reason="access"} 0
hellod_refused_total{proto="tcp",reason="evicted"} 0
hellod_refused_total{proto="tcp",reason="max_connections"} 0
hellod_refused_total{proto="tcp",reason="max_connections_per_source"} 0
hellod_refused_total{proto="tcp",reason="proxy_header"} 0
hellod_refused_total{proto="tcp",reason="send_timeout"} 0
hellod_refused_total{proto="tcp",reason="tcp_rate"} 0
hellod_refused_total{proto="udp",reason="access"} 0
hellod_refused_total{proto="udp",reason="loop_guard"} 0
hellod_refused_total{proto="udp",reason="service_port"} 0
hellod_refused_total{proto="udp",reason="udp_max_ratio"} 0
hellod_refused_total{proto="udp",reason="udp_rate"} 0
EOF
)" "$(counters)"
	expect_eq "$W workers: hellod_workers, hellod_quotes and hellod_build_info" \
	    "$W 3 1" "$(metric hellod_workers) $(metric hellod_quotes) \
$(metric "hellod_build_info{version=\"$(sed -n 's/^VERSION = //p' "$HELLOD_TOP/Makefile")\"}")"

	# Greetings: 5 over TCP and 3 over UDP, each from a /24 of its own (the rates' prefix).
	for i in 21 22 23 24 25; do
		"$CLIENT" -B "127.0.$i.1" tcp 127.0.0.1 "$PORT" >/dev/null 2>&1
	done
	for i in 11 12 13; do
		"$CLIENT" -B "127.0.$i.1" udp 127.0.0.1 "$PORT" >/dev/null 2>&1
	done
	# [access] deny: two TCP clients and a datagram.
	"$CLIENT" -B 127.0.0.3 tcp 127.0.0.1 "$PORT" >/dev/null 2>&1
	"$CLIENT" -B 127.0.0.3 tcp 127.0.0.1 "$PORT" >/dev/null 2>&1
	"$CLIENT" -t 300 -B 127.0.0.3 udp 127.0.0.1 "$PORT" >/dev/null 2>&1
	# tcp_rate (burst 2) over 127.0.8.0/24: two greeted, the third refused. Three addresses,
	# so that max_connections_per_source, which counts each, has no say.
	for i in 1 2 3; do
		"$CLIENT" -B "127.0.8.$i" tcp 127.0.0.1 "$PORT" >/dev/null 2>&1
	done
	# udp_rate (burst 1): one answered, the second refused; a 1-byte request is too small.
	"$CLIENT" -B 127.0.7.1 udp 127.0.0.1 "$PORT" >/dev/null 2>&1
	"$CLIENT" -t 300 -B 127.0.7.1 udp 127.0.0.1 "$PORT" >/dev/null 2>&1
	"$CLIENT" -t 300 -s x -B 127.0.15.1 udp 127.0.0.1 "$PORT" >/dev/null 2>&1
	# A source port below 1024 (root only: binding it).
	service_port=0
	if [ "$(id -u)" = 0 ]; then
		"$CLIENT" -t 300 -P 1000 -B 127.0.16.1 udp 127.0.0.1 "$PORT" >/dev/null 2>&1
		service_port=1
	fi
	# max_connections_per_source 2: two held (greeted, lingering), the third refused.
	hold "$PORT" 2 60 127.0.9.1
	holders=$HOLD_PID
	"$CLIENT" -B 127.0.9.1 tcp 127.0.0.1 "$PORT" >/dev/null 2>&1
	# The trusted proxy: a bad header, and a connection waiting for one.
	"$CLIENT" -B 127.0.0.6 chunks 127.0.0.1 "$PORT" 'BOGUS\r\n' >/dev/null 2>&1
	hold "$PORT" 1 60 127.0.0.6
	waiter=$HOLD_PID

	wait_until 5 scraped "$MPORT" 'hellod_connections{state="waiting_header"}' 1
	expect_eq "$W workers: the gauges: 2 lingering, 1 waiting for its header, none sending" \
	    "0 2 1" "$(metric 'hellod_connections{state="open"}') \
$(metric 'hellod_connections{state="lingering"}') \
$(metric 'hellod_connections{state="waiting_header"}')"
	# The proxy's connection ends before its header: a refusal too.
	HOLD_PID=$waiter unhold
	HOLD_PID=$holders unhold
	expected="$(cat <<EOF | sort
hellod_greetings_total{proto="tcp"} 9
hellod_greetings_total{proto="udp"} 4
hellod_refused_total{proto="tcp",reason="access"} 2
hellod_refused_total{proto="tcp",reason="evicted"} 0
hellod_refused_total{proto="tcp",reason="max_connections"} 0
hellod_refused_total{proto="tcp",reason="max_connections_per_source"} 1
hellod_refused_total{proto="tcp",reason="proxy_header"} 2
hellod_refused_total{proto="tcp",reason="send_timeout"} 0
hellod_refused_total{proto="tcp",reason="tcp_rate"} 1
hellod_refused_total{proto="udp",reason="access"} 1
hellod_refused_total{proto="udp",reason="loop_guard"} 0
hellod_refused_total{proto="udp",reason="service_port"} $service_port
hellod_refused_total{proto="udp",reason="udp_max_ratio"} 1
hellod_refused_total{proto="udp",reason="udp_rate"} 1
EOF
)"
	wait_until 5 scraped_counters_are "$MPORT" "$expected"
	expect_eq "$W workers: 9 TCP and 4 UDP greetings and each refusal, exact" "$expected" \
	    "$(counters)"
	wait_until 5 scraped "$MPORT" 'hellod_connections{state="lingering"}' 0
	expect_eq "$W workers: once the clients went, no connection is held" "0 0 0" \
	    "$(metric 'hellod_connections{state="open"}') \
$(metric 'hellod_connections{state="lingering"}') \
$(metric 'hellod_connections{state="waiting_header"}')"

	# The process, as the kernel sees it.
	limit=$(awk '/^Max open files/ { print $4 }' "/proc/$HPID/limits" 2>/dev/null)
	max_fds=$(metric process_max_fds)
	# valgrind keeps a few fds of the limit for itself, and tells hellod the rest.
	if [ -n "$HELLOD_WRAPPER" ] && [ -n "$limit" ] && [ -n "$max_fds" ] &&
	    [ "$max_fds" -le "$limit" ] && [ "$max_fds" -ge $((limit - 64)) ]; then
		max_fds=$limit
	fi
	expect_eq "$W workers: process_max_fds is hellod's soft open files limit" \
	    "limit ${limit:-unknown}" "limit $max_fds"
	start=$(metric process_start_time_seconds)
	fds=$(metric process_open_fds)
	if [ -n "$start" ] && [ "${start%.*}" -ge $((t_start - 2)) ] &&
	    [ "${start%.*}" -le "$(date +%s)" ] && [ "${fds:-0}" -ge 8 ] &&
	    [ "$(metric process_resident_memory_bytes)" -gt 0 ] 2>/dev/null; then
		pass "$W workers: process_start_time_seconds, process_open_fds, resident memory"
	else
		fail "$W workers: process_start_time_seconds, process_open_fds, resident memory" \
		    "started at $t_start, scraped: $(grep '^process_' "$T/body" | tr '\n' ' ')"
	fi

	# Reloads: a broken file, then a good one.
	loaded=$(metric hellod_config_last_reload_success_timestamp_seconds)
	expect_eq "$W workers: before any reload: successful 1, none counted" "1 0 0" \
	    "$(metric hellod_config_last_reload_successful) \
$(metric 'hellod_config_reloads_total{result="success"}') \
$(metric 'hellod_config_reloads_total{result="failure"}')"
	cp "$T/counters.conf" "$T/good.conf"
	counters_conf "$W" "bogus = 1"
	kill -HUP "$HPID"
	wait_until 10 scraped "$MPORT" hellod_config_last_reload_successful 0
	expect_eq "$W workers: a broken file: successful 0, 1 failure, the timestamp kept" \
	    "0 0 1 $loaded" "$(metric hellod_config_last_reload_successful) \
$(metric 'hellod_config_reloads_total{result="success"}') \
$(metric 'hellod_config_reloads_total{result="failure"}') \
$(metric hellod_config_last_reload_success_timestamp_seconds)"
	cp "$T/good.conf" "$T/counters.conf"
	kill -HUP "$HPID"
	wait_until 10 scraped "$MPORT" hellod_config_last_reload_successful 1
	reloaded=$(metric hellod_config_last_reload_success_timestamp_seconds)
	expect_eq "$W workers: a good one: successful 1, 1 success, 1 failure, a later timestamp" \
	    "1 1 1 later" "$(metric hellod_config_last_reload_successful) \
$(metric 'hellod_config_reloads_total{result="success"}') \
$(metric 'hellod_config_reloads_total{result="failure"}') \
$(awk -v a="$loaded" -v b="$reloaded" 'BEGIN { print (b > a ? "later" : b) }')"
	stop_hellod
}

counters_run 1
counters_run 4

# --- Hostile scrapers ---
PORT=$(free_port)
MPORT=$(free_port)
loopback_conf "$T/hostile.conf" "$PORT"
printf '[metrics]\nlisten = 127.0.0.1:%s\nallow = 127.0.0.1\n' "$MPORT" >>"$T/hostile.conf"
start_with "$T/hostile.conf" "$T/hellod.log"

request "$MPORT" 'GET /metrics HTTP/1.0\r\n\r\n'
get_len=$(wc -c <"$T/body")
expect_eq "GET /metrics: 200, the Prometheus text type, Connection: close, its length, the FIN" \
    "0|HTTP/1.1 200 OK|text/plain; version=0.0.4; charset=utf-8|close|$get_len" \
    "$rq_rc|$(status_line)|$(header Content-Type)|$(header Connection)|$(header Content-Length)"
request "$MPORT" 'HEAD /metrics HTTP/1.1\r\nHost: h\r\n\r\n'
expect_eq "HEAD /metrics: 200 and the same headers, no body" \
    "0|HTTP/1.1 200 OK|text/plain; version=0.0.4; charset=utf-8|$get_len|0" \
    "$rq_rc|$(status_line)|$(header Content-Type)|$(header Content-Length)|$(wc -c <"$T/body")"
# bad NAME STATUS REQUEST: REQUEST gets STATUS whole (no reset), and greetings go on.
bad() {
	request "$MPORT" "$3"
	expect_eq "$1: $2, then the FIN; a greeting meanwhile" "0|$2|close|$GREETING" \
	    "$rq_rc|$(status_line)|$(header Connection)|$(greeting_of 127.0.0.1 "$PORT")"
}
bad "another path" "HTTP/1.1 404 Not Found" 'GET /other HTTP/1.0\r\n\r\n'
request "$MPORT" 'HEAD /other HTTP/1.0\r\n\r\n'
expect_eq "HEAD of another path: 404 without a body, then the FIN" \
    "0|HTTP/1.1 404 Not Found|14|0" \
    "$rq_rc|$(status_line)|$(header Content-Length)|$(wc -c <"$T/body")"
bad "another method" "HTTP/1.1 405 Method Not Allowed" 'DELETE /metrics HTTP/1.0\r\n\r\n'
expect_eq "... 405 says which methods are" "GET, HEAD" "$(header Allow)"
bad "HTTP/0.9" "HTTP/1.1 400 Bad Request" 'GET /metrics\r\n\r\n'
bad "HTTP/1.1 without Host" "HTTP/1.1 400 Bad Request" 'GET /metrics HTTP/1.1\r\n\r\n'
bad "a folded header" "HTTP/1.1 400 Bad Request" 'GET /metrics HTTP/1.0\r\nX: a\r\n b\r\n\r\n'
bad "TLS" "HTTP/1.1 400 Bad Request" '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n'
bad "HTTP/2" "HTTP/1.1 505 HTTP Version Not Supported" 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
bad "a 5000-byte header" "HTTP/1.1 431 Request Header Fields Too Large" \
    "GET /metrics HTTP/1.0\\r\\nX: $(head -c 5000 /dev/zero | tr '\0' a)\\r\\n\\r\\n"
bad "8 KiB of request line" "HTTP/1.1 431 Request Header Fields Too Large" \
    "GET /$(head -c 8192 /dev/zero | tr '\0' m)"
# A body is never read: 100 kB after a POST's headers, and the 405 still comes whole.
"$CLIENT" -t 10000 -s $'POST /metrics HTTP/1.1\r\nHost: h\r\nContent-Length: 100000\r\n\r\n' \
    -n 100000 tcp 127.0.0.1 "$MPORT" >"$T/answer" 2>"$T/answer.err"
expect_eq "a POST with a 100 kB body: 405 whole, then the FIN, no reset" \
    "0|HTTP/1.1 405 Method Not Allowed" "$?|$(status_line)"
# One byte at a time, 20 ms apart: answered once whole.
"$CLIENT" -t 10000 -d 20 chunks 127.0.0.1 "$MPORT" 'G' 'E' 'T' ' ' '/' 'm' 'e' 't' 'r' 'i' 'c' \
    's' ' ' 'H' 'T' 'T' 'P' '/' '1' '.' '0' '\r' '\n' '\r' '\n' >"$T/answer" 2>&1
expect_eq "a request one byte every 20 ms: 200" "HTTP/1.1 200 OK" "$(status_line)"
# Silence: 408 at the 3 s deadline.
t0=$(now_ms)
"$CLIENT" -t 10000 tcp 127.0.0.1 "$MPORT" >"$T/answer" 2>&1
ms=$(( $(now_ms) - t0 ))
if [ "$(status_line)" = "HTTP/1.1 408 Request Timeout" ] && [ "$ms" -ge 2900 ] &&
    [ "$ms" -le 6000 ]; then
	pass "a scraper that sends nothing: 408 at the 3 s deadline ($ms ms)"
else
	fail "a scraper that sends nothing: 408 at the 3 s deadline" "after $ms ms: $(cat "$T/answer")"
fi

# A thousand connections that send nothing: greetings go on, a scrape among them is
# answered, every connection beyond the 8 slots is turned away and counted, and once they go
# the endpoint answers as before.
scrape "$MPORT"
refused_before=$(metric 'hellod_metrics_scrapes_refused_total{reason="connections"}')
t0=$(now_ms)
hold "$MPORT" 1000 60 127.0.0.1
n=$(held)
echo "# $n silent connections made in $(( $(now_ms) - t0 )) ms"
t0=$(now_ms)
got=$(greeting_of 127.0.0.1 "$PORT")
ms=$(( $(now_ms) - t0 ))
expect_eq "among 1000 silent scrapers, a greeting comes at once (< 1 s; $ms ms)" \
    "1000|$GREETING|fast" "$n|$got|$([ "$ms" -lt 1000 ] && echo fast)"
expect_eq "... and a scrape among them is answered" "HTTP/1.1 200 OK" \
    "$(scrape "$MPORT"; status_line)"
unhold
wait_until 10 scrape "$MPORT"
refused=$(metric 'hellod_metrics_scrapes_refused_total{reason="connections"}')
if [ -n "$refused" ] && [ $((refused - refused_before)) -ge $((n - 8)) ] &&
    [ $((refused - refused_before)) -le $((n + 1)) ]; then
	pass "once they went, a scrape is answered; $((refused - refused_before)) of them turned away and counted"
else
	fail "once they went, a scrape is answered and the connections beyond 8 are counted" \
	    "$(status_line); connections refused: ${refused:-none} (before: $refused_before), held: $n"
fi

# A denied address: reset at once and counted; a reload lets it in.
request "$MPORT" 'GET /metrics HTTP/1.0\r\n\r\n' -B 127.0.0.2
expect_eq "a scraper from 127.0.0.2, not in allow: reset, nothing answered" "2 0" \
    "$rq_rc $(wc -c <"$T/answer")"
scrape "$MPORT"
expect_eq "... counted in hellod_metrics_scrapes_refused_total{reason=\"access\"}" 1 \
    "$(metric 'hellod_metrics_scrapes_refused_total{reason="access"}')"
sed -i 's/^allow = 127.0.0.1$/allow = 127.0.0.0\/8/' "$T/hostile.conf"
: >"$T/hellod.log"
kill -HUP "$HPID"
wait_until 10 log_has 'Reloaded'
expect_eq "... and once a reload allows 127.0.0.0/8, it is answered" "HTTP/1.1 200 OK" \
    "$(request "$MPORT" 'GET /metrics HTTP/1.0\r\n\r\n' -B 127.0.0.2; status_line)"
stop_hellod

# --- The socket systemd passes as "metrics" ---
if ! command -v systemd-socket-activate >/dev/null; then
	skip "the socket passed as metrics" "systemd-socket-activate is not installed (package systemd)"
	exit 0
fi
PORT=$(free_port)
MPORT=$(free_port)
UNUSED=$(free_port)
printf '[metrics]\nlisten = 127.0.0.1:%s\n' "$UNUSED" >"$T/activated.conf"
: >"$T/hellod.log"
# shellcheck disable=SC2086 # the wrapper is a command line
systemd-socket-activate -l "127.0.0.1:$PORT" -l "127.0.0.1:$MPORT" --fdname=tcp:metrics \
    $HELLOD_WRAPPER "$HELLOD" -c "$T/activated.conf" >>"$T/hellod.log" 2>&1 &
HPID=$!
KILL_PIDS="$KILL_PIDS $HPID"
wait_until 10 sh -c "ss -Hltn 'sport = :$MPORT' | grep -q ." ||
	fail "systemd-socket-activate listens" "$(cat "$T/hellod.log")"
request "$MPORT" 'GET /metrics HTTP/1.0\r\n\r\n' -t 20000
expect_eq "a scrape starts hellod through the socket passed as metrics, and gets the metrics" \
    "HTTP/1.1 200 OK|1" "$(status_line)|$(grep -c '^hellod_build_info{' "$T/body")"
expect_eq "... the greeting is served on the other socket" "$GREETING" \
    "$(greeting_of 127.0.0.1 "$PORT")"
expect_grep "... hellod names it: metrics, passed by systemd as metrics" \
    "Serving metrics on 127\.0\.0\.1:$MPORT \(passed by systemd as metrics\)" "$T/hellod.log"
expect_eq "... and says that [metrics] listen is not used, nor binds it" "1 refused" \
    "$(grep -c '\[metrics\] listen is not used: systemd passed the sockets (the metrics one too)$' \
        "$T/hellod.log") $("$CLIENT" tcp 127.0.0.1 "$UNUSED" 2>&1 | grep -qi 'refused' &&
        echo refused)"
stop_hellod
