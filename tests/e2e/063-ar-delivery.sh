#!/usr/bin/env bash
# Active-response delivery (issue 6): a command for an agent that is not
# connected waits durably on the manager, survives a kill -9 of the
# manager, and runs when the agent comes back, once: restarting both
# afterwards runs nothing again. A command that waits longer than its
# <expire> is dropped and reported (rule 99912, "expired").
. "$(dirname "$0")/lib.sh"

KEY=e2e-vt-key-delivery
start_vt_emulator --key "$KEY:60"
P=$(free_port)
E=$(free_port)
AR='<active-response><command>quarantine</command><location>local</location>
<rules_id>87105</rules_id></active-response>
<active-response><command>quarantine</command><location>defined-agent</location>
<agent_id>001</agent_id><rules_id>87105</rules_id><expire>2</expire></active-response>'
manager_net_config "$T/manager.conf" "$P" "$E" "$(vt_integration "$KEY")$AR"
start_manager "$T/manager.conf"
wait_log 10 "Enabling integration for: 'virustotal'"
mkdir -p "$T/w" "$T/w2"

# agent 001: enrolled, then away for good
agent_net_config "$T/b.conf" "$T/w2" "$P" "$E" away
start_agent_home "$T/b" "$T/b.conf"
wait_file_log 20 "$T/b/logs/vigie.log" "scan finished"
stop_agent

# agent 002 sees the file, then goes away before the (slow) verdict
agent_net_config "$T/a.conf" "$T/w" "$P" "$E" traveller
start_agent_home "$T/a" "$T/a.conf"
wait_file_log 20 "$T/a/logs/vigie.log" "scan finished"
vt_emu mode '{"mode":"slow","delay":3,"count":1}' >/dev/null
F=$T/w/TestEICAR.txt
write_eicar "$F"
wait_alert 10 ".syscheck.path == \"$F\""
stop_agent
wait_alert 15 '.rule.id == "87105"'

q() { sqlite3 "$T/home/queue/responses.db" "$1"; }
end=$((SECONDS + 5))
until [ "$(q "SELECT count(*) FROM commands WHERE agent_id = '002' AND state = 'queued'")" = 1 ]; do
	[ $SECONDS -le $end ] || fail "no command waits for agent 002: $(q 'SELECT id, agent_id, state FROM commands')"
	sleep 0.1
done

# the command for 001 expires (2 s) and says so
wait_alert 10 '.rule.id == "99912" and .agent.id == "001"'
jq -r 'select(.rule.id == "99912" and .agent.id == "001") | .data.vigie.reason' "$ALERTS" |
	grep -q "expired" || fail "the expiry does not say so"
[ "$(q "SELECT state FROM commands WHERE agent_id = '001'")" = expired ] || fail "001's command"

# the manager dies; the command for 002 is still there when it is back
kill -9 "$MANAGER_PID"
wait "$MANAGER_PID" 2>/dev/null || true
[ -e "$F" ] || fail "the file went before its agent came back"
start_manager "$T/manager.conf"
wait_log 10 "Enabling integration for: 'virustotal'"
start_agent_home "$T/a" "$T/a.conf"
wait_alert 15 '.rule.id == "99910" and .agent.id == "002"'
[ ! -e "$F" ] || fail "$F was not quarantined"
end=$((SECONDS + 5))
until [ "$(q "SELECT state FROM commands WHERE agent_id = '002'")" = done ]; do
	[ $SECONDS -le $end ] || fail "002's command is $(q "SELECT state FROM commands WHERE agent_id = '002'")"
	sleep 0.1
done

# once: both restarted, nothing runs again
stop_agent
stop_manager
start_manager "$T/manager.conf"
wait_log 10 "Enabling integration for: 'virustotal'"
start_agent_home "$T/a" "$T/a.conf"
wait_file_log 20 "$T/a/logs/vigie.log" "scan finished"
sleep 2
[ "$(grep -c 'Quarantined threat' "$T/a/logs/active-responses.log")" -eq 1 ] ||
	fail "quarantined more than once: $(cat "$T/a/logs/active-responses.log")"
[ "$(count_alerts '.rule.id == "99910"')" -eq 1 ] || fail "more than one 99910"
[ "$(sqlite3 "$T/a/queue/ar.db" 'SELECT count(*) FROM ar_taken')" -eq 1 ] ||
	fail "the agent took $(sqlite3 "$T/a/queue/ar.db" 'SELECT count(*) FROM ar_taken') commands"
echo ok
