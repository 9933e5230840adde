# SPDX-License-Identifier: BSD-2-Clause
# Lingering connections: cut off at the deadline, awaited by a graceful stop, evicted when
# file descriptors run short.
. "$HELLOD_TOP/tests/lib.sh"

port=$(free_port)
conf=$T/hellod.conf
printf '[server]\nhost = 127.0.0.1\nport = %s\n' "$port" >"$conf"
fds_are() { [ "$(ls "/proc/$HPID/fd" | wc -l)" = "$1" ]; }

start_hellod "$conf"
base=$(ls "/proc/$HPID/fd" | wc -l)
# A client that takes the greeting but never closes holds a slot until the 5 s deadline.
exec 3<>"/dev/tcp/127.0.0.1/$port"
if wait_until 5 fds_are $((base + 1)) && wait_until 10 fds_are "$base"; then
	pass "a client that never closes is cut off at the linger deadline"
else
	fail "a client that never closes is cut off at the linger deadline" \
		"hellod holds $(ls "/proc/$HPID/fd" | wc -l) fds, $base at rest"
fi
exec 3<&-

# SIGTERM with a client lingering: stop accepting, wait for it, then exit 0.
exec 3<>"/dev/tcp/127.0.0.1/$port"
wait_until 5 fds_are $((base + 1))
kill -TERM "$HPID"
wait_until 5 log_has 'waiting up to 5 s for 1 clients'
check "SIGTERM with a client lingering: hellod waits for it" kill -0 "$HPID"
if "$CLIENT" -t 1000 tcp 127.0.0.1 "$port" >/dev/null 2>&1; then
	fail "... while no longer accepting" "a new connection was greeted"
else
	pass "... while no longer accepting"
fi
exec 3<&-
wait_until 5 sh -c "! kill -0 $HPID 2>/dev/null"
check "... and exits once the client has closed" sh -c "! kill -0 $HPID 2>/dev/null"
wait "$HPID"
expect_eq "... with status 0" 0 "$?"

# Few fds (ulimit -n 64): 50 clients that never close must not lock out the next one.
: >"$T/hellod.log"
( ulimit -n 64 && exec $HELLOD_WRAPPER "$HELLOD" -c "$conf" >>"$T/hellod.log" 2>&1 ) &
HPID=$!
KILL_PIDS="$KILL_PIDS $HPID"
wait_until 20 log_has 'Started hellod'
held=""
for i in $(seq 1 50); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$port" && held="$held $fd"
done
"$CLIENT" -t 2000 tcp 127.0.0.1 "$port" >"$T/got" 2>"$T/err"
check "with fds short, a new client is greeted at once (the oldest idle one is evicted)" \
	grep -q '^Thank you for connecting$' "$T/got"
for fd in $held; do
	exec {fd}<&-
done
stop_hellod
expect_eq "... and hellod stops cleanly afterwards" 0 "$HSTATUS"
