# SPDX-License-Identifier: BSD-2-Clause
# hellod-check when its own system calls fail (issue 24: probe.c's error paths), each failure
# made by tests/fault/fault.c and seen in its log to have happened in hellod-check: a PROXY
# header whose send() is refused for now (EAGAIN, EINTR) is sent again and the check is OK, the
# header reaching hellod; one that cannot be sent is CRITICAL naming why, and one this machine
# is short of buffers for is UNKNOWN; the same for UDP's socket(), connect() and send(). And a
# verdict that cannot be written out (stdout a full device) is not OK. About 1 s.
. "$HELLOD_TOP/tests/lib.sh"
. "$HELLOD_TOP/tests/lib-check.sh"

if [ -n "$HELLOD_CROSS" ]; then
	skip "hellod-check's faults" \
		"the shim is the host's: it cannot be preloaded into $HELLOD_CROSS's hellod-check"
	exit 0
fi
if [ -n "${HELLOD_SANITIZER:-}" ]; then
	skip "hellod-check's faults" \
		"in an ASan build no call reaches the shim's wrappers (049 too): make check runs it"
	exit 0
fi
if [ -n "$HELLOD_WRAPPER" ]; then
	skip "hellod-check's faults" \
		"the shim is not preloaded under valgrind (as in 049): make check runs it"
	exit 0
fi

port=$(free_port)
loopback_conf "$T/hellod.conf" "$port" "udp = yes" "proxy_protocol = yes" \
	"trusted_proxies = 127.0.0.1" "[log]" "connections = yes"
start_hellod "$T/hellod.conf"

# faulted NAME FAULT STATUS PATTERN ARGS...: hellod-check -H 127.0.0.1 -p PORT ARGS with FAULT
# (FUNC:N:ERRNO) exits with STATUS and one line matching PATTERN, and the shim's log shows
# call N of FUNC failed in hellod-check itself.
faulted() {
	f_name=$1 f_fault=$2 f_status=$3 f_pattern=$4
	shift 4
	rm -f "$T/faulted"
	CHECK_IN="env LD_PRELOAD=$HELLOD_BUILD/tests/fault.so HELLOD_FAULT=$f_fault"
	CHECK_IN="$CHECK_IN HELLOD_FAULT_LOG=$T/faulted"
	expect_check "$f_name" "$f_status" "$f_pattern" -H 127.0.0.1 -p "$port" -t 3 "$@"
	CHECK_IN=""
	f_call=$(echo "$f_fault" | cut -d: -f1-2 | tr : ' ')
	expect_grep "... the fault ($f_fault) met in hellod-check" "^$f_call hellod-check\+" \
		"$T/faulted"
}

# A header the kernel takes only on a second try: sent whole, hellod reads it and greets.
ok="^HELLOD OK - .* after a PROXY v1 header \[Thank you for connecting\]"
for err in EAGAIN EINTR; do
	greeted=$(grep -c "over TCP (from a PROXY header)" "$T/hellod.log")
	faulted "a PROXY header's send() failing with $err is sent again: OK" "send:1:$err" 0 \
		"$ok" --proxy v1
	check "... and hellod read the header" wait_until 5 at_least $((greeted + 1)) \
		"over TCP \(from a PROXY header\)" "$T/hellod.log"
done
faulted "a PROXY header that cannot be sent is CRITICAL, naming why" send:1:EPIPE 2 \
	"^HELLOD CRITICAL - PROXY v1 header not sent: Broken pipe on 127.0.0.1 port $port\|" \
	--proxy v1
faulted "a PROXY header this machine has no buffers for is UNKNOWN" send:1:ENOBUFS 3 \
	"^HELLOD UNKNOWN - cannot probe: No buffer space available\|" --proxy v2

# UDP: no socket, a refused connect(), no buffers for the request.
faulted "UDP: no socket to probe with is UNKNOWN" socket:1:EMFILE 3 \
	"^HELLOD UNKNOWN - cannot probe: Too many open files\|" -u
faulted "UDP: connect() refused is CRITICAL, naming why" connect:1:EACCES 2 \
	"^HELLOD CRITICAL - Permission denied on 127.0.0.1 UDP port $port\|" -u
faulted "UDP: no buffers for the request is UNKNOWN" send:1:ENOBUFS 3 \
	"^HELLOD UNKNOWN - cannot probe: No buffer space available\|" -u

# A verdict that cannot be written is not OK: the probe succeeded, the report did not.
# (127.0.0.1 is a trusted proxy here: the probe sends a header.)
$HELLOD_WRAPPER "$HELLOD_BUILD/hellod-check" -H 127.0.0.1 -p "$port" -t 3 --proxy v2 >/dev/full
expect_eq "OK that cannot be written to stdout (/dev/full) exits 3, not 0" 3 "$?"
run_check -H 127.0.0.1 -p "$port" -t 3 --proxy v2
expect_eq "... where the same probe to a file is OK" 0 "$CRC"
