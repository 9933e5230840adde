#!/bin/bash
# The README's front page, as a newcomer follows it (issue 29): `make run` starts hellod on
# 127.0.0.1:12345, and each probe command of the README's block after it prints what its
# comment says; make run's own hints are the same commands; Ctrl-C stops it cleanly.
# The README's commands say build/; this runs make run with make check's build directory,
# which make check has just built, so nothing is compiled again.
# hellod-serial: make run's port is the README's fixed 12345
. "$HELLOD_TOP/tests/lib.sh"

README=$HELLOD_TOP/README.md
PORT=12345

if [ -n "$HELLOD_CROSS" ] || [ -n "$HELLOD_WRAPPER" ] || [ "$(basename "$HELLOD_BUILD")" != check ]; then
	skip "the front page's make run" "make run builds and runs the plain native hellod: make check runs this, on its own build"
	exit 0
fi
if (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null; then
	skip "the front page's make run" "something already listens on 127.0.0.1:$PORT"
	exit 0
fi

# The sh block that follows the one that runs make run: "COMMAND   # WHAT IT PRINTS" lines.
awk '/^```sh/ { n++; inb = 1; next } /^```/ { inb = 0; next }
    inb && n == 1 && /^make run/ { found = 1 }
    inb && n == 2 && found' "$README" >"$T/probes"
if ! grep -q '#' "$T/probes"; then
	fail "the README shows make run and its probes" "no probe block after \"make run\" in README.md"
	exit 1
fi
pass "the README shows make run, then $(wc -l <"$T/probes") probe commands"

# The README's minimal configuration is one hellod accepts.
awk '/^```ini/ { inb = 1; next } /^```/ { inb = 0 } inb' "$README" >"$T/minimal.conf"
if [ -s "$T/minimal.conf" ] && hellod -t -c "$T/minimal.conf" >"$T/t.out" 2>&1; then
	pass "the README's minimal configuration passes hellod -t"
else
	fail "the README's minimal configuration passes hellod -t" "$(cat "$T/minimal.conf" "$T/t.out")"
fi

build=${HELLOD_BUILD#"$HELLOD_TOP"/}
( cd "$HELLOD_TOP" && exec setsid make --no-print-directory run BUILDDIR="$build" ) \
	</dev/null >"$T/run.log" 2>&1 &
MAKE_PID=$!
KILL_PIDS="$KILL_PIDS $MAKE_PID"
# shellcheck disable=SC2034 # lib.sh's cleanup runs it
CLEANUP="kill -9 -$MAKE_PID 2>/dev/null;"
if ! wait_until 60 grep -q "Started hellod" "$T/run.log"; then
	fail "make run starts hellod on 127.0.0.1:$PORT" "$(cat "$T/run.log")"
	exit 1
fi
expect_grep "make run serves on 127.0.0.1:$PORT, as the README says" \
	"Serving TCP on 127.0.0.1:$PORT" "$T/run.log"

# Each probe, from the top of the tree, build/ being make check's build; its output matches
# its comment, "..." standing for what differs from run to run (a time, perfdata).
while IFS= read -r line; do
	cmd=${line%%#*}
	cmd=${cmd%"${cmd##*[![:space:]]}"}
	want=${line#*# }
	run_cmd=${cmd//build\//$build/}
	# The hint make run prints for it: the same command.
	if grep -qF -- "$run_cmd" "$T/run.log"; then
		pass "make run's hints show it: $cmd"
	else
		fail "make run's hints show it: $cmd" "$(grep -A3 'Probe it' "$T/run.log")"
	fi
	got=$(cd "$HELLOD_TOP" && timeout 10 bash -c "$run_cmd" 2>&1 </dev/null)
	# shellcheck disable=SC2053 # the comment is a pattern: ... is *, the rest literal
	pattern=$(printf '%s' "$want" | sed 's/[][*?\\]/\\&/g; s/\.\.\./*/g')
	# shellcheck disable=SC2053
	if [[ $got == $pattern ]]; then
		pass "$cmd prints $want"
	else
		fail "$cmd prints $want" "got: $got"
	fi
done <"$T/probes"

# Ctrl-C: the terminal sends SIGINT to make and hellod alike.
kill -INT -- "-$MAKE_PID"
probes=$(wc -l <"$T/probes")
if wait_until 10 grep -q "Stopped after" "$T/run.log"; then
	expect_grep "Ctrl-C stops it, after a greeting for each probe" \
	    "Stopped after $probes TCP and 0 UDP greetings" "$T/run.log"
else
	fail "Ctrl-C stops it" "$(tail -n 5 "$T/run.log")"
fi
