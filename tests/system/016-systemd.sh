#!/bin/bash
# hellod under real systemd as PID 1 (systemd-nspawn): make install's units, socket activation
# over TCP and UDP and of the metrics endpoint, reload, status, journal, watchdog, restart
# policy, stop, the self-binding unit and the hardening, each as systemctl and journalctl show
# them to an administrator.
. "$HELLOD_TOP/tests/lib.sh"
. "$HELLOD_TOP/tests/lib-check.sh"
. "$HELLOD_TOP/tests/container.sh"

why=$(container_unusable)
if [ -n "$why" ]; then
	skip "hellod under systemd as PID 1" "$why"
	exit 0
fi
CT=$T/ct
mkdir -p "$CT/art"
if ! make -s -C "$HELLOD_TOP" install BUILDDIR="$HELLOD_BUILD" DESTDIR="$T/stage" >"$T/install.log" 2>&1
then
	fail "make install into a staging directory" "$(cat "$T/install.log")"
	exit 1
fi
tar -C "$T/stage" -cf "$CT/art/install.tar" .
if ! container_boot "$CT"; then
	fail "systemd boots as PID 1 in a container" "$(tail -20 "$CT/console.log")"
	exit 1
fi
# As make install would on the machine itself, then what a package's triggers do.
in_ct sh -c 'tar -C / --keep-directory-symlink -xf /mnt/artifacts/install.tar &&
    systemctl daemon-reload && journalctl --update-catalog' >"$T/setup.log" 2>&1 ||
	fail "make install's files go in and systemd loads them" "$(cat "$T/setup.log")"

# msgid NAME: a MESSAGE_ID from defaults.h (LISTEN, START, ...).
msgid() { sed -n "s/^#define HELLOD_MESSAGE_$1 \"\\(.*\\)\"$/\\1/p" "$HELLOD_TOP/src/common/defaults.h"; }
LISTEN_ID=$(msgid LISTEN)
prop() { in_ct systemctl show -p "$2" --value "$1"; }
# journal_json UNIT: the unit's entries as one JSON array (journalctl may show one twice).
journal_json() { in_ct journalctl -u "$1" -o json --no-pager | jq -s 'unique_by(.__CURSOR)'; }
greeting_is() { [ "$(greet tcp 127.0.0.1 12345)" = "$1" ]; }
conf() { printf '%b' "$1" | in_ct sh -c 'cat >/etc/hellod/hellod.conf'; }

# Socket activation over TCP, set up as the README says.
in_ct systemctl enable --now hellod.socket 2>/dev/null
expect_eq "systemctl enable --now hellod.socket: enabled in sockets.target, and active" \
    "0 enabled sockets.target active" "$? $(in_ct systemctl is-enabled hellod.socket) \
$(prop hellod.socket WantedBy) $(active hellod.socket)"
expect_eq "hellod.service is not running before the first connection" inactive \
    "$(active hellod.service)"
backlog=$(sed -n 's/^;backlog = //p' "$HELLOD_TOP/etc/hellod.conf")
expect_eq "systemd listens on *:12345 (dual-stack) with the configuration's default backlog" \
    "*:12345 $backlog" "$(in_ct ss -Hltn 'sport = :12345' | awk '{ print $4, $3 }')"
expect_eq "a TCP client gets the greeting through the socket" "Thank you for connecting" \
    "$(greet tcp 127.0.0.1 12345)"
expect_eq "hellod.service is active after the first connection" active "$(active hellod.service)"
expect_eq "the socket is dual-stack: ::1 gets it too" "Thank you for connecting" \
    "$(greet tcp ::1 12345)"
pid=$(prop hellod.service MainPID)
uid=$(in_ct stat -c %u "/proc/$pid")
if [ "$uid" -ge 61184 ] && [ "$uid" -le 65519 ]; then
	pass "hellod runs as a dynamic user (uid $uid)"
else
	fail "hellod runs as a dynamic user" "uid of $pid: $uid"
