# SPDX-License-Identifier: BSD-2-Clause
# Issue 23, item 8: $JOURNAL_STREAM names stderr (as systemd sets it) but the journal's socket
# is missing (a container, a chroot, journald stopped): every line still reaches stderr.
# sd_journal_sendv() returns success when the socket is absent, so before, they all vanished.
. "$HELLOD_TOP/tests/lib.sh"

socket=/run/systemd/journal/socket
port=$(free_port)
conf=$T/hellod.conf
loopback_conf "$conf" "$port"
printf '[log]\nconnections = yes\n' >>"$conf"
: >"$T/stderr"
stream=$(stat -c '%d:%i' "$T/stderr")

# run_without_journal: hellod with $JOURNAL_STREAM naming its stderr, a greeting, a SIGUSR1
# and a bad reload, then SIGTERM; where the socket exists, an empty tmpfs hides it.
cat >"$T/inner.sh" <<INNER
JOURNAL_STREAM=$stream $HELLOD_WRAPPER "$HELLOD" -c "$conf" 2>>"$T/stderr" &
pid=\$!
i=0
while ! grep -q 'Started' "$T/stderr" && [ \$i -lt 400 ]; do sleep 0.05; i=\$((i + 1)); done
"$CLIENT" tcp 127.0.0.1 $port >"$T/got"
kill -USR1 \$pid
printf '[server]\nport = 1\nport = 2\n' >"$conf"
kill -HUP \$pid
i=0
while ! grep -q 'failed, still serving' "$T/stderr" && [ \$i -lt 100 ]; do
	sleep 0.05; i=\$((i + 1))
done
kill -TERM \$pid
wait \$pid
echo "status \$?" >"$T/status"
INNER
if [ ! -e "$socket" ]; then
	sh "$T/inner.sh"
elif [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	unshare -m --propagation private sh -c \
	    'mount -t tmpfs none /run/systemd/journal && exec sh "$1"' sh "$T/inner.sh"
else
	skip "logs reach stderr without the journal's socket" \
	    "$socket exists here: hiding it needs root and unshare (CI runs as root)"
	exit 0
fi
sed 's/^/# stderr: /' "$T/stderr"
expect_eq "hellod served and stopped" "status 0" "$(cat "$T/status")"
expect_eq "the client was greeted" "Thank you for connecting" "$(cat "$T/got")"
expect_grep "the start line reaches stderr" '^hellod: Started hellod' "$T/stderr"
expect_grep "[log] connections' line reaches stderr" '^hellod: Greeting 127\.0\.0\.1:[0-9]+ over TCP' \
	"$T/stderr"
expect_grep "SIGUSR1's counters reach stderr" '^hellod: Serving' "$T/stderr"
expect_grep "the config error names file:line on stderr" "^hellod: $conf:3: " "$T/stderr"
expect_grep "the refused reload is on stderr" 'failed, still serving the previous' "$T/stderr"
expect_grep "the stop line reaches stderr" '^hellod: Stopped' "$T/stderr"
