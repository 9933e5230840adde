#!/bin/bash
# hellod's metrics and alerting rules with the real programs from Debian's prometheus package
# (installed on demand as root, else skipped): promtool check metrics on the endpoint's text
# (no error, no lint warning); promtool check rules and test rules on etc/monitoring's
# hellod-rules.yml; and Prometheus 2.42 on loopback, from prometheus-hellod.yml with its target
# pointed at this hellod and its intervals shortened: after a scrape its query API says up 1
# and the number of greetings sent, and the rules it loaded are healthy. The promtool commands
# on the rules and the configuration are those etc/monitoring/README.md shows.
. "$HELLOD_TOP/tests/lib.sh"

MON=$HELLOD_TOP/etc/monitoring
GUIDE=$MON/README.md
expect_guide_cmds "etc/monitoring/README.md shows the promtool commands this test runs (check rules, test rules, check config)" \
    "$GUIDE" "promtool check rules" "promtool test rules" "promtool check config"

have_prometheus() { command -v prometheus >/dev/null && command -v promtool >/dev/null; }
if ! have_prometheus && [ "$(id -u)" = 0 ]; then
	"$HELLOD_TOP/packaging/build-deps.sh" prometheus >"$T/install.log" 2>&1
fi
if ! have_prometheus; then
	skip "Prometheus and promtool against hellod" \
	    "needs prometheus (apt-get install -y --no-install-recommends prometheus)"
	exit 0
fi

PORT=$(free_port)
MPORT=$(free_port)
loopback_conf "$T/hellod.conf" "$PORT" "udp = yes"
printf '[metrics]\nlisten = 127.0.0.1:%s\n' "$MPORT" >>"$T/hellod.conf"
: >"$T/hellod.log"
spawn_hellod "$T/hellod.log" -c "$T/hellod.conf"
wait_until 20 log_has 'Started hellod' || fail "hellod starts" "$(cat "$T/hellod.log")"

# Known traffic: 7 TCP greetings and 2 UDP ones.
for _ in 1 2 3 4 5 6 7; do
	greeting_of 127.0.0.1 "$PORT" >/dev/null
done
"$CLIENT" udp 127.0.0.1 "$PORT" >/dev/null 2>&1
"$CLIENT" udp 127.0.0.1 "$PORT" >/dev/null 2>&1

"$CLIENT" -t 10000 chunks 127.0.0.1 "$MPORT" 'GET /metrics HTTP/1.0\r\n\r\n' >"$T/answer" 2>&1
sed '1,/^\r$/d' "$T/answer" >"$T/metrics"
promtool check metrics <"$T/metrics" >"$T/check.out" 2>&1
rc=$?
expect_eq "promtool check metrics: the endpoint's text has no error and no lint warning" \
    "0 yes" "$rc $([ -s "$T/metrics" ] && [ ! -s "$T/check.out" ] && echo yes)" ||
	sed 's/^/# /' "$T/check.out"

# The rules: promtool's checks, as the guide runs them (check rules on the rules it copied to
# /etc/prometheus/, test rules from the top of the source tree), and the names they use are
# the ones hellod serves (but hellod-check's, which node_exporter serves).
guide_run "$GUIDE" "promtool check rules" /etc/prometheus/hellod-rules.yml \
    "$MON/hellod-rules.yml" >"$T/rules.out" 2>&1
rc=$?
(cd "$HELLOD_TOP" && guide_run "$GUIDE" "promtool test rules" "" "") >"$T/test.out" 2>&1
test_rc=$?
missing=""
# The names in the expressions: comments and quoted strings (label values, annotations)
# left out.
for name in $(sed -e 's/^ *#.*//' -e 's/"[^"]*"//g' "$MON/hellod-rules.yml" |
    grep -o '\b\(hellod\|process\)_[a-z_]*' | grep -v '^hellod_check_' | sort -u); do
	grep -q "^# TYPE $name " "$T/metrics" || missing="$missing $name"
done
expect_eq "the guide's promtool check rules (7 rules) and test rules (each alert fires where it should and nowhere else) pass, and the rules use only names hellod serves" \
    "0 1 0 1 none" "$rc $(grep -c 'SUCCESS: 7 rules found' "$T/rules.out") $test_rc \
$(grep -c '^  SUCCESS$' "$T/test.out") ${missing:-none}" ||
	sed 's/^/# /' "$T/rules.out" "$T/test.out"

