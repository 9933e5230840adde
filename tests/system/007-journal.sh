# SPDX-License-Identifier: BSD-2-Clause
# Logging: structured journal entries (MESSAGE_ID, PRIORITY, fields) when stderr is the journal,
# plain stderr otherwise. journald is played by a socket in a private mount namespace.
. "$HELLOD_TOP/tests/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
	skip "journal logging" "needs root and unshare to stand in for journald (CI runs as root)"
	exit 0
fi

port=$(free_port)
conf=$T/hellod.conf
printf '[server]\nhost = 127.0.0.1\nport = %s\n' "$port" >"$conf"
: >"$T/stderr"
journal_stream=$(stat -c '%d:%i' "$T/stderr")

# Inside the namespace: a tmpfs over /run/systemd/journal holding our socket, hellod with
# $JOURNAL_STREAM naming its stderr, one greeting, a broken reload, then SIGTERM.
cat >"$T/inner.sh" <<INNER
mkdir -p /run/systemd/journal
mount -t tmpfs none /run/systemd/journal || exit 1
"$CLIENT" -t 20000 notify /run/systemd/journal/socket >"$T/journal.out" &
listener=\$!
while ! grep -q listening "$T/journal.out"; do sleep 0.05; done
JOURNAL_STREAM=$journal_stream $HELLOD_WRAPPER "$HELLOD" -c "$conf" 2>>"$T/stderr" &
pid=\$!
i=0
while ! grep -q '^MESSAGE=Started' "$T/journal.out" && [ \$i -lt 200 ]; do
	sleep 0.05; i=\$((i + 1))
done
"$CLIENT" tcp 127.0.0.1 $port >"$T/got"
printf '[server]\nport = 1\nport = 2\n' >"$conf"
kill -HUP \$pid
sleep 0.5
kill -TERM \$pid
wait \$pid
echo "status \$?" >"$T/status"
i=0
while ! grep -q '^MESSAGE=Stopped' "$T/journal.out" && [ \$i -lt 100 ]; do
	sleep 0.05; i=\$((i + 1))
done
kill \$listener
INNER
unshare -m --propagation private sh "$T/inner.sh" >"$T/inner.log" 2>&1

check "a greeting is served while logging to the journal" grep -q '^Thank you' "$T/got"
expect_eq "hellod exits 0" "status 0" "$(cat "$T/status" 2>/dev/null)"
# Each datagram is one entry; entries are separated by "--" lines in journal.out.
entry() { awk -v RS='\n--\n' -v pat="$1" '$0 ~ pat' "$T/journal.out"; }
start=$(entry 'MESSAGE=Started hellod')
listen=$(entry "MESSAGE=Serving TCP on 127.0.0.1:$port")
stop=$(entry 'MESSAGE=Stopped after')
bad=$(entry 'duplicate key')
failed=$(entry 'MESSAGE=Reloading .* failed')
printf '%s\n' "$start" | grep -q '^MESSAGE_ID=ed62cd858f7c40809cf7035928d4d752$' &&
	printf '%s\n' "$start" | grep -q '^PRIORITY=6$' &&
	printf '%s\n' "$start" | grep -q '^SYSLOG_IDENTIFIER=hellod$'
check "the start entry has MESSAGE_ID, PRIORITY=6 and SYSLOG_IDENTIFIER" test $? = 0
printf '%s\n' "$listen" | grep -q "^HELLOD_ADDRESS=127.0.0.1:$port\$" &&
	printf '%s\n' "$listen" | grep -q '^HELLOD_PROTOCOL=TCP$' &&
	printf '%s\n' "$listen" | grep -q '^MESSAGE_ID=f71c21a006784ebf88e0e15c9fbdb972$'
check "the listening entry carries HELLOD_ADDRESS and HELLOD_PROTOCOL" test $? = 0
printf '%s\n' "$bad" | grep -q '^MESSAGE_ID=38dfa4736a4a46668bc9191f2e3985f6$' &&
	printf '%s\n' "$bad" | grep -q '^PRIORITY=3$' &&
	printf '%s\n' "$bad" | grep -q "^HELLOD_CONFIG_FILE=$conf\$" &&
	printf '%s\n' "$bad" | grep -q '^HELLOD_CONFIG_LINE=3$'
check "a config error entry: MESSAGE_ID, PRIORITY=3, HELLOD_CONFIG_FILE and _LINE=3" test $? = 0
printf '%s\n' "$failed" | grep -q '^MESSAGE_ID=041559bbb4d34c6584bc82ca7ca37fa5$'
check "the failed reload entry has its MESSAGE_ID" test $? = 0
printf '%s\n' "$stop" | grep -q '^MESSAGE_ID=c2054fa791d84b8780411f05f366ae31$' &&
	printf '%s\n' "$stop" | grep -q '^HELLOD_TCP_GREETINGS=1$'
check "the stop entry has its MESSAGE_ID and HELLOD_TCP_GREETINGS=1" test $? = 0
expect_eq "nothing went to stderr meanwhile" "" "$(grep -v '^==' "$T/stderr")"
if [ -z "$start" ]; then
	fail "journal entries were received" "$(cat "$T/inner.log" "$T/journal.out")"
fi

# Without a matching $JOURNAL_STREAM, stderr it is.
printf '[server]\nhost = 127.0.0.1\nport = %s\n' "$port" >"$conf"
JOURNAL_STREAM=1:1 start_hellod "$conf"
stop_hellod
expect_grep "a \$JOURNAL_STREAM that is not stderr: messages go to stderr" \
	"^hellod: Started hellod" "$T/hellod.log"
