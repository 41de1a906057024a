#!/usr/bin/env bash
# Active response, the seed's way (issue 6): TestEICAR.txt lands in agent
# 001's realtime directory, VirusTotal (the emulator) says 87105, and the
# built-in quarantine bound to 87105 moves it into the agent's
# HOME/quarantine within 2 s of the 87105 alert; the agent's report comes
# back as rule 99910 on the manager, the manager's quarantine view holds
# it, and a restore through the manager brings back the bytes, owner, mode
# and mtime, after which the same verdict does not quarantine it again.
. "$(dirname "$0")/lib.sh"

KEY=e2e-vt-key-ar
ar_net_start ubuntu-jammy
mkdir -p "$T/staging"

# owner, mode and an old mtime set before the file enters the watched tree
S=$T/staging/TestEICAR.txt
write_eicar "$S"
chown 1234:2345 "$S"
chmod 0640 "$S"
touch -d '2020-01-02 03:04:05.123456789' "$S"
cp -p "$S" "$T/original"
F=$T/w/TestEICAR.txt
mv "$S" "$F"

wait_alert 10 '.rule.id == "87105"'
wait_alert 5 '.rule.id == "99910"'
q=$(jq -c 'select(.rule.id == "99910")' "$ALERTS" | head -n 1)
vt=$(jq -c 'select(.rule.id == "87105")' "$ALERTS" | head -n 1)
[ "$(jq -r .agent.id <<<"$q")" = 001 ] || fail "the quarantine is not agent 001's: $q"
[ "$(jq -r .rule.description <<<"$q")" = \
	"Quarantined threat located at $F (quarantine id $(jq -r .data.vigie.quarantine_id <<<"$q"))" ] ||
	fail "description: $(jq -r .rule.description <<<"$q")"
QID=$(jq -r .data.vigie.quarantine_id <<<"$q")
[ ! -e "$F" ] || fail "$F is still there"
[ -f "$T/a/quarantine/$QID.bin" ] || fail "no $QID.bin in the agent's quarantine"
[ "$(stat -c %a "$T/a/quarantine/$QID.bin")" = 0 ] || fail "the quarantined copy is readable"
[ "$(stat -c %a "$T/a/quarantine")" = 700 ] || fail "quarantine/ is not 0700"
cmp -s "$T/a/quarantine/$QID.bin" "$T/original" || fail "the quarantined bytes differ"
grep -q "Quarantined threat" "$T/a/logs/active-responses.log" ||
	fail "active-responses.log: $(cat "$T/a/logs/active-responses.log")"

# within 2 s of the verdict's alert
at=$(jq -r .quarantined_at "$T/a/quarantine/$QID.json")
t87105=$(date -d "$(jq -r .timestamp <<<"$vt" | sed 's/\.\([0-9]*\)+0000/.\1Z/')" +%s%N)
tq=$(date -d "$at" +%s%N)
delta=$(((tq - t87105) / 1000000))
[ "$delta" -le 2000 ] && [ "$delta" -ge 0 ] || fail "quarantined $delta ms after the 87105 alert"
echo "quarantined $delta ms after the 87105 alert"

# the manager's view of agent 001's quarantine
wait_for_view() {
	local end=$((SECONDS + 10))
	while [ $SECONDS -le $end ]; do
		[ "$(sqlite3 "$T/home/queue/responses.db" \
			"SELECT state FROM quarantine WHERE agent_id = '001' AND qid = '$QID'")" = "$1" ] &&
			return 0
		sleep 0.1
	done
	fail "the manager's view of $QID is not '$1'"
}
wait_for_view quarantined
[ "$(sqlite3 "$T/home/queue/responses.db" "SELECT state FROM commands")" = done ] ||
	fail "commands: $(sqlite3 "$T/home/queue/responses.db" 'SELECT * FROM commands')"
"$VIGIE" quarantine list --agent 001 -D "$T/home" | grep -q "^$QID " ||
	fail "vigie quarantine list --agent 001: $("$VIGIE" quarantine list --agent 001 -D "$T/home")"

# restored from the manager: the bytes, owner, mode and times come back
"$VIGIE" quarantine restore "$QID" --agent 001 --wait=10 -D "$T/home" >"$T/out" 2>&1 ||
	fail "restore: $(cat "$T/out")"
cmp -s "$F" "$T/original" || fail "the restored bytes differ"
[ "$(stat -c '%u:%g %a %Y' "$F")" = "$(stat -c '%u:%g %a %Y' "$T/original")" ] ||
	fail "restored as $(stat -c '%u:%g %a %y' "$F"), was $(stat -c '%u:%g %a %y' "$T/original")"
[ "$(stat -c %y "$F")" = "$(stat -c %y "$T/original")" ] || fail "mtime: $(stat -c %y "$F")"
wait_alert 10 ".rule.id == \"99914\" and .agent.id == \"001\""
wait_for_view restored
# the restored file is new to the FIM: the same verdict, and it stays
wait_alert 10 '.rule.id == "99919" and .agent.id == "001"'
[ -f "$F" ] || fail "the restored file was quarantined again"
[ "$(count_alerts '.rule.id == "99910"')" -eq 1 ] || fail "quarantined twice"
echo ok
