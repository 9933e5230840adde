#!/bin/bash
# hellod-check --prom: the exact metrics text, node_exporter's textfile collector reading it
# (the real prometheus-node-exporter from Debian), the atomic write under a concurrent reader,
# a FILE that cannot be written (UNKNOWN, nothing left behind), and -q.
. "$HELLOD_TOP/tests/lib.sh"
. "$HELLOD_TOP/tests/lib-check.sh"

PORT=$(free_port)
loopback_conf "$T/hellod.conf" "$PORT"
start_hellod "$T/hellod.conf"
D=$T/textfile
mkdir "$D"
PROM=$D/hellod.prom
LABELS="{host=\"127.0.0.1\",port=\"$PORT\",proto=\"tcp\"}"
ARGS=(-H 127.0.0.1 -p "$PORT" -e Thank)

# as_nobody COMMAND...: COMMAND as the unprivileged user nobody (as root only).
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
# only_prom DIR: DIR holds hellod.prom and nothing else (no temporary file left behind).
only_prom() { [ "$(ls -A "$1")" = hellod.prom ]; }

# The text as written: a umask of 077 (hellod-check.service's) still makes it 0644, for the
# exporter, which runs as another user.
(umask 077 && run_check --prom "$PROM" "${ARGS[@]}")
run_check --prom "$PROM" "${ARGS[@]}"
cp "$PROM" "$T/first.prom"
expect_grep "with --prom, the status line is as without it" \
    "^HELLOD OK - [0-9.]+ s response time on 127\.0\.0\.1 port $PORT \[Thank you for connecting\]\|time=" \
    "$T/check.out"
expect_eq "with --prom, OK still exits 0 and prints nothing on stderr" "0 " \
    "$CRC $(cat "$T/check.err")"
(umask 077 && run_check --prom "$PROM" "${ARGS[@]}")
expect_eq "the file is mode 0644 under umask 077, and alone in its directory" "644 hellod.prom" \
    "$(stat -c %a "$PROM") $(ls -A "$D")"
sed -E 's/^(hellod_check_duration_seconds\{[^}]*\}) [0-9]+\.[0-9]{6}$/\1 DURATION/' "$PROM" \
    >"$T/normalised.prom"
expect_eq "the metrics, exactly (the duration normalised)" "$(cat <<EOF
# HELP hellod_check_success Whether the check was OK (1) or not (0).
# TYPE hellod_check_success gauge
hellod_check_success$LABELS 1
# HELP hellod_check_status The check's exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
# TYPE hellod_check_status gauge
hellod_check_status$LABELS 0
# HELP hellod_check_duration_seconds How long the probe took, until the reply ended or it gave up.
# TYPE hellod_check_duration_seconds gauge
hellod_check_duration_seconds$LABELS DURATION
# HELP hellod_check_reply_bytes The bytes of the reply that were read.
# TYPE hellod_check_reply_bytes gauge
hellod_check_reply_bytes$LABELS 25
EOF
)" "$(cat "$T/normalised.prom")"

# -q silences only what is printed.
rm -f "$PROM"
run_check -q --prom "$PROM" "${ARGS[@]}"
expect_eq "-q --prom: OK prints nothing, exits 0, and writes the file" "0 ::1" \
    "$CRC $(cat "$T/check.out"):$(cat "$T/check.err"):$(grep -c "^hellod_check_success$LABELS 1$" "$PROM")"

# A FILE that cannot be written: UNKNOWN, saying so and what the check found; nothing left.
touch "$T/plain"
expect_check "--prom under a file, not a directory, is UNKNOWN" 3 \
    "^HELLOD UNKNOWN - --prom: cannot write $T/plain/hellod\.prom: Not a directory; the check was OK - .*\|time=" \
    --prom "$T/plain/hellod.prom" "${ARGS[@]}"
expect_check "--prom in a missing directory is UNKNOWN" 3 \
    "^HELLOD UNKNOWN - --prom: cannot write $T/missing/hellod\.prom: No such file or directory; the check was OK - " \
    --prom "$T/missing/hellod.prom" "${ARGS[@]}"
mkdir "$D/sub"
expect_check "--prom naming a directory is UNKNOWN" 3 \
    "^HELLOD UNKNOWN - --prom: cannot write $D/sub: Is a directory; the check was OK - " \
    --prom "$D/sub" "${ARGS[@]}"
rmdir "$D/sub"
check "a FILE that is a directory leaves no temporary file behind" only_prom "$D"
expect_check "-q still prints an UNKNOWN for a FILE it cannot write" 3 \
    "^HELLOD UNKNOWN - --prom: cannot write " -q --prom "$T/missing/hellod.prom" "${ARGS[@]}"
mkdir "$T/ro"
if [ "$(id -u)" = 0 ]; then
	# Root ignores the mode bits: the directory is root's, hellod-check runs as nobody.
	CHECK_IN=as_nobody expect_check "--prom in a directory it may not write is UNKNOWN" 3 \
	    "^HELLOD UNKNOWN - --prom: cannot write $T/ro/hellod\.prom: Permission denied; " \
	    --prom "$T/ro/hellod.prom" "${ARGS[@]}"
else
	chmod 555 "$T/ro"
	expect_check "--prom in a directory it may not write is UNKNOWN" 3 \
	    "^HELLOD UNKNOWN - --prom: cannot write $T/ro/hellod\.prom: Permission denied; " \
	    --prom "$T/ro/hellod.prom" "${ARGS[@]}"
	chmod 755 "$T/ro"
