# SPDX-License-Identifier: BSD-2-Clause
# The forking mode: readiness, PID file, daemon(7) state, errors reported by the parent, -u.
. "$HELLOD_TOP/tests/lib.sh"

port=$(free_port)
conf=$T/hellod.conf
printf '[server]\nhost = 127.0.0.1\nport = %s\n' "$port" >"$conf"

hellod -d -P "$T/hellod.pid" -c "$conf" >"$T/parent.out" 2>&1
expect_eq "hellod -d returns 0 once the daemon serves" 0 "$?"
# No waiting: the parent only returned because the daemon was ready.
greeting_of 127.0.0.1 "$port" >"$T/got"
check "the port serves the moment the parent has returned" \
	grep -q '^Thank you for connecting$' "$T/got"
pid=$(cat "$T/hellod.pid" 2>/dev/null)
KILL_PIDS="$KILL_PIDS $pid"
check "the PID file names a live process" kill -0 "$pid"
# (Its command line: under make check-valgrind the process is memcheck running hellod.)
check "... which is hellod" grep -q "$HELLOD" "/proc/$pid/cmdline"
check "the PID file holds just the PID and a newline" test "$(cat "$T/hellod.pid")" = "$pid"
sid=$(awk '{print $6}' "/proc/$pid/stat")
check "the daemon is in its own session but not its leader (double fork)" \
	test "$sid" != "$pid" -a "$sid" != "$(awk '{print $6}' /proc/$$/stat)"
expect_eq "stdin, stdout and stderr are /dev/null" "/dev/null /dev/null /dev/null" \
	"$(readlink "/proc/$pid/fd/0") $(readlink "/proc/$pid/fd/1") $(readlink "/proc/$pid/fd/2")"
expect_eq "its working directory is /" "/" "$(readlink "/proc/$pid/cwd")"
expect_eq "the parent printed nothing" "" "$(cat "$T/parent.out")"

# Port in use: the second daemon's parent reports the child's error and fails.
hellod -d -P "$T/second.pid" -c "$conf" >"$T/second.out" 2>&1
expect_eq "a second daemon on the same port: the parent exits 71" 71 "$?"
expect_grep "... printing the daemon's reason on stderr" \
	"Failed to listen on 127.0.0.1:$port \(TCP\): Address already in use" "$T/second.out"
check "... and leaves no PID file" test ! -e "$T/second.pid"
expect_eq "... and no second daemon" 1 "$(pgrep -fc "hellod -d -P $T/")"

kill -TERM "$pid"
wait_until 10 test ! -e "/proc/$pid"
check "SIGTERM stops the daemon" test ! -e "/proc/$pid"
check "... and it removes its PID file" test ! -e "$T/hellod.pid"

# Config errors come before forking: file:line on stderr, exit 78.
printf '[server]\nport = 0\n' >"$T/bad.conf"
hellod -d -c "$T/bad.conf" >"$T/bad.out" 2>&1
expect_eq "hellod -d with a broken config exits 78" 78 "$?"
expect_grep "... naming file:line" "$T/bad.conf:2: port = '0': out of range" "$T/bad.out"

# -u: switch to an unprivileged user after binding, and prove it.
if [ "$(id -u)" != 0 ]; then
	skip "-u USER drops root" "needs root (CI runs as root)"
elif ! id nobody >/dev/null 2>&1; then
	skip "-u USER drops root" "no user 'nobody' on this machine"