# Prometheus, from the shipped example: the target and the rule file are the only changes
# besides the intervals (a scrape every 2 s).
sed -e "s|^          - 127\\.0\\.0\\.1:12346$|          - 127.0.0.1:$MPORT|" \
    -e "s|^  - hellod-rules\\.yml$|  - $MON/hellod-rules.yml|" "$MON/prometheus-hellod.yml" \
    >"$T/prometheus.body"
{
	printf 'global:\n  scrape_interval: 2s\n  scrape_timeout: 2s\n  evaluation_interval: 2s\n'
	cat "$T/prometheus.body"
} >"$T/prometheus.yml"
# Its target and rule file where the test looks for them, and the guide's promtool check config
# passes on it.
example="$(grep -c "127.0.0.1:$MPORT\$" "$T/prometheus.yml") \
$(grep -c "$MON/hellod-rules.yml\$" "$T/prometheus.yml")"
guide_run "$GUIDE" "promtool check config" /etc/prometheus/prometheus.yml "$T/prometheus.yml" \
    >"$T/config.out" 2>&1
example="$example $?"

PPORT=$(free_port)
prometheus --config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
    --web.listen-address="127.0.0.1:$PPORT" >"$T/prometheus.log" 2>&1 &
PROM_PID=$!
KILL_PIDS="$KILL_PIDS $PROM_PID"

# api PATH: Prometheus's answer to GET PATH (python3: no curl needed).
api() {
	python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=5).read().decode())' \
	    "http://127.0.0.1:$PPORT$1" 2>/dev/null
}
# query EXPR: the value of the query's one series, or nothing.
query() {
	python3 -c 'import json, sys, urllib.parse, urllib.request
url = "http://127.0.0.1:%s/api/v1/query?query=%s" % (sys.argv[1], urllib.parse.quote(sys.argv[2]))
r = json.load(urllib.request.urlopen(url, timeout=5))["data"]["result"]
print(r[0]["value"][1] if len(r) == 1 else "")' "$PPORT" "$1" 2>/dev/null
}
query_is() { [ "$(query "$1")" = "$2" ]; }

if ! wait_until 60 api /-/ready >/dev/null; then
	fail "Prometheus starts" "$(tail -20 "$T/prometheus.log")"
	exit 1
fi
echo "# $(prometheus --version 2>&1 | head -n 1)"
wait_until 30 query_is 'up{job="hellod_metrics"}' 1
expect_eq "Prometheus, from prometheus-hellod.yml (the guide's promtool check config passes), scrapes hellod: up{job=\"hellod_metrics\"} is 1" \
    "1 1 0 1" "$example $(query 'up{job="hellod_metrics"}')" || sed 's/^/# /' "$T/config.out"
wait_until 10 query_is 'hellod_greetings_total{job="hellod_metrics",proto="tcp"}' 7
expect_eq "... and its query API says the greetings sent: 7 over TCP, 2 over UDP" "7 2" \
    "$(query 'hellod_greetings_total{job="hellod_metrics",proto="tcp"}') \
$(query 'hellod_greetings_total{job="hellod_metrics",proto="udp"}')"
expect_eq "... every refusal series is there, at 0" "12 0" \
    "$(query 'count(hellod_refused_total{job="hellod_metrics"})') \
$(query 'sum(hellod_refused_total{job="hellod_metrics"})')"
# rules_health: "N healthy" for the rules of the loaded group, once evaluated.
rules_health() {
	api /api/v1/rules | jq -r '[.data.groups[] | select(.name == "hellod") | .rules[] |
	    select(.health == "ok")] | "\(length) healthy"'
}
rules_healthy() { [ "$(rules_health)" = "7 healthy" ]; }
wait_until 20 rules_healthy
expect_eq "Prometheus loads the 7 rules of hellod-rules.yml, evaluates them without error, and none is pending or firing against a healthy hellod" \
    "7 healthy 0" "$(rules_health) $(api /api/v1/alerts |
        jq '[.data.alerts[] | select(.labels.job == "hellod_metrics")] | length')"

kill "$PROM_PID" 2>/dev/null
wait "$PROM_PID" 2>/dev/null
stop_hellod
