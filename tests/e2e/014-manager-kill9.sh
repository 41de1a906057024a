#!/usr/bin/env bash
# Nothing accepted is lost, nothing is written twice: kill -9 the manager
# while files are being created in a realtime-watched directory, start it
# again, and every file has exactly one 554 alert, in alerts.json and in the
# store, with alerts.json still one valid JSON object per line.
. "$(dirname "$0")/lib.sh"

N=400
mkdir -p "$T/w"
write_config "$T/ossec.conf" "<directories realtime='yes'>$T/w</directories>"
start_manager "$T/ossec.conf"
wait_log 10 "scan finished"
for i in $(seq 1 $N); do
	echo "$i" >"$T/w/f$i"
	if [ "$i" -eq $((N / 2)) ]; then
		wait_alert 5 '.rule.id == "554"' # some alerts are out: kill mid-flow
		kill -KILL "$MANAGER_PID"
		wait "$MANAGER_PID" 2>/dev/null || true
	fi
done
start_manager "$T/ossec.conf"
end=$((SECONDS + 30))
while [ "$(count_alerts '.rule.id == "554"')" -lt $N ] && [ $SECONDS -le $end ]; do
	sleep 0.2
done
sleep 1 # anything extra (a duplicate) would land now
stop_manager

jq -e . "$ALERTS" >/dev/null || fail "alerts.json is not valid JSON lines"
got=$(count_alerts '.rule.id == "554"')
uniq=$(jq -r 'select(.rule.id == "554") | .syscheck.path' "$ALERTS" | sort -u | wc -l)
[ "$uniq" -eq $N ] || fail "$uniq of $N files have an alert"
[ "$got" -eq $N ] || fail "$got alerts for $N files: duplicates"
stored=$(sqlite3 "$T/home/queue/alerts.db" "SELECT count(*) FROM alert WHERE rule_id = 554")
[ "$stored" -eq $N ] || fail "the store holds $stored 554 alerts, expected $N"
echo ok