fi
expect_eq "hellod has no network but loopback (PrivateNetwork=)" "lo differs" \
    "$(in_ct nsenter -t "$pid" -n ip -o link | awk -F': ' '{ print $2 }' | tr '\n' ' ')$(
    [ "$(in_ct readlink "/proc/$pid/ns/net")" != "$(in_ct readlink /proc/1/ns/net)" ] &&
        echo differs)"

# The journal: structured entries with a MESSAGE_ID, and the address systemd passed.
journal_json hellod >"$T/journal.json"
expect_eq "journalctl -o json: the listen entry has PRIORITY, MESSAGE_ID and the address" \
    "\"6 $LISTEN_ID [::]:12345 TCP on [::]:12345 (passed by systemd as tcp)\"" \
    "$(jq --arg id "$LISTEN_ID" '.[] | select(.MESSAGE_ID == $id) |
        "\(.PRIORITY) \(.MESSAGE_ID) \(.HELLOD_ADDRESS) \(.MESSAGE | sub("^Serving "; ""))"' \
        "$T/journal.json")"
expect_eq "journalctl -o json: the start entry has its MESSAGE_ID" 1 \
    "$(jq --arg id "$(msgid START)" '[.[] | select(.MESSAGE_ID == $id)] | length' \
        "$T/journal.json")"

# STATUS= with live counters, as systemctl status shows it.
status_says() { in_ct systemctl status hellod.service --no-pager | grep -Fq "$1"; }
wait_until 5 status_says 'Status: "Serving TCP [::]:12345; greetings: 2 TCP, 0 UDP"'
expect_eq "systemctl status shows STATUS= with the greeting counters" 0 "$?"

# The watchdog: armed at 30 s, and served: at 1 s a silent hellod would be killed in 1 s.
expect_eq "the watchdog is armed (WatchdogUSec)" 30s "$(prop hellod.service WatchdogUSec)"
in_ct sh -c 'mkdir -p /run/systemd/system/hellod.service.d &&
    printf "[Service]\nWatchdogSec=1s\n" >/run/systemd/system/hellod.service.d/wd.conf &&
    systemctl daemon-reload && systemctl restart hellod.service'
pid=$(prop hellod.service MainPID)
ping1=$(prop hellod.service WatchdogTimestampMonotonic)
sleep 3
expect_eq "with WatchdogSec=1s, hellod keeps pinging: same PID, no restart after 3 s" \
    "$pid 0 active yes" "$(prop hellod.service MainPID) $(prop hellod.service NRestarts) \
$(active hellod.service) $([ "$(prop hellod.service WatchdogTimestampMonotonic)" != "$ping1" ] &&
    echo yes)"
in_ct sh -c 'rm -r /run/systemd/system/hellod.service.d && systemctl daemon-reload'

# UDP: its own socket unit. systemd refuses to start it while hellod.service runs (that
# hellod would never get it): stop the service first, the next client starts it again.
in_ct systemctl start hellod-udp.socket 2>/dev/null
expect_eq "hellod-udp.socket does not start beside a running hellod.service" "1 inactive" \
    "$? $(active hellod-udp.socket)"
in_ct systemctl stop hellod.service 2>/dev/null
in_ct systemctl start hellod-udp.socket
in_ct systemctl start hellod.service
expect_eq "with hellod-udp.socket, a datagram gets the greeting" "Thank you for connecting" \
    "$(greet udp 127.0.0.1 12345)"
in_ct systemctl stop hellod.service 2>/dev/null
expect_eq "stopping hellod.service leaves both sockets listening" "active active inactive" \
    "$(active hellod.socket) $(active hellod-udp.socket) $(active hellod.service)"
expect_eq "a datagram alone starts hellod.service and gets the greeting" \
    "Thank you for connecting active" "$(greet udp ::1 12345) $(active hellod.service)"
journal_json hellod >"$T/journal.json"
expect_eq "hellod tells the passed sockets by their FileDescriptorName=" \
    "TCP on [::]:12345 (passed by systemd as tcp)|UDP on [::]:12345 (passed by systemd as udp)" \
    "$(jq -r --arg id "$LISTEN_ID" '[.[] | select(.MESSAGE_ID == $id) |
        .MESSAGE | sub("^Serving "; "")] | unique | join("|")' "$T/journal.json")"

