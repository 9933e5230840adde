#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Hostile and careless configs (issue 14, items 2, 10, 11, 13): files that are not regular files
# or are too long, an IPv4-mapped host, text after a section header, greetings that are not
# UTF-8 or hold C1 controls; and hellod-check's --json escaping what could spoof a page.
. "$HELLOD_TOP/tests/lib.sh"
. "$HELLOD_TOP/tests/lib-check.sh"

# Whatever used to hang (a FIFO, /dev/zero) is killed after 5 s, and fails.
# shellcheck disable=SC2034 # run_check in lib.sh runs hellod-check under it
CHECK_IN="timeout -k 1 5"

# expect_hellod NAME STATUS PATTERN ARGS...: hellod ARGS ends within 4 s with STATUS, and a
# line of its output (stdout, then stderr) matches the extended regex PATTERN.
expect_hellod() {
	eh_name=$1 eh_status=$2 eh_pattern=$3
	shift 3
	eh_t0=$(now_ms)
	# shellcheck disable=SC2086 # the wrapper is a command line
	timeout -k 1 5 $HELLOD_WRAPPER "$HELLOD" "$@" >"$T/out" 2>"$T/err" </dev/null
	eh_rc=$?
	eh_ms=$(( $(now_ms) - eh_t0 ))
	if [ "$eh_rc" = "$eh_status" ] && [ "$eh_ms" -lt 4000 ] &&
	    cat "$T/out" "$T/err" | grep -Eq -- "$eh_pattern"; then
		pass "$eh_name"
	else
		fail "$eh_name" "hellod $*" \
		    "expected: exit $eh_status within 4 s, stderr matching /$eh_pattern/" \
		    "actual:   exit $eh_rc after $eh_ms ms, stderr: $(head -c 300 "$T/err")"
	fi
}

# Item 2: only a regular file is read, and at most 64 KiB of it.
notregular="not a regular file"
mkfifo "$T/fifo"
ln -s /dev/zero "$T/zero-link"
expect_hellod "item 2: hellod -t -c FIFO exits 78 at once, naming the file" 78 \
    "^hellod: $T/fifo: $notregular \(a FIFO\)" -t -c "$T/fifo"
expect_hellod "item 2: hellod -t -c /dev/zero exits 78 at once" 78 \
    "^hellod: /dev/zero: $notregular \(a character device\)" -t -c /dev/zero
expect_hellod "item 2: hellod -t -c /dev/urandom exits 78 at once" 78 \
    "^hellod: /dev/urandom: $notregular \(a character device\)" -t -c /dev/urandom
expect_hellod "item 2: hellod -t -c a symlink to /dev/zero exits 78 at once" 78 \
    "^hellod: $T/zero-link: $notregular \(a character device\)" -t -c "$T/zero-link"
expect_hellod "item 2: hellod -t -c a directory exits 78" 78 \
    "^hellod: $T: $notregular \(a directory\)" -t -c "$T"
expect_hellod "item 2: starting hellod -c /dev/zero exits 78 at once" 78 \
    "/dev/zero: $notregular" -c /dev/zero
expect_hellod "item 2: starting hellod -c FIFO exits 78 at once" 78 \
    "$T/fifo: $notregular" -c "$T/fifo"

# 700 comment lines of 100 bytes: 70000 bytes, over the 65536-byte cap.
for _ in $(seq 1 700); do
	printf '#%098d\n' 0
done >"$T/big.conf"
expect_hellod "item 2: hellod -t on a 70000-byte file exits 78, giving the size and the cap" \
    78 "^hellod: $T/big.conf: 70000 bytes long; allowed: at most 65536 bytes" -t -c "$T/big.conf"
# Whole lines (a file that sets nothing must end with a newline: issue 23, item 7).
{ head -c 65535 "$T/big.conf"; echo; } >"$T/cap.conf"
expect_hellod "item 2: a file of exactly 65536 bytes is still read (guard)" 0 "configuration OK$" \
    -t -c "$T/cap.conf"
