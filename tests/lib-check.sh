# SPDX-License-Identifier: BSD-2-Clause
# Sourced after tests/lib.sh by the system tests that run hellod-check or score the installed
# units: hellod-check run and timed, its one status line and perfdata asserted, and the units'
# exposure under systemd-analyze security. Daemon control stays in lib.sh.

# run_check ARGS...: runs hellod-check; its output goes to $T/check.out (and is added to
# $T/check.all), its exit status to CRC, the milliseconds it took to CMS. It runs under
# $HELLOD_WRAPPER (valgrind) like hellod, and under $CHECK_IN when set (a function that
# enters a namespace).
run_check() {
	run_t0=$(now_ms)
	${CHECK_IN:-} $HELLOD_WRAPPER "$HELLOD_BUILD/hellod-check" "$@" >"$T/check.out" \
	    2>"$T/check.err"
	CRC=$?
	CMS=$(( $(now_ms) - run_t0 ))
	cat "$T/check.out" >>"$T/check.all"
}

# expect_took NAME MIN MAX: the last run_check took from MIN to MAX milliseconds. Bounds
# such as "the deadline plus a margin": correctness, not speed.
expect_took() {
	if [ "$CMS" -ge "$2" ] && [ "$CMS" -lt "$3" ]; then
		pass "$1 (${CMS} ms)"
	else
		fail "$1" "took ${CMS} ms, not $2 to $3"
	fi
}

# expect_check NAME STATUS PATTERN ARGS...: hellod-check ARGS exits with STATUS, writes nothing
# to stderr and exactly one line to stdout, which matches the extended regex PATTERN.
expect_check() {
	ec_name=$1 ec_status=$2 ec_pattern=$3
	shift 3
	run_check "$@"
	ec_lines=$(wc -l <"$T/check.out")
	if [ "$CRC" = "$ec_status" ] && [ "$ec_lines" = 1 ] && [ ! -s "$T/check.err" ] &&
	    grep -Eq -- "$ec_pattern" "$T/check.out"; then
		pass "$ec_name"
	else
		fail "$ec_name" "hellod-check $*" \
		    "expected: exit $ec_status, one line matching /$ec_pattern/" \
		    "actual:   exit $CRC, $ec_lines lines: $(cat "$T/check.out")" \
		    "stderr:   $(cat "$T/check.err")"
	fi
}

# perfdata_ok FILE: each status line in FILE carries performance data after one "|", in the
# plugin grammar ('label'=value[UOM];[warn];[crit];[min];[max], space-separated); only
# UNKNOWN lines about bad usage may have none. JSON lines are skipped.
perfdata_ok() {
	pd_num='-?[0-9]+(\.[0-9]+)?'
	pd_item="([^' =|]+|'[^'|]+')=$pd_num(us|ms|s|%|B|KB|MB|TB|c)?(;($pd_num)?){0,4}"
	while IFS= read -r pd_line; do
		case $pd_line in
		'{'*) continue ;;
		'HELLOD UNKNOWN - '*'|'*) ;;
		'HELLOD UNKNOWN - '*) continue ;;
		esac
		if ! printf '%s\n' "$pd_line" | grep -Eq "^HELLOD [A-Z]+ - [^|]*\|$pd_item( $pd_item)*$"; then
			echo "# bad performance data: $pd_line"
			return 1
		fi
	done <"$1"
}

# expect_exposure UNITFILE MAX: systemd-analyze security --offline=yes scores the unit at MAX
# or less (run under $SECURITY_IN when set: a function that runs a command in a container).
# --threshold is exposure x 10; systemd 252 heeds it only offline, so the figure shown is
# compared as well.
expect_exposure() {
	ee_unit=$(basename "$1")
	${SECURITY_IN:-} systemd-analyze security --offline=yes \
	    --threshold="$(awk "BEGIN { print int($2 * 10 + 0.5) }")" "$1" >"$T/security.log" 2>&1
	ee_rc=$?
	ee_level=$(sed -n "s/.*Overall exposure level for $ee_unit: \([0-9.]*\).*/\1/p" \
	    "$T/security.log")
	if [ "$ee_rc" = 0 ] && [ -n "$ee_level" ] && awk "BEGIN { exit !($ee_level <= $2) }"; then
		pass "$ee_unit: exposure $2 or less ($ee_level)"
	else
		fail "$ee_unit: exposure $2 or less" "status $ee_rc, level ${ee_level:-none}:" \
		    "$(grep -E '✗|Overall|rror' "$T/security.log")"
	fi
}