# The metrics endpoint: a socket unit of its own, installed but not enabled, adopted by its
# FileDescriptorName=metrics. As for UDP, hellod.service stops first.
expect_eq "hellod-metrics.socket is installed, not enabled" "disabled inactive" \
    "$(in_ct systemctl is-enabled hellod-metrics.socket) $(active hellod-metrics.socket)"
in_ct systemctl stop hellod.service 2>/dev/null
in_ct systemctl start hellod-metrics.socket
greet chunks 127.0.0.1 12346 'GET /metrics HTTP/1.0\r\n\r\n' >"$T/metrics.out"
expect_eq "a scrape starts hellod.service and gets 200, the metrics and the greeting count" \
    "HTTP/1.1 200 OK|hellod_greetings_total{proto=\"tcp\"} 0 active" \
    "$(head -n 1 "$T/metrics.out" | tr -d '\r')|$(grep '^hellod_greetings_total{proto="tcp"}' \
        "$T/metrics.out") $(active hellod.service)"
journal_json hellod >"$T/journal.json"
expect_eq "hellod serves the metrics on the socket passed as metrics, not as a greeting" \
    "metrics on 127.0.0.1:12346 (passed by systemd as metrics)" \
    "$(jq -r --arg id "$LISTEN_ID" '[.[] | select(.MESSAGE_ID == $id) | .MESSAGE |
        select(test("12346")) | sub("^Serving "; "")] | unique | join("|")' "$T/journal.json")"
in_ct systemctl stop hellod-metrics.socket

# Reload: a new greeting takes effect; a broken file fails the reload and changes nothing.
# Issue 25: systemctl reload returns once the new configuration serves (ExecReload= waits for
# hellod's answer), so the greeting is asked for at once. The file is touched for 0.6 s more, so
# hellod waits until it has been quiet for 0.1 s: a reload that only sent SIGHUP returned at once,
# and the old greeting was still served.
conf '[server]\ngreeting = Hello from systemd\n[log]\nsummary_interval = 0.5\n'
in_ct sh -c 'for i in 1 2 3 4 5 6; do touch /etc/hellod/hellod.conf; sleep 0.1; done' &
toucher=$!
in_ct systemctl reload hellod.service
rc=$?
wait "$toucher"
expect_eq "systemctl reload: the new greeting is served over TCP as soon as it returns" \
    "0 Hello from systemd" "$rc $(greet tcp 127.0.0.1 12345)"
expect_eq "... and over UDP" "Hello from systemd" "$(greet udp 127.0.0.1 12345)"
# A 1-byte request is refused (udp_max_ratio): counted, and said in the summary line.
greet -s x udp 127.0.0.1 12345 >/dev/null
LIMITS_ID=$(msgid LIMITS)
limits_logged() {
	journal_json hellod.service >"$T/journal.json" &&
	    [ "$(jq -r --arg id "$LIMITS_ID" '[.[] | select(.MESSAGE_ID == $id) |
	        .HELLOD_REFUSED] | join(",")' "$T/journal.json")" = 1 ]
}
check "a 1-byte UDP request: one summary line with MESSAGE_ID and HELLOD_REFUSED=1" \
	wait_until 10 limits_logged
pid=$(prop hellod.service MainPID)
conf '[server]\ngreeting = Broken\nbogus = 1\n'
in_ct systemctl reload hellod.service >"$T/reload.out" 2>&1
rc=$?
expect_eq "systemctl reload fails on a broken configuration" 1 "$rc"
sleep 0.5
expect_eq "... and the old greeting is still served by the same hellod" \
    "Hello from systemd $pid active" \
    "$(greet tcp 127.0.0.1 12345) $(prop hellod.service MainPID) $(active hellod.service)"
in_ct journalctl -u hellod.service --no-pager >"$T/journal.txt"
expect_grep "... with the file:line and the problem in the journal" \
    "hellod\[[0-9]+\]: .*/etc/hellod/hellod.conf:3: unknown key 'bogus'" "$T/journal.txt"
in_ct systemctl status hellod.service --no-pager -n 20 >"$T/status.txt" 2>&1
expect_grep "... and systemctl status says hellod refused it, and why" \
    "refused the reload, still serving the previous configuration: line 3: unknown key 'bogus'" \
    "$T/status.txt"