printf '[server]\nport = 12345\n' >"$T/good.conf"
ln -s "$T/good.conf" "$T/good-link"
expect_hellod "item 2: a symlink to a regular file is read (guard)" 0 "configuration OK$" \
    -t -c "$T/good-link"
expect_hellod "item 2: /dev/null, the one device read, is an empty file (guard)" 0 \
    "^hellod: /dev/null: configuration OK$" -t -c /dev/null

expect_check "item 2: hellod-check --config FIFO -t 1 ends at once with UNKNOWN" 3 \
    "^HELLOD UNKNOWN - cannot read $T/fifo: $notregular \(a FIFO\)" --config "$T/fifo" -t 1
expect_took "item 2: ... well within its 1 s deadline" 0 1000
expect_check "item 2: hellod-check --config /dev/zero ends at once with UNKNOWN" 3 \
    "^HELLOD UNKNOWN - cannot read /dev/zero: $notregular \(a character device\)" \
    --config /dev/zero -t 1
expect_check "item 2: hellod-check --json --config FIFO ends with UNKNOWN" 3 \
    '^\{"status":"UNKNOWN","code":3,.*"error":"config","message":"cannot read .*a FIFO' \
    --json --config "$T/fifo" -t 1

# Item 10: an IPv6 socket cannot bind ::ffff:a.b.c.d, so -t refuses it, as a start does.
PORT=$(free_port)
printf '[server]\nhost = ::ffff:127.0.0.1\nport = %s\n' "$PORT" >"$T/mapped.conf"
expect_hellod "item 10: hellod -t refuses host = ::ffff:127.0.0.1 with file:line" 78 \
    "^hellod: $T/mapped.conf:2: host = '::ffff:127.0.0.1': an IPv4-mapped address; write it as 127.0.0.1" \
    -t -c "$T/mapped.conf"
expect_hellod "item 10: ... and a start exits 78 too, as -t says" 78 \
    "$T/mapped.conf:2: host = '::ffff:127.0.0.1': an IPv4-mapped address" -c "$T/mapped.conf"
if has_ipv6; then
	fake_server reply 'mapped\n'
	expect_check "item 10: hellod-check -H ::ffff:127.0.0.1 still probes (guard)" 0 \
	    "^HELLOD OK - .* on ::ffff:127.0.0.1 port $FPORT \[mapped\]" \
	    -H ::ffff:127.0.0.1 -p "$FPORT" -e mapped
else
	skip "item 10: hellod-check -H ::ffff:127.0.0.1 still probes (guard)" "no IPv6"
fi

# Item 10's neighbours: getaddrinfo() would take 127.1, 2130706433, 127.0.0.010 (octal: .8)
# or 0x7f.0.0.1 as addresses, maybe not the one meant; only a dotted quad is one.
n=0
for host in 127.0.0.010 127.1 2130706433 0x7f.0.0.1 127.0.0.08; do
	n=$((n + 1))
	printf '[server]\nhost = %s\nport = %s\n' "$host" "$PORT" >"$T/numeric$n.conf"
	expect_hellod "item 10: host = $host is refused with file:line, not bound as another address" 78 \
	    "^hellod: $T/numeric$n.conf:2: host = '$host': not a dotted-quad IPv4 address" \
	    -t -c "$T/numeric$n.conf"
done
printf '[server]\nhost = 127.0.0.10\nport = %s\n' "$PORT" >"$T/quad.conf"
expect_hellod "item 10: host = 127.0.0.10 still passes (guard)" 0 "configuration OK$" \
    -t -c "$T/quad.conf"

# Item 11: inih ignores what follows "]"; hellod must not.
printf '[server] greeting = Custom\nport = 12345\n' >"$T/section.conf"
expect_hellod "item 11: text after a section header is an error with file:line" 78 \
    "^hellod: $T/section.conf:1: text after the section header: 'greeting = Custom'" \
    -t -c "$T/section.conf"
