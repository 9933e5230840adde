# SPDX-License-Identifier: BSD-2-Clause
# The metrics endpoint's accept() failing (issue 24: metrics.c's accept loop), made by
# tests/fault/fault.c on hellod's first accept4(), which a scraper's connection is (no greeting
# client comes): out of fds (EMFILE), the listener pauses 100 ms with a warning and the waiting
# scraper is then answered; a connection aborted before it was accepted (ECONNABORTED) is
# passed over without a word and the scraper answered. About 1 s.
. "$HELLOD_TOP/tests/lib.sh"

if [ -n "$HELLOD_CROSS" ]; then
	skip "metrics accept faults" \
		"the shim is the host's: it cannot be preloaded into $HELLOD_CROSS's hellod"
	exit 0
fi
if [ -n "${HELLOD_SANITIZER:-}" ] || [ -n "$HELLOD_WRAPPER" ]; then
	skip "metrics accept faults" \
		"the shim reaches no call under ASan or valgrind (049 too): make check runs it"
	exit 0
fi

port=$(free_port)
mport=$(free_port)
loopback_conf "$T/hellod.conf" "$port" "[metrics]" "listen = 127.0.0.1:$mport"

for err in EMFILE ECONNABORTED; do
	rm -f "$T/faulted"
	: >"$T/hellod.log"
	LD_PRELOAD=$HELLOD_BUILD/tests/fault.so HELLOD_FAULT=accept4:1:$err \
		HELLOD_FAULT_LOG=$T/faulted spawn_hellod "$T/hellod.log" -c "$T/hellod.conf"
	wait_until 20 log_has 'Started hellod' || fail "hellod starts" "$(cat "$T/hellod.log")"
	"$CLIENT" -t 10000 chunks 127.0.0.1 "$mport" 'GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n' \
		>"$T/answer" 2>&1
	expect_eq "$err on the scraper's accept4(): the scraper is still answered" \
		"HTTP/1.1 200 OK" "$(head -n 1 "$T/answer" | tr -d '\r')"
	check "... the fault met in hellod's first accept4()" \
		grep -q '^accept4 1 hellod' "$T/faulted"
	if [ "$err" = EMFILE ]; then
		expect_eq "... after a pause, said once" 1 "$(grep -c "^hellod: Failed to accept \
a scraper: Too many open files; pausing the metrics for 100 ms$" "$T/hellod.log")"
	else
		expect_no_grep "... without a word" "Failed to accept" "$T/hellod.log"
	fi
	stop_hellod
	expect_eq "... and hellod stops with 0" 0 "$HSTATUS"
done