# SIGHUP sent past systemctl (kill, a script): hellod itself keeps the old configuration.
in_ct kill -HUP "$pid"
failed_reload() {
	journal_json hellod | jq -e --arg id "$(msgid RELOAD_FAILED)" 'any(.[]; .MESSAGE_ID == $id)' \
	    >/dev/null
}
wait_until 5 failed_reload
expect_eq "SIGHUP with a broken file: a reload-failed entry (MESSAGE_ID) in the journal" 0 "$?"
expect_eq "... and the old greeting is still served" "Hello from systemd active" \
    "$(greet tcp 127.0.0.1 12345) $(active hellod.service)"

# Restart policy: a broken configuration is not retried (exit 78); a crash is.
# Type=notify: systemctl waits for READY=1, so it reports a start that fails.
in_ct systemctl restart hellod.service 2>/dev/null
rc=$?
sleep 1
expect_eq "a broken configuration at start: systemctl fails, 78, not restarted" \
    "1 failed 78 0" "$rc $(active hellod.service) $(prop hellod.service ExecMainStatus) \
$(prop hellod.service NRestarts)"
conf '[server]\ngreeting = Hello again\n'
in_ct systemctl reset-failed hellod.service
in_ct systemctl start hellod.service
pid=$(prop hellod.service MainPID)
in_ct kill -KILL "$pid"
restarted() { [ "$(prop hellod.service NRestarts)" = 1 ] && [ "$(active hellod.service)" = active ]; }
wait_until 5 restarted
expect_eq "a killed hellod is restarted (Restart=on-failure) and serves" "0 Hello again" \
    "$? $(greet tcp 127.0.0.1 12345)"

# Stop: SIGTERM, STOPPING=1 to systemd, exit 0.
in_ct systemd-analyze log-level debug
pid=$(prop hellod.service MainPID)
in_ct systemctl stop hellod.service 2>/dev/null
expect_eq "systemctl stop: hellod exits 0 and the unit ends in success" "0 success inactive" \
    "$(prop hellod.service ExecMainStatus) $(prop hellod.service Result) \
$(active hellod.service)"
in_ct journalctl -b --no-pager >"$T/journal.txt"
in_ct systemd-analyze log-level info
expect_grep "hellod told systemd it is stopping (STOPPING=1)" \
    "hellod.service: Got notification message from PID $pid \(.*STOPPING=1" "$T/journal.txt"

# journalctl -x explains each entry hellod logged with the catalog.
in_ct journalctl -x -u hellod.service --no-pager >"$T/journal-x.txt"
missing=""
while read -r subject; do
	grep -Fq "Subject: ${subject%%@*}" "$T/journal-x.txt" || missing="$missing [$subject]"
done < <(sed -n 's/^Subject: //p' "$HELLOD_TOP/systemd/hellod.catalog")
expect_eq "journalctl -x explains start, listen, reload, reload failed, config error and stop" \
    "" "$missing"

# hellod-check and its units, as installed.
in_ct hellod-check >"$T/check.out" 2>&1
expect_eq "hellod-check, run inside, says OK" "0 HELLOD OK" "$? $(cut -c 1-9 "$T/check.out")"
in_ct systemctl start hellod-check.service
expect_eq "hellod-check.service passes" "0 success" "$? $(prop hellod-check.service Result)"

# The hardening as systemd scores the units make install put in place.
SECURITY_IN=in_ct expect_exposure /lib/systemd/system/hellod.service 0.3

# The self-binding unit: it takes the sockets' place and binds from the configuration.
in_ct systemctl start hellod-standalone.service
expect_eq "hellod-standalone.service starts and stops the socket units (Conflicts=)" \
    "active inactive inactive" "$(active hellod-standalone.service) $(active hellod.socket) \
$(active hellod-udp.socket)"
expect_eq "... and serves the greeting on the sockets it bound" "Hello again" \
    "$(greet tcp 127.0.0.1 12345)"