printf '[server] ; comment\ngreeting = Custom\n[log]\t# comment\n' >"$T/section-ok.conf"
expect_hellod "item 11: a comment after a section header is fine (guard)" 0 "configuration OK$" \
    -t -c "$T/section-ok.conf"

# Item 13: a greeting is UTF-8 without control characters but tab.
n=0
for bad in 'C1 CSI:\xc2\x9b' 'raw CSI:\x9b' 'NEL:\xc2\x85' 'overlong:\xc0\xaf' \
    'surrogate:\xed\xa0\x80' 'past U+10FFFF:\xf4\x90\x80\x80' 'truncated:\xe2\x82' \
    'Latin-1:caf\xe9'; do
	n=$((n + 1))
	what=${bad%%:*}
	printf '[server]\ngreeting = x%by\n' "${bad#*:}" >"$T/greeting$n.conf"
	expect_hellod "item 13: a greeting with $what is refused with file:line" 78 \
	    "^hellod: $T/greeting$n.conf:2: greeting = 'x.*': (control character U\+00|not UTF-8)" \
	    -t -c "$T/greeting$n.conf"
done
printf '[server]\ngreeting = caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\tU+00A0:\xc2\xa0.\n' \
    >"$T/utf8.conf"
expect_hellod "item 13: a greeting of valid UTF-8 and a tab still passes (guard)" 0 "configuration OK$" \
    -t -c "$T/utf8.conf"

# Item 13: --json also escapes the other bidi controls (the marks U+200E, U+200F, U+061C)
# and the line and paragraph separators, which a page would render as breaks.
fake_server reply 'a\xe2\x80\x8fb\xd8\x9cc\xe2\x80\x8ed\xe2\x80\xa8e\xe2\x80\xa9f\n'
run_check --json -H 127.0.0.1 -p "$FPORT" -e a
expect_eq "item 13: --json escapes U+200F, U+061C, U+200E, U+2028 and U+2029 as \\uXXXX" \
    '0 "reply":"a\u200fb\u061cc\u200ed\u2028e\u2029f\n"' \
    "$CRC $(grep -o '"reply":"[^"]*"' "$T/check.out")"

# Item 13: --json escapes C1 controls and bidi embeddings, overrides and isolates.
spoof='a\xc2\x9b2J \xe2\x80\xaeexe.txt\xe2\x80\xac \xe2\x81\xa6iso\xe2\x81\xa9 \xe2\x80\xaa\xe2\x80\xab\xe2\x80\xad\xe2\x81\xa7\xe2\x81\xa8 \xc3\xa9\n'
fake_server reply "$spoof"
run_check --json -H 127.0.0.1 -p "$FPORT" -e a
# bytes_over_7e FILE: how many bytes of FILE are 0x7f or more.
bytes_over_7e() { LC_ALL=C tr -d '\000-\176' <"$1" | wc -c; }
expect_eq "item 13: --json escapes U+009B and every bidi control as \\uXXXX" \
    '0 "reply":"a\u009b2J \u202eexe.txt\u202c \u2066iso\u2069 \u202a\u202b\u202d\u2067\u2068 é\n"' \
    "$CRC $(grep -o '"reply":"[^"]*"' "$T/check.out")"
expect_eq "item 13: ... leaving no raw byte of them (only the é's 2 bytes)" 2 \
    "$(bytes_over_7e "$T/check.out")"
run_check -H 127.0.0.1 -p "$FPORT" -e a
expect_eq "item 13: the status line shows them as \\xHH, no byte over 0x7e (verification)" \
    "0 0" "$CRC $(bytes_over_7e "$T/check.out")"
expect_grep "item 13: ... such as \\xc2\\x9b and \\xe2\\x80\\xae" \
    '\[a\\xc2\\x9b2J \\xe2\\x80\\xaeexe\.txt\\xe2\\x80\\xac ' "$T/check.out"
