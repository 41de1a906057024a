#!/usr/bin/env bash
# Exactly once with the manager killed (docs/transport.md): an agent creates
# 5,000 files (VG_E2E_KILL9_FILES) and the manager is SIGKILLed while their
# events flow. What it had taken but not committed lived in memory only and
# was not acknowledged, so the agent sends it again after the restart; what
# it had committed is below the mark WELCOME gives, so it is not analysed
# twice: one 554 alert per file, in alerts.json and in the store.
. "$(dirname "$0")/lib.sh"

N=${VG_E2E_KILL9_FILES:-5000}
net_start kill9-agent

for i in $(seq 1 "$N"); do
	: >"$T/w/f$i"
	if [ "$i" -eq $((N / 2)) ]; then
		# some of the burst is analysed, more is in flight: kill mid-flow
		wait_count 30 50 '.rule.id == "554"'
		kill -KILL "$MANAGER_PID"
		wait "$MANAGER_PID" 2>/dev/null || true
		killed=$(count_alerts '.rule.id == "554"')
	fi
done
echo "killed with $killed of $((N + 1)) alerts written"
kill -0 "$AGENT_PID" || fail "the agent died with the manager"
start_manager "$T/manager.conf"
wait_count 120 "$((N + 1))" '.rule.id == "554"'
sleep 2 # a duplicate would land now
stop_manager

jq -e . "$ALERTS" >/dev/null || fail "alerts.json is not valid JSON lines"
got=$(count_alerts '.rule.id == "554"')
uniq=$(jq -r 'select(.rule.id == "554") | .syscheck.path' "$ALERTS" | sort -u | wc -l)
[ "$uniq" -eq $((N + 1)) ] || fail "$uniq of $((N + 1)) files have an alert"
[ "$got" -eq $((N + 1)) ] || fail "$got alerts for $((N + 1)) files: duplicates"
stored=$(sqlite3 "$T/home/queue/alerts.db" "SELECT count(*) FROM alert WHERE rule_id = 554")
[ "$stored" -eq $((N + 1)) ] || fail "the store holds $stored 554 alerts, expected $((N + 1))"
mark=$(sqlite3 "$T/home/queue/alerts.db" "SELECT count(*) FROM source_mark WHERE last_seq > 0")
[ "$mark" -eq 1 ] || fail "the store holds $mark agent marks, expected 1"
echo ok
