# SPDX-License-Identifier: BSD-2-Clause
# The metrics endpoint never reads a body, and never resets a scraper away: a POST with a 1 MB
# body, more than one wakeup's 64 KiB of it there before hellod looks and the scraper still
# sending the rest, gets its 405 whole and the FIN. hellod's sockets come from a socket-activating parent that gives them 256 KiB receive
# buffers, which the connections inherit, so that a few hundred kB can wait while hellod is
# stopped, and the rest of a 1 MB body comes after.
# (When each wakeup's burst ended the drain with a close, the unread rest reset the scraper,
# its answer unread: seen in check-asan's 046, where the loop is slow.)
. "$HELLOD_TOP/tests/lib.sh"

PORT=$(free_port)
MPORT=$(free_port)
printf '[server]\nhost = 127.0.0.1\nport = %s\n' "$PORT" >"$T/hellod.conf"
: >"$T/hellod.log"
# The parent binds, sets the buffers, and becomes hellod (same PID: LISTEN_PID holds).
/usr/bin/python3 - "$PORT" "$MPORT" $HELLOD_WRAPPER "$HELLOD" -c "$T/hellod.conf" \
	>>"$T/hellod.log" 2>&1 <<'PY' &
import os, socket, sys
port, mport, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
socks = []
for p in (port, mport):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 << 10)
    s.bind(("127.0.0.1", p))
    s.listen(16)
    socks.append(s)
# Out of the way first, then onto 3 and 4 (a socket may have been given 3 or 4 itself).
high = [os.dup(s.fileno()) for s in socks]
for fd, h in zip((3, 4), high):
    os.dup2(h, fd, inheritable=True)
os.environ.update(LISTEN_FDS="2", LISTEN_PID=str(os.getpid()), LISTEN_FDNAMES="tcp:metrics")
os.execvp(argv[0], argv)
PY
HPID=$!
KILL_PIDS="$KILL_PIDS $HPID"
if ! wait_until 20 log_has 'Started hellod'; then
	fail "hellod starts with the passed sockets" "$(cat "$T/hellod.log")"
	exit 1
fi
expect_grep "hellod serves metrics on the socket passed as metrics" \
	"Serving metrics on 127\\.0\\.0\\.1:$MPORT \\(passed by systemd as metrics\\)" "$T/hellod.log"

# scraper: hellod stopped, connect and queue what fits of a POST with a 1 MB body, hellod let go, the rest
# sent, our end closed, then the answer read: "QUEUED END" on the first line, then the answer.
scraper() {
	/usr/bin/python3 - "$MPORT" "$HPID" <<'PY'
import os, signal, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
data = b"POST /metrics HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 1000000
os.kill(pid, signal.SIGSTOP)
try:
    # A small send buffer, as a scraper that writes its body as it goes: what hellod has not
    # taken waits here, so the client is still sending when hellod drains.
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 << 10)
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    sent, end = 0, time.monotonic() + 1
    while sent < len(data) and time.monotonic() < end:
        try:
            sent += s.send(data[sent:])
        except BlockingIOError:
            time.sleep(0.01)
finally:
    os.kill(pid, signal.SIGCONT)
s.setblocking(True)
got, how = b"", "FIN"
try:
    s.sendall(data[sent:])
    s.shutdown(socket.SHUT_WR)
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += b
except (ConnectionResetError, BrokenPipeError):
    how = "reset"
print(sent, how)
sys.stdout.write(got.decode(errors="replace").replace("\r", ""))
PY
}

for i in 1 2 3; do
	scraper >"$T/answer" 2>&1
	queued=$(head -n 1 "$T/answer" | cut -d' ' -f1)
	expect_eq "a POST with a 1 MB body, $queued bytes of it queued before hellod reads, the rest still coming: 405 whole, then the FIN, no reset ($i of 3)" \
		"FIN|HTTP/1.1 405 Method Not Allowed" \
		"$(head -n 1 "$T/answer" | cut -d' ' -f2)|$(sed -n 2p "$T/answer")"
done
expect_eq "... and a greeting is served meanwhile" "Thank you for connecting" \
	"$(greeting_of 127.0.0.1 "$PORT")"
stop_hellod
expect_eq "SIGTERM: exit 0" 0 "$HSTATUS"
