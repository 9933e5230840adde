# SPDX-License-Identifier: BSD-2-Clause
# Issue 14, item 7: a reload never replaces the running config by the built-in defaults. A
# missing file, an empty one, one with nothing but comments, or one caught in the middle of a
# truncate-then-write rewrite keeps what is served, and the log says why.
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

: >"$conf"
reload_refused "item 7: an empty file"
expect_grep "item 7: ... and the log says the file sets nothing" "$conf sets nothing" \
	"$T/hellod.log"
printf '; all commented out\n[server]\n# greeting = x\n' >"$conf"
reload_refused "item 7: a file with only comments and a section"
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
