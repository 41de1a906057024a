#!/usr/bin/env bash
# Durable delivery (docs/transport.md): the manager is stopped for 60 s
# (VG_E2E_OUTAGE_S) while an agent creates 20,000 files; the agent keeps
# the events in its outbox and, once the manager is back, delivers them:
# exactly one 554 alert per file in alerts.json, none twice.
. "$(dirname "$0")/lib.sh"

N=${VG_E2E_OUTAGE_FILES:-20000}
OUTAGE=${VG_E2E_OUTAGE_S:-60}
P=$(free_port)
E=$(free_port)
mkdir -p "$T/w"
manager_net_config "$T/manager.conf" "$P" "$E"
start_manager "$T/manager.conf"
wait_log 10 "listening"
agent_net_config "$T/a.conf" "$T/w" "$P" "$E" outage-agent
start_agent_home "$T/a" "$T/a.conf"
wait_file_log 20 "$T/a/logs/vigie.log" "scan finished"
echo first >"$T/w/first"
wait_alert 20 ".syscheck.path == \"$T/w/first\""

stop_manager
down=$SECONDS
for i in $(seq 1 "$N"); do : >"$T/w/f$i"; done
# the agent holds them: its outbox fills while the manager is away
while [ $((SECONDS - down)) -lt "$OUTAGE" ]; do sleep 1; done
kill -0 "$AGENT_PID" || fail "the agent died during the outage"
start_manager "$T/manager.conf"
wait_count 180 "$((N + 1))" '.rule.id == "554"'
sleep 2 # a duplicate would land now

jq -e . "$ALERTS" >/dev/null || fail "alerts.json is not valid JSON lines"
got=$(count_alerts '.rule.id == "554"')
uniq=$(jq -r 'select(.rule.id == "554") | .syscheck.path' "$ALERTS" | sort -u | wc -l)
[ "$uniq" -eq $((N + 1)) ] || fail "$uniq of $((N + 1)) files have an alert"
[ "$got" -eq $((N + 1)) ] || fail "$got alerts for $((N + 1)) files: duplicates"
[ "$(jq -r .agent.name "$ALERTS" | sort -u)" = outage-agent ] || fail "alerts of another agent"
echo ok
