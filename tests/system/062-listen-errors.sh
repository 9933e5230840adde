# SPDX-License-Identifier: BSD-2-Clause
# What hellod makes of sockets it cannot serve (issue 24: listen.c's refusals): passed fds that
# are not listening sockets, a "metrics" fd alone or not listening, a $LISTEN_FDS it cannot
# read, more than 64 sockets passed; a [metrics] listen address in use or that does not
# resolve. Each refusal names what and why, and a start that cannot serve exits 71.
. "$HELLOD_TOP/tests/lib.sh"

port=$(free_port)
mport=$(free_port)
loopback_conf "$T/hellod.conf" "$port"

# pass_fds KIND N [NAMES]: runs hellod with N fds passed as systemd passes them ($LISTEN_FDS from
# fd 3, $LISTEN_PID its own, $LISTEN_FDNAMES when given), each a pipe (KIND pipe) or a TCP
# socket listening on an ephemeral loopback port (KIND listen, their ports in $T/ports); output in $T/pass.out, exit
# status in $T/pass.rc.
cat >"$T/pass.py" <<'EOF'
import os, socket, sys
kind, n, names = sys.argv[1], int(sys.argv[2]), sys.argv[3]
made, ports = [], []
for i in range(n):
    if kind == "pipe":
        r, w = os.pipe()
        made.append(r)
    else:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        ports.append(str(s.getsockname()[1]))
        made.append(s.detach())
with open(os.path.join(os.path.dirname(sys.argv[0]), "ports"), "w") as f:
    f.write("\n".join(ports) + "\n")
high = [os.dup2(fd, 1000 + i) for i, fd in enumerate(made)]
for fd in made:
    os.close(fd)
for i, fd in enumerate(high):
    os.dup2(fd, 3 + i)
    os.close(fd)
os.environ["LISTEN_PID"] = str(os.getpid())
os.environ["LISTEN_FDS"] = str(n)
if names:
    os.environ["LISTEN_FDNAMES"] = names
os.execvp(sys.argv[4], sys.argv[4:])
EOF
pass_fds() {
	# shellcheck disable=SC2086 # the wrapper is a command line
	python3 "$T/pass.py" "$1" "$2" "${3:-}" $HELLOD_WRAPPER "$HELLOD" -c "$T/hellod.conf" \
		>"$T/pass.out" 2>&1
	echo $? >"$T/pass.rc"
}

pass_fds pipe 1
expect_eq "a pipe passed as the only socket: exit 71" 71 "$(cat "$T/pass.rc")"
expect_grep "... the fd named and why it is ignored" \
	"Passed fd 3 \(unknown\) is neither a listening stream socket nor a datagram socket, ignoring" \
	"$T/pass.out"
expect_grep "... and that nothing is left to serve" \
	"None of the 1 passed sockets can be greeted on$" "$T/pass.out"

pass_fds pipe 1 metrics
expect_eq "a pipe passed as \"metrics\": exit 71" 71 "$(cat "$T/pass.rc")"
expect_grep "... named, and ignored" \
	"Passed fd 3 \(metrics\) is not a listening stream socket, ignoring" "$T/pass.out"

pass_fds listen 1 metrics
expect_eq "a metrics socket alone: exit 71" 71 "$(cat "$T/pass.rc")"
expect_grep "... saying it needs hellod.socket beside it" \
	"None of the 1 passed sockets can be greeted on \(the metrics socket needs hellod.socket beside it\)" \
	"$T/pass.out"

# shellcheck disable=SC2086 # the wrapper is a command line
sh -c 'export LISTEN_PID=$$ LISTEN_FDS=x; exec "$@"' sh $HELLOD_WRAPPER "$HELLOD" \
	-c "$T/hellod.conf" >"$T/bad-fds.out" 2>&1
expect_eq "LISTEN_FDS=x: exit 71" 71 "$?"
expect_grep "... saying the passed sockets cannot be read" \
	"Failed to read the sockets systemd passed: Invalid argument" "$T/bad-fds.out"

# 65 listening sockets: the first 64 served, the 65th (fd 67) closed with a warning.
: >"$T/hellod.log"
# shellcheck disable=SC2086 # the wrapper is a command line
python3 "$T/pass.py" listen 65 "" $HELLOD_WRAPPER "$HELLOD" -c "$T/hellod.conf" \
	>>"$T/hellod.log" 2>&1 &
HPID=$!
KILL_PIDS="$KILL_PIDS $HPID"
if wait_until 20 log_has 'Started hellod'; then
	expect_grep "65 sockets passed: the 65th is ignored, named" \
		"More than 64 sockets passed, ignoring fd 67" "$T/hellod.log"
	expect_eq "... and the first 64 are served" 64 \
		"$(grep -c 'Serving TCP on 127\.0\.0\.1:[0-9]* (passed by systemd)' "$T/hellod.log")"
	greeting_of 127.0.0.1 "$(sed -n 1p "$T/ports")" >"$T/got" 2>&1
	check "... the first greets" grep -q '^Thank you for connecting$' "$T/got"
	greeting_of 127.0.0.1 "$(sed -n 65p "$T/ports")" >"$T/got" 2>&1
	check "... and the 65th is closed (refused)" grep -q 'refused' "$T/got"
else
	fail "hellod starts with 65 sockets passed" "$(cat "$T/hellod.log")"
fi
stop_hellod
expect_eq "... and stops with 0" 0 "$HSTATUS"

# [metrics] listen on a port another socket holds: the start fails, naming it.
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
print("held", flush=True); time.sleep(30)' "$mport" >"$T/holder.out" &
KILL_PIDS="$KILL_PIDS $!"
wait_until 5 grep -q held "$T/holder.out"
loopback_conf "$T/metrics.conf" "$port"
printf '[metrics]\nlisten = 127.0.0.1:%s\n' "$mport" >>"$T/metrics.conf"
hellod -c "$T/metrics.conf" >"$T/metrics.out" 2>&1
expect_eq "[metrics] listen on a port in use: exit 71" 71 "$?"
expect_grep "... naming the address and why" \
	"Failed to listen on 127\.0\.0\.1:$mport \(metrics\): Address already in use" "$T/metrics.out"
greeting_of 127.0.0.1 "$port" >"$T/got" 2>&1
check "... and the greeting port it had bound is closed again" \
	grep -q 'refused' "$T/got"

# A name that does not resolve (.invalid never does, RFC 6761).
loopback_conf "$T/unresolved.conf" "$port"
printf '[metrics]\nlisten = hellod-test.invalid:%s\n' "$mport" >>"$T/unresolved.conf"
# shellcheck disable=SC2086 # the wrapper is a command line
timeout 30 $HELLOD_WRAPPER "$HELLOD" -c "$T/unresolved.conf" >"$T/unresolved.out" 2>&1
expect_eq "[metrics] listen on a name that does not resolve: exit 71" 71 "$?"
expect_grep "... naming it" "\[metrics\] listen: failed to resolve hellod-test.invalid: " \
	"$T/unresolved.out"
