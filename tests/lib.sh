# SPDX-License-Identifier: BSD-2-Clause
# Sourced by tests/system/*.sh: a scratch directory, free ports, hellod started and stopped,
# and assertions that print one PASS, FAIL or SKIP line each.
# hellod-check's helpers, and the units' exposure score, are in lib-check.sh.
set -u
: "${HELLOD_BUILD:?run through tests/run.sh}"
HELLOD=$HELLOD_BUILD/hellod
# Set by make check-cross: the host's build of the test tools (client, fakeserver, loadgen),
# which run directly, while hellod and hellod-check are another architecture's.
HELLOD_TOOLS=${HELLOD_TOOLS:-$HELLOD_BUILD}
CLIENT=$HELLOD_TOOLS/tests/client
FAKE=$HELLOD_TOOLS/tests/fakeserver
# shellcheck disable=SC2034 # for the tests that source this file
LOADGEN=$HELLOD_TOOLS/bench/loadgen
# Set by make check-valgrind, and by make check-cross (qemu-user): hellod, hellod-check and the
# fuzz drivers run under this command.
HELLOD_WRAPPER=${HELLOD_WRAPPER:-}
# Set by make check-cross: the Debian architecture under test. HELLOD_EMULATED: it runs under
# qemu-user, which adds a thread of its own to every process and has no binfmt_misc here.
HELLOD_CROSS=${HELLOD_CROSS:-}
HELLOD_EMULATED=
if [ -n "$HELLOD_CROSS" ] && [ -n "$HELLOD_WRAPPER" ]; then
	# shellcheck disable=SC2034 # for the tests that source this file
	HELLOD_EMULATED=$HELLOD_WRAPPER
fi
TEST=$(basename "$0" .sh)
T=$(mktemp -d /tmp/hellod-test.XXXXXX)
chmod 755 "$T"
KILL_PIDS=""
HPID=""
CLEANUP=""      # commands run at exit, such as removing network namespaces

cleanup() {
	exec 2>/dev/null  # bash reports the jobs killed below: noise
	for p in $KILL_PIDS; do
		kill -9 "$p" 2>/dev/null
	done
	eval "$CLEANUP"
	rm -rf "$T"
}
trap cleanup EXIT

pass() { echo "PASS system/$TEST: $1"; }
skip() { echo "SKIP system/$TEST: $1: $2"; }
fail() {
	echo "FAIL system/$TEST: $1"
	shift
	for line in "$@"; do
		echo "# $line"
	done
	return 1
}

# check NAME COMMAND...: passes when COMMAND succeeds.
check() {
	name=$1
	shift
	if "$@"; then
		pass "$name"
	else
		fail "$name" "command failed: $*"
	fi
}

# expect_eq NAME EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected: $2" "actual:   $3"
	fi
}

# expect_grep NAME PATTERN FILE: FILE has a line matching the extended regex PATTERN.
expect_grep() {
	if grep -Eq -- "$2" "$3"; then
		pass "$1"
	else
		fail "$1" "no line matching /$2/ in:" "$(cat "$3")"
	fi
}

# expect_no_grep NAME PATTERN FILE
expect_no_grep() {
	if ! grep -Eq -- "$2" "$3"; then
		pass "$1"
	else
		fail "$1" "unexpected line matching /$2/:" "$(grep -E -- "$2" "$3")"
	fi
}

free_port() { "$CLIENT" freeport; }

# hellod ARGS...: the daemon under test, under $HELLOD_WRAPPER (valgrind) when set. In the
# background use spawn_hellod, so that $! is hellod itself, not a shell around it.
hellod() { $HELLOD_WRAPPER "$HELLOD" "$@"; }

# fake_server [-a ADDR] MODE ARGS...: one of tests/tools/fakeserver.c's misbehaving servers on
# 127.0.0.1 (or ADDR) in the background, for two minutes at most. Sets FPORT.
fake_server() {
	fake_out=$T/fake.$RANDOM$RANDOM
	"$FAKE" -l 120 "$@" >"$fake_out" &
	KILL_PIDS="$KILL_PIDS $!"
	if ! wait_until 10 test -s "$fake_out"; then
		fail "fakeserver $* starts"
		exit 1
	fi
	# shellcheck disable=SC2034 # for the tests that source this file
	FPORT=$(head -n 1 "$fake_out")
}

# now_ms: a clock for bounds such as "within the deadline plus a margin".
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# socket_activate ARGS...: hellod -c $T/hellod.conf under systemd-socket-activate ARGS (which
# listens, then execs hellod at the first connection with the sockets from fd 3), its output
# in $T/hellod.log; sets HPID once it listens.
socket_activate() {
	: >"$T/hellod.log"
	# shellcheck disable=SC2086 # the wrapper is a command line
	systemd-socket-activate "$@" $HELLOD_WRAPPER "$HELLOD" -c "$T/hellod.conf" \
		>>"$T/hellod.log" 2>&1 &
	HPID=$!
	KILL_PIDS="$KILL_PIDS $HPID"
	wait_until 10 log_has 'Listening on' ||
		fail "systemd-socket-activate listens" "$(cat "$T/hellod.log")"
}

