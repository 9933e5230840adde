#!/bin/bash
# hellod-check's command line: help, version, bad usage (UNKNOWN), configs, --json.
. "$HELLOD_TOP/tests/lib.sh"
. "$HELLOD_TOP/tests/lib-check.sh"

PORT=$(free_port)
loopback_conf "$T/hellod.conf" "$PORT"
start_hellod "$T/hellod.conf"

run_check --help
expect_eq "--help exits 0" 0 "$CRC"
missing=""
for opt in --config -H -p -u -e -r -w -c -t -4 -6 -q --json -h -V; do
	grep -Eq -- "^ +(-[a-zA-Z0-9], )?$opt( |,)" "$T/check.out" || missing="$missing $opt"
done
expect_eq "--help shows the usage and every option" "Usage: hellod-check [OPTION]..., missing:" \
    "$(head -n 1 "$T/check.out"), missing:$missing"
run_check -V
expect_eq "-V prints the version and exits 0" "0 hellod-check 0.1.0" "$CRC $(cat "$T/check.out")"
: >"$T/check.all"

# Bad usage: UNKNOWN (3), one line, no probe made.
unknown="^HELLOD UNKNOWN - .*\(see hellod-check --help\)$"
expect_check "an unknown option is UNKNOWN" 3 "^HELLOD UNKNOWN - unknown option -x " -x
expect_check "an unknown long option is UNKNOWN" 3 "^HELLOD UNKNOWN - --bogus: unknown option" --bogus
expect_check "a missing argument is UNKNOWN" 3 "^HELLOD UNKNOWN - -t: needs an argument" -t
expect_check "an operand is UNKNOWN" 3 "^HELLOD UNKNOWN - unexpected argument \"extra\"" extra
expect_check "a negative timeout is UNKNOWN" 3 "^HELLOD UNKNOWN - -t: not a number" -t -1
expect_check "a zero timeout is UNKNOWN" 3 "^HELLOD UNKNOWN - -t: out of range" -t 0
expect_check "an hour and more is UNKNOWN" 3 "^HELLOD UNKNOWN - -w: out of range" -w 3601
expect_check "a word for seconds is UNKNOWN" 3 "^HELLOD UNKNOWN - -c: not a number" -c soon
expect_check "a port out of range is UNKNOWN" 3 "^HELLOD UNKNOWN - -p: not a port" -p 65536
expect_check "a bad host is UNKNOWN" 3 "^HELLOD UNKNOWN - -H: not a host name" -H 'a b'
expect_check "-e and -r together are UNKNOWN" 3 "^HELLOD UNKNOWN - -e and -r" -e a -r b
expect_check "a bad regex is UNKNOWN" 3 "^HELLOD UNKNOWN - -r: " -r '('
expect_check "an empty -e is UNKNOWN" 3 "^HELLOD UNKNOWN - -e: an empty string" -e ''
expect_check "-4 with -6 is UNKNOWN" 3 "^HELLOD UNKNOWN - -4 and -6" -4 -6
expect_check "every usage error points to --help" 3 "$unknown" -w
expect_check "--json=x is UNKNOWN, named as given" 3 \
    "^HELLOD UNKNOWN - --json=x: unknown option, or one that takes no argument" --json=x
expect_check "--quiet=1 is UNKNOWN, named as given" 3 \
    "^HELLOD UNKNOWN - --quiet=1: unknown option, or one that takes no argument" --quiet=1
expect_check "an empty --prom is UNKNOWN" 3 "^HELLOD UNKNOWN - --prom: needs a file name" --prom ''
expect_check "of two usage errors the first is named (-t 0 -w 3601)" 3 \
    "^HELLOD UNKNOWN - -t: out of range: \"0\"" -t 0 -w 3601
expect_check "... and of the same two the other way round, again the first" 3 \
    "^HELLOD UNKNOWN - -w: out of range: \"3601\"" -w 3601 -t 0
expect_check "an unknown option byte is shown escaped" 3 '^HELLOD UNKNOWN - unknown option -\\x01 ' \
    -$'\x01'

# What the user typed cannot break the line: no newline, no | (no perfdata here at all).
one_line_no_bar() {
	[ "$(wc -l <"$T/check.out")" = 1 ] && ! grep -q '|' "$T/check.out"
}
for args in "-H a\nb|c" "x|y\nz" "--config /nonexistent/a|b\nc" "-p 1|2" "-t 1|2"; do
	# shellcheck disable=SC2086 # split on purpose; \n becomes a newline inside an argument
	# shellcheck disable=SC2046 # the arguments are meant to split
	run_check $(printf '%b' "$args")
	check "bad usage with '$args' is one line without |" one_line_no_bar
done
printf '[server]\nport = 1\nco|our = blue\n' >"$T/bar.conf"
run_check --config "$T/bar.conf"
check "a config error with | in it is one line without |" one_line_no_bar
expect_check "a name that does not resolve is UNKNOWN" 3 \
    "^HELLOD UNKNOWN - cannot resolve no-such-host\.invalid[: ].*\|time=" \
    -H no-such-host.invalid -p "$PORT" -t 3 --config "$T/hellod.conf"

# The daemon's config: a missing one named with --config, and a broken one, are UNKNOWN.
expect_check "a missing --config is UNKNOWN" 3 \
    "^HELLOD UNKNOWN - cannot read $T/nonexistent.conf: No such file" --config "$T/nonexistent.conf"
