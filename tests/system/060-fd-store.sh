# SPDX-License-Identifier: BSD-2-Clause
# The file descriptor store without systemd (issue 25's mechanism, which 050 measures under
# real systemd): hellod started with a socket named as it names its own in the store
# (hellod-store-w0-tcp-ADDRESS-PORT, as systemd hands the store back after a restart) takes it
# for the address it is configured for, so the client queued on it meanwhile is greeted; it
# hands its sockets to the store (FDSTORE=1 with their names); a stored socket whose address
# is no longer configured is closed and taken out of the store (FDSTOREREMOVE=1).
. "$HELLOD_TOP/tests/lib.sh"

if ! command -v systemd-socket-activate >/dev/null; then
	skip "the fd store" "systemd-socket-activate is not installed (package systemd)"
	exit 0
fi
port=$(free_port)
other=$(free_port)
notify_listen

# restart_with CONFIG-PORT: hellod under systemd-socket-activate, which listens on $port and
# passes it under the store's name, as systemd does after a restart; it execs hellod at the
# first connection, which the test makes.
restart_with() {
	printf '[server]\nhost = 127.0.0.1\nport = %s\nudp = no\n' "$1" >"$T/hellod.conf"
	NOTIFY_SOCKET=$T/notify socket_activate -l "127.0.0.1:$port" \
		--fdname="hellod-store-w0-tcp-127.0.0.1-$port" -E NOTIFY_SOCKET
}

restart_with "$port"
greeting_of 127.0.0.1 "$port" >"$T/first"
expect_eq "a stored socket for the configured address: the client that came while hellod was away is greeted" \
	"Thank you for connecting" "$(cat "$T/first")"
expect_grep "... hellod says it took it from the store" \
	"TCP on 127\\.0\\.0\\.1:$port kept in systemd's file descriptor store: no client was refused" \
	"$T/hellod.log"
check "... and hands it to the store again, under its name" \
	wait_until 5 notified "^FDNAME=hellod-store-w0-tcp-127\\.0\\.0\\.1-$port\$"
expect_grep "... with FDSTORE=1" '^FDSTORE=1$' "$T/notify.out"
expect_eq "... and the next client is greeted" "Thank you for connecting" \
	"$(greeting_of 127.0.0.1 "$port")"
stop_hellod
expect_eq "SIGTERM: exit 0" 0 "$HSTATUS"

# The port changed in the file: the stored socket goes, from the store too.
: >"$T/notify.out"
restart_with "$other"
"$CLIENT" tcp 127.0.0.1 "$port" >"$T/first" 2>&1 &
check "a stored socket no longer configured: hellod closes it" \
	wait_until 10 log_has "Closed TCP on 127\\.0\\.0\\.1:$port: no longer configured"
check "... and takes it out of the store (FDSTOREREMOVE=1)" \
	wait_until 5 notified '^FDSTOREREMOVE=1$'
expect_eq "... and serves the new port" "Thank you for connecting" \
	"$(greeting_of 127.0.0.1 "$other")"
stop_hellod
expect_eq "SIGTERM: exit 0" 0 "$HSTATUS"
