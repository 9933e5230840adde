#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Real load balancers in front of hellod with the PROXY protocol, all on loopback: HAProxy 2.6
# (send-proxy and send-proxy-v2, its health check read back from its stats socket) and nginx
# stream (proxy_protocol on), run from etc/examples/ and checked with the commands its guide
# (etc/examples/README.md) shows. Clients come from 127.0.0.2 and up (client -B); the balancers
# connect from 127.0.0.1, hellod's only trusted proxy. hellod must greet each client, log each
# one's own address, cap each source on its own, and count no bad header.
. "$HELLOD_TOP/tests/lib.sh"

EXAMPLES=$HELLOD_TOP/etc/examples
GUIDE=$EXAMPLES/README.md
check_guide "$GUIDE"
expect_guide_cmds "... and shows the configuration checks this test runs (haproxy -c -f, nginx -t)" \
    "$GUIDE" "haproxy -c -f" "nginx -t"

NGINX_STREAM=/usr/lib/nginx/modules/ngx_stream_module.so
have_peers() {
	command -v haproxy >/dev/null && command -v nginx >/dev/null && [ -e "$NGINX_STREAM" ] &&
	    command -v python3 >/dev/null
}
if ! have_peers && [ "$(id -u)" = 0 ]; then
	"$HELLOD_TOP/packaging/build-deps.sh" haproxy nginx libnginx-mod-stream python3 >&2
fi
if ! have_peers; then
	skip "HAProxy and nginx in front of hellod" \
	    "needs haproxy, nginx, libnginx-mod-stream and python3 (apt-get install -y haproxy nginx libnginx-mod-stream python3)"
	exit 0
fi
GREETING="Thank you for connecting"

port=$(free_port)
nowhere=$(free_port)     # hellod-b: no hellod listens there
v1=$(free_port) v2=$(free_port) ng=$(free_port)
CAP=4
cat >"$T/hellod.conf" <<EOF
[server]
host = 127.0.0.1
port = $port
proxy_protocol = yes
trusted_proxies = 127.0.0.1
[limits]
; Empty: the default exempts loopback, which every client here is, from the per-source cap.
exempt =
max_connections_per_source = $CAP
linger_timeout = 10
; A balancer that sends no header is found out in a second.
proxy_timeout = 1
[log]
connections = yes
EOF
start_hellod "$T/hellod.conf"

sed -e "s|@DIR@|$T|g" -e "s|@LISTEN@|127.0.0.1|g" -e "s|@PORT_V1@|$v1|" -e "s|@PORT_V2@|$v2|" \
    -e "s|@HELLOD_A@|127.0.0.1:$port|g" -e "s|@HELLOD_B@|127.0.0.1:$nowhere|g" \
    "$EXAMPLES/haproxy.cfg" >"$T/haproxy.cfg"
sed -e "s|@LISTEN@|127.0.0.1|" -e "s|@PORT@|$ng|" -e "s|@HELLOD@|127.0.0.1:$port|" \
    "$EXAMPLES/nginx-stream.conf" >"$T/nginx.conf"
check "the example haproxy.cfg has no @NAME@ left once filled in" \
    sh -c "! grep -q '@[A-Z_0-9]*@' '$T/haproxy.cfg' '$T/nginx.conf'"
mkdir "$T/nginx"
# nginx's options here: its scratch prefix, the filled-in file, no daemon, no master, a pid file
# of its own.
NGINX_ARGS=(-p "$T/nginx" -c "$T/nginx.conf" -e stderr
    -g "daemon off; master_process off; pid $T/nginx/nginx.pid;")
guide_run "$GUIDE" "haproxy -c -f" /etc/haproxy/haproxy.cfg "$T/haproxy.cfg" \
    >"$T/haproxy-c.out" 2>&1
expect_eq "the guide's haproxy -c -f passes on the filled-in haproxy.cfg" "0 1" \
    "$? $(grep -c '^Configuration file is valid$' "$T/haproxy-c.out")" ||
	sed 's/^/# /' "$T/haproxy-c.out"
guide_run "$GUIDE" "nginx -t" "" "" "${NGINX_ARGS[@]}" >"$T/nginx-t.out" 2>&1
expect_eq "the guide's nginx -t passes on the filled-in nginx-stream.conf" "0 1" \
    "$? $(grep -c 'test is successful$' "$T/nginx-t.out")" || sed 's/^/# /' "$T/nginx-t.out"
