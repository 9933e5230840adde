#!/bin/bash
# hellod-check over TCP: each verdict, against hellod and against servers that misbehave.
. "$HELLOD_TOP/tests/lib.sh"
. "$HELLOD_TOP/tests/lib-check.sh"

PORT=$(free_port)
loopback_conf "$T/hellod.conf" "$PORT"
start_hellod "$T/hellod.conf"
num='[0-9]+\.[0-9]{6}'
at="127\.0\.0\.1 port"

expect_check "OK against hellod: host, port and greeting from its config" 0 \
    "^HELLOD OK - $num s response time on $at $PORT \[Thank you for connecting\]\|time=${num}s;;;0\.000000;10\.000000 size=25B;;;0$" \
    --config "$T/hellod.conf"

run_check -q --config "$T/hellod.conf"
expect_eq "-q: exit 0 and no output when OK" "0, 0 bytes" "$CRC, $(wc -c <"$T/check.out") bytes"
CLOSED=$(free_port)
expect_check "-q still prints a failure" 2 "^HELLOD CRITICAL - " -q -H 127.0.0.1 -p "$CLOSED" \
    --config "$T/hellod.conf"

# A config whose host is the wildcard: the check probes loopback.
printf '[server]\nhost = *\nport = %s\n' "$PORT" >"$T/wild.conf"
expect_check "a wildcard host in the config probes 127.0.0.1" 0 "^HELLOD OK - .* on $at $PORT " \
    --config "$T/wild.conf"

printf '[server]\nhost = 127.0.0.1\nport = %s\ngreeting = Go away\n' "$PORT" >"$T/other.conf"
expect_check "a greeting other than the configured one is CRITICAL, both shown" 2 \
    "^HELLOD CRITICAL - unexpected reply on $at $PORT \[Thank you for connecting\], expected \[Go away\]\|" \
    --config "$T/other.conf"

expect_check "-e: a substring of the reply is OK" 0 "^HELLOD OK - " -e "you for" \
    --config "$T/hellod.conf"
expect_check "-e: a missing substring is CRITICAL" 2 \
    "^HELLOD CRITICAL - reply without \[nope\] on $at $PORT \[Thank you for connecting\]\|" \
    -e nope --config "$T/hellod.conf"
expect_check "-r: an anchored regex matches the greeting line" 0 "^HELLOD OK - " \
    -r '^Thank you for connecting$' --config "$T/hellod.conf"
expect_check "-r: no match is CRITICAL, the | in the regex escaped" 2 \
    '^HELLOD CRITICAL - reply not matching /qq\\x7czz/ on [^|]*\|time=' \
    -r 'qq|zz' --config "$T/hellod.conf"

expect_check "a closed port is CRITICAL: refused" 2 \
    "^HELLOD CRITICAL - connection refused on $at $CLOSED\|time=${num}s;;;0\.000000;10\.000000 size=0B;;;0$" \
    -H 127.0.0.1 -p "$CLOSED" --config "$T/hellod.conf"

fake_server silent
expect_check "a server that never writes is CRITICAL at the deadline" 2 \
    "^HELLOD CRITICAL - reply not ended within 1 s, 0 bytes read, on $at $FPORT\|time=" \
    -H 127.0.0.1 -p "$FPORT" -t 1 --config "$T/hellod.conf"
expect_took "-t 1 gives up after 1 s plus a margin" 1000 4000

fake_server partial 'Thank you for connecting\n'
expect_check "a reply that never ends is CRITICAL, what came shown" 2 \
    "^HELLOD CRITICAL - reply not ended within 1 s, 25 bytes read, on $at $FPORT \[Thank you for connecting\]\|" \
    -H 127.0.0.1 -p "$FPORT" -t 1 --config "$T/hellod.conf"

fake_server reply 'Hello, world\n'
expect_check "a wrong greeting is CRITICAL, the reply shown" 2 \
    "^HELLOD CRITICAL - unexpected reply on $at $FPORT \[Hello, world\], expected \[Thank you for connecting\]\|" \
    -H 127.0.0.1 -p "$FPORT" --config "$T/hellod.conf"

