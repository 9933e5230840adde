# SPDX-License-Identifier: BSD-2-Clause
# workers > 1: a set of SO_REUSEPORT sockets per worker, every worker serving, reloads taken
# by all before READY=1, counters summed, a clean stop; shared sockets under activation.
. "$HELLOD_TOP/tests/lib.sh"

port=$(free_port)
conf=$T/hellod.conf
printf '[server]\nhost = 127.0.0.1\nport = %s\nudp = yes\nworkers = 3\n' "$port" >"$conf"

notify_listen

: >"$T/hellod.log"
NOTIFY_SOCKET=$T/notify spawn_hellod "$T/hellod.log" -c "$conf"
wait_until 20 notified '^READY=1$' || fail "READY=1 with 3 workers" "$(cat "$T/hellod.log")"
expect_grep "the start says it serves with 3 workers" '^hellod: 3 workers$' "$T/hellod.log"
expect_eq "3 TCP listeners share the port (SO_REUSEPORT)" 3 \
	"$(ss -ltnH "sport = :$port" | wc -l)"
expect_eq "... and 3 UDP sockets" 3 "$(ss -lunH "sport = :$port" | wc -l)"
# qemu-user runs a thread of its own in every process it emulates.
threads=3
[ -n "$HELLOD_EMULATED" ] && threads=4
expect_eq "... each worker a thread of one process" "$threads" "$(ls "/proc/$HPID/task" | wc -l)"

# The kernel spreads connections over the listeners by their source port: with 300, a
# worker that did not serve would leave about a third unanswered.
greet_many() {
	ok=0
	for i in $(seq 1 "$1"); do
		"$CLIENT" -t 2000 tcp 127.0.0.1 "$port" 2>/dev/null | grep -qx "$2" && ok=$((ok + 1))
	done
	echo "$ok"
}
expect_eq "300 of 300 connections greeted" 300 "$(greet_many 300 'Thank you for connecting')"
ok=0
for i in $(seq 1 60); do
	"$CLIENT" -t 2000 udp 127.0.0.1 "$port" 2>/dev/null | grep -qx 'Thank you for connecting' &&
		ok=$((ok + 1))
done
expect_eq "60 of 60 datagrams, each from its own port, answered" 60 "$ok"
if wait_until 5 notified 'greetings: 300 TCP, 60 UDP'; then
	pass "STATUS= counts the greetings of every worker (300 TCP, 60 UDP)"
else
	fail "STATUS= counts the greetings of every worker (300 TCP, 60 UDP)" \
		"$(grep STATUS "$T/notify.out" | tail -n 3)"
fi

# A reload reaches every worker before READY=1: the next 90 clients all get the new line.
sed -i 's/^udp = yes$/udp = yes\ngreeting = Reloaded/' "$conf"
ready_before=$(grep -c '^READY=1$' "$T/notify.out")
kill -HUP "$HPID"
wait_until 10 at_least $((ready_before + 1)) '^READY=1$' "$T/notify.out"
expect_eq "after READY=1 of a reload, 90 of 90 connections get the new greeting" 90 \
	"$(greet_many 90 Reloaded)"
ok=0
for i in $(seq 1 30); do
	"$CLIENT" -t 2000 udp 127.0.0.1 "$port" 2>/dev/null | grep -qx Reloaded && ok=$((ok + 1))
done
expect_eq "... and 30 of 30 datagrams" 30 "$ok"

# Stop with clients lingering (6 of them: all on the main thread's worker 1 time in 729):
# wait for them, then exit 0 with the sums.
held=""
for i in 1 2 3 4 5 6; do
	exec {fd}<>"/dev/tcp/127.0.0.1/$port" && IFS= read -r line <&"$fd" && held="$held $fd"
done
kill -TERM "$HPID"
wait_until 5 notified '^STOPPING=1$'
sleep 0.2
check "SIGTERM with clients lingering: hellod waits for them" hellod_running
wait_until 5 sh -c "[ -z \"\$(ss -ltnH 'sport = :$port')\" ]"
expect_eq "... having closed all 3 listeners" "" "$(ss -ltnH "sport = :$port")"
check "... still waiting for the clients" hellod_running
for fd in $held; do
	exec {fd}<&-
done
wait "$HPID"
expect_eq "... and exits 0 once it closed" 0 "$?"
expect_grep "the stop message sums every worker's greetings (396 TCP, 90 UDP)" \
	'Stopped after 396 TCP and 90 UDP greetings' "$T/hellod.log"

# workers = auto: one per CPU this process may use.
sed -i 's/^workers = 3$/workers = auto/' "$conf"
start_hellod "$conf"
cpus=$(nproc)
if [ "$cpus" -gt 1 ]; then
	expect_grep "workers = auto: one per CPU ($cpus)" "^hellod: $cpus workers$" "$T/hellod.log"
else
	expect_no_grep "workers = auto on one CPU: one worker" 'workers$' "$T/hellod.log"
fi
stop_hellod
expect_eq "... and stops with status 0" 0 "$HSTATUS"

# Under socket activation the workers share the sockets systemd passed.
if command -v systemd-socket-activate >/dev/null; then
	aport=$(free_port)
	: >"$T/hellod.log"
	sed -i 's/^workers = auto$/workers = 2/' "$conf"
	systemd-socket-activate -l "127.0.0.1:$aport" $HELLOD_WRAPPER "$HELLOD" -c "$conf" \
		>>"$T/hellod.log" 2>&1 &
	HPID=$!
	KILL_PIDS="$KILL_PIDS $HPID"
	wait_until 10 log_has 'Listening on'
	port=$aport
	greeting_of 127.0.0.1 "$port" >/dev/null  # the first client starts hellod
	wait_until 10 log_has '^hellod: 2 workers$'
	expect_grep "activated: 2 workers" '^hellod: 2 workers$' "$T/hellod.log"
	expect_eq "activated, 2 workers sharing the passed socket: 50 of 50 greeted" 50 \
		"$(greet_many 50 Reloaded)"
	expect_eq "... and one listener only" 1 "$(ss -ltnH "sport = :$aport" | wc -l)"
	stop_hellod
	expect_eq "... and it stops with status 0" 0 "$HSTATUS"
else
	skip "workers under socket activation" "systemd-socket-activate is not installed"
fi
