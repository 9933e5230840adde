#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Runs every test against the build in $1 and ends with "N passed, N failed, N skipped".
# Each test prints PASS/FAIL/SKIP lines; one that dies without saying FAIL is a failure too.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
HELLOD_BUILD=$(cd "$1" && pwd)
HELLOD_TOP=$top
export HELLOD_BUILD HELLOD_TOP
log=$(mktemp)
# Sanitizer reports go to files, so that those of daemons (stderr on /dev/null) count too;
# the directory is world-writable for daemons that dropped to another user.
reports=$(mktemp -d /tmp/hellod-reports.XXXXXX)
chmod 1777 "$reports"
trap 'rm -rf "$log" "$log.out" "$reports"' EXIT
if [ -n "${HELLOD_CROSS:-}" ] &&
    { [ -n "${HELLOD_VALGRIND:-}" ] || [ -n "${HELLOD_SANITIZER:-}" ]; }; then
	echo "run.sh: valgrind and the sanitizers are for native builds, not HELLOD_CROSS" >&2
	exit 64
fi
if [ -n "${HELLOD_VALGRIND:-}" ]; then
	# Every hellod the system tests start runs under memcheck (tests/lib.sh). --vgdb=no: no
	# gdbserver pipes in /tmp, which a hellod that dropped to another user cannot remove.
	HELLOD_WRAPPER="valgrind --quiet --error-exitcode=99 --leak-check=full --vgdb=no"
	HELLOD_WRAPPER="$HELLOD_WRAPPER --errors-for-leak-kinds=definite,indirect --track-fds=yes"
	HELLOD_WRAPPER="$HELLOD_WRAPPER --suppressions=$top/tests/valgrind.supp"
	HELLOD_WRAPPER="$HELLOD_WRAPPER --log-file=$reports/valgrind.%p"
	export HELLOD_WRAPPER
fi
if [ -n "${HELLOD_SANITIZER:-}" ]; then
	ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$reports/asan"
	UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan"
	export ASAN_OPTIONS UBSAN_OPTIONS
fi

run_test() {
	name=$1
	shift
	# Bounded: no test may hang CI. Output streams to the terminal as it comes.
	timeout -k 5 300 "$@" >"$log.out" 2>&1
	status=$?
	sed -e '/^\(PASS\|FAIL\|SKIP\) /!s/^/# /' "$log.out"
	cat "$log.out" >>"$log"
	if [ "$status" != 0 ] && ! grep -q '^FAIL ' "$log.out"; then
		echo "FAIL $name: exited with status $status" | tee -a "$log"
	elif ! grep -q '^\(PASS\|FAIL\|SKIP\) ' "$log.out"; then
		echo "FAIL $name: reported no result" | tee -a "$log"
	fi
}

# make check-cross: the unit tests are the target's too, under its qemu-user (the wrapper).
unit_wrapper=""
[ -n "${HELLOD_CROSS:-}" ] && unit_wrapper=${HELLOD_WRAPPER:-}
for t in "$HELLOD_BUILD"/tests/test_*; do
	# shellcheck disable=SC2086 # the wrapper is a command line
	run_test "unit/$(basename "$t")" $unit_wrapper "$t"
done
for t in "$top"/tests/system/[0-9]*.sh; do
	if [ -n "${TESTS:-}" ] && ! echo "$t" | grep -q -- "$TESTS"; then
		continue
	fi
	run_test "system/$(basename "$t" .sh)" bash "$t"
done

for report in "$reports"/*; do
	[ -e "$report" ] || continue
	case $report in
	*/valgrind.*)
		# Quiet memcheck logs nothing but errors and the fds open at exit: an fd beyond
		# stdin, stdout and stderr that hellod did not inherit is a leak, except the
		# journal socket that libsystemd keeps open by design for the process's life.
		awk 'function flush() {
			if (inblock && fd > 2 && block !~ /inherited from parent/ &&
			    block !~ /sd_journal_sendv/)
				bad = 1
			inblock = 0
		    }
		    /Open .*(descriptor|socket) [0-9]+:/ { flush(); fd = $0
			sub(/.*(descriptor|socket) /, "", fd); fd = fd + 0; inblock = 1; block = ""; next }
		    inblock && /^==[0-9]+== *$/ { flush(); next }
		    inblock { block = block $0 "\n"; next }
		    /FILE DESCRIPTORS:/ || /^==[0-9]+== *$/ { next }
		    { bad = 1 }
		    END { flush(); exit !bad }' "$report" || continue
		;;
	esac
	echo "FAIL $(basename "$report"): a sanitizer or memcheck report" | tee -a "$log"
	sed -n '1,60s/^/# /p' "$report"
done

passed=$(grep -c '^PASS ' "$log")
failed=$(grep -c '^FAIL ' "$log")
skipped=$(grep -c '^SKIP ' "$log")
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
