# SPDX-License-Identifier: BSD-2-Clause
# sd_notify (READY, STATUS with counters, RELOADING, STOPPING) and SIGHUP with good and bad files.
. "$HELLOD_TOP/tests/lib.sh"

port=$(free_port)
conf=$T/hellod.conf
printf '[server]\nhost = 127.0.0.1\nport = %s\nudp = yes\n[log]\nconnections = yes\n' \
	"$port" >"$conf"

notify_listen

# READY=1 must come only once the socket accepts: connect the moment it arrives.
: >"$T/hellod.log"
NOTIFY_SOCKET=$T/notify spawn_hellod "$T/hellod.log" -c "$conf"
if wait_until 20 notified '^READY=1$'; then
	greeting_of 127.0.0.1 "$port" >"$T/got"
	check "READY=1 is sent, and the port serves when it arrives" \
		grep -q '^Thank you for connecting$' "$T/got"
else
	fail "READY=1 is sent" "$(cat "$T/notify.out")"
fi
expect_grep "STATUS= says what is served" \
	"^STATUS=Serving TCP 127.0.0.1:$port, UDP 127.0.0.1:$port; greetings: 0 TCP, 0 UDP" \
	"$T/notify.out"

greeting_of 127.0.0.1 "$port" >/dev/null
greeting_of 127.0.0.1 "$port" >/dev/null
"$CLIENT" udp 127.0.0.1 "$port" >/dev/null
if wait_until 5 notified 'greetings: 3 TCP, 1 UDP'; then
	pass "STATUS= counts greetings live (3 TCP, 1 UDP)"
else
	fail "STATUS= counts greetings live (3 TCP, 1 UDP)" "$(grep STATUS "$T/notify.out")"
fi
expect_grep "connections = yes logs each greeting with the client address" \
	'Greeting 127\.0\.0\.1:[0-9]+ over TCP' "$T/hellod.log"

# A good reload: RELOADING=1 with MONOTONIC_USEC, then READY=1; the new greeting at once,
# the new log level at once.
printf '[server]\nhost = 127.0.0.1\nport = %s\nudp = yes\ngreeting = Reloaded\n[log]\nlevel = warning\nconnections = yes\n' \
	"$port" >"$conf"
ready_before=$(grep -c '^READY=1$' "$T/notify.out")
kill -HUP "$HPID"
wait_until 10 at_least $((ready_before + 1)) '^READY=1$' "$T/notify.out"
expect_grep "SIGHUP: RELOADING=1 with MONOTONIC_USEC" '^RELOADING=1$' "$T/notify.out"
expect_grep "... MONOTONIC_USEC= is a number" '^MONOTONIC_USEC=[0-9]+$' "$T/notify.out"
expect_eq "... and READY=1 after it" "$((ready_before + 1))" \
	"$(grep -c '^READY=1$' "$T/notify.out")"
expect_grep "the reload is logged" "Reloaded $conf" "$T/hellod.log"
greeting_of 127.0.0.1 "$port" >"$T/got"
check "the new greeting is served at once" grep -q '^Reloaded$' "$T/got"
"$CLIENT" udp 127.0.0.1 "$port" >"$T/got"
check "... over UDP too" grep -q '^Reloaded$' "$T/got"
lines=$(grep -c 'Greeting 127' "$T/hellod.log")
greeting_of 127.0.0.1 "$port" >/dev/null
sleep 0.2
expect_eq "level = warning takes effect at once: no more info lines" "$lines" \
	"$(grep -c 'Greeting 127' "$T/hellod.log")"

# A broken reload: each error with file:line, the old configuration keeps serving.
printf '[server]\nhost = 127.0.0.1\nport = %s\ngreeting = Broken\nbacklog = lots\n[nope]\n' \
	"$port" >"$conf"
ready_before=$(grep -c '^READY=1$' "$T/notify.out")
kill -HUP "$HPID"
wait_until 10 at_least $((ready_before + 1)) '^READY=1$' "$T/notify.out"
expect_grep "a broken reload names file:line and the problem" \
	"$conf:5: backlog = 'lots': not a number; allowed: 1-65535" "$T/hellod.log"
expect_grep "... every error of it" "$conf:6: unknown section \[nope\]" "$T/hellod.log"
expect_grep "... and says the old configuration stays" \
	"Reloading $conf failed, still serving the previous configuration" "$T/hellod.log"
