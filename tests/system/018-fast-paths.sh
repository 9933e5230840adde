# SPDX-License-Identifier: BSD-2-Clause
# The fast paths: close = fast, applied by a reload, still safe for clients that sent first;
# UDP datagrams answered in batches, each reply to its own source.
. "$HELLOD_TOP/tests/lib.sh"

port=$(free_port)
conf=$T/hellod.conf
printf '[server]\nhost = 127.0.0.1\nport = %s\nudp = yes\n' "$port" >"$conf"
printf 'Thank you for connecting\n' >"$T/expected"
fds_are() { [ "$(ls "/proc/$HPID/fd" | wc -l)" = "$1" ]; }

start_hellod "$conf"
base=$(ls "/proc/$HPID/fd" | wc -l)

# By default a client that has its greeting but keeps its end open holds a slot (008 checks
# that the deadline ends it).
exec 3<>"/dev/tcp/127.0.0.1/$port"
check "close = linger (the default): a client holding its end open keeps hellod's socket" \
	wait_until 5 fds_are $((base + 1))
exec 3<&-
wait_until 10 fds_are "$base"

# Under load hellod polls the lingering connections instead of waking for each one's end;
# once the clients stop coming it watches them again: a client that closes after a while is
# let go at once, not at the 5 s deadline.
for i in $(seq 1 50); do
	greeting_of 127.0.0.1 "$port" >/dev/null
done
exec 3<>"/dev/tcp/127.0.0.1/$port"
IFS= read -r line <&3
sleep 0.5
wait_until 5 fds_are $((base + 1))
exec 3<&-
check "after 50 clients, one that takes 0.5 s to close is let go within 2 s (deadline: 5 s)" \
	wait_until 2 fds_are "$base"

# close = fast, by a reload: it is not a listening setting.
printf 'close = fast\n' >>"$conf"
kill -HUP "$HPID"
wait_until 10 log_has 'Reloaded' || fail "the reload to close = fast is applied" \
	"$(cat "$T/hellod.log")"
greeting_of 127.0.0.1 "$port" >"$T/got"
check "close = fast: the greeting is exactly the line, then EOF" cmp -s "$T/expected" "$T/got"

exec 3<>"/dev/tcp/127.0.0.1/$port"
IFS= read -r line <&3
expect_eq "close = fast: a client holding its end open has its greeting" \
	"Thank you for connecting" "$line"
check "... and hellod has closed its socket at once, not at the linger deadline" \
	wait_until 2 fds_are "$base"
exec 3<&-

# A client whose request is already there when hellod accepts would be reset by a plain
# close: close = fast lingers for it. Stopped hellod, so every request is queued first:
# 10 HTTP requests and 10 of 64 KiB, more than one read takes.
queued_requests "close = fast: 20 of 20 clients whose request came before accept get the whole greeting" \
	"$port" 10 10

# UDP in batches: with hellod stopped, 3 sources queue 50 datagrams each, interleaved, so
# that one recvmmsg() takes datagrams of all three. Each must get exactly its own 50.
kill -STOP "$HPID"
"$CLIENT" -t 10000 -s "$(printf '%64s' probe)" udpburst 127.0.0.1 "$port" 3 50 >"$T/burst" &
burst=$!
udp_queue_is() { [ "$(ss -lunH "sport = :$port" | awk '{print $2}')" -ge "$1" ]; }
# ss shows the queue in kernel memory: 832 bytes per 64-byte datagram here.
check "150 datagrams queue up while hellod is stopped" wait_until 10 udp_queue_is $((150 * 768))
kill -CONT "$HPID"
wait "$burst"
expect_eq "UDP: 150 queued datagrams from 3 sources, each source gets its 50 replies" 0 "$?" ||
	sed 's/^/# /' "$T/burst"
expect_grep "... and no reply differs from the greeting" '^other replies: 0$' "$T/burst"
check "... which is the greeting line" sh -c \
	"\"$CLIENT\" udp 127.0.0.1 $port | cmp -s - \"$T/expected\""

stop_hellod
expect_eq "hellod exits 0" 0 "$HSTATUS"
expect_grep "the stop message counts them (74 TCP, 151 UDP)" \
	'Stopped after 74 TCP and 151 UDP greetings' "$T/hellod.log"
