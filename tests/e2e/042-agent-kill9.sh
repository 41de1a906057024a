#!/usr/bin/env bash
# The same outage as 041, and the agent is killed with SIGKILL halfway
# through the 20,000 files, then started again while the manager is still
# away: whatever the kill interrupted is resent or found by the agent's
# rescan, and every file ends with exactly one 554 alert.
. "$(dirname "$0")/lib.sh"

N=${VG_E2E_OUTAGE_FILES:-20000}
outage_start kill9-agent
for i in $(seq 1 "$N"); do
	: >"$T/w/f$i"
	if [ "$i" -eq $((N / 2)) ]; then
		kill -KILL "$AGENT_PID"
		wait "$AGENT_PID" 2>/dev/null || true
	fi
done
start_agent_home "$T/a" "$T/a.conf"
outage_end "$N" "${VG_E2E_OUTAGE_S:-60}"
echo ok