else
	mkdir "$T/run"
	chown nobody "$T/run"
	hellod -d -P "$T/run/hellod.pid" -u nobody -c "$conf" >"$T/u.out" 2>&1
	expect_eq "hellod -d -u nobody starts" 0 "$?"
	pid=$(cat "$T/run/hellod.pid")
	KILL_PIDS="$KILL_PIDS $pid"
	uid=$(id -u nobody)
	gid=$(id -g nobody)
	expect_eq "real, effective, saved and fs uid are nobody's" "$uid $uid $uid $uid" \
		"$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")"
	expect_eq "all gids are nobody's group" "$gid $gid $gid $gid" \
		"$(awk '/^Gid:/ {print $2, $3, $4, $5}' "/proc/$pid/status")"
	expect_eq "supplementary groups: only its own (root's are gone)" "$gid" \
		"$(awk '/^Groups:/ {$1 = ""; print substr($0, 2)}' "/proc/$pid/status")"
	greeting_of 127.0.0.1 "$port" >"$T/got"
	check "the unprivileged daemon serves" grep -q '^Thank you for connecting$' "$T/got"
	kill -TERM "$pid"
	wait_until 10 test ! -e "/proc/$pid"
	check "... and removes its PID file from a directory it owns" \
		test ! -e "$T/run/hellod.pid"

	# No process left to fork (RLIMIT_NPROC 1, which binds all but root): the parent says
	# why and exits 71, and nothing was started.
	chmod 755 "$T"
	chmod 644 "$conf"
	if [ -n "$HELLOD_EMULATED" ]; then
		skip "hellod -d unable to fork" \
		    "qemu-user starts threads of its own, bound by the limit too"
	else
		# LeakSanitizer stops the world with a clone() of its own, which the limit
		# refuses: an ASan build then aborts at exit, whatever hellod did; leaks are
		# looked for elsewhere.
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		setpriv --reuid="$uid" --regid="$gid" --clear-groups prlimit --nproc=1:1 \
			"$HELLOD" -d -P "$T/run/nproc.pid" -c "$conf" >"$T/nproc.out" 2>&1
		expect_eq "hellod -d unable to fork exits 71" 71 "$?"
		expect_grep "... saying why" \
		    "^hellod: Failed to fork: Resource temporarily unavailable" "$T/nproc.out"
		check "... and leaves no PID file" test ! -e "$T/run/nproc.pid"
	fi

	hellod -u root -c "$conf" >"$T/root.out" 2>&1
	expect_eq "-u root is refused (exit 64)" 64 "$?"
	expect_grep "... with the reason" "Refusing -u root" "$T/root.out"
fi
hellod -u no-such-user-hellod -c "$conf" >"$T/nouser.out" 2>&1
expect_eq "-u with an unknown user exits 67" 67 "$?"
expect_grep "... naming it" "Unknown user 'no-such-user-hellod'" "$T/nouser.out"

# Relative paths still mean what they meant where hellod -d was started, though the daemon
# works in /: the PID file lands beside us and a reload re-reads the same file.
( cd "$T" && hellod -d -c hellod.conf -P rel.pid ) >"$T/rel.out" 2>&1
expect_eq "hellod -d with relative -c and -P starts" 0 "$?"
check "... the PID file is where the relative path said" test -s "$T/rel.pid"
pid=$(cat "$T/rel.pid" 2>/dev/null)
KILL_PIDS="$KILL_PIDS $pid"
printf '[server]\nhost = 127.0.0.1\nport = %s\ngreeting = Relative\n' "$port" >"$conf"
kill -HUP "$pid"
wait_until 5 sh -c "\"$CLIENT\" tcp 127.0.0.1 $port | grep -q '^Relative$'"
greeting_of 127.0.0.1 "$port" >"$T/got"
check "... and SIGHUP re-reads the relative config" grep -q '^Relative$' "$T/got"
kill -TERM "$pid"
wait_until 10 test ! -e "/proc/$pid"

# Started with stdin and stdout closed (as some init systems do), the readiness pipe must not
# land on fd 0 or 1 and be clobbered by /dev/null.
hellod -d -P "$T/closed.pid" -c "$conf" <&- >&- 2>"$T/closed.err"
expect_eq "hellod -d with stdin and stdout closed reports success" 0 "$?"
pid=$(cat "$T/closed.pid" 2>/dev/null)
KILL_PIDS="$KILL_PIDS $pid"
greeting_of 127.0.0.1 "$port" >"$T/got"
check "... and serves" grep -q '^Relative$' "$T/got"
kill -TERM "$pid" 2>/dev/null
wait_until 10 test ! -e "/proc/$pid"
