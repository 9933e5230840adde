# SPDX-License-Identifier: BSD-2-Clause
# Issue 14, item 3: a service manager that does not read $NOTIFY_SOCKET never freezes hellod.
# Its queue (net.unix.max_dgram_qlen, 10 by default) fills with watchdog pings, reloads and
# STATUS= updates; hellod keeps serving, reloading and stopping, and what it could not send
# arrives, coalesced, once the reader reads again.
# hellod-serial: a stalled service manager, timed
# hellod-timed: what it asserts is about time or load, which an emulator distorts
. "$HELLOD_TOP/tests/lib.sh"

port=$(free_port)
conf=$T/hellod.conf
loopback_conf "$conf" "$port"

# The reader reads nothing for 15 s, then everything. Every check of serving is done before
# it reads again (asserted below): afterwards a frozen hellod would thaw.
stall_t0=$(now_ms)
"$CLIENT" -w 15000 -t 40000 notify "$T/notify" >"$T/notify.out" &
KILL_PIDS="$KILL_PIDS $!"
wait_until 5 grep -q listening "$T/notify.out"
: >"$T/hellod.log"
# A watchdog ping every 50 ms fills a queue of 10 within a second.
NOTIFY_SOCKET=$T/notify WATCHDOG_USEC=100000 spawn_hellod "$T/hellod.log" -c "$conf"
wait_until 20 log_has 'Started hellod' || fail "hellod starts" "$(cat "$T/hellod.log")"
sleep 1

for _ in $(seq 1 12); do
	kill -HUP "$HPID"
	sleep 0.1
done
wait_until 3 at_least 12 'Reloaded' "$T/hellod.log"
expect_eq "item 3: 12 reloads while the reader is stalled all happen" 12 \
	"$(grep -c 'Reloaded' "$T/hellod.log")"
greeting_of 127.0.0.1 "$port" >"$T/got" 2>&1
expect_eq "item 3: ... and a client is still greeted" "Thank you for connecting" "$(cat "$T/got")"
ok=0
for _ in $(seq 1 20); do
	[ "$("$CLIENT" -t 300 tcp 127.0.0.1 "$port" 2>&1)" = "Thank you for connecting" ] &&
		ok=$((ok + 1))
done
expect_eq "item 3: ... 20 of 20" 20 "$ok"
expect_grep "item 3: hellod says once that the service manager is not reading" \
	'not reading .NOTIFY_SOCKET' "$T/hellod.log"
expect_eq "item 3: ... once only" 1 "$(grep -c 'not reading .NOTIFY_SOCKET' "$T/hellod.log")"
check "item 3: (these checks ran while the reader was still stalled)" \
	test $(( $(now_ms) - stall_t0 )) -lt 15000

# Once the reader reads, the last state reaches it: ready and serving, after the reloads.
if wait_until 25 grep -q '^WATCHDOG=1$' "$T/notify.out" &&
    wait_until 5 sh -c "tac '$T/notify.out' | grep -m1 -E '^(READY|RELOADING)=1' | grep -q READY"; then
	pass "item 3: the reader, once it reads, is told READY=1 after the last reload"
else
	fail "item 3: the reader, once it reads, is told READY=1 after the last reload" \
	    "$(tail -n 20 "$T/notify.out")"
fi

t0=$(now_ms)
kill -TERM "$HPID"
if wait_until 10 hellod_gone; then
	pass "item 3: SIGTERM stops it ($(( $(now_ms) - t0 )) ms)"
else
	fail "item 3: SIGTERM stops it" "$(cat "$T/hellod.log")"
	kill -9 "$HPID"
fi
wait "$HPID"
expect_eq "item 3: ... with status 0" 0 "$?"
