#!/usr/bin/env bash
# The same outage as 041, and the agent is killed with SIGKILL halfway
# through the 20,000 files, then started again while the manager is still
# away: whatever the kill interrupted is resent or found by the agent's
# rescan, and every file ends with exactly one 554 alert.
. "$(dirname "$0")/lib.sh"

N=${VG_E2E_OUTAGE_FILES:-20000}
OUTAGE=${VG_E2E_OUTAGE_S:-60}
P=$(free_port)
E=$(free_port)
mkdir -p "$T/w"
manager_net_config "$T/manager.conf" "$P" "$E"
start_manager "$T/manager.conf"
wait_log 10 "listening"
agent_net_config "$T/a.conf" "$T/w" "$P" "$E" kill9-agent
start_agent_home "$T/a" "$T/a.conf"
wait_file_log 20 "$T/a/logs/vigie.log" "scan finished"
echo first >"$T/w/first"
wait_alert 20 ".syscheck.path == \"$T/w/first\""

stop_manager
down=$SECONDS
for i in $(seq 1 "$N"); do
	: >"$T/w/f$i"
	if [ "$i" -eq $((N / 2)) ]; then
		kill -KILL "$AGENT_PID"
		wait "$AGENT_PID" 2>/dev/null || true
	fi
done
start_agent_home "$T/a" "$T/a.conf"
while [ $((SECONDS - down)) -lt "$OUTAGE" ]; do sleep 1; done
start_manager "$T/manager.conf"
wait_count 180 "$((N + 1))" '.rule.id == "554"'
sleep 2

jq -e . "$ALERTS" >/dev/null || fail "alerts.json is not valid JSON lines"
got=$(count_alerts '.rule.id == "554"')
uniq=$(jq -r 'select(.rule.id == "554") | .syscheck.path' "$ALERTS" | sort -u | wc -l)
[ "$uniq" -eq $((N + 1)) ] || fail "$uniq of $((N + 1)) files have an alert"
[ "$got" -eq $((N + 1)) ] || fail "$got alerts for $((N + 1)) files: duplicates"
echo ok
