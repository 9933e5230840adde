# SPDX-License-Identifier: BSD-2-Clause
# Greeting variables and quotes (issue 18), as a client sees them: each variable over TCP and
# UDP, IPv4 and IPv6, and through a PROXY header; the literal $ rules; the config errors at
# file:line; $daytime and $time_iso8601 in two zones against Python's own formatting; quotes
# daily and per connection, multi-line, skipped, reloaded; UDP weighing each rendered reply
# against its request; hellod-check's config fallback expecting the greeting's fixed start.
. "$HELLOD_TOP/tests/lib.sh"
. "$HELLOD_TOP/tests/lib-check.sh"

port=$(free_port)
conf=$T/hellod.conf
# What $hostname shows: gethostname(), at most 64 bytes, each byte outside [A-Za-z0-9.-] a '-'.
HOST_SHOWN=$(hostname | head -c 64 | LC_ALL=C sed 's/[^A-Za-z0-9.-]/-/g')

# write_conf HOST LINE...: a config serving HOST:$port over TCP and UDP, LINEs added to [server].
write_conf() {
	wc_host=$1
	shift
	printf '[server]\nhost = %s\nport = %s\nudp = yes\n' "$wc_host" "$port" >"$conf"
	for wc_line in "$@"; do
		printf '%s\n' "$wc_line" >>"$conf"
	done
}
# reload: SIGHUP, and waits for the log to say it was applied (or, reload_fails, refused).
reload() {
	: >"$T/hellod.log"
	kill -HUP "$HPID"
	wait_until 10 log_has 'Reloaded' || fail "hellod reloads" "$(cat "$T/hellod.log")"
}
reload_fails() {
	: >"$T/hellod.log"
	kill -HUP "$HPID"
	wait_until 10 log_has 'Reloading .* failed'
}
# tcp_line / udp_line [CLIENT OPTIONS]: the greeting a client of 127.0.0.2 receives.
tcp_line() { "$CLIENT" -t 3000 -B 127.0.0.2 "$@" tcp 127.0.0.1 "$port" 2>&1; }
udp_line() { "$CLIENT" -t 3000 -B 127.0.0.2 "$@" udp 127.0.0.1 "$port" 2>&1; }
# counters: the line SIGUSR1 logs.
counters() {
	c_seen=$(grep -c 'Serving TCP .*greetings' "$T/hellod.log")
	kill -USR1 "$HPID"
	wait_until 5 at_least $((c_seen + 1)) 'Serving TCP .*greetings' "$T/hellod.log" &&
		grep -E 'Serving TCP .*greetings' "$T/hellod.log" | tail -n 1
}
udp_too_small() {
	counters | grep -Eo '[0-9]+ too small or from a service port' | cut -d' ' -f1
}

# --- Config errors, each at its file:line (hellod -t exits 78, EX_CONFIG) ---
# config_error NAME LINE PATTERN LINE...: a config of LINEs in [server] is refused, and the
# message names FILE:LINE and matches PATTERN.
config_error() {
	ce_name=$1 ce_line=$2 ce_pattern=$3
	shift 3
	ce_file=$T/bad.conf
	printf '[server]\nport = %s\n' "$port" >"$ce_file"
	printf '%s\n' "$@" >>"$ce_file"
	hellod -t -c "$ce_file" >"$T/t.out" 2>&1
	ce_rc=$?
	if [ "$ce_rc" = 78 ] && grep -Fq "$ce_file:$ce_line: " "$T/t.out" &&
	    grep -Eq -- "$ce_pattern" "$T/t.out"; then
		pass "$ce_name: exit 78 at $(basename "$ce_file"):$ce_line"
	else
		fail "$ce_name" "expected: exit 78, '$ce_file:$ce_line: ' and /$ce_pattern/" \
		    "actual:   exit $ce_rc: $(cat "$T/t.out")"
	fi
}
KNOWN='\$hostname, \$remote_addr, \$remote_port, \$server_addr, \$server_port, \$protocol, '
KNOWN="$KNOWN"'\$time_iso8601, \$daytime, \$quote'
config_error "an unknown variable \$nope, the known names listed" 3 "unknown variable \\\$nope; .*$KNOWN" \
	'greeting = hi $nope'
config_error "\$hostnames (no braces) is an unknown variable" 4 'unknown variable \$hostnames' \
	'udp = no' 'greeting = at $hostnames'
