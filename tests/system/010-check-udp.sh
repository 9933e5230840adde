#!/bin/bash
# hellod-check over UDP: OK, closed, silent, wrong, empty and lost replies.
. "$HELLOD_TOP/tests/lib.sh"
. "$HELLOD_TOP/tests/lib-check.sh"

PORT=$(free_port)
loopback_conf "$T/hellod.conf" "$PORT" "udp = yes"
start_hellod "$T/hellod.conf"
num='[0-9]+\.[0-9]{6}'
at="127\.0\.0\.1 UDP port"

expect_check "-u: OK against hellod's UDP" 0 \
    "^HELLOD OK - $num s response time on $at $PORT \[Thank you for connecting\]\|time=${num}s;;;0\.000000;10\.000000 size=25B;;;0$" \
    -u --config "$T/hellod.conf"

loopback_conf "$T/tcp-only.conf" "$PORT"
expect_check "-u on a config without UDP is UNKNOWN and says why" 3 \
    "^HELLOD UNKNOWN - UDP is off in .*/tcp-only.conf \(udp = no\)" -u --config "$T/tcp-only.conf"

# at_once NAME: the last probe took under 0.9 s by its own clock (its perfdata), where the
# deadline is 10 s and a probe sent again would come after 1 s.
at_once() {
	seconds=$(sed -n 's/.*|time=\([0-9.]*\)s;.*/\1/p' "$T/check.out")
	if [ -n "$seconds" ] && awk -v s="$seconds" 'BEGIN { exit !(s < 0.9) }'; then
		pass "$1 (${seconds} s)"
	else
		fail "$1" "took ${seconds:-?} s: $(cat "$T/check.out")"
	fi
}

CLOSED=$(free_port)
expect_check "a closed UDP port is CRITICAL: ICMP port unreachable" 2 \
    "^HELLOD CRITICAL - port unreachable \(ICMP\) on $at $CLOSED\|time=" \
    -u -H 127.0.0.1 -p "$CLOSED" --config "$T/hellod.conf"
at_once "a closed UDP port is reported at once"

fake_server udp-silent
expect_check "a silent UDP server is CRITICAL at the deadline" 2 \
    "^HELLOD CRITICAL - no reply within 1 s from $at $FPORT\|" \
    -u -H 127.0.0.1 -p "$FPORT" -t 1 --config "$T/hellod.conf"
expect_took "-u -t 1 gives up after 1 s plus a margin" 1000 4000

fake_server udp-reply 'Hello\n'
expect_check "a wrong UDP reply is CRITICAL, shown" 2 \
    "^HELLOD CRITICAL - unexpected reply on $at $FPORT \[Hello\], expected \[Thank you for connecting\]\|" \
    -u -H 127.0.0.1 -p "$FPORT" --config "$T/hellod.conf"
at_once "a wrong UDP reply is reported at once"

fake_server udp-reply ''
expect_check "an empty UDP reply is CRITICAL" 2 "^HELLOD CRITICAL - empty reply from $at $FPORT\|" \
    -u -H 127.0.0.1 -p "$FPORT" --config "$T/hellod.conf"

fake_server udp-lossy 'Thank you for connecting\n'
expect_check "a lost datagram is sent again after a second" 0 \
    "^HELLOD OK - 1\.[0-9]{6} s response time on $at $FPORT " \
    -u -H 127.0.0.1 -p "$FPORT" -t 5 --config "$T/hellod.conf"

fake_server udp-size
expect_check "the probe is as long as the longest greeting line, 512 bytes" 0 \
    "^HELLOD OK - .*\[512 bytes\]" -u -H 127.0.0.1 -p "$FPORT" -e "512 bytes" \
    --config "$T/hellod.conf"

check "every status line's performance data follows the plugin grammar" perfdata_ok "$T/check.all"
stop_hellod
expect_eq "hellod exits 0 after the probes" 0 "$HSTATUS"
