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
# How many system tests run at once (see below); 1 runs them all one after the other.
HELLOD_JOBS=${HELLOD_JOBS:-3}
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

# run_one: one test into a file of its own (tests/run-one.sh, which the parallel pool sources
# too).
. "$top/tests/run-one.sh"

# report OUT: a finished test's output to the terminal (other than results as comments) and
# to the log that the summary counts.
report() {
	sed -e '/^\(PASS\|FAIL\|SKIP\) /!s/^/# /' "$1"
	cat "$1" >>"$log"
}

run_test() {
	name=$1
	shift
	run_one "$name" "$log.out" "$@"
	report "$log.out"
}

# make check-cross: the unit tests are the target's too, under its qemu-user (the wrapper).
unit_wrapper=""
[ -n "${HELLOD_CROSS:-}" ] && unit_wrapper=${HELLOD_WRAPPER:-}
for t in "$HELLOD_BUILD"/tests/test_*; do
	# shellcheck disable=SC2086 # the wrapper is a command line
	run_test "unit/$(basename "$t")" $unit_wrapper "$t"
done

# The system tests: those that share nothing run HELLOD_JOBS at a time (each on its own free
# ports, scratch directory and namespaces); those whose first lines say "# hellod-serial:",
# which measure time or load the machine on purpose, then run alone, one after the other.
# Those that also say "# hellod-timed:" assert time or load itself.
pool="" serial=""
for t in "$top"/tests/system/[0-9]*.sh; do
	if [ -n "${TESTS:-}" ] && ! echo "$t" | grep -q -- "$TESTS"; then
		continue
	fi
	# HELLOD_SKIP_TIMED=1 (CI's second and third emulated architectures): the tests whose
	# assertions are about time or load, which run natively and under the first emulated one.
	if [ "${HELLOD_SKIP_TIMED:-}" = 1 ] && head -n 20 "$t" | grep -q '^# hellod-timed:'; then
		echo "SKIP system/$(basename "$t" .sh): timed: $(sed -n 's/^# hellod-timed: //p' "$t" | head -n 1); HELLOD_SKIP_TIMED=1 leaves it to another run" |
		    tee -a "$log"
		continue
	fi
	if head -n 20 "$t" | grep -q '^# hellod-serial:'; then
		serial="$serial $t"
	else
		pool="$pool $t"
	fi
done
if [ -n "$pool" ]; then
	outs=$(mktemp -d)
	echo "# $(echo $pool | wc -w) system tests, ${HELLOD_JOBS} at a time"
	# shellcheck disable=SC2086 # one test per word
	printf '%s\n' $pool | xargs -P "$HELLOD_JOBS" -I{} sh -c \
	    '. "$0"; run_one "system/$(basename "$2" .sh)" "$1/$(basename "$2").out" bash "$2"' \
	    "$top/tests/run-one.sh" "$outs" {}
	for t in $pool; do
		report "$outs/$(basename "$t").out"
	done
	rm -rf "$outs"
fi
for t in $serial; do
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
