#!/usr/bin/env bash
# Wazuh's documented remove-threat (reference §7), unchanged (issue 6): the
# PoC guide's remove-threat.sh in the agent's HOME/active-response/bin, the
# guide's <command> and <active-response> blocks on the manager and its
# local rules 100092/100093 in etc/rules/local_rules.xml. TestEICAR.txt on
# agent 001 -> 87105 -> the script runs on agent 001 with Wazuh's stdin
# JSON and check_keys handshake, removes the file, writes its line to
# logs/active-responses.log, and that line comes back as rule 100092.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is needed by Wazuh's script"

KEY=e2e-vt-key-script
start_vt_emulator --key "$KEY:60"
P=$(free_port)
E=$(free_port)
AR='<command><name>remove-threat</name><executable>remove-threat.sh</executable>
<timeout_allowed>no</timeout_allowed></command>
<active-response><disabled>no</disabled><command>remove-threat</command>
<location>local</location><rules_id>87105</rules_id></active-response>'
manager_net_config "$T/manager.conf" "$P" "$E" "$(vt_integration "$KEY")$AR"
mkdir -p "$T/home/etc/rules"
cat >"$T/home/etc/rules/local_rules.xml" <<'EOR'
<group name="virustotal,">
  <rule id="100092" level="12">
    <if_sid>657</if_sid>
    <match>Successfully removed threat</match>
    <description>$(parameters.program) removed threat located at $(parameters.alert.data.virustotal.source.file)</description>
  </rule>
  <rule id="100093" level="12">
    <if_sid>657</if_sid>
    <match>Error removing threat</match>
    <description>Error removing threat located at $(parameters.alert.data.virustotal.source.file)</description>
  </rule>
</group>
EOR
start_manager "$T/manager.conf"
wait_log 10 "Enabling integration for: 'virustotal'"
mkdir -p "$T/w" "$T/a/active-response/bin"
install -m 0750 "$VG_SOURCE_DIR/tests/fixtures/active-response/remove-threat.sh" \
	"$T/a/active-response/bin/remove-threat.sh"
cmp -s "$VG_SOURCE_DIR/tests/fixtures/active-response/remove-threat.sh" \
	"$T/a/active-response/bin/remove-threat.sh" || fail "the script was changed"
agent_net_config "$T/a.conf" "$T/w" "$P" "$E" wazuh-style
start_agent_home "$T/a" "$T/a.conf"
wait_file_log 20 "$T/a/logs/vigie.log" "scan finished"

F=$T/w/TestEICAR.txt
write_eicar "$F"
wait_alert 10 '.rule.id == "87105"'
wait_alert 10 '.rule.id == "100092"'
[ ! -e "$F" ] || fail "$F was not removed"
a=$(jq -c 'select(.rule.id == "100092")' "$ALERTS" | head -n 1)
[ "$(jq -r .rule.description <<<"$a")" = \
	"active-response/bin/remove-threat.sh removed threat located at $F" ] ||
	fail "description: $(jq -r .rule.description <<<"$a")"
[ "$(jq -r .agent.id <<<"$a")" = 001 ] || fail "not agent 001's: $a"
grep -q "Successfully removed threat" "$T/a/logs/active-responses.log" ||
	fail "active-responses.log: $(cat "$T/a/logs/active-responses.log")"
[ "$(count_alerts '.rule.id == "99918"')" -eq 0 ] || fail "the script was reported as failed"
echo ok
