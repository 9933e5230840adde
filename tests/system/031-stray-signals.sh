# SPDX-License-Identifier: BSD-2-Clause
# Issue 14, item 6: stray signals whose default action ends a process (a logrotate snippet
# written for another daemon sends SIGUSR1) never kill hellod. SIGUSR1 logs the counters;
# SIGUSR2, SIGALRM, SIGQUIT, SIGPWR, SIGVTALRM, SIGPROF, SIGIO, SIGSTKFLT and the real-time
# signals are ignored.
. "$HELLOD_TOP/tests/lib.sh"

port=$(free_port)
conf=$T/hellod.conf
loopback_conf "$conf" "$port"
start_hellod "$conf"
greeting_of 127.0.0.1 "$port" >/dev/null

kill -USR1 "$HPID"
if wait_until 5 log_has 'Serving TCP 127.0.0.1:[0-9]+; greetings: 1 TCP, 0 UDP'; then
	pass "item 6: SIGUSR1 logs the counters"
else
	fail "item 6: SIGUSR1 logs the counters" "$(cat "$T/hellod.log")"
fi
for sig in USR1 USR2 ALRM QUIT PWR VTALRM PROF IO STKFLT RTMIN RTMIN+3 RTMAX; do
	# qemu-user 7.2 hands the host's SIGRTMIN+n to the guest as signal 32+n, so the host's
	# SIGRTMIN arrives as signal 32, which glibc keeps for itself and no program can ignore.
	if [ "$sig" = RTMIN ] && [ -n "$HELLOD_EMULATED" ]; then
		skip "item 6: SIGRTMIN: hellod goes on greeting" "qemu-user delivers it as signal \
32, glibc's own (SIGRTMIN+3 and SIGRTMAX arrive as the guest's SIGRTMIN+1 and SIGRTMAX-2)"
		continue
	fi
	kill -"$sig" "$HPID"
	sleep 0.1
	if hellod_running && [ "$(greeting_of 127.0.0.1 "$port")" = "Thank you for connecting" ]; then
		pass "item 6: SIG$sig: hellod goes on greeting"
	else
		fail "item 6: SIG$sig: hellod goes on greeting" "$(tail -n 5 "$T/hellod.log")"
	fi
done
stop_hellod
expect_eq "item 6: SIGTERM still stops it, status 0" 0 "$HSTATUS"

# The forking daemon: its PID file stays while it runs, and it is removed at the end.
hellod -d -P "$T/hellod.pid" -c "$conf" >"$T/parent.out" 2>&1
pid=$(cat "$T/hellod.pid")
KILL_PIDS="$KILL_PIDS $pid"
for sig in USR1 USR2 ALRM QUIT PWR; do
	kill -"$sig" "$pid"
done
sleep 0.3
check "item 6: hellod -d survives SIGUSR1, SIGUSR2, SIGALRM, SIGQUIT and SIGPWR" kill -0 "$pid"
check "item 6: ... its PID file still names it" test "$(cat "$T/hellod.pid" 2>/dev/null)" = "$pid"
expect_eq "item 6: ... and it greets" "Thank you for connecting" "$(greeting_of 127.0.0.1 "$port")"
kill -TERM "$pid"
wait_until 10 test ! -e "/proc/$pid"
check "item 6: SIGTERM then removes the PID file" test ! -e "$T/hellod.pid"