haproxy -db -f "$T/haproxy.cfg" >"$T/haproxy.log" 2>&1 &
KILL_PIDS="$KILL_PIDS $!"
nginx "${NGINX_ARGS[@]}" >"$T/nginx.log" 2>&1 &
KILL_PIDS="$KILL_PIDS $!"
listening() { ss -ltnH "sport = :$1" | grep -q LISTEN; }
wait_until 10 listening "$v1" && wait_until 10 listening "$v2" ||
	fail "haproxy listens on $v1 and $v2" "$(cat "$T/haproxy.log")"
wait_until 10 listening "$ng" || fail "nginx listens on $ng" "$(cat "$T/nginx.log")"

# stats_socket SOCKET: stdin to HAProxy's stats socket, its answer on stdout.
stats_socket() {
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read())
while True:
    b = s.recv(65536)
    if not b:
        break
    sys.stdout.buffer.write(b)' "$1"
}
haproxy_cli() { printf '%s\n' "$1" | stats_socket "$T/haproxy.sock"; }
# server_state BACKEND SERVER: the server's status and last check, as HAProxy's stats socket
# shows them ("show stat": pxname,svname,... status is field 18, check_status 37).
server_state() { haproxy_cli 'show stat' | awk -F, -v b="$1" -v s="$2" '$1 == b && $2 == s { print $18, $37 }'; }
state_is() { [ "$(server_state "$1" "$2")" = "$3" ]; }
# state_becomes BACKEND SERVER STATE: polls state_is 5 times a second (each poll is a python3)
# for 10 s at most.
state_becomes() {
	for _ in $(seq 1 50); do
		state_is "$@" && return 0
		sleep 0.2
	done
	return 1
}

# --- HAProxy's health check through the PROXY header ---
for b in hellod hellod-v2; do
	check "HAProxy's tcp-check (PROXY header, expect string Thank) marks $b/hellod-a UP" \
	    state_becomes "$b" hellod-a "UP L7OK" ||
		echo "# $b/hellod-a: $(server_state "$b" hellod-a)"
	check "... and $b/hellod-b, where no hellod listens, DOWN" \
	    state_becomes "$b" hellod-b "DOWN L4CON" ||
		echo "# $b/hellod-b: $(server_state "$b" hellod-b)"
done
# The guide's "show stat" (its console block: the command after "$ ", then what it prints), run
# here with the stats socket's directory for @DIR@ and "socat stdio SOCKET" played by
# stats_socket (socat is not needed otherwise), prints what the guide shows.
awk '/^```/ { inb = !inb && $0 == "```console"; out = 0; next }
    inb && /^\$ echo .show stat. \| socat / { print substr($0, 3); out = 1; next }
    inb && out' "$GUIDE" >"$T/show-stat.guide"
socat() { [ "$1" = stdio ] && [ "$#" = 2 ] && stats_socket "$2"; }
show_stat=$(head -n 1 "$T/show-stat.guide")
name="the guide's show stat on HAProxy's stats socket prints the states the guide shows"
if [ -n "$show_stat" ]; then
	eval "${show_stat//@DIR@/$T}" >"$T/show-stat.out" 2>&1
	expect_eq "$name" "$(tail -n +2 "$T/show-stat.guide")" "$(cat "$T/show-stat.out")"
else
	fail "$name" "no \"\$ echo 'show stat' | socat ...\" in a console block of the guide"
fi

# --- Greetings through HAProxy, and the clients' own addresses in hellod's log ---
# via NAME SOURCE PORT: a client from SOURCE through the balancer on PORT is greeted, and
# hellod's [log] connections names SOURCE and the client's own port (ss saw it connect).
via() {
	"$CLIENT" -t 5000 -B "$2" -P "$3" tcp 127.0.0.1 "$4" >"$T/out" 2>"$T/err"
	v_name="$1: hellod's log names the client, $2:$3, not the balancer's 127.0.0.1"
	if expect_eq "$1: $2 is greeted" "$GREETING" "$(cat "$T/out" "$T/err")"; then
		check "$v_name" \
		    wait_until 5 log_has "Greeting ${2//./\\.}:$3 over TCP \\(from a PROXY header\\)$"
	else
		fail "$v_name" "not greeted"
	fi
}
for src in 127.0.0.2 127.0.0.3; do
	via "HAProxy send-proxy (v1)" "$src" "$(free_port)" "$v1"
	via "HAProxy send-proxy-v2" "$src" "$(free_port)" "$v2"