# spawn_hellod LOG ARGS...: hellod in the background, output appended to LOG; sets HPID.
spawn_hellod() {
	spawn_log=$1
	shift
	( exec $HELLOD_WRAPPER "$HELLOD" "$@" >>"$spawn_log" 2>&1 ) &
	HPID=$!
	KILL_PIDS="$KILL_PIDS $HPID"
}

# wait_until SECONDS COMMAND...: polls COMMAND every 50 ms; false when time runs out.
wait_until() {
	limit=$(( $1 * 20 ))
	shift
	i=0
	while ! "$@" 2>/dev/null; do
		i=$((i + 1))
		[ "$i" -ge "$limit" ] && return 1
		sleep 0.05
	done
	return 0
}

log_has() { grep -Eq -- "$1" "$T/hellod.log"; }

# at_least N PATTERN FILE: FILE has N or more lines matching PATTERN (re-read at each call,
# so that wait_until can poll it).
at_least() { [ "$(grep -Eac -- "$2" "$3")" -ge "$1" ]; }

# start_hellod CONF [ARGS...]: runs hellod in the background, logging to $T/hellod.log, and
# waits until it says it started. Sets HPID.
start_hellod() {
	conf=$1
	shift
	: >"$T/hellod.log"
	spawn_hellod "$T/hellod.log" -c "$conf" "$@"
	if ! wait_until 20 log_has 'Started hellod'; then
		fail "hellod starts" "$(cat "$T/hellod.log")"
		exit 1
	fi
}

# stop_hellod [SIGNAL]: signals hellod (SIGTERM) and waits; sets HSTATUS to its exit status.
stop_hellod() {
	kill -"${1:-TERM}" "$HPID" 2>/dev/null
	wait "$HPID"
	# shellcheck disable=SC2034 # for the tests that source this file
	HSTATUS=$?
}

# greeting_of HOST PORT: what a plain TCP client receives.
greeting_of() { "$CLIENT" tcp "$1" "$2"; }

has_ipv6() { [ -e /proc/net/if_inet6 ] && grep -q '^0\{31\}1 ' /proc/net/if_inet6; }

# queued_requests NAME PORT HTTP BIG: with hellod stopped (SIGSTOP), HTTP clients send an
# HTTP request and BIG clients 64 KiB, so that every request is queued before hellod accepts;
# then hellod goes on. Passes when each client got exactly $T/expected.
queued_requests() {
	qname=$1 qport=$2 qhttp=$3
	qn=$(($3 + $4))
	kill -STOP "$HPID"
	qclients=""
	for i in $(seq 1 "$qn"); do
		if [ "$i" -le "$qhttp" ]; then
			set -- -s "GET / HTTP/1.0
"
		else
			set -- -n 65536
		fi
		"$CLIENT" -t 20000 "$@" tcp 127.0.0.1 "$qport" >"$T/busy.$i" 2>&1 &
		qclients="$qclients $!"
	done
	wait_until 10 accept_queue_is "$qport" "$qn" ||
		fail "$qn requests queue up while hellod is stopped" "$(ss -ltn "sport = :$qport")"
	wait_until 10 requests_in "$qport" "$qn" ||
		fail "the $qn requests arrive while hellod is stopped" "$(ss -tn "sport = :$qport")"
	kill -CONT "$HPID"
	wait $qclients
	ok=0
	for i in $(seq 1 "$qn"); do
		cmp -s "$T/expected" "$T/busy.$i" && ok=$((ok + 1))
	done
	expect_eq "$qname" "$qn" "$ok" || sort "$T"/busy.* | uniq -c | sed 's/^/# /'
}
# accept_queue_is PORT N: N connections wait in the listener's accept queue.
accept_queue_is() { [ "$(ss -ltnH "sport = :$1" | awk '{print $2}')" = "$2" ]; }
# requests_in PORT N: N established connections have bytes to read on the server side.
requests_in() {
	[ "$(ss -tnH state established "sport = :$1" | awk '$1 > 0' | wc -l)" = "$2" ]
}

# json_field NAME FILE: a number from loadgen's JSON line in FILE.
json_field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" "$2"; }
# fds_of PID: how many fds the process holds.
fds_of() { ls "/proc/$1/fd" | wc -l; }
# fds_at_most N / fds_at_least N: hellod ($HPID) holds N fds or fewer / or more.
fds_at_most() { [ "$(fds_of "$HPID")" -le "$1" ]; }
fds_at_least() { [ "$(fds_of "$HPID")" -ge "$1" ]; }
# hellod_running: hellod runs and is not a zombie (it is the test shell's child, so kill -0
# alone would not tell); hellod_gone: the opposite.
hellod_running() { [ -e "/proc/$HPID/stat" ] && ! grep -q '^[0-9]* ([^)]*) Z' "/proc/$HPID/stat"; }
hellod_gone() { ! hellod_running; }

