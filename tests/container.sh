# SPDX-License-Identifier: BSD-2-Clause
# Sourced after tests/lib.sh: real systemd as PID 1 in systemd-nspawn, booting this machine's
# own root with throwaway overlays on /usr, /etc and /var (shared/notes/real-systemd.md).
# The container has its own loopback: clients run inside it, through in_ct.
CT_NSPID=""
CT_INIT=""

# container_unusable: prints why no container can be booted here, or nothing.
container_unusable() {
	if [ "$(id -u)" != 0 ]; then
		echo "needs root (systemd-nspawn)"
	elif ! command -v systemd-nspawn >/dev/null; then
		echo "systemd-nspawn not installed (package systemd-container)"
	elif [ -n "$HELLOD_EMULATED" ]; then
		# systemd execs the unit's binary itself, and without binfmt_misc the kernel
		# cannot hand a foreign one to qemu-user.
		echo "systemd cannot start the $HELLOD_CROSS build here: no binfmt_misc for qemu-user"
	elif [ -n "$HELLOD_CROSS" ]; then
		# i386 on amd64, which the kernel runs itself, but not past the hardened units.
		echo "the units' SystemCallArchitectures=native admits $(dpkg --print-architecture) system \
calls only: an $HELLOD_CROSS hellod is killed with SIGSYS here (on its own machine it is native)"
	elif [ -n "$HELLOD_WRAPPER" ] || [ -n "${HELLOD_SANITIZER:-}" ]; then
		# The hardened units forbid what memcheck and LeakSanitizer need (ptrace, W+X
		# memory), and the container's files are not the reports directory.
		echo "runs in make check's plain build only, not under valgrind or sanitizers"
	fi
}

# container_boot DIR: boots with the overlays' upper directories in DIR/up (kept, so that a
# second boot sees what the first installed) and DIR/art read-only at /mnt/artifacts, where
# it puts the test client too. Waits until systemd has reached basic.target. Returns 1, with
# the console in DIR/console.log, when it does not come up in 60 s.
container_boot() {
	local dir=$1 i state=""
	mkdir -p "$dir/up/usr" "$dir/up/etc" "$dir/up/var" "$dir/art"
	cp "$CLIENT" "$dir/art/client"
	# cgroup v2: the BPF firewall (IPAddressDeny=) is really in force.
	SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 systemd-nspawn -q --register=no --keep-unit \
	    --private-network -M "hellod-$$" --capability=CAP_BPF,CAP_PERFMON \
	    --system-call-filter=bpf --bind-ro="$dir/art:/mnt/artifacts" \
	    --console=read-only -b -D / --volatile=yes \
	    --overlay="/usr:$dir/up/usr:/usr" --overlay="/etc:$dir/up/etc:/etc" \
	    --overlay="/var:$dir/up/var:/var" \
	    systemd.unit=basic.target systemd.firstboot=off >"$dir/console.log" 2>&1 &
	CT_NSPID=$!
	for i in $(seq 300); do
		kill -0 "$CT_NSPID" 2>/dev/null || break
		# nspawn's first child is a helper that execs systemd later: wait for that.
		CT_INIT=$(ps -o pid=,comm= --ppid "$CT_NSPID" | awk '$2 == "systemd" { print $1 }')
		if [ -n "$CT_INIT" ]; then
			state=$(in_ct systemctl is-system-running 2>/dev/null)
			case $state in
			running | degraded) break ;;
			esac
		fi
		sleep 0.2
	done
	case $state in
	running | degraded) ;;
	*) return 1 ;;
	esac
	# This machine's policy-rc.d (Docker style) would forbid starting services.
	in_ct sh -c 'rm -f /usr/sbin/policy-rc.d && ip link set lo up'
}

in_ct() { nsenter -t "$CT_INIT" -a "$@"; }
# greet tcp|udp HOST PORT: the greeting a client inside the container gets, or its error.
greet() { in_ct timeout 10 /mnt/artifacts/client -t 5000 "$@" 2>&1; }
active() { in_ct systemctl is-active "$1"; }

# container_stop: powers the container off with SIGRTMIN+4 to its init and waits for nspawn.
# Never SIGKILL nspawn: its systemd would live on, orphaned.
container_stop() {
	local i
	[ -n "$CT_NSPID" ] || return 0
	if [ -n "$CT_INIT" ]; then
		kill -s RTMIN+4 "$CT_INIT" 2>/dev/null
	fi
	for i in $(seq 150); do
		kill -0 "$CT_NSPID" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$CT_NSPID" 2>/dev/null && [ -n "$CT_INIT" ]; then
		kill -9 "$CT_INIT" 2>/dev/null
	fi
	wait "$CT_NSPID" 2>/dev/null
	CT_NSPID=""
	CT_INIT=""
}

# Stops the container on every exit, a failed assertion or the suite's timeout included.
trap 'container_stop; cleanup' EXIT
trap 'exit 1' TERM INT