fi
expect_eq "an unwritable directory is left empty" "" "$(ls -A "$T/ro")"
# A symlink as FILE is replaced, not followed.
echo keep >"$T/target"
ln -s "$T/target" "$T/ro/hellod.prom"
run_check --prom "$T/ro/hellod.prom" "${ARGS[@]}"
expect_eq "a symlink at FILE is replaced by the file; its target is untouched" "0 file keep" \
    "$CRC $([ -f "$T/ro/hellod.prom" ] && [ ! -L "$T/ro/hellod.prom" ] && echo file) \
$(cat "$T/target")"

# The atomic write under a concurrent reader: each read is one whole file, ending with the last
# metric line. The writer runs N checks; the reader reads until the writer is done, bounded in
# count and by the test's timeout. Fewer under valgrind, where a check takes half a second.
N=200
[ -n "$HELLOD_WRAPPER" ] && N=20
LAST="hellod_check_reply_bytes$LABELS 25"
(
	for _ in $(seq 1 "$N"); do
		$HELLOD_WRAPPER "$HELLOD_BUILD/hellod-check" -q --prom "$PROM" "${ARGS[@]}" || exit 1
	done
	touch "$T/writer.done"
) &
writer=$!
reads=0 bad=0
while [ ! -e "$T/writer.done" ] && [ "$reads" -lt $((N * 100)) ]; do
	text=$(<"$PROM")
	reads=$((reads + 1))
	if [ "${text##*$'\n'}" != "$LAST" ] || [ "$(printf '%s\n' "$text" | wc -l)" != 12 ]; then
		bad=$((bad + 1))
		[ "$bad" = 1 ] && printf '%s\n' "$text" >"$T/partial.prom"
	fi
done
wait "$writer"
expect_eq "$N writes, $reads reads meanwhile: every read is a whole file" "0 0" \
    "$? $bad" || sed 's/^/# partial: /' "$T/partial.prom"
check "the concurrent writes leave no temporary file behind" only_prom "$D"

# node_exporter's textfile collector: what it makes of the file.
NE=/usr/bin/prometheus-node-exporter
if [ ! -x "$NE" ] && [ "$(id -u)" = 0 ]; then
	"$HELLOD_TOP/packaging/build-deps.sh" prometheus-node-exporter >"$T/deps.log" 2>&1 ||
	    sed 's/^/# /' "$T/deps.log"
fi
if [ ! -x "$NE" ]; then
	skip "node_exporter's textfile collector" \
	    "$NE missing (apt-get install prometheus-node-exporter)"
	stop_hellod
	exit 0
fi
# metrics: node_exporter's page, with curl or else python3.
metrics() {
	if command -v curl >/dev/null; then
		curl -sf --max-time 5 "http://127.0.0.1:$NPORT/metrics" >"$T/metrics"
	else
		python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
		    "http://127.0.0.1:$NPORT/metrics" >"$T/metrics"
	fi
}
# As root, the exporter runs as nobody, as Debian's runs as prometheus: the file must be
# readable by another user.
# setpriv execs it, and so does the subshell: $! is node_exporter itself, which cleanup kills.
NE_IN=""
[ "$(id -u)" = 0 ] && NE_IN="setpriv --reuid=nobody --regid=nogroup --clear-groups"
NPORT=$(free_port)
# shellcheck disable=SC2086 # NE_IN is a command line
( exec $NE_IN "$NE" --web.listen-address="127.0.0.1:$NPORT" --collector.disable-defaults \
    --collector.textfile --collector.textfile.directory="$D" >"$T/node-exporter.log" 2>&1 ) &
NE_PID=$!
KILL_PIDS="$KILL_PIDS $NE_PID"
if ! wait_until 20 metrics; then
	fail "node_exporter starts" "$(cat "$T/node-exporter.log")"
	exit 1
fi
(umask 077 && run_check -q --prom "$PROM" "${ARGS[@]}")
metrics
expect_grep "node_exporter shows hellod_check_success 1 while hellod runs" \
    "^hellod_check_success$LABELS 1$" "$T/metrics"
expect_grep "node_exporter shows the duration, in seconds" \
    "^hellod_check_duration_seconds$LABELS [0-9.e+-]+$" "$T/metrics"
expect_grep "node_exporter read the file without error" "^node_textfile_scrape_error 0$" \
    "$T/metrics"
stop_hellod
run_check -q --prom "$PROM" "${ARGS[@]}"
expect_eq "once hellod stopped, the check is CRITICAL" 2 "$CRC"
metrics
expect_grep "once hellod stopped, node_exporter shows hellod_check_success 0" \
    "^hellod_check_success$LABELS 0$" "$T/metrics"
expect_grep "and hellod_check_status 2" "^hellod_check_status$LABELS 2$" "$T/metrics"
expect_grep "node_exporter still reads the file without error" "^node_textfile_scrape_error 0$" \
    "$T/metrics"
expect_no_grep "node_exporter logs no error" "level=error" "$T/node-exporter.log"
kill "$NE_PID"
wait "$NE_PID" 2>/dev/null
# Its port closed: the exporter itself stopped, not a shell around it.
ne_gone() { ! metrics; }
check "node_exporter stops when its pid is killed" wait_until 10 ne_gone