# notify_listen: a NOTIFY_SOCKET at $T/notify whose messages go to $T/notify.out;
# notified PATTERN then polls it.
notify_listen() {
	"$CLIENT" -t 60000 notify "$T/notify" >"$T/notify.out" &
	KILL_PIDS="$KILL_PIDS $!"
	wait_until 5 grep -q listening "$T/notify.out"
}
notified() { grep -Eq -- "$1" "$T/notify.out"; }

# loopback_conf FILE PORT [LINE...]: a config serving 127.0.0.1:PORT, LINEs added to [server].
loopback_conf() {
	lc_file=$1 lc_port=$2
	shift 2
	printf '[server]\nhost = 127.0.0.1\nport = %s\n' "$lc_port" >"$lc_file"
	for lc_line in "$@"; do
		printf '%s\n' "$lc_line" >>"$lc_file"
	done
}

# The guides beside the example files (etc/examples/README.md, etc/monitoring/README.md) link to
# the files they explain, quote some of their lines in plain ``` blocks and show commands in
# ```sh blocks. The tests that run those files check the guides with what follows.

# guide_blocks GUIDE INFO: the lines of GUIDE's fenced blocks opened by ```INFO (INFO empty: the
# plain ones).
guide_blocks() {
	awk -v open_with="\`\`\`$2" '/^```/ { if (fence) inb = 0; else inb = ($0 == open_with)
	    fence = !fence; next } inb' "$1"
}

# guide_links GUIDE: the targets of GUIDE's relative links outside code, without #anchor.
guide_links() {
	awk '/^```/ { fence = !fence; next } !fence' "$1" | sed 's/`[^`]*`//g' |
	    grep -oE '\]\([^):]+\)' | sed -e 's/^](//' -e 's/)$//' -e 's/#.*//' -e 's|^\./||' |
	    grep -v '^$' | sort -u
}

# check_guide GUIDE: GUIDE links to every other file of its folder, every file it links to
# exists, and every line it quotes (its plain ``` blocks) is a line of a file it links to.
check_guide() {
	cg_dir=$(dirname "$1")
	cg_links=$(guide_links "$1")
	cg_unnamed="" cg_missing="" cg_stale=""
	cg_files=(/dev/null)
	for cg_f in "$cg_dir"/*; do
		[ "$cg_f" = "$1" ] || grep -qxF -- "${cg_f##*/}" <<<"$cg_links" ||
		    cg_unnamed="$cg_unnamed ${cg_f##*/}"
	done
	while read -r cg_l; do
		if [ -f "$cg_dir/$cg_l" ]; then
			cg_files+=("$cg_dir/$cg_l")
		elif [ ! -e "$cg_dir/$cg_l" ]; then
			cg_missing="$cg_missing $cg_l"
		fi
	done <<<"$cg_links"
	while IFS= read -r cg_q; do
		[ -z "$cg_q" ] || grep -qxF -- "$cg_q" "${cg_files[@]}" ||
		    cg_stale="$cg_stale [$cg_q]"
	done < <(guide_blocks "$1" "")
	expect_eq "${1#"$HELLOD_TOP"/} links to every file of its folder" "" "$cg_unnamed"
	expect_eq "... every file it links to exists" "" "$cg_missing"
	expect_eq "... and every line it quotes from them is a line of one of them" "" "$cg_stale"
}

# guide_cmd GUIDE WORDS: the first command of GUIDE's ```sh blocks that starts with WORDS, cut at
# a comment or "&&" (a reload, which is not the test's to run); nothing when there is none.
guide_cmd() {
	guide_blocks "$1" sh | sed -e 's/[[:space:]]*#.*//' -e 's/[[:space:]]*&&.*//' |
	    awk -v w="$2" 'index($0 " ", w " ") == 1 { print; exit }'
}

# expect_guide_cmds NAME GUIDE WORDS...: GUIDE's ```sh blocks have a command starting with each
# of WORDS (the commands the test runs with guide_run).
expect_guide_cmds() {
	egc_name=$1 egc_guide=$2 egc_missing=""
	shift 2
	for egc_w in "$@"; do
		[ -n "$(guide_cmd "$egc_guide" "$egc_w")" ] || egc_missing="$egc_missing [$egc_w]"
	done
	expect_eq "$egc_name" "" "$egc_missing"
}

# guide_run GUIDE WORDS FROM TO [ARG...]: runs GUIDE's command that starts with WORDS
# (guide_cmd), with FROM in it replaced by TO (a path of Debian's by the test's; FROM empty:
# nothing replaced) and ARGs added, split at blanks (the commands it runs have no quotes).
# Exits 127, saying why, when GUIDE has no such command.
guide_run() {
	gr_cmd=$(guide_cmd "$1" "$2")
	if [ -z "$gr_cmd" ]; then
		echo "no command starting with \"$2\" in a sh block of ${1#"$HELLOD_TOP"/}" >&2
		return 127
	fi
	[ -z "$3" ] || gr_cmd=${gr_cmd//"$3"/"$4"}
	shift 4
	read -ra gr_argv <<<"$gr_cmd"
	"${gr_argv[@]}" "$@"
}
