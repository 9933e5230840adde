# SPDX-License-Identifier: BSD-2-Clause
# Issue 14, item 9: where IPv6 is disabled by sysctl, host = localhost (which /etc/hosts also
# gives as ::1) starts on 127.0.0.1 and warns about ::1, as host = * does. A literal address
# that cannot be bound still fails, and so does a host none of whose addresses can be.
. "$HELLOD_TOP/tests/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
	skip "item 9: IPv6 disabled by sysctl" "needs root and ip netns (CI runs as root)"
	exit 0
fi
ns=hellod-noip6-$$
CLEANUP="ip netns del $ns"
if ! { ip netns add "$ns" &&
    ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 &&
    ip netns exec "$ns" sysctl -q -w net.ipv6.conf.default.disable_ipv6=1 &&
    ip netns exec "$ns" sysctl -q -w net.ipv6.conf.lo.disable_ipv6=1 &&
    ip netns exec "$ns" ip link set lo up; }; then
	skip "item 9: IPv6 disabled by sysctl" "cannot make a network namespace here"
	exit 0
fi
# Debian's /etc/hosts has "::1 localhost"; inside the namespace it does, whatever the host's
# says (ip netns exec binds /etc/netns/NAME/hosts over /etc/hosts).
mkdir -p "/etc/netns/$ns"
CLEANUP="$CLEANUP; rm -rf /etc/netns/$ns; rmdir /etc/netns 2>/dev/null"
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"/etc/netns/$ns/hosts"
port=$(free_port)
in_ns() { ip netns exec "$ns" "$@"; }

# run_in_ns HOST: hellod on HOST in the namespace, 3 s at most; HSTATUS and $T/out.
run_in_ns() {
	printf '[server]\nhost = %s\nport = %s\n' "$1" "$port" >"$T/hellod.conf"
	timeout 3 ip netns exec "$ns" $HELLOD_WRAPPER "$HELLOD" -c "$T/hellod.conf" >"$T/out" 2>&1
	HSTATUS=$?
}

printf '[server]\nhost = localhost\nport = %s\n' "$port" >"$T/hellod.conf"
: >"$T/hellod.log"
( exec ip netns exec "$ns" $HELLOD_WRAPPER "$HELLOD" -c "$T/hellod.conf" >>"$T/hellod.log" 2>&1 ) &
HPID=$!
KILL_PIDS="$KILL_PIDS $HPID"
if wait_until 20 log_has 'Started hellod'; then
	pass "item 9: host = localhost starts with IPv6 disabled"
else
	fail "item 9: host = localhost starts with IPv6 disabled" "$(cat "$T/hellod.log")"
fi
expect_eq "item 9: ... and greets on 127.0.0.1" "Thank you for connecting" \
	"$(in_ns "$CLIENT" tcp 127.0.0.1 "$port" 2>&1)"
expect_grep "item 9: ... warning that it cannot serve [::1]" \
	'Cannot serve TCP on \[::1\]:[0-9]+: .*IPv6 is disabled on this host\), ignoring' "$T/hellod.log"
stop_hellod
expect_eq "item 9: ... and stops with 0" 0 "$HSTATUS"

run_in_ns '*'
expect_eq "item 9: host = * runs there too (stopped by timeout)" 124 "$HSTATUS"
run_in_ns '::1'
expect_eq "item 9: the literal host = ::1 still fails with 71" 71 "$HSTATUS"
expect_grep "item 9: ... saying why" 'Failed to listen on \[::1\]:[0-9]+ \(TCP\)' "$T/out"

# [metrics] listen the same way (issue 24): a name with an IPv6 address skips it with a warning
# and serves the rest; a literal IPv6 address still fails. (* binds [::] even so, as for host.)
mport=$(free_port)
# metrics_in_ns LISTEN: hellod with [metrics] listen = LISTEN in the namespace, until it has
# started (then stopped) or exited; HSTATUS and $T/hellod.log.
metrics_in_ns() {
	printf '[server]\nhost = 127.0.0.1\nport = %s\n[metrics]\nlisten = %s\n' "$port" "$1" \
		>"$T/hellod.conf"
	: >"$T/hellod.log"
	( exec ip netns exec "$ns" $HELLOD_WRAPPER "$HELLOD" -c "$T/hellod.conf" \
		>>"$T/hellod.log" 2>&1 ) &
	HPID=$!
	KILL_PIDS="$KILL_PIDS $HPID"
	if wait_until 20 log_has 'Started hellod'; then
		stop_hellod
	else
		wait "$HPID"
		HSTATUS=$?
	fi
}
metrics_in_ns "localhost:$mport"
expect_eq "[metrics] listen = localhost:PORT starts and stops with 0" 0 "$HSTATUS"
expect_grep "... serving the metrics on 127.0.0.1" "Serving metrics on 127\.0\.0\.1:$mport$" \
	"$T/hellod.log"
expect_grep "... warning that it cannot serve them on [::1]" \
	"Cannot serve metrics on \[::1\]:$mport: .*\(IPv6 is disabled on this host\), ignoring$" \
	"$T/hellod.log"
metrics_in_ns "[::1]:$mport"
expect_eq "[metrics] listen = [::1]:PORT still fails with 71" 71 "$HSTATUS"
expect_grep "... saying why" "Failed to listen on \[::1\]:$mport \(metrics\)" "$T/hellod.log"