in_ct journalctl -u hellod-standalone.service --no-pager >"$T/journal.txt"
expect_grep "... bound by hellod, not passed" "Serving TCP on 0\.0\.0\.0:12345$" "$T/journal.txt"
# Issue 25: systemd keeps copies of the sockets hellod bound (FileDescriptorStoreMax=): a
# restart or a crash finds the very same listening socket open, so that clients wait in its
# backlog meanwhile rather than being refused.
inode() { in_ct ss -Hltne "sport = :$1" | grep -o 'ino:[0-9]*' | head -n 1; }
ino=$(inode 12345)
in_ct systemctl restart hellod-standalone.service
expect_eq "systemctl restart hellod-standalone.service keeps the listening socket (same inode)" \
    "$ino Hello again" "$(inode 12345) $(greet tcp 127.0.0.1 12345)"
in_ct sh -c 'kill -9 "$(systemctl show -p MainPID --value hellod-standalone.service)"'
restarted() { [ "$(prop hellod-standalone.service NRestarts)" = 1 ] &&
    [ "$(active hellod-standalone.service)" = active ]; }
wait_until 10 restarted
expect_eq "a crash (kill -9): Restart= brings it back on the same listening socket" \
    "1 $ino Hello again" \
    "$(prop hellod-standalone.service NRestarts) $(inode 12345) $(greet tcp 127.0.0.1 12345)"
conf '[server]\nport = 12347\ngreeting = Hello again\n'
in_ct systemctl restart hellod-standalone.service
expect_eq "a restart applies a new port: 12347 served, 12345 closed and out of the store" \
    "Hello again closed" "$(greet tcp 127.0.0.1 12347) $([ -z "$(inode 12345)" ] && echo closed)"
in_ct journalctl -u hellod-standalone.service --no-pager >"$T/journal.txt"
expect_grep "... and the journal says so" "Closed TCP on 0\.0\.0\.0:12345: no longer configured" \
    "$T/journal.txt"
conf '[server]\ngreeting = Hello again\n'
in_ct systemctl restart hellod-standalone.service
SECURITY_IN=in_ct expect_exposure /lib/systemd/system/hellod-standalone.service 1.2
# Port 70 as its unit file says: the capability, and no user namespace of its own.
conf '[server]\nport = 70\ngreeting = Hello again\n'
in_ct sh -c 'mkdir -p /run/systemd/system/hellod-standalone.service.d &&
    sed -n "s/^#   \(AmbientCapabilities=\|CapabilityBoundingSet=\|PrivateUsers=\|\[Service\]\)/\1/p" \
        /lib/systemd/system/hellod-standalone.service \
        >/run/systemd/system/hellod-standalone.service.d/low-port.conf &&
    systemctl daemon-reload && systemctl restart hellod-standalone.service'
expect_eq "... with the drop-in its unit file gives, it serves port 70" "Hello again" \
    "$(greet tcp 127.0.0.1 70)"
in_ct sh -c 'rm -r /run/systemd/system/hellod-standalone.service.d && systemctl daemon-reload'
conf '[server]\ngreeting = Hello again\n'
in_ct systemctl stop hellod-standalone.service
expect_eq "hellod-standalone.service stops with exit 0" "0 success" \
    "$(prop hellod-standalone.service ExecMainStatus) $(prop hellod-standalone.service Result)"

# [Install]: enabling the service enables its socket (Also=), as debhelper and admins do.
in_ct systemctl disable hellod.socket 2>/dev/null
in_ct systemctl enable hellod.service 2>/dev/null
expect_eq "systemctl enable hellod.service enables hellod.socket (Also=)" "0 enabled" \
    "$? $(in_ct systemctl is-enabled hellod.socket)"

# Moving the port, as the README says: a drop-in that clears ListenStream= first.
in_ct systemctl start hellod.service
in_ct sh -c 'mkdir -p /etc/systemd/system/hellod.socket.d &&
    printf "[Socket]\nListenStream=\nListenStream=127.0.0.1:7000\n" \
        >/etc/systemd/system/hellod.socket.d/port.conf &&
    systemctl daemon-reload && systemctl restart hellod.socket'
