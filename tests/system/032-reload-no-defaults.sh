# SPDX-License-Identifier: BSD-2-Clause
# Issue 14, item 7: a reload never replaces the running config by the built-in defaults by
# accident. A missing file, an empty one (0 bytes), or one caught in the middle of a
# truncate-then-write rewrite keeps what is served, and the log says why. Issue 23, item 7: a
# whole file of nothing but comments, as shipped, is the defaults on purpose, and is reloaded;
# hellod -t says the same as the reload, every time.
. "$HELLOD_TOP/tests/lib.sh"

port=$(free_port)
conf=$T/hellod.conf
custom() { loopback_conf "$conf" "$port" 'greeting = Custom greeting'; }
custom
start_hellod "$conf"

# reload_refused NAME: a HUP is answered by "Reloading ... failed" and the custom greeting stays.
reload_refused() {
	n=$(grep -c 'failed, still serving' "$T/hellod.log")
	kill -HUP "$HPID"
	if wait_until 10 at_least $((n + 1)) 'failed, still serving' "$T/hellod.log" &&
	    [ "$(greeting_of 127.0.0.1 "$port")" = "Custom greeting" ]; then
		pass "$1: the reload is refused, the custom greeting stays"
	else
		fail "$1: the reload is refused, the custom greeting stays" \
		    "greeting: $(greeting_of 127.0.0.1 "$port")" "$(tail -n 5 "$T/hellod.log")"
	fi
}

# reload_accepted NAME GREETING: a HUP is answered by "Reloaded" and GREETING is served.
reload_accepted() {
	n=$(grep -c 'Reloaded' "$T/hellod.log")
	kill -HUP "$HPID"
	if wait_until 10 at_least $((n + 1)) 'Reloaded' "$T/hellod.log" &&
	    [ "$(greeting_of 127.0.0.1 "$port")" = "$2" ]; then
		pass "$1: the reload is taken, '$2' is served"
	else
		fail "$1: the reload is taken, '$2' is served" \
		    "greeting: $(greeting_of 127.0.0.1 "$port")" "$(tail -n 5 "$T/hellod.log")"
	fi
}
# test_says NAME STATUS: hellod -t on the file exits STATUS, as the reload just decided.
test_says() {
	hellod -t -c "$conf" >"$T/t.out" 2>&1
	expect_eq "$1: hellod -t agrees (exit $2)" "$2" "$?" || cat "$T/t.out"
}

: >"$conf"
reload_refused "item 7: an empty file"
expect_grep "item 7: ... and the log says it is empty, caught while being rewritten?" \
	"$conf: empty \(0 bytes\): caught while being rewritten\?" "$T/hellod.log"
test_says "item 7: an empty file" 78
expect_grep "issue 23, item 7: ... and says why" "empty \(0 bytes\)" "$T/t.out"
printf '; all commented out\n[server]\n# greeting = x' >"$conf"
reload_refused "issue 23, item 7: comments whose last line has no newline (cut short)"
expect_grep "issue 23, item 7: ... and the log names the file and line" \
	"$conf:3: sets nothing, and its last line has no newline" "$T/hellod.log"
test_says "issue 23, item 7: comments cut short" 78
# The shipped file, every key commented out: the defaults, on purpose. (The port is not
# reloadable: it stays the test's.)
cp "$HELLOD_TOP/etc/hellod.conf" "$conf"
: >"$T/hellod.log"
reload_accepted "issue 23, item 7: the shipped etc/hellod.conf, which sets nothing" \
	"Thank you for connecting"
expect_no_grep "issue 23, item 7: ... with no error logged" 'sets nothing|failed' \
	"$T/hellod.log"
test_says "issue 23, item 7: the shipped file" 0
custom
reload_accepted "issue 23, item 7: back to a custom greeting" "Custom greeting"
printf '; all commented out\n[server]\n# greeting = x\n' >"$conf"
reload_accepted "issue 23, item 7: a whole file with only comments and a section" \
	"Thank you for connecting"
test_says "issue 23, item 7: only comments and a section" 0
custom
reload_accepted "issue 23, item 7: and back" "Custom greeting"
rm "$conf"
reload_refused "item 7: a deleted file"
expect_grep "item 7: ... and the log says it is missing" "$conf: No such file" "$T/hellod.log"

# Rewrites by truncate-then-write (what `printf ... > file` does) during a storm of reloads:
# a reload that reads the file between the two must not serve the defaults.
custom
kill -HUP "$HPID"
wait_until 10 log_has 'Reloaded'
( for i in $(seq 1 20000); do
	printf '[server]\nhost = 127.0.0.1\nport = %s\ngreeting = Custom greeting\n' "$port" >"$conf"
  done ) &
writer=$!
KILL_PIDS="$KILL_PIDS $writer"
: >"$T/storm"
for i in $(seq 1 400); do
	kill -HUP "$HPID"
	[ $((i % 2)) = 0 ] && greeting_of 127.0.0.1 "$port" >>"$T/storm"
	kill -0 "$writer" 2>/dev/null || break
done
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
custom
greeting_of 127.0.0.1 "$port" >>"$T/storm"
total=$(wc -l <"$T/storm")
sort "$T/storm" | uniq -c | sed "s/^/# /"
other=$(grep -vc '^Custom greeting$' "$T/storm")
reloads=$(grep -c 'Reloaded' "$T/hellod.log")
expect_eq "item 7: truncate-then-write rewrites during $reloads reloads: 0 of $total greetings other than the custom one" \
	0 "$other"

# Issue 14, item 2, on reload: a file replaced by a FIFO (that no one writes) or by a symlink
# to /dev/zero is refused at once; the loop goes on serving and still takes SIGTERM.
rm -f "$conf"
mkfifo "$conf"
reload_refused "item 2: the file replaced by a FIFO"
rm -f "$conf"
ln -s /dev/zero "$conf"
reload_refused "item 2: the file replaced by a symlink to /dev/zero"
rm -f "$conf"
custom

# Without -c, hellod reads the default path, /etc/hellod/hellod.conf, and may start without
# it. Once it served the file, deleting it must not bring back the defaults either. A private
# mount namespace gives hellod an /etc/hellod of the test's own.
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null; then
	skip "item 7: the default path deleted before a HUP" "needs root and unshare (CI runs as root)"
else
	if [ ! -d /etc/hellod ]; then
		mkdir /etc/hellod
		CLEANUP="$CLEANUP; rmdir /etc/hellod"
	fi
	stop_hellod
	printf '[server]\nhost = 127.0.0.1\nport = %s\ngreeting = Custom greeting\n' "$port" >"$T/etc.conf"
	: >"$T/hellod.log"
	unshare -m --propagation private sh -c 'mount -t tmpfs tmpfs /etc/hellod &&
	    cp "$1" /etc/hellod/hellod.conf && shift && exec "$@"' sh "$T/etc.conf" \
	    $HELLOD_WRAPPER "$HELLOD" >>"$T/hellod.log" 2>&1 &
	HPID=$!
	KILL_PIDS="$KILL_PIDS $HPID"
	if wait_until 20 log_has 'Started hellod' &&
	    [ "$(greeting_of 127.0.0.1 "$port")" = "Custom greeting" ]; then
		nsenter -t "$HPID" -m rm /etc/hellod/hellod.conf
		reload_refused "item 7: the default path /etc/hellod/hellod.conf deleted"
	else
		fail "item 7: hellod without -c serves /etc/hellod/hellod.conf" "$(cat "$T/hellod.log")"
	fi
fi
stop_hellod
expect_eq "item 7: hellod exits 0" 0 "$HSTATUS"