config_error "an unterminated \${" 3 'unterminated \$\{' 'greeting = hi ${hostname'
# Eight addresses of 56 bytes at most (448) and 64 bytes of text: 512, one over.
eight='$remote_addr$remote_addr$remote_addr$remote_addr$remote_addr$remote_addr$remote_addr'
eight="$eight"'$remote_addr'
text64=$(printf 'x%.0s' $(seq 1 64))
config_error "eight \$remote_addr and 64 bytes of text could be 512 bytes" 3 \
	'can make it 512 bytes long.*at most 511' "greeting = $text64$eight"
printf '[server]\nport = %s\ngreeting = %s\n' "$port" "${text64#x}$eight" >"$T/ok.conf"
hellod -t -c "$T/ok.conf" >"$T/t.out" 2>&1
expect_eq "... and with 63 bytes of text, 511 at most, it is accepted" "0" "$?" ||
	cat "$T/t.out"
config_error "\$quote without a quotes file" 3 '\$quote needs a quotes file' 'greeting = $quote'
config_error "a missing quotes file" 3 "quotes = 'none': No such file" 'quotes = none' \
	'greeting = $quote'
: >"$T/empty"
config_error "an empty quotes file" 4 "quotes = '$T/empty': no quote in the file" \
	'greeting = $quote' "quotes = $T/empty"
mkdir "$T/dir"
config_error "a directory as the quotes file" 3 "quotes = '$T/dir': not a regular file" \
	"quotes = $T/dir" 'greeting = $quote'
printf 'alpha\n%%\n%s\n%%\n' "$(printf 'y%.0s' $(seq 1 507))" >"$T/q.long"
config_error "a quote of 507 bytes and 5 of text: 512" 4 'with the longest quote' \
	"quotes = $T/q.long" 'greeting = $quote more'

# --- Expansion, IPv4, TCP and UDP, from a known address and port ---
GREETING='greeting = protocol=$protocol remote=$remote_addr rport=$remote_port server=$server_addr sport=$server_port host=$hostname'
# field NAME: NAME's value in $T/out, the greeting above.
field() { tr ' ' '\n' <"$T/out" | sed -n "s/^$1=//p"; }
# expansion PROTO SERVER CLIENTADDR: the variables a client of CLIENTADDR sees over PROTO.
expansion() {
	ex_proto=$1 ex_server=$2 ex_client=$3
	ex_sport=$(free_port)
	"$CLIENT" -t 3000 -B "$ex_client" -P "$ex_sport" "$(echo "$ex_proto" | tr A-Z a-z)" \
		"$ex_server" "$port" >"$T/out" 2>&1
	ex="$ex_proto $ex_client -> $ex_server:"
	expect_eq "$ex \$protocol is $ex_proto" "$ex_proto" "$(field protocol)"
	expect_eq "$ex \$remote_addr is the client's address" "$ex_client" "$(field remote)"
	expect_eq "$ex \$remote_port is the client's port" "$ex_sport" "$(field rport)"
	expect_eq "$ex \$server_addr is the address it reached" "$ex_server" "$(field server)"
	expect_eq "$ex \$server_port is the port it reached" "$port" "$(field sport)"
	expect_eq "$ex \$hostname is hostname's, sanitised" "$HOST_SHOWN" "$(field host)"
}
write_conf 127.0.0.1 'proxy_protocol = yes' 'trusted_proxies = 127.0.0.1' "$GREETING"
start_hellod "$conf"
expansion TCP 127.0.0.1 127.0.0.2
expansion UDP 127.0.0.1 127.0.0.2
# 127.0.0.1 is the trusted proxy: its header names the client.
"$CLIENT" -t 3000 chunks 127.0.0.1 "$port" 'PROXY TCP4 192.0.2.7 127.0.0.1 5555 12345\r\n' \
	>"$T/out" 2>&1
expect_eq "through a trusted proxy's PROXY v1 header, \$remote_addr is its client's" \
	"192.0.2.7" "$(field remote)"
expect_eq "... and \$remote_port its client's port" "5555" "$(field rport)"
expect_eq "... while \$server_addr:\$server_port stay hellod's own, as nginx's \$server_addr" \
	"127.0.0.1:$port" "$(field server):$(field sport)"
"$CLIENT" -t 3000 -B 127.0.0.3 chunks 127.0.0.1 "$port" \
	'PROXY TCP4 192.0.2.99 127.0.0.1 7777 12345\r\n' >"$T/out" 2>&1
expect_eq "an untrusted peer's forged header: \$remote_addr is the peer's own" \
	"127.0.0.3" "$(field remote)"