greeting_of 127.0.0.1 "$port" >"$T/got"
check "the previous greeting keeps being served" grep -q '^Reloaded$' "$T/got"
expect_eq "READY=1 follows the failed reload too" "$((ready_before + 1))" \
	"$(grep -c '^READY=1$' "$T/notify.out")"

# A listen change needs a restart, and says so.
printf '[server]\nhost = 127.0.0.1\nport = %s\n' "$(free_port)" >"$conf"
kill -HUP "$HPID"
wait_until 10 log_has 'take effect at the next start'
expect_grep "a changed port is reported as needing a restart" 'take effect at the next start' \
	"$T/hellod.log"
greeting_of 127.0.0.1 "$port" >"$T/got"
check "... and the old port keeps serving" grep -q '^Thank you for connecting$' "$T/got"

stop_hellod
expect_eq "SIGTERM: exit status 0" 0 "$HSTATUS"
expect_grep "STOPPING=1 is sent" '^STOPPING=1$' "$T/notify.out"

# SIGINT stops as SIGTERM does.
start_hellod "$conf"
stop_hellod INT
expect_eq "SIGINT: exit status 0" 0 "$HSTATUS"

# WatchdogSec=: with $WATCHDOG_USEC (and $WATCHDOG_PID naming it) hellod pings WATCHDOG=1.
"$CLIENT" -t 60000 notify "$T/wd" >"$T/wd.out" &
KILL_PIDS="$KILL_PIDS $!"
wait_until 5 grep -q listening "$T/wd.out"
: >"$T/hellod.log"
NOTIFY_SOCKET=$T/wd WATCHDOG_USEC=200000 sh -c 'WATCHDOG_PID=$$ exec $0 "$@"' \
	$HELLOD_WRAPPER "$HELLOD" -c "$conf" >>"$T/hellod.log" 2>&1 &
HPID=$!
KILL_PIDS="$KILL_PIDS $HPID"
if wait_until 10 at_least 3 '^WATCHDOG=1$' "$T/wd.out"; then
	pass "WATCHDOG_USEC=200000: WATCHDOG=1 keeps coming"
else
	fail "WATCHDOG_USEC=200000: WATCHDOG=1 keeps coming" "$(cat "$T/wd.out")"
fi
# At half the interval (every 100 ms: 20 in 2 s), not stretched by sd-event's default timer
# slack of 250 ms (8 in 2 s), which would let systemd's 200 ms timeout pass between two.
wd0=$(grep -c '^WATCHDOG=1$' "$T/wd.out")
sleep 2
wd1=$(grep -c '^WATCHDOG=1$' "$T/wd.out")
check "... at half WATCHDOG_USEC: 12 or more in 2 s ($((wd1 - wd0)))" test $((wd1 - wd0)) -ge 12
stop_hellod

loopback_conf "$T/plain.conf" "$port"
# $NOTIFY_SOCKET as an abstract address ("@name", as systemd may pass it): READY=1 reaches it.
abstract="@hellod-test-$$-$port"
"$CLIENT" -t 60000 notify "$abstract" >"$T/abstract.out" &
KILL_PIDS="$KILL_PIDS $!"
wait_until 5 grep -q listening "$T/abstract.out"
: >"$T/hellod.log"
NOTIFY_SOCKET=$abstract spawn_hellod "$T/hellod.log" -c "$T/plain.conf"
if wait_until 20 at_least 1 '^READY=1$' "$T/abstract.out"; then
	pass "NOTIFY_SOCKET=@abstract: READY=1 arrives"
else
	fail "NOTIFY_SOCKET=@abstract: READY=1 arrives" "$(cat "$T/abstract.out" "$T/hellod.log")"
fi
stop_hellod
expect_eq "... and it stops with 0" 0 "$HSTATUS"

# Neither a path nor @abstract: said so once, and served all the same.
: >"$T/hellod.log"
NOTIFY_SOCKET=run/notify spawn_hellod "$T/hellod.log" -c "$T/plain.conf"
wait_until 20 log_has 'Started hellod'
expect_grep "NOTIFY_SOCKET=run/notify (relative) is refused, with a warning" \
	'NOTIFY_SOCKET=run/notify is not an AF_UNIX path or @abstract address, ignoring' \
	"$T/hellod.log"
greeting_of 127.0.0.1 "$port" >"$T/got"
check "... and hellod serves all the same" grep -q '^Thank you for connecting$' "$T/got"
stop_hellod
expect_eq "... and stops with 0" 0 "$HSTATUS"
