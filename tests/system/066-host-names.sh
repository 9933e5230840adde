# SPDX-License-Identifier: BSD-2-Clause
# Names with odd address lists (issue 24: listen.c's address loops), from an /etc/hosts of the
# test's own bind-mounted in a private mount namespace (as 013 does): a name listing the same
# address twice is served once, for the greeting and for [metrics] listen, not refused as a port
# in use; a host with more addresses than hellod serves (32) is served on the first 32 with a
# warning; a [metrics] listen name with more than 64 is refused, exit 71. About 1 s.
. "$HELLOD_TOP/tests/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
	skip "names with odd address lists" "needs root and unshare(1) for an /etc/hosts of its own"
	exit 0
fi
{
	printf '127.0.0.1 twice.test\n127.0.0.1 twice.test\n'
	for i in $(seq 1 33); do
		printf '127.0.1.%s many.test\n' "$i"
	done
	for i in $(seq 1 65); do
		printf '127.0.2.%s lots.test\n' "$i"
	done
} >"$T/hosts"
chmod 644 "$T/hosts"

# in_ns COMMAND...: runs COMMAND seeing $T/hosts as /etc/hosts (exec: the same PID).
in_ns() {
	unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$T/hosts" "$@"
}

# run_named CONF: hellod -c CONF in the namespace, in the background, until it says it
# started (or exits). Sets HPID.
run_named() {
	: >"$T/hellod.log"
	# Not through in_ns: $! must be hellod itself (unshare, then sh, exec it), not a subshell.
	# shellcheck disable=SC2086 # the wrapper is a command line
	unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$T/hosts" \
		$HELLOD_WRAPPER "$HELLOD" -c "$1" >>"$T/hellod.log" 2>&1 &
	HPID=$!
	KILL_PIDS="$KILL_PIDS $HPID"
	wait_until 20 log_has 'Started hellod|exiting|Failed'
}

port=$(free_port)
mport=$(free_port)
printf '[server]\nhost = twice.test\nport = %s\nudp = yes\n[metrics]\nlisten = twice.test:%s\n' \
	"$port" "$mport" >"$T/twice.conf"
run_named "$T/twice.conf"
check "a name listing 127.0.0.1 twice starts" log_has "^hellod: Started hellod"
expect_eq "... serving TCP, UDP and the metrics on it once each" "1 1 1" \
	"$(grep -c "Serving TCP on 127.0.0.1:$port$" "$T/hellod.log") $(grep -c \
	"Serving UDP on 127.0.0.1:$port$" "$T/hellod.log") $(grep -c \
	"Serving metrics on 127.0.0.1:$mport$" "$T/hellod.log")"
expect_eq "... and greets" "Thank you for connecting" "$(greeting_of 127.0.0.1 "$port")"
stop_hellod
expect_eq "... and stops with 0" 0 "$HSTATUS"

printf '[server]\nhost = many.test\nport = %s\nudp = yes\n' "$port" >"$T/many.conf"
run_named "$T/many.conf"
check "a name of 33 addresses starts" log_has "^hellod: Started hellod"
expect_grep "... warning that it serves 32 of them" \
	"^hellod: Host many.test has more than 32 addresses, ignoring the rest$" "$T/hellod.log"
expect_eq "... 32 TCP and 32 UDP sockets, the first 32 addresses" "32 32 127.0.1.32" \
	"$(grep -c "Serving TCP on 127.0.1" "$T/hellod.log") $(grep -c \
	"Serving UDP on 127.0.1" "$T/hellod.log") $(sed -n \
	"s/^hellod: Serving UDP on \(127\.0\.1\.[0-9]*\):.*/\1/p" "$T/hellod.log" | tail -n 1)"
expect_eq "... greeting on the 32nd" "Thank you for connecting" "$(greeting_of 127.0.1.32 "$port")"
stop_hellod
expect_eq "... and stops with 0" 0 "$HSTATUS"

printf '[server]\nhost = 127.0.0.1\nport = %s\n[metrics]\nlisten = lots.test:%s\n' "$port" \
	"$mport" >"$T/lots.conf"
# shellcheck disable=SC2086 # the wrapper is a command line
in_ns $HELLOD_WRAPPER "$HELLOD" -c "$T/lots.conf" >"$T/lots.out" 2>&1
expect_eq "a [metrics] listen name of 65 addresses: exit 71" 71 "$?"
expect_grep "... saying why" "^hellod: \[metrics\] listen: more than 64 addresses" "$T/lots.out"
expect_no_grep "... and never serving" "Started hellod" "$T/lots.out"
