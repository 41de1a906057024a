#!/usr/bin/env bash
# The seed, end to end (issue 5): an agent enrolled with a manager whose
# ossec.conf holds the tutorial's <integration> block, pointed at the
# VirusTotal emulator. TestEICAR.txt (69 bytes) lands in the agent's
# realtime directory: the FIM alert, then the 87105 alert with the seed's
# keys and values (shared/fixtures/seed-alerts/rule-87105.json) but for
# times, ids, counts, paths and the agent; one request, by sha256, with the
# key in a header only; the key in no log, alert or process listing.
. "$(dirname "$0")/lib.sh"

KEY=e2e-vt-key-0123456789abcdef
FIXTURE=$VG_SOURCE_DIR/../shared/fixtures/seed-alerts/rule-87105.json
[ -f "$FIXTURE" ] || FIXTURE=$VG_SOURCE_DIR/tests/fixtures/seed-alerts/rule-87105.json
start_vt_emulator --key "$KEY:60"
P=$(free_port)
E=$(free_port)
manager_net_config "$T/manager.conf" "$P" "$E" "$(vt_integration "$KEY")"
start_manager "$T/manager.conf"
wait_log 10 "Enabling integration for: 'virustotal'"
mkdir -p "$T/w"
agent_net_config "$T/a.conf" "$T/w" "$P" "$E" ubuntu-jammy
start_agent_home "$T/a" "$T/a.conf"
wait_file_log 20 "$T/a/logs/vigie.log" "scan finished"

F=$T/w/TestEICAR.txt
write_eicar "$F"
wait_alert 10 ".rule.id == \"87105\""
fim=$(jq -c "select(.syscheck.path == \"$F\")" "$ALERTS" | head -n 1)
vt=$(jq -c 'select(.rule.id == "87105")' "$ALERTS" | head -n 1)
[ -n "$fim" ] || fail "no FIM alert for $F"
case $(jq -r .rule.id <<<"$fim") in
554 | 99901) ;; # 99901: the shipped offline list knows EICAR
*) fail "FIM alert rule: $fim" ;;
esac

# the seed's alert, key for key, value for value (but what must differ)
want() { jq -r "$1" "$FIXTURE"; }
got() { jq -r "$1" <<<"$vt"; }
for k in .rule.level .rule.id .rule.groups[0] .rule.mitre.id[0] .rule.mitre.tactic[0] \
	.rule.mitre.technique[0] .rule.pci_dss[1] .rule.gdpr[0] .decoder.name .location \
	.data.integration .data.virustotal.found .data.virustotal.malicious \
	.data.virustotal.source.md5 .data.virustotal.source.sha1 .data.virustotal.sha1 \
	.data.virustotal.scan_date .data.virustotal.positives .data.virustotal.total; do
	[ "$(got "$k")" = "$(want "$k")" ] || fail "$k is '$(got "$k")', the seed has '$(want "$k")'"
done
[ "$(got .rule.description)" = "VirusTotal: Alert - $F - 57 engines detected this file" ] ||
	fail "description: $(got .rule.description)"
[ "$(got .data.virustotal.source.file)" = "$F" ] || fail "source.file: $vt"
[ "$(got .data.virustotal.source.alert_id)" = "$(jq -r .id <<<"$fim")" ] ||
	fail "source.alert_id is not the FIM alert's id"
[ "$(got .agent.name)" = ubuntu-jammy ] && [ "$(got .agent.ip)" = 127.0.0.1 ] ||
	fail "the VirusTotal alert is not the agent's: $(got .agent)"
got .data.virustotal.permalink | grep -q "^https://www.virustotal.com/gui/file/131f95c5" ||
	fail "permalink: $(got .data.virustotal.permalink)"
# every key of the seed's alert is there (Vigie adds keys, never removes one)
missing=$(jq -r --argjson ours "$vt" '[paths(scalars)] - [$ours | paths(scalars)] |
	map(map(tostring) | join(".")) | .[] | select(test("^(mitre|rule.mitre)") | not)' "$FIXTURE")
[ -z "$missing" ] || fail "keys of the seed's alert missing: $missing"

# an attribute-only change: the cached verdict at once, no second request
chmod 0600 "$F"
wait_count 10 2 '.rule.id == "87105"'
jq -e 'select(.rule.id == "87105") | .data.virustotal.cache' "$ALERTS" | tail -n 1 |
	grep -q '"hit"' || fail "the second verdict did not come from the cache"

# one request, by sha256, with the key in a header; the key nowhere else
[ "$(grep -c '"path": *"/api/v3/files/' "$VT_LOG")" -eq 1 ] || fail "requests: $(cat "$VT_LOG")"
grep -q "/api/v3/files/131f95c51cc819465fa1797f6ccacf9d494aaaff46fa3eac73ae63ffbdfd8267" \
	"$VT_LOG" || fail "not looked up by sha256: $(cat "$VT_LOG")"
grep -q '"key_present": *true' "$VT_LOG" || fail "no x-apikey header"
grep -q "131f95c51cc819465fa1797f6ccacf9d494aaaff46fa3eac73ae63ffbdfd8267.*malicious" \
	"$T/home/logs/integrations.log" || fail "integrations.log: $(cat "$T/home/logs/integrations.log")"
! grep -rqF "$KEY" "$T/home/logs" "$T/home/queue/alerts.db" "$T/a/logs" "$T/manager.out" ||
	fail "the API key leaked into a log or an alert"
# (the emulator's own --key is the test's, not Vigie's)
! ps -C vigie-manager,vigie-agent -o args= | grep -qF "$KEY" ||
	fail "the API key is in a process listing"
echo ok
