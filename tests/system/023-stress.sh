# SPDX-License-Identifier: BSD-2-Clause
# Faults and load: out of fds (no spin, recovery), 100 reloads under load, SIGTERM under load
# and drain_timeout, and clients that send first over a slow or delayed link between two
# network namespaces. Bounded in count and time; figures are counts, CPU is a share.
# hellod-serial: load and out-of-fd pauses, bounded in time
# hellod-timed: what it asserts is about time or load, which an emulator distorts
. "$HELLOD_TOP/tests/lib.sh"

port=$(free_port)
conf=$T/hellod.conf
printf '[server]\nhost = 127.0.0.1\nport = %s\n' "$port" >"$conf"
# cpu_ticks PID: user and system time so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
# whole FILE: loadgen saw no wrong byte and no part-greeting.
whole() {
	[ "$(json_field errors "$1")" = 0 ] && [ "$(json_field partial "$1")" = 0 ] &&
	    [ "$(json_field truncated "$1")" = 0 ]
}

# Out of fds: with RLIMIT_NOFILE cut to what hellod holds, accept() fails with EMFILE. 500
# clients wait meanwhile; hellod pauses its listener instead of spinning, and serves them all
# once the limit is raised.
start_hellod "$conf"
# The lowest free fd number: a new fd needs one below the limit. Read once hellod's fds have
# stopped changing (under valgrind one closed just after "Started" could leave a free number
# below the limit: accepts then went on by evicting, with no pause to log).
fd_list() { ls "/proc/$HPID/fd" | sort -n | tr '\n' ' '; }
fds_settled() {
	a=$(fd_list)
	sleep 0.3
	[ "$a" = "$(fd_list)" ]
}
wait_until 10 fds_settled
free_fd=0
while [ -e "/proc/$HPID/fd/$free_fd" ]; do
	free_fd=$((free_fd + 1))
done
prlimit --pid "$HPID" --nofile="$free_fd:"
"$LOADGEN" -p "$port" -c 500 -n 500 -t 30000 -d 60 >"$T/emfile" &
clients=$!
if wait_until 10 log_has \
    'Failed to accept a connection: Too many open files; pausing for 100 ms'; then
	pass "out of fds: hellod says it pauses"
else
	fail "out of fds: hellod says it pauses" "limit $free_fd, fds $(fd_list); log: \
$(tail -n 5 "$T/hellod.log")"
fi
t0=$(cpu_ticks "$HPID")
sleep 2
used=$(( $(cpu_ticks "$HPID") - t0 ))
pct=$(( used * 100 / (2 * hz) ))
if [ "$pct" -le 20 ]; then
	pass "EMFILE with 500 clients waiting: hellod uses $pct% of a CPU (a spin is 100%)"
else
	fail "EMFILE with 500 clients waiting: hellod uses at most 20% of a CPU" "$pct%"
fi
prlimit --pid "$HPID" --nofile=4096:
wait "$clients"
expect_eq "... and greets all 500 once fds are back" 500 "$(json_field ok "$T/emfile")"
stop_hellod

# The same under `ulimit -n 64` from the start: room for few connections, 500 clients at
# once, the oldest lingering ones evicted; no spin, and every client served.
: >"$T/hellod.log"
( ulimit -n 64 && exec $HELLOD_WRAPPER "$HELLOD" -c "$conf" >>"$T/hellod.log" 2>&1 ) &
HPID=$!
KILL_PIDS="$KILL_PIDS $HPID"
wait_until 20 log_has 'Started hellod'
t0=$(cpu_ticks "$HPID")
"$LOADGEN" -p "$port" -i -c 500 -n 500 -t 2000 -d 60 >"$T/idle" &
idle=$!
sleep 0.5
"$LOADGEN" -p "$port" -c 8 -n 2000 -t 10000 -d 60 >"$T/load"
wait "$idle"
used=$(( $(cpu_ticks "$HPID") - t0 ))
expect_eq "ulimit -n 64, 500 idle clients holding on: 2000 of 2000 new clients greeted" 2000 \
	"$(json_field ok "$T/load")"
check "... whole" whole "$T/load"
el=$(awk -v e="$(json_field elapsed_s "$T/idle")" 'BEGIN { printf "%d", e * 100 }')
pct=$(( used * 100 * 100 / (el * hz) ))
if [ "$pct" -le 50 ]; then
	pass "... hellod used $pct% of a CPU meanwhile"
else
	fail "... hellod used at most 50% of a CPU meanwhile" "$pct%"
fi
stop_hellod
expect_eq "... and stops with status 0" 0 "$HSTATUS"

# 100 reloads while 16 clients keep connecting: not one failed greeting.
start_hellod "$conf"
"$LOADGEN" -p "$port" -c 16 -n 10000000 -t 10000 -d 120 >"$T/reloads" &
clients=$!
sleep 0.2
for i in $(seq 1 100); do
	printf '[server]\nhost = 127.0.0.1\nport = %s\n[limits]\nlinger_timeout = %s\n' \
		"$port" $((i % 2 + 2)) >"$conf"
	kill -HUP "$HPID"
	wait_until 10 at_least "$i" 'Reloaded' "$T/hellod.log" || break
done
sleep 0.2
kill -INT "$clients"    # loadgen reports what it did so far
wait "$clients"
expect_eq "100 reloads under load" 100 "$(grep -c 'Reloaded' "$T/hellod.log")"
ok=$(json_field ok "$T/reloads")
expect_eq "... zero failed greetings ($ok greeted)" "$(json_field "done" "$T/reloads")" "$ok"

# SIGTERM under load: no greeting cut, status 0.
"$LOADGEN" -p "$port" -c 64 -n 10000000 -t 10000 -d 120 >"$T/term" &
clients=$!
sleep 0.5
stop_hellod
kill -INT "$clients"
wait "$clients"
expect_eq "SIGTERM under load: hellod exits 0" 0 "$HSTATUS"
check "... no client got part of a greeting ($(json_field ok "$T/term") whole)" whole "$T/term"

# drain_timeout bounds how long a stop waits for clients that never close: here it alone
# can end the wait, linger_timeout being a minute.
printf '[server]\nhost = 127.0.0.1\nport = %s\n[limits]\ndrain_timeout = 0.5\nlinger_timeout = 60\n' \
	"$port" >"$conf"
start_hellod "$conf"
base=$(fds_of "$HPID")
"$LOADGEN" -p "$port" -i -c 3 -n 3 -t 30000 -d 60 >"$T/idle" &
idle=$!
wait_until 5 fds_at_least $((base + 3))
kill -TERM "$HPID"
check "drain_timeout = 0.5 with 3 clients holding on: hellod ends the wait (linger_timeout is 60 s)" \
	wait_until 20 hellod_gone
stop_hellod
expect_eq "... and exits 0" 0 "$HSTATUS"
expect_grep "... having let them go" 'drain_timeout passed, closing 3 connections' \
	"$T/hellod.log"
kill "$idle" 2>/dev/null