expect_eq "a drop-in moves the port: 7000 greets, 12345 is closed" \
    "Hello again|client: connect: Connection refused" \
    "$(greet tcp 127.0.0.1 7000)|$(greet tcp 127.0.0.1 12345)"

# The kernel's access list: IPAddressAllow=/IPAddressDeny= (systemd.resource-control(5)),
# enforced with cgroup eBPF (BPF_PROG_TYPE_CGROUP_SKB on cgroup v2). What it turns away never
# reaches hellod: the kernel drops the SYN, no reset, so the client's connect() just waits
# (cut here by timeout(1): 124). On a socket unit it filters the listening socket and what it
# accepts; a service's list does not apply to the sockets passed to it (hellod.service's own
# IPAddressDeny=any is why it serves at all); a self-binding hellod needs it on its service.
# from ADDR PORT: what a client bound to ADDR gets from 127.0.0.1:PORT within 3 s, and its status.
from() {
	local out rc
	out=$(in_ct timeout 3 /mnt/artifacts/client -t 2000 -B "$1" tcp 127.0.0.1 "$2" 2>&1)
	rc=$?
	echo "${out:-nothing} ($rc)"
}
ip_list() {
	in_ct sh -c "mkdir -p /run/systemd/system/$1.d && printf '[%s]\nIPAddressDeny=any\n%s\n' \
	    '$2' 'IPAddressAllow=127.0.0.1' >/run/systemd/system/$1.d/ip.conf && systemctl daemon-reload"
}
bpf_off=$(in_ct journalctl -b --no-pager | grep -Eo \
    'BPF firewalling (is )?not supported|does not support BPF/cgroup firewalling' | head -n 1)
if ! in_ct test -f /sys/fs/cgroup/cgroup.controllers; then
	skip "IPAddressAllow=/IPAddressDeny= on hellod.socket and hellod-standalone.service" \
	    "the container has no cgroup v2 (the BPF firewall needs it)"
elif [ -n "$bpf_off" ]; then
	skip "IPAddressAllow=/IPAddressDeny= on hellod.socket and hellod-standalone.service" \
	    "systemd in the container says: $bpf_off (no cgroup eBPF here: the settings do nothing)"
else
	expect_eq "hellod.service's own IPAddressDeny=any does not touch the passed socket: \
127.0.0.2 is greeted" "Hello again (0)" "$(from 127.0.0.2 7000)"
	ip_list hellod.socket Socket
	in_ct systemctl restart hellod.socket
	# systemd prints the two halves of "any" in either order.
	expect_eq "hellod.socket with IPAddressDeny=any, IPAddressAllow=127.0.0.1: shown by systemctl" \
	    "127.0.0.1/32 | 0.0.0.0/0 ::/0" "$(prop hellod.socket IPAddressAllow) | $(
	    prop hellod.socket IPAddressDeny | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
	expect_eq "... 127.0.0.1 is greeted" "Hello again (0)" "$(from 127.0.0.1 7000)"
	expect_eq "... 127.0.0.2 is not: the kernel drops its SYN, no reset, connect() waits" \
	    "nothing (124)" "$(from 127.0.0.2 7000)"
	in_ct sh -c 'rm -r /run/systemd/system/hellod.socket.d && systemctl daemon-reload &&
	    systemctl restart hellod.socket'
	expect_eq "... and greeted again once the drop-in is gone" "Hello again (0)" \
	    "$(from 127.0.0.2 7000)"
	# The self-binding unit: its sockets are its own, so its list applies.
	in_ct systemctl start hellod-standalone.service
	expect_eq "hellod-standalone.service without a list: 127.0.0.2 is greeted" \
	    "Hello again (0)" "$(from 127.0.0.2 12345)"
	ip_list hellod-standalone.service Service
	in_ct systemctl restart hellod-standalone.service
	expect_eq "hellod-standalone.service with the same lists: 127.0.0.1 is greeted, \
127.0.0.2 dropped" "Hello again (0)|nothing (124)" "$(from 127.0.0.1 12345)|$(
	    from 127.0.0.2 12345)"
	in_ct sh -c 'rm -r /run/systemd/system/hellod-standalone.service.d &&
	    systemctl daemon-reload && systemctl stop hellod-standalone.service'
fi
