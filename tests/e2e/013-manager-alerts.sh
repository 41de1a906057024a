#!/usr/bin/env bash
# vigie-manager alone is the whole system: its <syscheck> block monitors the
# host as agent 000, and a file added, modified and deleted becomes alerts
# 554, 550 and 553 in alerts.json, alerts.log and the alert store; the
# EICAR test file raises the offline malware rule 99901 from a fresh HOME.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/w"
write_config "$T/ossec.conf" "<directories realtime='yes'>$T/w</directories>"
"$MANAGER" -c "$T/ossec.conf" -D "$T/home" -t | grep -q "configuration OK" ||
	fail "-t did not accept the configuration"
start_manager "$T/ossec.conf"
wait_log 10 "vigie-manager 0"
wait_log 10 "scan finished"

echo hello >"$T/w/a.txt"
wait_alert 5 ".rule.id == \"554\" and .syscheck.path == \"$T/w/a.txt\""
echo more >>"$T/w/a.txt"
wait_alert 5 ".rule.id == \"550\" and .syscheck.path == \"$T/w/a.txt\""
rm "$T/w/a.txt"
wait_alert 5 ".rule.id == \"553\" and .syscheck.path == \"$T/w/a.txt\""
printf '%s\n' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' \
	>"$T/w/TestEICAR.txt"
wait_alert 5 '.rule.id == "99901" and .rule.level == 12 and .rule.mail == true'

a=$(jq -sc "map(select(.rule.id == \"550\"))[0]" "$ALERTS")
[ "$(jq -r .agent.id <<<"$a")" = 000 ] || fail "agent is not 000: $a"
[ "$(jq -r .agent.name <<<"$a")" = "$(hostname)" ] || fail "agent 000 is not the host: $a"
[ "$(jq -r .decoder.name <<<"$a")" = syscheck_integrity_changed ] || fail "decoder: $a"
[ "$(jq -r '.rule.mitre.technique[0]' <<<"$a")" = "Stored Data Manipulation" ] ||
	fail "mitre not resolved: $a"
jq -e '.syscheck.changed_attributes | index("md5")' <<<"$a" >/dev/null ||
	fail "changed_attributes: $a"
grep -q "^Rule: 550 (level 7) -> 'Integrity checksum changed.'" \
	"$T/home/logs/alerts/alerts.log" || fail "alerts.log has no 550 block"

# every alert id is "<epoch>.<offset in alerts.log>", and the store has each once
n=$(jq -s length "$ALERTS")
[ "$n" -eq 4 ] || fail "expected 4 alerts, got $n"
for id in $(jq -r .id "$ALERTS"); do
	off=${id#*.}
	head -c $((off + 9)) "$T/home/logs/alerts/alerts.log" | tail -c 9 | grep -q '^\*\* Alert ' ||
		fail "id $id does not point at its alerts.log block"
done
# the agents' certificate authority and the server certificate exist
[ "$(stat -c %a "$T/home/etc/ca.key")" = 600 ] || fail "ca.key is not 0600"
openssl verify -CAfile "$T/home/etc/ca.pem" "$T/home/etc/server.pem" >/dev/null ||
	fail "server.pem does not verify against ca.pem"
# the registry holds this host as agent 000 (vigie agents reads it)
"$VIGIE" agents list -D "$T/home" --json |
	jq -se "map(select(.id == \"000\" and .name == \"$(hostname)\" and .status == \"active\")) | length == 1" \
		>/dev/null || fail "agent 000 not in the registry: $("$VIGIE" agents list -D "$T/home" --json)"
stop_manager
stored=$(sqlite3 "$T/home/queue/alerts.db" "SELECT count(*) FROM alert")
[ "$stored" -eq 4 ] || fail "the store holds $stored alerts, expected 4"
[ "$(readlink -f "$ALERTS")" != "$ALERTS" ] || [ "$(stat -c %h "$ALERTS")" -eq 2 ] ||
	fail "alerts.json is not a link to today's file"
ls "$T/home/logs/alerts/$(date +%Y)/$(date +%b)/ossec-alerts-$(date +%d).json" >/dev/null ||
	fail "no dated alerts file"
echo ok
