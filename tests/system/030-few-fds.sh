# SPDX-License-Identifier: BSD-2-Clause
# Issue 14, item 5: with too few file descriptors to serve a handful of clients, hellod does
# not say "Started" and leave every client in the backlog: it exits 71 at start, naming the
# limit and what it needs. (Run without valgrind, whose own descriptors change the budget; a
# cross build runs under qemu-user all the same, or not at all.)
# hellod-serial: out-of-fd pauses of 100 ms
# hellod-timed: what it asserts is about time or load, which an emulator distorts
. "$HELLOD_TOP/tests/lib.sh"

port=$(free_port)
conf=$T/hellod.conf
loopback_conf "$conf" "$port"

# few_fds N [LINE...]: hellod under RLIMIT_NOFILE N (soft and hard), 10 s at most.
few_fds() {
	n=$1
	shift
	loopback_conf "$conf" "$port" "$@"
	# shellcheck disable=SC2086 # qemu-user under make check-cross: a command line
	( ulimit -n "$n" && exec timeout 10 $HELLOD_EMULATED "$HELLOD" -c "$conf" ) >"$T/out" 2>&1
	FSTATUS=$?
}

for n in 8 9; do
	[ "$n" = 8 ] && what=TCP udp=no || what="TCP and UDP" udp=yes
	few_fds "$n" "udp = $udp"
	expect_eq "item 5: RLIMIT_NOFILE $n ($what): hellod exits 71" 71 "$FSTATUS"
	expect_grep "item 5: ... naming the limit and the need" \
		"open files limit \(RLIMIT_NOFILE $n\) leaves room for [0-9]+ connections; hellod needs 8 or more" \
		"$T/out"
	expect_no_grep "item 5: ... without saying it started" 'Started hellod' "$T/out"
done
few_fds 8 'workers = 4'
expect_eq "item 5: RLIMIT_NOFILE 8 with 4 workers: exits 71" 71 "$FSTATUS"

# Enough for a handful: it starts and greets.
loopback_conf "$conf" "$port"
# shellcheck disable=SC2086
( ulimit -n 32 && exec $HELLOD_EMULATED "$HELLOD" -c "$conf" ) >"$T/hellod.log" 2>&1 &
HPID=$!
KILL_PIDS="$KILL_PIDS $HPID"
wait_until 10 log_has 'Started hellod'
expect_eq "item 5: RLIMIT_NOFILE 32: it starts and greets" "Thank you for connecting" \
	"$(greeting_of 127.0.0.1 "$port")"
stop_hellod
expect_eq "item 5: ... and exits 0" 0 "$HSTATUS"
