# SPDX-License-Identifier: BSD-2-Clause
# hellod --reload PID outside systemd, as an init script or an admin runs it with the runtime
# directory the daemon records its reloads in ($RUNTIME_DIRECTORY, as systemd sets it for the
# units): exit 0 once the new greeting serves, 1 with the reason when the file is refused or
# hellod does not answer, 71 for a PID that is not running; without a runtime directory it
# only sends SIGHUP. (016 and 050 run it as ExecReload= under real systemd.)
. "$HELLOD_TOP/tests/lib.sh"

port=$(free_port)
conf=$T/hellod.conf
export RUNTIME_DIRECTORY=$T/run
mkdir "$RUNTIME_DIRECTORY"

write_conf() {
	printf '[server]\nhost = 127.0.0.1\nport = %s\ngreeting = %s\n%s' "$port" "$1" "${2:-}" \
		>"$T/new.conf"
	touch -d '1 minute ago' "$T/new.conf"
	mv "$T/new.conf" "$conf"
}

write_conf "First"
start_hellod "$conf" -v
expect_grep "-v logs debug lines too" 'Up to [0-9]+ connections at once in each of 1 workers' \
	"$T/hellod.log"

write_conf "Second"
if hellod --reload "$HPID" >"$T/out" 2>&1; then
	expect_eq "hellod --reload PID returns 0 once the new greeting serves: a client right after gets it" \
		"Second" "$(greeting_of 127.0.0.1 "$port")"
	expect_grep "... and says so" "reloaded its configuration" "$T/out"
else
	fail "hellod --reload PID returns 0" "status $?: $(cat "$T/out")"
fi

write_conf "Third" "bogus_key = 1
"
hellod --reload "$HPID" >"$T/out" 2>&1
expect_eq "a file hellod refuses: --reload exits 1" 1 "$?"
expect_grep "... naming the line and why" 'refused the reload, still serving the previous configuration: line 5: .*bogus_key' "$T/out"
expect_eq "... and the previous greeting serves" "Second" "$(greeting_of 127.0.0.1 "$port")"

write_conf "Fourth"
hellod --reload "$HPID" >"$T/out" 2>&1
expect_eq "the next good file: --reload exits 0 again, its greeting served" "0 Fourth" \
	"$? $(greeting_of 127.0.0.1 "$port")"

# A hellod that cannot answer (stopped): no hang, an error once the wait is over.
write_conf "Fifth"
kill -STOP "$HPID"
t0=$(now_ms)
hellod --reload "$HPID" >"$T/out" 2>&1
status=$?
took=$(( $(now_ms) - t0 ))
kill -CONT "$HPID"
expect_eq "a stopped hellod: --reload exits 1" 1 "$status"
expect_grep "... saying it did not answer, after ${took} ms" 'did not answer the reload within 10 s' "$T/out"
check "... and the reload it asked for happens once hellod runs again" \
	wait_until 5 sh -c "[ \"\$($CLIENT tcp 127.0.0.1 $port)\" = Fifth ]"

# Without a runtime directory there is nothing to wait on: it signals and returns.
write_conf "Sixth"
env -u RUNTIME_DIRECTORY $HELLOD_WRAPPER "$HELLOD" --reload "$HPID" >"$T/out" 2>&1
expect_eq "without RUNTIME_DIRECTORY: --reload sends SIGHUP and exits 0" 0 "$?"
check "... and hellod reloads" wait_until 5 sh -c "[ \"\$($CLIENT tcp 127.0.0.1 $port)\" = Sixth ]"

# Not a PID at all: a usage error, nothing signalled.
hellod --reload 12x >"$T/out" 2>&1
expect_eq "--reload 12x: exit 64" 64 "$?"
expect_grep "... saying why" 'hellod: --reload 12x: not a process ID' "$T/out"

# No such process.
stop_hellod
hellod --reload "$HPID" >"$T/out" 2>&1
expect_eq "a PID that is not running: exit 71" 71 "$?"
expect_grep "... saying so" "Failed to ask hellod \\(PID $HPID\\) to reload" "$T/out"
