# SPDX-License-Identifier: BSD-2-Clause
# Issue 23: every client gets its own greeting, whole, or a documented refusal. A rendered line
# belongs to its connection (item 1); a cache of the day's quote survives no reload that frees
# its list (2); a PROXY header's deadline counts from when hellod took the connection, not from
# before a stall (3), is read when it arrives (4), and half of one then a FIN is refused at once
# (5); a v2 LOCAL header is accepted whatever its block (6). The clients are tests/tools/own.py.
# hellod-serial: a header's latency (item 4) and SIGSTOP sequences
. "$HELLOD_TOP/tests/lib.sh"

OWN="$HELLOD_TOP/tests/tools/own.py"
port=$(free_port)
conf=$T/hellod.conf
# write_conf [LINE...]: 'Hello $remote_addr' behind the trusted proxy 127.0.0.1, 4 slots; LINEs
# go to [limits]; CLOSE and PT set close and proxy_timeout.
write_conf() {
	{
		printf '[server]\nhost = 127.0.0.1\nport = %s\nclose = %s\n' "$port" "${CLOSE:-linger}"
		# shellcheck disable=SC2016 # the greeting's variable, for hellod
		printf 'greeting = Hello $remote_addr\n'
		printf 'proxy_protocol = yes\ntrusted_proxies = 127.0.0.1\n'
		printf '[limits]\nmax_connections = 4\nlinger_timeout = 5\nproxy_timeout = %s\n' \
		    "${PT:-5}"
		for line in "$@"; do
			printf '%s\n' "$line"
		done
	} >"$conf"
}
# counters: the line SIGUSR1 logs.
counters() {
	c_seen=$(grep -c 'Serving' "$T/hellod.log")
	kill -USR1 "$HPID"
	wait_until 5 at_least $((c_seen + 1)) 'Serving' "$T/hellod.log" &&
		grep -E 'Serving' "$T/hellod.log" | tail -n 1
}
proxy_refused() { counters | grep -Eo '[0-9]+ without a valid PROXY header' | cut -d' ' -f1; }

# --- Item 1: a full table, a proxied client's header and a direct client at the same moment.
for CLOSE in linger fast; do
	write_conf
	start_hellod "$conf"
	if python3 "$OWN" mixed "$port" "$HPID" 8 >"$T/mixed" 2>&1; then
		pass "item 1, close = $CLOSE: 8 rounds of a direct client accepted while a proxied client's header completes in a full table: each got its own line"
	else
		fail "item 1, close = $CLOSE: each client gets its own line" "$(cat "$T/mixed")"
	fi
	check "item 1, close = $CLOSE: hellod still runs" hellod_running
	stop_hellod
done
CLOSE=linger

# --- Item 2: two reloads within one second, the second to a file of one quote.
quotes=$T/quotes
# many N: N quotes, 'quote 0' to 'quote N-1'.
many() { i=0; while [ "$i" -lt "$1" ]; do printf 'quote %s\n%%\n' "$i"; i=$((i + 1)); done; }
many 101 >"$T/many"
printf 'the only quote\n' >"$T/one"
cp "$T/many" "$quotes"
{
	printf '[server]\nhost = 127.0.0.1\nport = %s\n' "$port"
	# shellcheck disable=SC2016 # the greeting's variable, for hellod
	printf 'greeting = $quote\nquotes = %s\nquote_rotation = daily\n' "$quotes"
} >"$conf"
# The reload waits for a file quiet for 0.1 s; this one never changes.
touch -d '1 minute ago' "$conf"
start_hellod "$conf"
# Today's quote must not be the first: a stale cache would then point where the one-quote
# list has its quote. Another count of quotes gives another day's index.
if [ "$(greeting_of 127.0.0.1 "$port")" = "quote 0" ]; then
	many 102 >"$T/many"
fi
if python3 "$OWN" quotes "$port" "$HPID" "$T/hellod.log" "$quotes" "$T/many" "$T/one" \
    "the only quote" 3 >"$T/quotes.out" 2>&1; then
	pass "item 2: a greeting, then two reloads within one second, the second to one quote: the next client gets that quote, hellod lives"
else
	fail "item 2: two reloads within one second" "$(cat "$T/quotes.out")" \
	    "$(tail -n 5 "$T/hellod.log")"
fi
grep '^# attempt' "$T/quotes.out"
if hellod_running; then
	stop_hellod
fi

