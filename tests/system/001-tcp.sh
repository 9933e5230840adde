# SPDX-License-Identifier: BSD-2-Clause
# TCP: the greeting bytes, send-first clients, the tutorial client, a stalled client.
. "$HELLOD_TOP/tests/lib.sh"

port=$(free_port)
printf '[server]\nhost = 127.0.0.1\nport = %s\n' "$port" >"$T/hellod.conf"
start_hellod "$T/hellod.conf"
printf 'Thank you for connecting\n' >"$T/expected"

greeting_of 127.0.0.1 "$port" >"$T/got"
check "greeting is exactly 'Thank you for connecting' and a newline, then EOF" \
	cmp -s "$T/expected" "$T/got"

"$CLIENT" tutorial 127.0.0.1 "$port" >"$T/tutorial"
check "the seed tutorial's client (connect, recv(1024), print) sees the greeting" \
	cmp -s "$T/expected" "$T/tutorial"

# A client that sends first (an HTTP prober, check_tcp -s) must not lose the greeting to a
# reset: hellod drains what it sent and waits for its FIN before closing.
ok=0
for i in $(seq 1 50); do
	"$CLIENT" -s "GET / HTTP/1.0
" tcp 127.0.0.1 "$port" >"$T/got" 2>"$T/err" && cmp -s "$T/expected" "$T/got" &&
		ok=$((ok + 1))
done
expect_eq "50 of 50 clients sending an HTTP request first get the whole greeting" 50 "$ok"

# Deterministic: with hellod stopped, the requests are queued before it accepts, so every
# close would meet unread data (the case where nginx's stream "return" resets nearly all).
queued_requests "20 of 20 clients whose request was queued before accept get the whole greeting" \
	"$port" 20 0


ok=0
for i in $(seq 1 20); do
	"$CLIENT" -n 65536 tcp 127.0.0.1 "$port" >"$T/got" 2>"$T/err" &&
		cmp -s "$T/expected" "$T/got" && ok=$((ok + 1))
done
expect_eq "20 of 20 clients sending 64 KiB first get the whole greeting, no reset" 20 "$ok"

# A client that connects and then neither reads nor closes must not delay anyone else.
exec 3<>"/dev/tcp/127.0.0.1/$port"
"$CLIENT" -t 2000 tcp 127.0.0.1 "$port" >"$T/got"
check "a stalled client does not hold up the next one" cmp -s "$T/expected" "$T/got"
exec 3<&-

# Many clients at once, all served.
ok=0
clients=""
for i in $(seq 1 20); do
	greeting_of 127.0.0.1 "$port" >"$T/par.$i" &
	clients="$clients $!"
done
wait $clients
ok=$(cat "$T"/par.* | grep -c 'Thank you for connecting')
expect_eq "20 concurrent clients all greeted" 20 "$ok"

stop_hellod
expect_eq "SIGTERM: exit status 0" 0 "$HSTATUS"
expect_grep "the stop message counts the greetings" 'Stopped after [0-9]+ TCP' "$T/hellod.log"
if "$CLIENT" -t 1000 tcp 127.0.0.1 "$port" >/dev/null 2>"$T/err"; then
	fail "after stopping nothing listens" "a connection succeeded"
else
	expect_grep "after stopping nothing listens" 'refused' "$T/err"
fi
