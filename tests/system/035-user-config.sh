# SPDX-License-Identifier: BSD-2-Clause
# Issue 14, item 12: hellod -u USER with a config only root can read. The start warns that
# reloads will fail (they read the file as USER), and `hellod -t -u USER` tests the file as
# USER, so that the init script's reload reports such a file as a failure.
. "$HELLOD_TOP/tests/lib.sh"

if [ "$(id -u)" != 0 ] || ! id nobody >/dev/null 2>&1; then
	skip "item 12: -u with a config only root can read" "needs root and the user nobody"
	exit 0
fi
port=$(free_port)
conf=$T/hellod.conf
loopback_conf "$conf" "$port" 'greeting = Root only'
chmod 600 "$conf"

hellod -t -c "$conf" >"$T/out" 2>&1
expect_eq "item 12: hellod -t as root passes" 0 "$?"
hellod -t -u nobody -c "$conf" >"$T/out" 2>&1
expect_eq "item 12: hellod -t -u nobody fails with 78" 78 "$?"
expect_grep "item 12: ... saying why" "$conf: Permission denied" "$T/out"

start_hellod "$conf" -u nobody
expect_grep "item 12: the start warns that every reload will fail" \
	"User nobody cannot read $conf \(Permission denied\): every reload will fail" \
	"$T/hellod.log"
kill -HUP "$HPID"
wait_until 10 log_has 'failed, still serving'
expect_eq "item 12: ... which it does, still serving the file read at start" "Root only" \
	"$(greeting_of 127.0.0.1 "$port")"
stop_hellod

# The forking daemon's parent prints the warning too, not only syslog.
mkdir "$T/run"
chown nobody "$T/run"
hellod -d -u nobody -c "$conf" -P "$T/run/hellod.pid" >"$T/parent.out" 2>&1
expect_eq "item 12: hellod -d -u nobody starts" 0 "$?"
[ -s "$T/run/hellod.pid" ] && KILL_PIDS="$KILL_PIDS $(cat "$T/run/hellod.pid")"
expect_grep "item 12: ... and its parent prints the warning" \
	"^hellod: User nobody cannot read $conf" "$T/parent.out"
kill "$(cat "$T/run/hellod.pid")"

chmod 644 "$conf"
hellod -t -u nobody -c "$conf" >"$T/out" 2>&1
expect_eq "item 12: with mode 0644, hellod -t -u nobody passes" 0 "$?"
start_hellod "$conf" -u nobody
expect_no_grep "item 12: ... and the start does not warn" 'cannot read' "$T/hellod.log"
stop_hellod
