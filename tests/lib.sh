# SPDX-License-Identifier: BSD-2-Clause
# Sourced by tests/system/*.sh: a scratch directory, free ports, hellod started and stopped,
# and assertions that print one PASS, FAIL or SKIP line each.
set -u
: "${HELLOD_BUILD:?run through tests/run.sh}"
HELLOD=$HELLOD_BUILD/hellod
CLIENT=$HELLOD_BUILD/tests/client
# Set by make check-valgrind: the daemon runs under this command.
HELLOD_WRAPPER=${HELLOD_WRAPPER:-}
TEST=$(basename "$0" .sh)
T=$(mktemp -d /tmp/hellod-test.XXXXXX)
chmod 755 "$T"
KILL_PIDS=""
HPID=""

cleanup() {
	exec 2>/dev/null  # bash reports the jobs killed below: noise
	for p in $KILL_PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT

pass() { echo "PASS system/$TEST: $1"; }
skip() { echo "SKIP system/$TEST: $1: $2"; }
fail() {
	echo "FAIL system/$TEST: $1"
	shift
	for line in "$@"; do
		echo "# $line"
	done
	return 1
}

# check NAME COMMAND...: passes when COMMAND succeeds.
check() {
	name=$1
	shift
	if "$@"; then
		pass "$name"
	else
		fail "$name" "command failed: $*"
	fi
}

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected: $2" "actual:   $3"
	fi
}

# expect_grep NAME PATTERN FILE: FILE has a line matching the extended regex PATTERN.
expect_grep() {
	if grep -Eq -- "$2" "$3"; then
		pass "$1"
	else
		fail "$1" "no line matching /$2/ in:" "$(cat "$3")"
	fi
}

# expect_no_grep NAME PATTERN FILE
expect_no_grep() {
	if ! grep -Eq -- "$2" "$3"; then
		pass "$1"
	else
		fail "$1" "unexpected line matching /$2/:" "$(grep -E -- "$2" "$3")"
	fi
}

free_port() { "$CLIENT" freeport; }

# hellod ARGS...: the daemon under test, under $HELLOD_WRAPPER (valgrind) when set. In the
# background use spawn_hellod, so that $! is hellod itself, not a shell around it.
hellod() { $HELLOD_WRAPPER "$HELLOD" "$@"; }

# spawn_hellod LOG ARGS...: hellod in the background, output appended to LOG; sets HPID.
spawn_hellod() {
	spawn_log=$1
	shift
	( exec $HELLOD_WRAPPER "$HELLOD" "$@" >>"$spawn_log" 2>&1 ) &
	HPID=$!
	KILL_PIDS="$KILL_PIDS $HPID"
}

# wait_until SECONDS COMMAND...: polls COMMAND every 50 ms; false when time runs out.
wait_until() {
	limit=$(( $1 * 20 ))
	shift
	i=0
	while ! "$@" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -ge "$limit" ] && return 1
		sleep 0.05
	done
	return 0
}

log_has() { grep -Eq -- "$1" "$T/hellod.log"; }

# at_least N PATTERN FILE: FILE has N or more lines matching PATTERN (re-read at each call,
# so that wait_until can poll it).
at_least() { [ "$(grep -Eac -- "$2" "$3")" -ge "$1" ]; }

# start_hellod CONF [ARGS...]: runs hellod in the background, logging to $T/hellod.log, and
# waits until it says it started. Sets HPID.
start_hellod() {
	conf=$1
	shift
	: >"$T/hellod.log"
	spawn_hellod "$T/hellod.log" -c "$conf" "$@"
	if ! wait_until 20 log_has 'Started hellod'; then
		fail "hellod starts" "$(cat "$T/hellod.log")"
		exit 1
	fi
}

# stop_hellod [SIGNAL]: signals hellod (SIGTERM) and waits; sets HSTATUS to its exit status.
stop_hellod() {
	kill -"${1:-TERM}" "$HPID" 2>/dev/null
	wait "$HPID"
	HSTATUS=$?
}

# greeting_of HOST PORT: what a plain TCP client receives.
greeting_of() { "$CLIENT" tcp "$1" "$2"; }

has_ipv6() { [ -e /proc/net/if_inet6 ] && grep -q '^0\{31\}1 ' /proc/net/if_inet6; }