# --- The literal $ rules, each a reload ---
literal() {
	write_conf 127.0.0.1 "greeting = $2"
	reload
	expect_eq "$1" "$3" "$(tcp_line)"
}
literal "\$\$ is a literal \$" 'a $$ b' 'a $ b'
literal "\$\$hostname is the text \$hostname" '$$hostname' '$hostname'
literal "costs \$5 is sent as it is" 'costs $5' 'costs $5'
literal "\${hostname}s: the name next to letters" '${hostname}s' "${HOST_SHOWN}s"
literal "a \$ at the end is literal" 'ends in $' 'ends in $'
literal "a \$ before a space or a dot is literal" 'a $ b $.' 'a $ b $.'
stop_hellod

# --- Expansion, IPv6 ---
if has_ipv6; then
	write_conf ::1 "$GREETING"
	start_hellod "$conf"
	expansion TCP ::1 ::1
	expansion UDP ::1 ::1
	stop_hellod
else
	skip "expansion over IPv6" "no ::1 on this machine"
fi

# --- Time, in two zones, against Python's formatting of the seconds around the greeting ---
# py_times KIND FROM TO: KIND (iso or daytime) for each second FROM..TO, in $TZ.
py_times() {
	LC_ALL=C python3 - "$@" <<-'EOF'
	import sys, time
	kind, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
	for s in range(first, last + 1):
	    tm = time.localtime(s)
	    if kind == "iso":
	        z = time.strftime("%z", tm)
	        print(time.strftime("%Y-%m-%dT%H:%M:%S", tm) + z[:3] + ":" + z[3:])
	    else:
	        print(time.strftime("%A, %B ", tm) + str(tm.tm_mday) +
	              time.strftime(", %Y %H:%M:%S-%Z", tm))
	EOF
}
# time_is NAME KIND FORM [CLIENT OPTIONS]: the greeting, read between two clock readings, is
# Python's KIND of one of the seconds between them, and has the extended regex FORM.
time_is() {
	ti_name=$1 ti_kind=$2 ti_form=$3
	shift 3
	ti_from=$(date +%s)
	ti_got=$("$CLIENT" -t 3000 -B 127.0.0.2 "$@" 127.0.0.1 "$port" 2>&1)
	ti_to=$(date +%s)
	py_times "$ti_kind" "$ti_from" "$ti_to" >"$T/py.out"
	if grep -Fxq -- "$ti_got" "$T/py.out" && printf '%s\n' "$ti_got" | grep -Eq -- "$ti_form"
	then
		pass "$ti_name ($ti_got)"
	else
		fail "$ti_name" "expected one of: $(tr '\n' '|' <"$T/py.out") in /$ti_form/" \
		    "actual:   $ti_got"
	fi
}
ISO='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}'
DAYS='(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)'
MONTHS='(January|February|March|April|May|June|July|August|September|October|November|December)'
DAYTIME="^$DAYS, $MONTHS [1-9][0-9]?, [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}-"
for zone in UTC America/Los_Angeles; do
	case $zone in
	UTC) offsets='\+00:00' abbrev='UTC' ;;
	*) offsets='-0[78]:00' abbrev='P[DS]T' ;;
	esac
	write_conf 127.0.0.1 'greeting = $daytime'
	export TZ=$zone
	start_hellod "$conf"
	time_is "TZ=$zone: \$daytime over TCP is RFC 867's form, as Python formats it" daytime \
		"$DAYTIME$abbrev\$" tcp
	time_is "TZ=$zone: \$daytime over UDP" daytime "$DAYTIME$abbrev\$" udp
	write_conf 127.0.0.1 'greeting = $time_iso8601'
	reload
	time_is "TZ=$zone: \$time_iso8601, the offset with a colon, as Python formats it" iso \
		"$ISO$offsets\$" tcp
	time_is "TZ=$zone: \$time_iso8601 over UDP" iso "$ISO$offsets\$" udp
	if [ "$zone" = UTC ]; then
		# Formatted once a second, not once: a second later the time has moved on.
		sleep 1.1
		time_is "TZ=$zone: \$time_iso8601 1.1 s later, the new second" iso "$ISO$offsets\$" tcp
	fi
	stop_hellod
	unset TZ
done

# --- Quotes ---
printf 'alpha\n%%\nbeta\n%%\ngamma\n' >"$T/q3"
write_conf 127.0.0.1 'workers = 4' "quotes = $T/q3" 'greeting = $quote'
start_hellod "$conf"
for _ in $(seq 1 50); do
	tcp_line -P "$(free_port)"