# --- Item 3: a stall inside an accept burst (the stall shim: what SIGSTOP or a debugger does).
if [ -n "$HELLOD_CROSS" ]; then
	skip "item 3: proxy_timeout counts from when the connection was taken" \
	    "the stall shim is the host's, not $HELLOD_CROSS's (LD_PRELOAD)"
else
	PT=1 write_conf 'max_connections = 64'
	sed -i 's/^max_connections = 4$//' "$conf"
	asan=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	ASAN_OPTIONS=$asan LD_PRELOAD=$HELLOD_BUILD/tests/stall.so HELLOD_STALL_FILE=$T/stall \
	    HELLOD_STALL_MS=1500 start_hellod "$conf"
	if python3 "$OWN" stall "$port" "$T/stall" 1500 10 >"$T/stall.out" 2>&1; then
		pass "item 3: 10 proxied clients that came and sent half a header during a 1.5 s stall, the rest 0.1 s after it, proxy_timeout = 1: all greeted"
	else
		fail "item 3: clients that came during a stall keep their proxy_timeout" \
		    "$(cat "$T/stall.out")"
	fi
	stop_hellod
fi

# --- Item 4: a header 1 ms after the handshake is read when it arrives. Before, it waited for
# the table's 10 ms sweep: a floor no wakeup could beat. The bound below is half of it.
write_conf
start_hellod "$conf"
if [ -n "$HELLOD_EMULATED" ]; then
	skip "item 4: a header is read when it arrives" "under $HELLOD_CROSS's emulation a wakeup alone can take milliseconds"
elif python3 "$OWN" latency "$port" 15 >"$T/latency" 2>&1; then
	read -r proxied direct <"$T/latency"
	echo "# median from the header to the greeting: $proxied us; a whole direct connection: $direct us"
	if [ "$proxied" -lt 5000 ]; then
		pass "item 4: a PROXY header sent 1 ms after the handshake is greeted within 5 ms (median $proxied us; direct $direct us)"
	else
		fail "item 4: a PROXY header sent 1 ms after the handshake is greeted within 5 ms" \
		    "median $proxied us; a whole direct connection $direct us"
	fi
else
	fail "item 4: proxied clients greeted" "$(cat "$T/latency")"
fi
stop_hellod

# --- Item 5: half a header, then the proxy's FIN: reset at once, counted, the slot free.
PT=30 write_conf
start_hellod "$conf"
fds_before=$(fds_of "$HPID")
python3 "$OWN" halffin "$port" >"$T/halffin"
read -r how bytes ms <"$T/halffin"
echo "# half a header then FIN: $how after $ms ms, $bytes bytes"
if { [ "$how" = reset ] || [ "$how" = eof ]; } && [ "$bytes" = 0 ] && [ "$ms" -lt 5000 ]; then
	pass "item 5: half a header then a FIN: closed without a greeting long before proxy_timeout = 30 s ($how after $ms ms)"
else
	fail "item 5: half a header then a FIN is closed at once" "$how after $ms ms, $bytes bytes"
fi
expect_eq "item 5: ... counted as without a valid PROXY header" 1 "$(proxy_refused)"
check "item 5: ... and its fd is closed (hellod holds as many fds as before)" \
	wait_until 5 fds_at_most "$fds_before"

# --- Item 6: v2 LOCAL, whatever its family and block: the proxy's own connection, greeted.
SIG=0d0a0d0a000d0a515549540a
# raw NAME HEX EXPECTED: what the trusted proxy gets for those bytes.
raw() {
	python3 "$OWN" raw "$port" "$2" >"$T/raw"
	expect_eq "$1" "$3" "$(cat "$T/raw")"
}
raw "item 6: v2 LOCAL with family INET and length 0: greeted as the proxy itself" \
	"${SIG}20110000" "eof Hello 127.0.0.1"
raw "item 6: v2 LOCAL with family INET6 and a 3-byte block: greeted" \
	"${SIG}20210003616263" "eof Hello 127.0.0.1"
raw "item 6: v2 LOCAL with unknown family and transport nibbles: greeted" \
	"${SIG}20ff0000" "eof Hello 127.0.0.1"
raw "item 6: v2 PROXY with family INET and length 0 is still reset" \
	"${SIG}21110000" "reset "
raw "item 6: v2 LOCAL over the 4096-byte cap is still reset" \
	"${SIG}20111001" "reset "
check "hellod still runs" hellod_running
stop_hellod
expect_eq "hellod exits 0" 0 "$HSTATUS"