fake_server reply 'line one\r\nline two\n\x00\x1b[31m\xff|end\n'
expect_check "a multi-line binary reply is one escaped line" 2 "^HELLOD CRITICAL - unexpected reply" \
    -H 127.0.0.1 -p "$FPORT" --config "$T/hellod.conf"
check "the reply's bytes are escaped, | too" grep -qF \
    '[line one\r\nline two\n\x00\x1b[31m\xff\x7cend]' "$T/check.out"
expect_eq "one | in the line: the perfdata separator" 1 "$(tr -cd '|' <"$T/check.out" | wc -c)"

fake_server reply "$(head -c 10000 /dev/zero | tr '\0' a)"
expect_check "a 10 kB reply is cut in the status line" 2 \
    "^HELLOD CRITICAL - unexpected reply on $at $FPORT \[a{100,}\.\.\.\], expected" \
    -H 127.0.0.1 -p "$FPORT" --config "$T/hellod.conf"
line_len=$(head -n 1 "$T/check.out" | wc -c)
if [ "$line_len" -lt 400 ]; then
	pass "the cut status line is short ($line_len bytes)"
else
	fail "the cut status line is short" "$line_len bytes"
fi

fake_server partial "$(head -c 5000 /dev/zero | tr '\0' a)"
expect_check "a reply over 4 KiB that never ends is CRITICAL too" 2 \
    "^HELLOD CRITICAL - reply not ended within 1 s, 4096 bytes read, on $at $FPORT \[a+\.\.\.\]\|" \
    -H 127.0.0.1 -p "$FPORT" -e aaa -t 1 --config "$T/hellod.conf"

fake_server reply 'Thank you for connecting\r\n'
expect_check "-r: \$ matches before a final CRLF" 0 "^HELLOD OK - " \
    -H 127.0.0.1 -p "$FPORT" -r '^Thank you for connecting$' --config "$T/hellod.conf"

fake_server slow 400 'Thank you for connecting\n'
expect_check "a slow reply over -w is WARNING" 1 \
    "^HELLOD WARNING - $num s response time \(over 0\.1 s\) on $at $FPORT \[Thank you for connecting\]\|time=${num}s;0\.100000;;0\.000000;10\.000000 " \
    -H 127.0.0.1 -p "$FPORT" -w 0.1 --config "$T/hellod.conf"
expect_check "a slow reply over -c is CRITICAL" 2 \
    "^HELLOD CRITICAL - $num s response time \(over 0\.2 s\) on $at $FPORT .*\|time=${num}s;0\.100000;0\.200000;0\.000000;10\.000000 " \
    -H 127.0.0.1 -p "$FPORT" -w 0.1 -c 0.2 --config "$T/hellod.conf"
expect_check "a slow reply within -w and -c is OK" 0 \
    "^HELLOD OK - $num s response time on $at $FPORT .*\|time=${num}s;30\.000000;60\.000000;0\.000000;10\.000000 " \
    -H 127.0.0.1 -p "$FPORT" -w 30 -c 60 --config "$T/hellod.conf"

fake_server rst
expect_check "a reset after accept is CRITICAL" 2 \
    "^HELLOD CRITICAL - connection reset after 0 bytes on $at $FPORT\|" \
    -H 127.0.0.1 -p "$FPORT" --config "$T/hellod.conf"

fake_server close
expect_check "a close without data is CRITICAL" 2 \
    "^HELLOD CRITICAL - no data, the connection closed without a reply, on $at $FPORT\|" \
    -H 127.0.0.1 -p "$FPORT" --config "$T/hellod.conf"

check "every status line's performance data follows the plugin grammar" perfdata_ok "$T/check.all"

stop_hellod
expect_eq "hellod exits 0 after the probes" 0 "$HSTATUS"
