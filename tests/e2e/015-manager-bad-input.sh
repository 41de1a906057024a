#!/usr/bin/env bash
# Bad input around the manager: each gets a clear error or a logged skip,
# and when the daemon runs it stays up and loses nothing.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/w" "$T/home/etc/rules" "$T/home/etc/lists"
write_config "$T/ossec.conf" "<directories realtime='yes'>$T/w</directories>"
check() { "$MANAGER" -c "$T/ossec.conf" -D "$T/home" -t 2>"$T/err"; }
rules=$T/home/etc/rules/local_rules.xml

# broken rule XML: FILE:LINE, exit 1
printf '<group name="local,">\n  <rule id="100001" level="5">\n    <if_sid>554</if_sid>\n' >"$rules"
if check; then fail "a truncated local_rules.xml was accepted"; fi
grep -q "local_rules.xml:[0-9]" "$T/err" || fail "no FILE:LINE: $(cat "$T/err")"

# a bad regex names the rule file and line
cat >"$rules" <<'EOR'
<group name="local,">
  <rule id="100001" level="5">
    <if_sid>554</if_sid>
    <regex>(unclosed</regex>
    <description>bad</description>
  </rule>
</group>
EOR
if check; then fail "a bad regex was accepted"; fi
grep -q "local_rules.xml:4" "$T/err" || fail "bad regex not located: $(cat "$T/err")"

# an if_sid cycle is an error
cat >"$rules" <<'EOR'
<group name="local,">
  <rule id="100001" level="5"><if_sid>100002</if_sid><description>a</description></rule>
  <rule id="100002" level="5"><if_sid>100001</if_sid><description>b</description></rule>
</group>
EOR
if check; then fail "an if_sid cycle was accepted"; fi
grep -qi "cycle" "$T/err" || fail "cycle not named: $(cat "$T/err")"

# a CDB list with junk lines loads; the junk is logged with file:line
rm "$rules"
printf 'good-key:value\nno separator here\n"unterminated:x\nk2:v2\n' >"$T/home/etc/lists/junk"
check || fail "a list with junk lines stopped the manager: $(cat "$T/err")"
grep -q "junk:2" "$T/err" || fail "junk line not logged with file:line: $(cat "$T/err")"

# an alerts directory that cannot be used: clear error naming it, exit 1
mkdir -p "$T/home/logs"
touch "$T/home/logs/alerts"
if "$MANAGER" -c "$T/ossec.conf" -D "$T/home" -f 2>"$T/err"; then
	fail "the manager started without an alerts directory"
fi
grep -q "logs/alerts" "$T/err" || fail "the error does not name the path: $(cat "$T/err")"
rm "$T/home/logs/alerts"

# a disk that fills while alerts are written: analysis pauses, the daemon
# stays up, and once there is room every event still becomes its alert
[ "$(id -u)" -eq 0 ] || { echo "ok (full-disk part skipped: needs root)"; exit 0; }
mkdir -p "$T/home/logs/alerts"
mount -t tmpfs -o size=1m vigie-e2e "$T/home/logs/alerts"
trap 'kill -KILL "${MANAGER_PID:-0}" 2>/dev/null || true; sleep 0.2; umount -l "$T/home/logs/alerts" || true; vg_cleanup' EXIT
start_manager "$T/ossec.conf"
wait_log 10 "scan finished"
head -c 960k /dev/zero >"$T/home/logs/alerts/filler" # room for about 20 alerts
for i in $(seq 1 60); do echo "$i" >"$T/w/f$i"; done
wait_log 20 "analysis paused"
sleep 2 # a few retries on the full disk
kill -0 "$MANAGER_PID" || fail "the manager died on a full disk"
rm "$T/home/logs/alerts/filler"
wait_log 20 "analysis resumed"
end=$((SECONDS + 20))
while [ "$(count_alerts '.rule.id == "554"')" -lt 60 ] && [ $SECONDS -le $end ]; do sleep 0.2; done
got=$(count_alerts '.rule.id == "554"')
[ "$got" -eq 60 ] || fail "$got of 60 alerts after the disk had room again"
jq -e . "$ALERTS" >/dev/null || fail "alerts.json is not valid JSON lines after ENOSPC"
# retries wrote each alert once and counted it once
last=$(jq -s 'map(select(.rule.id == "554")) | max_by(.rule.firedtimes) | .rule.firedtimes' "$ALERTS")
[ "$last" -eq 60 ] || fail "firedtimes reached $last for 60 alerts: retries were counted"
stop_manager
echo ok
