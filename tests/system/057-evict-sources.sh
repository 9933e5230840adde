#!/bin/bash
# max_connections with per-source counting on (no source exempt) and every slot held by a
# client from a source of its own: a client from yet another source is greeted, the oldest
# lingering connection making room (hellod.conf(5)), never reset "over max_connections".
# Found by the scenario engine (seed 616): the per-source table, sized for one source per
# slot, was full before the eviction made room.
. "$HELLOD_TOP/tests/lib.sh"

port=$(free_port)
conf=$T/hellod.conf
for workers in 1 2; do
	printf '[server]\nhost = 127.0.0.1\nport = %s\nworkers = %s\n' "$port" "$workers" >"$conf"
	printf '[limits]\nmax_connections = 8\nexempt =\nlinger_timeout = 10\n' >>"$conf"
	start_hellod "$conf"
	# 20 clients from 127.2.0.1 to 127.2.0.20 that never read nor close: each lingers after
	# its greeting until the next ones evict it.
	"$LOADGEN" -p "$port" -i -c 20 -n 20 -t 3000 -d 60 -b 127.2.0.1+20 >"$T/idle"
	expect_eq "workers = $workers, max_connections = 8: 20 idle clients from 20 sources, none reset" \
		"20 0" "$(json_field ok "$T/idle") $(json_field resets "$T/idle")"
	"$LOADGEN" -p "$port" -c 2 -n 50 -t 5000 -d 60 -b 127.3.0.1+50 >"$T/new"
	expect_eq "... then 50 clients from 50 more sources: each greeted" 50 \
		"$(json_field ok "$T/new")"
	kill -USR1 "$HPID"
	wait_until 5 log_has '; greetings: ' || true
	expect_no_grep "... none refused over max_connections" 'over max_connections($|[^_])' \
		"$T/hellod.log"
	stop_hellod
done
