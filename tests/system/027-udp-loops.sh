# SPDX-License-Identifier: BSD-2-Clause
# UDP loops (issue 14, item 1): one datagram forged with another hellod's address as its
# source (equal greetings, different ones, udp_max_ratio above 1) or with hellod's own address
# and port ends after a few replies, loopback and exempt sources included; a loopback client on
# another port is still answered (a request not larger than the greeting once a second).
# hellod-serial: the loop guard's time window
# hellod-timed: what it asserts is about time or load, which an emulator distorts
. "$HELLOD_TOP/tests/lib.sh"

printf 'Thank you for connecting\n' >"$T/expected"

# run NAME ADDR PORT [CONFIG LINES...]: starts hellod NAME on ADDR:PORT (ADDR "": host unset)
# with UDP, its files in $T/NAME/ (log, pid, notify.out: its sd_notify messages).
run() {
	r_name=$1 r_addr=$2 r_port=$3 r=$T/$1
	shift 3
	mkdir -p "$r"
	{ printf '[server]\n'; [ -n "$r_addr" ] && printf 'host = %s\n' "$r_addr"
	  printf 'port = %s\nudp = yes\n' "$r_port"; printf '%s\n' "$@"; } >"$r/conf"
	rm -f "$r/notify"
	"$CLIENT" -t 60000 notify "$r/notify" >"$r/notify.out" &
	echo $! >"$r/notify.pid"
	KILL_PIDS="$KILL_PIDS $!"
	wait_until 5 grep -q listening "$r/notify.out"
	: >"$r/log"
	NOTIFY_SOCKET=$r/notify spawn_hellod "$r/log" -c "$r/conf"
	echo "$HPID" >"$r/pid"
	if ! wait_until 20 grep -q '^READY=1$' "$r/notify.out"; then
		fail "item 1: hellod $r_name starts" "$(cat "$r/log")"
		exit 1
	fi
}

# stop NAME: stops hellod NAME (and its notify reader) and sets SENT to how many UDP greetings
# it sent, from its last line. Not in a subshell, which could not wait for hellod.
stop() {
	s_pid=$(cat "$T/$1/pid")
	s_notify=$(cat "$T/$1/notify.pid")
	kill -TERM "$s_pid"
	wait "$s_pid"
	kill "$s_notify"
	wait "$s_notify" 2>/dev/null
	SENT=$(sed -n 's/.*Stopped after [0-9]* TCP and \([0-9]*\) UDP greetings.*/\1/p' "$T/$1/log")
}

# forge SRC SPORT DST DPORT [DATA]: one datagram (DATA, or 512 bytes) to DST:DPORT from a
# forged SRC:SPORT; the test ends if it could not be sent.
forge() {
	if ! "$CLIENT" ${5:+-s "$5"} forge "$1" "$2" "$3" "$4" >"$T/forge.err" 2>&1; then
		fail "item 1: a datagram is forged from $1:$2 to $3:$4" "$(cat "$T/forge.err")"
		exit 1
	fi
}

# bounded NAME MAX NAMES...: after the forged datagram, 2 s; then the replies of the hellods
# NAMES, summed, are MAX or fewer, and one of them counted a loop it refused.
bounded() {
	b_what=$1 b_max=$2
	shift 2
	sleep 2
	b_status=""
	for b in "$@"; do
		if wait_until 3 grep -q 'looping' "$T/$b/notify.out"; then
			b_status="$b_status $b: $(grep -o 'UDP refused: .*' "$T/$b/notify.out" | tail -n 1)"
		fi
	done
	b_total=0 b_each="" b_status_seen=""
	for b in "$@"; do
		b_status_seen="$b_status_seen $(grep STATUS "$T/$b/notify.out" | tail -n 1)"
		stop "$b"
		# No count in the log: hellod did not stop as it should, which is no bound.
		b_total=$((b_total + ${SENT:-999999999}))
		b_each="$b_each $b: ${SENT:-? ($(tail -n 1 "$T/$b/log"))}"
	done
	if [ "$b_total" -le "$b_max" ]; then
		pass "item 1: $b_what: $b_total replies in 2 s ($b_max at most;$b_each)"
	else
		fail "item 1: $b_what: $b_total replies in 2 s ($b_max at most)" "$b_each"
	fi
	if [ -n "$b_status" ]; then
		pass "item 1: ... ended by the loop guard, in STATUS=:$b_status"
	else
		fail "item 1: ... ended by the loop guard, in STATUS=" \
		    "no 'looping' in:$b_status_seen"
	fi
}

