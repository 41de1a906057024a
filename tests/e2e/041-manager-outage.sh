#!/usr/bin/env bash
# Durable delivery (docs/transport.md): the manager is stopped for 60 s
# (VG_E2E_OUTAGE_S) while an agent creates 20,000 files; the agent keeps
# the events in its outbox and, once the manager is back, delivers them:
# exactly one 554 alert per file in alerts.json, none twice.
. "$(dirname "$0")/lib.sh"

N=${VG_E2E_OUTAGE_FILES:-20000}
outage_start outage-agent
for i in $(seq 1 "$N"); do : >"$T/w/f$i"; done
sleep 2
kill -0 "$AGENT_PID" || fail "the agent died during the outage"
outage_end "$N" "${VG_E2E_OUTAGE_S:-60}"
[ "$(jq -r .agent.name "$ALERTS" | sort -u)" = outage-agent ] || fail "alerts of another agent"
echo ok