done | sort | uniq -c >"$T/daily"
day_quote=$(awk '{ print $2 }' "$T/daily")
expect_eq "quote_rotation = daily: 50 connections over 4 workers get one quote, 50 times" \
	"50 $day_quote" "$(awk '{ print $1, $2 }' "$T/daily")" || cat "$T/daily"
check "... one of the file's" grep -Eqx 'alpha|beta|gamma' <<<"$day_quote"
expect_eq "... and UDP the same" "$day_quote" "$(udp_line)"
stop_hellod
start_hellod "$conf"
expect_eq "... and after a restart the same" "$day_quote" "$(tcp_line)"
stop_hellod

write_conf 127.0.0.1 'quote_rotation = connection' "quotes = $T/q3" 'greeting = $quote'
start_hellod "$conf"
seq_tcp=$(for _ in 1 2 3 4 5 6; do tcp_line; done | tr '\n' ' ')
expect_eq "quote_rotation = connection, one worker: each connection the next quote, in order" \
	"alpha beta gamma alpha beta gamma " "$seq_tcp"
seq_udp=$(for _ in 1 2 3; do udp_line -P "$(free_port)"; done | sort | tr '\n' ' ')
expect_eq "... and datagrams cycle through every quote too" "alpha beta gamma " "$seq_udp"

# A multi-line quote, LF and CRLF, arrives whole, with one newline at its end.
printf 'First line,\n\tsecond, indented.\n    -- Someone\n%%\n' >"$T/q.lf"
printf 'First line,\n\tsecond, indented.\n    -- Someone\n' >"$T/want.lf"
write_conf 127.0.0.1 "quotes = $T/q.lf" 'greeting = $quote'
reload
"$CLIENT" -t 3000 -B 127.0.0.2 tcp 127.0.0.1 "$port" >"$T/got.lf" 2>&1
check "a three-line quote from an LF file arrives whole over TCP" cmp -s "$T/want.lf" "$T/got.lf"
"$CLIENT" -t 3000 -B 127.0.0.2 udp 127.0.0.1 "$port" >"$T/got.lf" 2>&1
check "... and over UDP, in one datagram" cmp -s "$T/want.lf" "$T/got.lf"
printf 'One,\r\ntwo,\r\nthree.\r\n%%\r\n' >"$T/q.crlf"
printf 'One,\r\ntwo,\r\nthree.\n' >"$T/want.crlf"
write_conf 127.0.0.1 "quotes = $T/q.crlf" 'greeting = $quote'
reload
"$CLIENT" -t 3000 -B 127.0.0.2 tcp 127.0.0.1 "$port" >"$T/got.crlf" 2>&1
check "a CRLF file's quote keeps its CRLFs inside, and ends with the greeting's newline" \
	cmp -s "$T/want.crlf" "$T/got.crlf" || od -c "$T/got.crlf" | sed 's/^/# /'

# An over-long quote and one with a control character are skipped, with one warning.
long=$(printf 'z%.0s' $(seq 1 512))
printf 'alpha\n%%\n%s\n%%\nbell\007here\n%%\nbeta\n' "$long" >"$T/q.skip"
write_conf 127.0.0.1 'quote_rotation = connection' "quotes = $T/q.skip" 'greeting = $quote'
stop_hellod
start_hellod "$conf"
expect_eq "a quote of 512 bytes and one with a BEL are skipped: one warning says 2" "1" \
	"$(grep -c 'q.skip: 2 quotes skipped' "$T/hellod.log")" || cat "$T/hellod.log"
seq_skip=$(for _ in 1 2 3 4; do tcp_line; done | tr '\n' ' ')
expect_eq "... and only the others are served" "alpha beta alpha beta " "$seq_skip"

# A reload with a broken file keeps the old quotes; one with a good file switches.
mv "$T/q.skip" "$T/q.skip.gone"
check "a reload with the quotes file removed is refused" reload_fails
expect_grep "... the log says why" "quotes = '.*q.skip': No such file" "$T/hellod.log"
seq_skip=$(for _ in 1 2; do tcp_line; done | sort | tr '\n' ' ')
expect_eq "... and the old quotes still serve" "alpha beta " "$seq_skip"
printf '%s\n%%\n%s\n' "$long" "$long" >"$T/q.skip"
check "a reload with only over-long quotes is refused" reload_fails
expect_grep "... the log says why" "no usable quote: 2 skipped" "$T/hellod.log"
seq_skip=$(for _ in 1 2; do tcp_line; done | sort | tr '\n' ' ')
expect_eq "... and the old quotes still serve" "alpha beta " "$seq_skip"
printf 'delta\n%%\nepsilon\n' >"$T/q.skip"
reload
seq_skip=$(for _ in 1 2; do tcp_line; done | sort | tr '\n' ' ')
expect_eq "a reload with a good file switches to its quotes" "delta epsilon " "$seq_skip"

