# SPDX-License-Identifier: BSD-2-Clause
# Issue 24, section 2: faults injected at every call site. tests/fault/sweep.py runs hellod and
# hellod-check under tests/fault/fault.c, an LD_PRELOAD shim that fails one chosen call (by its
# number), each call site of allocation, accept4, send*, recv*, epoll_ctl, timerfd_settime,
# open, read, fstat, connect and socket in turn, with each realistic error, and a few kinds of
# call for a while. hellod must never die of a signal, end a start in 71 or 78 with a line
# saying why, send no client anything but its own whole line, log no flood, and serve normally
# once the fault has passed; hellod-check must give one plugin verdict. `make fault-sweep` runs
# every error at every site, without a time bound.
. "$HELLOD_TOP/tests/lib.sh"

if [ -n "$HELLOD_CROSS" ]; then
	skip "the fault sweep" "the shim is the host's: it cannot be preloaded into $HELLOD_CROSS's hellod"
	exit 0
fi
if [ -n "${HELLOD_SANITIZER:-}" ]; then
	skip "the fault sweep" "in an ASan build no call reaches the shim's wrappers (ASan's own interceptors take them; measured: no call site recorded): make check runs it"
	exit 0
fi
if [ -n "$HELLOD_WRAPPER" ]; then
	skip "the fault sweep" "under valgrind a trial takes seconds, not milliseconds: make check runs it"
	exit 0
fi
python3 "$HELLOD_TOP/tests/fault/sweep.py" --build "$HELLOD_BUILD" --budget 70 >"$T/sweep" 2>&1
status=$?
cat "$T/sweep"
summary=$(tail -n 1 "$T/sweep")
if [ "$status" = 0 ]; then
	pass "$summary"
else
	fail "the fault sweep: $summary" "replay each failure with the command it names"
fi
