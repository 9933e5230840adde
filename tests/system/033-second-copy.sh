# SPDX-License-Identifier: BSD-2-Clause
# Issue 14, item 8: a second hellod on a port another process listens on fails with 71 "in
# use", whatever its workers; a PID file that names a live hellod is refused, not overwritten.
. "$HELLOD_TOP/tests/lib.sh"

port=$(free_port)
conf=$T/w2.conf
loopback_conf "$conf" "$port" 'workers = 2' 'udp = yes'

hellod -d -c "$conf" -P "$T/same.pid" >"$T/first.out" 2>&1
expect_eq "item 8: the first hellod -d with workers = 2 starts" 0 "$?"
first=$(cat "$T/same.pid")
KILL_PIDS="$KILL_PIDS $first"

for w in 2 1 4; do
	loopback_conf "$T/w$w.conf" "$port" "workers = $w" 'udp = yes'
	hellod -d -c "$T/w$w.conf" -P "$T/other$w.pid" >"$T/second.out" 2>&1
	status=$?
	expect_eq "item 8: a second copy on the same port with workers = $w exits 71" 71 "$status"
	expect_grep "item 8: ... saying the address is in use" \
		"127.0.0.1:$port \((TCP|UDP)\): Address already in use" "$T/second.out"
	[ -e "$T/other$w.pid" ] && KILL_PIDS="$KILL_PIDS $(cat "$T/other$w.pid")"
done
expect_eq "item 8: ... so one hellod serves the port" 1 \
	"$(pgrep -fc -- "-c $T/w[0-9].conf")"

# The same PID file, another port: the file names a live hellod and is refused.
port2=$(free_port)
loopback_conf "$T/p2.conf" "$port2" 'workers = 2'
hellod -d -c "$T/p2.conf" -P "$T/same.pid" >"$T/pid.out" 2>&1
expect_eq "item 8: a second hellod with the same, locked PID file exits 71" 71 "$?"
expect_grep "item 8: ... naming the file and the PID that holds it" \
	"PID file $T/same.pid is locked by a running hellod \(PID $first\)" "$T/pid.out"
expect_eq "item 8: ... and the PID file still names the first" "$first" "$(cat "$T/same.pid")"
check "item 8: ... which still serves" kill -0 "$first"
[ -n "$(pgrep -f -- "-c $T/p2.conf")" ] && KILL_PIDS="$KILL_PIDS $(pgrep -f -- "-c $T/p2.conf")"

# A PID file left by a hellod that died (nothing holds its lock) is taken over.
kill -KILL "$first"
wait_until 10 test ! -e "/proc/$first"
hellod -d -c "$T/p2.conf" -P "$T/same.pid" >"$T/stale.out" 2>&1
expect_eq "item 8: a stale PID file (its hellod was killed) is taken over" 0 "$?"
new=$(cat "$T/same.pid")
KILL_PIDS="$KILL_PIDS $new"
check "item 8: ... and names the new hellod" test "$new" != "$first" -a -e "/proc/$new"
kill -TERM "$new"
wait_until 10 test ! -e "/proc/$new"
check "item 8: ... which removes it at its end" test ! -e "$T/same.pid"