printf '[server]\nport = %s\ncolour = blue\n' "$PORT" >"$T/broken.conf"
expect_check "a broken config is UNKNOWN, naming file:line" 3 \
    "^HELLOD UNKNOWN - $T/broken.conf:3: .*colour" --config "$T/broken.conf"
expect_check "-H, -p and -e make the config unnecessary" 0 "^HELLOD OK - " \
    -H 127.0.0.1 -p "$PORT" -e Thank --config "$T/broken.conf"

# --json: one object that a JSON parser reads, with the documented fields.
json_is() {
	jq -e "$1" "$T/check.out" >/dev/null 2>&1 && [ "$(wc -l <"$T/check.out")" = 1 ]
}
run_check --json --config "$T/hellod.conf"
check "--json OK: status, code, host, port, proto, seconds, reply, error" json_is \
    ".status == \"OK\" and .code == 0 and .host == \"127.0.0.1\" and .address == \"127.0.0.1\"
     and .port == $PORT and .proto == \"tcp\" and (.seconds | type) == \"number\"
     and .bytes == 25 and .truncated == false
     and .reply == \"Thank you for connecting\n\" and .error == null"
expect_eq "--json exits as the status line would" 0 "$CRC"

CLOSED=$(free_port)
run_check --json -H 127.0.0.1 -p "$CLOSED" --config "$T/hellod.conf"
check "--json CRITICAL: refused, no reply" json_is \
    '.status == "CRITICAL" and .code == 2 and .error == "connection refused" and .reply == null'
expect_eq "--json CRITICAL exits 2" 2 "$CRC"

fake_server reply 'caf\xc3\xa9 \xff\x00"\\\t\n'
run_check --json -H 127.0.0.1 -p "$FPORT" --config "$T/hellod.conf"
check "--json: a binary reply is valid JSON, UTF-8 kept, other bytes as code points" json_is \
    '.code == 2 and .error == "unexpected reply" and .reply == "caf\u00e9 \u00ff\u0000\"\\\t\n"'

fake_server reply "$(head -c 5000 /dev/zero | tr '\0' b)"
run_check --json -H 127.0.0.1 -p "$FPORT" -e bbb --config "$T/hellod.conf"
check "--json: a long reply is cut at 4096 bytes and says so" json_is \
    '.code == 0 and .bytes == 4096 and .truncated == true and (.reply | length) == 4096'

run_check --json -t 0
check "--json: bad usage is a JSON object too" json_is \
    '.status == "UNKNOWN" and .code == 3 and .error == "usage" and .seconds == null'

run_check --json -q --config "$T/hellod.conf"
expect_eq "--json -q: nothing when OK" "0, 0 bytes" "$CRC, $(wc -c <"$T/check.out") bytes"

printf '[server]\nhost = 0.0.0.0\nport = %s\n' "$PORT" >"$T/any4.conf"
expect_check "host = 0.0.0.0 is probed at 127.0.0.1" 0 "^HELLOD OK - .* on 127\.0\.0\.1 port $PORT " \
    --config "$T/any4.conf"
expect_check "-6 with host = 0.0.0.0 is UNKNOWN" 3 \
    "^HELLOD UNKNOWN - -6: 127\.0\.0\.1 is an IPv4 address" -6 --config "$T/any4.conf"
expect_check "-6 with an IPv4 literal is UNKNOWN" 3 "^HELLOD UNKNOWN - -6: 127\.0\.0\.1 is an IPv4" \
    -6 -H 127.0.0.1 -p "$PORT" -e x
expect_check "-4 with an IPv6 literal is UNKNOWN" 3 "^HELLOD UNKNOWN - -4: ::1 is an IPv6" \
    -4 -H ::1 -p "$PORT" -e x

# IPv6: a literal, and -6 turning a wildcard config host into ::1.
if has_ipv6; then
	PORT6=$(free_port)
	printf '[server]\nhost = ::1\nport = %s\n' "$PORT6" >"$T/v6.conf"
	stop_hellod
	start_hellod "$T/v6.conf"
	expect_check "an IPv6 literal from the config" 0 "^HELLOD OK - .* on ::1 port $PORT6 " \
	    --config "$T/v6.conf"
	printf '[server]\nport = %s\n' "$PORT6" >"$T/wild.conf"
	expect_check "-6 probes ::1 for a wildcard host" 0 "^HELLOD OK - .* on ::1 port $PORT6 " \
	    -6 --config "$T/wild.conf"
	expect_check "-4 probes 127.0.0.1 for a wildcard host" 2 \
	    "^HELLOD CRITICAL - connection refused on 127\.0\.0\.1 port $PORT6" -4 --config "$T/wild.conf"
	printf '[server]\nhost = ::\nport = %s\n' "$PORT6" >"$T/any6.conf"
	expect_check "host = :: is probed at ::1" 0 "^HELLOD OK - .* on ::1 port $PORT6 " \
	    --config "$T/any6.conf"
	run_check --json --config "$T/any6.conf"
	check "--json names the host as configured and the address probed" json_is \
	    '.host == "::" and .address == "::1"'
	expect_check "-4 with host = :: is UNKNOWN" 3 "^HELLOD UNKNOWN - -4: ::1 is an IPv6 address" \
	    -4 --config "$T/any6.conf"
else
	skip "IPv6 probes" "no IPv6 loopback (::1) on this machine"
fi

check "every status line's performance data follows the plugin grammar" perfdata_ok "$T/check.all"
stop_hellod