pa=$(free_port)
pb=$(free_port)
cport=$(free_port)

# A client of its own port: a request larger than the greeting is answered every time; one no
# larger than it (which a loop's datagrams are) once a second per address and port.
run a 127.0.0.2 "$pa"
# bytes N: N bytes of request.
bytes() { head -c "$1" /dev/zero | tr '\0' x; }
# answered BYTES: a request of BYTES from port $cport gets the greeting line.
answered() {
	"$CLIENT" -t 500 -P "$cport" -s "$(bytes "$1")" udp 127.0.0.2 "$pa" >"$T/got" 2>&1 &&
	    cmp -s "$T/expected" "$T/got"
}
check "item 1: a 512-byte request from port $cport is answered" answered 512
check "item 1: ... and again at once from the same port" answered 512
check "item 1: a 25-byte request (the greeting's size) from the same port is answered" \
	answered 25
if answered 25; then
	fail "item 1: ... but not again less than 1 s later (it could be a loop's)" \
	    "$(cat "$T/got")"
else
	pass "item 1: ... but not again less than 1 s later (it could be a loop's)"
fi
check "item 1: ... while a 512-byte one still is" answered 512
sleep 1
check "item 1: ... and a second later, the 25-byte request is answered again" answered 25
if wait_until 5 grep -q 'greetings: 0 TCP, 4 UDP; UDP refused: 1 looping' "$T/a/notify.out"
then
	pass "item 1: STATUS= counts the refusal: 1 looping"
else
	fail "item 1: STATUS= counts the refusal: 1 looping" \
	    "$(grep STATUS "$T/a/notify.out" | tail -n 1)"
fi
stop a

if [ "$(id -u)" != 0 ]; then
	skip "item 1: forged datagrams between hellods" "a raw socket (IP_HDRINCL) needs root"
	exit 0
fi

# Two hellods with equal greetings, loopback (exempt from udp_rate): one forged datagram from
# B to A. A answers B, B answers A (not smaller: remembered), A answers B (not smaller:
# remembered), B refuses: A answered it a moment ago.
run a 127.0.0.2 "$pa"
run b 127.0.0.3 "$pb"
forge 127.0.0.3 "$pb" 127.0.0.2 "$pa"
bounded "two hellods, equal greetings, one forged datagram" 4 a b

# Different greetings, with udp_max_ratio = 2 so that each answers the other's greeting.
run a 127.0.0.2 "$pa" '[limits]' 'udp_max_ratio = 2'
run b 127.0.0.3 "$pb" 'greeting = Hello from the other hellod, B' '[limits]' 'udp_max_ratio = 2'
forge 127.0.0.3 "$pb" 127.0.0.2 "$pa" "$(bytes 25)"
bounded "two hellods, different greetings (25 and 31 bytes), udp_max_ratio = 2" 4 a b

# udp_max_ratio = 10: a 1-byte datagram starts it, and a 3-byte greeting answers a 25-byte one.
run a 127.0.0.2 "$pa" 'greeting = Hi' '[limits]' 'udp_max_ratio = 10'
run b 127.0.0.3 "$pb" '[limits]' 'udp_max_ratio = 10'
forge 127.0.0.3 "$pb" 127.0.0.2 "$pa" x
bounded "two hellods, udp_max_ratio = 10, a 1-byte forged datagram" 4 a b

# The self-loop: a datagram from A's own address and port, to it, is never answered.
run a 127.0.0.2 "$pa"
forge 127.0.0.2 "$pa" 127.0.0.2 "$pa"
bounded "one hellod, a datagram forged from its own address and port" 0 a

# Itself through another of its addresses (host = *): from 127.0.0.3:PORT to 127.0.0.2:PORT,
# both A's, so that each reply comes back to A from the other address.
run a "" "$pa"
forge 127.0.0.3 "$pa" 127.0.0.2 "$pa"
bounded "one hellod on *, a datagram forged from another of its addresses" 4 a
