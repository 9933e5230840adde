# SPDX-License-Identifier: BSD-2-Clause
# Starts and checks that cannot go through (issue 24: main.c's and workers.c's error paths): a
# PID file that cannot be written, -u (with and without -t) when hellod may not switch users,
# worker threads the process limit refuses, more configuration errors than are shown; and a PID
# file removed under a running hellod, which it says at its stop. Each says why, with the exit
# status hellod(8) gives. About 1 s.
. "$HELLOD_TOP/tests/lib.sh"

port=$(free_port)
conf=$T/hellod.conf
loopback_conf "$conf" "$port" "workers = 3"
chmod 755 "$T"
chmod 644 "$conf"

hellod -c "$conf" -P "$T/no-such-dir/hellod.pid" >"$T/pid.out" 2>&1
expect_eq "a PID file in a missing directory: exit 71" 71 "$?"
expect_grep "... naming the file and why" \
	"^hellod: Failed to write PID file $T/no-such-dir/hellod.pid: No such file or directory$" \
	"$T/pid.out"

# The PID file removed while hellod runs: the stop warns, and still exits 0.
start_hellod "$conf" -P "$T/hellod.pid"
check "the PID file is written" test -s "$T/hellod.pid"
rm -f "$T/hellod.pid"
stop_hellod
expect_eq "a stop whose PID file is gone exits 0" 0 "$HSTATUS"
expect_grep "... and says it could not remove it" \
	"Failed to remove PID file $T/hellod.pid: No such file or directory$" "$T/hellod.log"

hellod -t -u no-such-user-hellod -c "$conf" >"$T/nouser.out" 2>&1
expect_eq "-t -u with an unknown user exits 67" 67 "$?"
expect_grep "... naming it" "^hellod: Unknown user 'no-such-user-hellod'$" "$T/nouser.out"

# More errors than hellod shows: the first 16, then how many more.
{
	printf '[server]\n'
	for i in $(seq 1 18); do
		printf 'bogus%s = 1\n' "$i"
	done
} >"$T/many.conf"
hellod -t -c "$T/many.conf" >"$T/many.out" 2>&1
expect_eq "a file with 18 errors fails -t with 78" 78 "$?"
expect_eq "... 16 of them shown, each with file:line" 16 \
	"$(grep -c "^hellod: $T/many.conf:[0-9]*: unknown key 'bogus" "$T/many.out")"
expect_grep "... and the 2 more counted" "^hellod: $T/many.conf: 2 more errors not shown$" \
	"$T/many.out"

if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1 || ! id daemon >/dev/null 2>&1; then
	skip "-u and worker threads refused" "needs root and the users nobody and daemon"
	exit 0
fi
uid=$(id -u nobody)
gid=$(id -g nobody)
# As nobody, hellod may not become another user: both -t -u and a start with -u say so, 71.
setpriv --reuid="$uid" --regid="$gid" --clear-groups \
	$HELLOD_WRAPPER "$HELLOD" -t -u daemon -c "$conf" >"$T/t-user.out" 2>&1
expect_eq "-t -u daemon run as nobody exits 71" 71 "$?"
expect_grep "... saying why" "^hellod: Failed to switch to user daemon: Operation not permitted$" \
	"$T/t-user.out"
setpriv --reuid="$uid" --regid="$gid" --clear-groups \
	$HELLOD_WRAPPER "$HELLOD" -u daemon -c "$conf" >"$T/user.out" 2>&1
expect_eq "-u daemon run as nobody exits 71 once the sockets are bound" 71 "$?"
expect_grep "... saying why" "^hellod: Failed to switch to user daemon: Operation not permitted$" \
	"$T/user.out"

# No thread to start (RLIMIT_NPROC 1 counts threads too, for all but root): the first worker
# thread is refused, and hellod exits 71 rather than serve with fewer workers than sockets.
if [ -n "$HELLOD_EMULATED" ]; then
	skip "worker threads refused" "qemu-user starts threads of its own, bound by the limit too"
	exit 0
fi
# LeakSanitizer stops the world with a clone() of its own, which the limit refuses: an ASan
# build then aborts at exit, whatever hellod did; leaks are looked for elsewhere.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
setpriv --reuid="$uid" --regid="$gid" --clear-groups prlimit --nproc=1:1 \
	$HELLOD_WRAPPER "$HELLOD" -c "$conf" >"$T/nproc.out" 2>&1
expect_eq "workers = 3 with no thread allowed exits 71" 71 "$?"
expect_grep "... saying why" \
	"^hellod: Failed to start worker 1: Resource temporarily unavailable$" "$T/nproc.out"
expect_no_grep "... and never says it started" "Started hellod" "$T/nproc.out"