# The README's Quote of the Day: Debian's fortunes-min, each greeting one of its quotes.
FORTUNES=/usr/share/games/fortunes/fortunes
# is_quote_of FILE GOT: GOT, less its newline, is one of FILE's quotes, as fortune(6) splits it.
is_quote_of() {
	python3 - "$1" "$2" <<-'EOF'
	import re, sys
	quotes = re.split(rb"(?m)^%\n", open(sys.argv[1], "rb").read())
	got = open(sys.argv[2], "rb").read()
	# hellod sends a quote without the newlines that end it, then its own.
	sys.exit(not (got.endswith(b"\n") and got[:-1] in [q.rstrip(b"\n") for q in quotes]))
	EOF
}
if [ -r "$FORTUNES" ]; then
	write_conf 127.0.0.1 'greeting = $quote' "quotes = $FORTUNES" 'quote_rotation = connection'
	reload
	"$CLIENT" -t 3000 -B 127.0.0.2 tcp 127.0.0.1 "$port" >"$T/got.fortune" 2>&1
	check "greeting = \$quote, quotes = $FORTUNES: a quote of the file, whole" \
		is_quote_of "$FORTUNES" "$T/got.fortune"
	"$CLIENT" -t 3000 -B 127.0.0.2 tcp 127.0.0.1 "$port" >"$T/got.fortune2" 2>&1
	check "... and the next connection another" sh -c "! cmp -s '$T/got.fortune' '$T/got.fortune2'"
	check "... which is one too" is_quote_of "$FORTUNES" "$T/got.fortune2"
else
	skip "the README's quote of the day" "no $FORTUNES (Debian's fortunes-min)"
fi

# --- UDP: each rendered reply weighed against its own request ---
write_conf 127.0.0.1 'greeting = Hello $remote_addr' '[limits]' 'udp_max_ratio = 1'
reload
before=$(udp_too_small)
# "Hello 127.0.0.2\n" is 16 bytes, though the greeting could be 62.
"$CLIENT" -t 1000 -B 127.0.0.2 -P "$(free_port)" -s 'xxxxxxxxxxxxxxx' udp 127.0.0.1 "$port" \
	>"$T/out" 2>&1
expect_eq "udp_max_ratio = 1: a 15-byte request for a 16-byte rendering gets no reply" "3" "$?"
got=$(udp_line -P "$(free_port)" -s 'xxxxxxxxxxxxxxxx')
expect_eq "... a 16-byte request gets it" "Hello 127.0.0.2" "$got"
"$CLIENT" -t 1000 -B 127.0.0.10 -P "$(free_port)" -s 'xxxxxxxxxxxxxxxx' udp 127.0.0.1 \
	"$port" >"$T/out" 2>&1
expect_eq "... but not 127.0.0.10, whose rendering is 17 bytes" "3" "$?"
expect_eq "... the two refusals counted as too small in the SIGUSR1 line" \
	"$(( ${before:-0} + 2 ))" "$(udp_too_small)"

# --- hellod-check: the config fallback expects the fixed start ---
write_conf 127.0.0.1 'greeting = Hello from $hostname to $remote_addr'
reload
expect_check "hellod-check --config: a templated greeting's fixed start 'Hello from ': OK" 0 \
	'^HELLOD OK' --config "$conf"
expect_check "hellod-check --config -u: the same over UDP: OK" 0 '^HELLOD OK' --config "$conf" -u
if grep -Eqx '[a-z0-9.-]+' <<<"$HOST_SHOWN"; then
	expect_check "hellod-check -r '^Hello from [a-z0-9.-]+ to ': OK" 0 '^HELLOD OK' \
		-H 127.0.0.1 -p "$port" -r '^Hello from [a-z0-9.-]+ to '
else
	skip "hellod-check -r '^Hello from [a-z0-9.-]+ to '" "the host name $HOST_SHOWN has capitals"
fi
sed 's/^greeting = .*/greeting = Howdy from $hostname to $remote_addr/' "$conf" >"$T/other.conf"
expect_check "hellod-check --config whose greeting's fixed start differs: CRITICAL" 2 \
	'^HELLOD CRITICAL - reply not starting with \[Howdy from \]' --config "$T/other.conf"
stop_hellod
expect_eq "hellod stops cleanly" "0" "$HSTATUS"