done

# --- nginx stream proxy_pass with proxy_protocol on ---
via "nginx stream proxy_protocol on" 127.0.0.4 "$(free_port)" "$ng"
via "nginx stream, a second client" 127.0.0.5 "$(free_port)" "$ng"

# --- A flood through HAProxy meets its own per-source cap; another client does not ---
# counters: the line SIGUSR1 logs (STATUS= says the same).
counters() {
	c_seen=$(grep -c 'Serving' "$T/hellod.log")
	kill -USR1 "$HPID"
	wait_until 5 at_least $((c_seen + 1)) 'Serving' "$T/hellod.log" &&
		grep -E 'Serving' "$T/hellod.log" | tail -n 1
}
refused() { counters | grep -Eo "[0-9]+ $1" | cut -d' ' -f1; }
refused_is() { [ "$(refused "$1")" = "$2" ]; }
greeted_from() { grep -Ec "Greeting ${1//./\\.}:" "$T/hellod.log"; }

FLOOD=16
before=$(greeted_from 127.0.0.2)
# Idle clients that never read nor close, each holding its connection through HAProxy until
# the test ends them (10 s at most); hellod, its greeting and FIN sent, lingers on each it
# admitted (linger_timeout = 10) until HAProxy closes its side.
"$LOADGEN" -i -c "$FLOOD" -n "$FLOOD" -t 10000 -b 127.0.0.2 -H 127.0.0.1 -p "$v1" \
    >"$T/flood.json" 2>&1 &
flood=$!
KILL_PIDS="$KILL_PIDS $flood"
check "$FLOOD clients from 127.0.0.2 through HAProxy: $((FLOOD - CAP)) refused over max_connections_per_source ($CAP)" \
    wait_until 5 refused_is "over max_connections_per_source" "$((FLOOD - CAP))" ||
	echo "# $(counters)"
expect_eq "... $CAP admitted and greeted, the cap's worth" "$CAP" \
    "$(( $(greeted_from 127.0.0.2) - before ))"
"$CLIENT" -t 3000 -B 127.0.0.2 tcp 127.0.0.1 "$v1" >"$T/out" 2>&1
expect_eq "... one more from 127.0.0.2 meanwhile gets no greeting" "" \
    "$(grep -F "$GREETING" "$T/out")"
"$CLIENT" -t 3000 -B 127.0.0.3 tcp 127.0.0.1 "$v1" >"$T/out" 2>&1
expect_eq "... while 127.0.0.3, behind the same HAProxy, is greeted (v1)" "$GREETING" "$(cat "$T/out")"
"$CLIENT" -t 3000 -B 127.0.0.3 tcp 127.0.0.1 "$v2" >"$T/out" 2>&1
expect_eq "... and through send-proxy-v2" "$GREETING" "$(cat "$T/out")"
"$CLIENT" -t 3000 -B 127.0.0.4 tcp 127.0.0.1 "$ng" >"$T/out" 2>&1
expect_eq "... and 127.0.0.4 through nginx" "$GREETING" "$(cat "$T/out")"
check "... and 127.0.0.3's greetings are logged under 127.0.0.3" \
    wait_until 5 at_least 4 'Greeting 127\.0\.0\.3:[0-9]+ over TCP \(from a PROXY header\)$' \
    "$T/hellod.log"
kill -TERM "$flood"
wait "$flood"
# Once the flood has let go (HAProxy closes hellod's side as its clients close), 127.0.0.2 is
# welcome again.
greeted_again() {
	[ "$("$CLIENT" -t 3000 -B 127.0.0.2 tcp 127.0.0.1 "$v1" 2>&1)" = "$GREETING" ]
}
check "after the flood, 127.0.0.2 is greeted again" wait_until 5 greeted_again

# --- Every header the balancers sent was valid ---
check "the health checks kept going meanwhile: hellod-a is still UP" \
    state_is hellod hellod-a "UP L7OK"
last=$(counters)
expect_eq "hellod's counters (SIGUSR1, as STATUS=): no refusal without a valid PROXY header (HAProxy's and nginx's were all valid)" \
    "yes no" "$(echo "$last" | grep -q 'greetings: [0-9]* TCP' && echo yes) $(echo "$last" |
    grep -q 'without a valid PROXY header' && echo yes || echo no)" || echo "# $last"
stop_hellod
expect_eq "hellod exits 0" 0 "$HSTATUS"
