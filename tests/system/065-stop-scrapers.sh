# SPDX-License-Identifier: BSD-2-Clause
# The metrics endpoint's slots and a stop that waits (issue 24: metrics.c's and server.c's
# remaining paths): with all 8 scraper slots held by scrapers that have their answer and keep
# the connection, a ninth is answered (the oldest gives way) and none is counted refused. A stop
# that waits for a lingering client closes a silent scraper's connection at once, a SIGHUP
# meanwhile does not reload ("Stopping, not reloading"), and a second SIGTERM ends the wait:
# exit 0 long before drain_timeout. About 1 s.
. "$HELLOD_TOP/tests/lib.sh"

port=$(free_port)
mport=$(free_port)
loopback_conf "$T/hellod.conf" "$port" "[limits]" "drain_timeout = 30" "linger_timeout = 30" \
	"[metrics]" "listen = 127.0.0.1:$mport"
start_hellod "$T/hellod.conf"

# Eight scrapers read their whole answer (to the FIN) and hold on; a ninth scrapes.
python3 - "$mport" >"$T/scrapes" 2>&1 <<'PY'
import socket, sys

port = int(sys.argv[1])


def scrape():
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: hellod\r\n\r\n")
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            return s, data.decode(errors="replace")
        data += b


held = [scrape() for _ in range(8)]
for _, text in held:
    print("held:", text.splitlines()[0] if text else "(nothing)")
_, text = scrape()
print("ninth:", text.splitlines()[0] if text else "(nothing)")
print("\n".join(l for l in text.splitlines() if l.startswith("hellod_metrics_scrapes_refused")))
PY
expect_eq "8 scrapers holding their answered connections were each answered" 8 \
	"$(grep -c '^held: HTTP/1.1 200 OK' "$T/scrapes")"
expect_grep "... and a ninth is answered too, the oldest giving way" '^ninth: HTTP/1.1 200 OK' \
	"$T/scrapes"
expect_grep "... no scraper counted as refused for want of a slot" \
	'^hellod_metrics_scrapes_refused_total\{reason="connections"\} 0$' "$T/scrapes"

# A greeted client that keeps its connection, and a scraper that says nothing.
exec 3<>"/dev/tcp/127.0.0.1/$port"
read -r -t 5 -u 3 greeting
expect_eq "a client is greeted and keeps its connection" "Thank you for connecting" "$greeting"
fds=$(fds_of "$HPID")
exec 4<>"/dev/tcp/127.0.0.1/$mport"
check "a silent scraper's connection is taken" wait_until 5 fds_at_least $((fds + 1))

kill -TERM "$HPID"
check "SIGTERM waits for the lingering client" \
	wait_until 5 log_has "Stopping: waiting up to 30 s for 1 clients to close"
timeout 5 cat <&4 >"$T/scraper.got"
expect_eq "... and closes the silent scraper's connection at once (EOF, nothing sent)" "0 0" \
	"$? $(wc -c <"$T/scraper.got")"
exec 4<&-
kill -HUP "$HPID"
check "a SIGHUP while stopping is not a reload" wait_until 5 log_has "Stopping, not reloading"
check "... and hellod is still waiting" hellod_running
t0=$(now_ms)
stop_hellod TERM
expect_eq "a second SIGTERM ends the wait: exit 0" 0 "$HSTATUS"
took=$(( $(now_ms) - t0 ))
check "... at once, not after drain_timeout (${took} ms)" test "$took" -lt 10000
exec 3<&-
expect_no_grep "no reload happened" "Reloading|Reloaded" "$T/hellod.log"
