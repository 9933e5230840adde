# SPDX-License-Identifier: BSD-2-Clause
# UDP never amplifies: no reply larger than udp_max_ratio times its request, none to a source
# port below 1024 (Loop DoS), both counted in STATUS=; a flood of small requests gets nothing.
# hellod-serial: token-bucket rates, which count time
# hellod-timed: what it asserts is about time or load, which an emulator distorts
. "$HELLOD_TOP/tests/lib.sh"

port=$(free_port)
conf=$T/hellod.conf
printf '[server]\nhost = 127.0.0.1\nport = %s\nudp = yes\n' "$port" >"$conf"
printf 'Thank you for connecting\n' >"$T/expected"

notify_listen
: >"$T/hellod.log"
NOTIFY_SOCKET=$T/notify spawn_hellod "$T/hellod.log" -c "$conf"
wait_until 20 notified '^READY=1$' || fail "hellod starts" "$(cat "$T/hellod.log")"

# answered BYTES: a request of BYTES gets the greeting line (else a timeout).
answered() {
	"$CLIENT" -t 500 -s "$(head -c "$1" /dev/zero | tr '\0' x)" udp 127.0.0.1 "$port" \
		>"$T/got" 2>&1 && cmp -s "$T/expected" "$T/got"
}
if answered 1; then
	fail "udp_max_ratio = 1 (default): a 1-byte request gets no reply" "$(cat "$T/got")"
else
	pass "udp_max_ratio = 1 (default): a 1-byte request gets no reply"
fi
if answered 24; then
	fail "... nor a 24-byte one (the greeting line is 25 bytes)" "$(cat "$T/got")"
else
	pass "... nor a 24-byte one (the greeting line is 25 bytes)"
fi
check "... a 25-byte request gets the whole greeting" answered 25
if wait_until 5 notified 'greetings: 0 TCP, 1 UDP; UDP refused: 2 too small or from a service port$'; then
	pass "STATUS= counts the 2 refused requests"
else
	fail "STATUS= counts the 2 refused requests" "$(grep STATUS "$T/notify.out" | tail -n 2)"
fi

# A flood of 1-byte requests, as a forged-source reflection attack would send: nothing back.
"$LOADGEN" -u -p "$port" -l 1 -w 64 -n 640 -t 200 -d 60 >"$T/flood"
expect_grep "640 requests of 1 byte (640 bytes in): 0 replies, 0 bytes out" '"ok":0,' "$T/flood"
# 26 bytes: a request of the greeting's own size is answered once a second per address and
# port (the loop guard, 027), and loadgen's 64 sockets each send about 31.
"$LOADGEN" -u -p "$port" -l 26 -w 64 -n 2000 -t 2000 -d 60 >"$T/flood"
expect_grep "2000 requests of 26 bytes: 2000 replies of 25 bytes" '"ok":2000,' "$T/flood"

# A source port below 1024 is a service's: a reply could start a loop between two services.
if [ "$(id -u)" = 0 ]; then
	if "$CLIENT" -t 500 -P 1000 udp 127.0.0.1 "$port" >"$T/got" 2>&1; then
		fail "a request from source port 1000 gets no reply" "$(cat "$T/got")"
	else
		pass "a request from source port 1000 gets no reply"
	fi
	check "... one from port 1024 does" sh -c \
		"\"$CLIENT\" -t 2000 -P 1024 udp 127.0.0.1 $port | cmp -s - \"$T/expected\""
else
	skip "source ports below 1024" "binding one needs root"
fi

# udp_max_ratio is applied by a reload.
printf '[limits]\nudp_max_ratio = 25\n' >>"$conf"
kill -HUP "$HPID"
wait_until 10 log_has 'Reloaded'
check "udp_max_ratio = 25, by a reload: a 1-byte request gets the 25-byte greeting" answered 1

stop_hellod
expect_eq "hellod exits 0" 0 "$HSTATUS"
