#!/usr/bin/env bash
# kill -9 of the manager with 100 VirusTotal lookups queued (issue 5 §4,
# §7): 10 files judged before, then 100 new ones whose first 40 requests
# get a 503 (their jobs wait out the 5 s back-off, queued) and whose other
# 60 are held by a slow VirusTotal (in flight). After kill -9 the store
# holds 100 unfinished jobs; after the restart all 110 files have exactly
# one verdict alert. The contract is exactly-once RESULTS: a request in
# flight at the kill is made again (the emulator sees each hash at most
# twice: the lost one and the repeat), a finished one never.
. "$(dirname "$0")/lib.sh"

KEY=e2e-vt-restart-key-0123456789abcdef
start_vt_emulator --key "$KEY"
mkdir -p "$T/w" "$T/src"
specs='[]'
for i in $(seq 1 110); do
	printf 'vigie restart test file %d\n' "$i" >"$T/src/f$i"
	specs=$(jq -c --arg c "$(cat "$T/src/f$i")"$'\n' '. + [{content: $c, malicious: 7}]' <<<"$specs")
done
vt_emu files "$specs" >/dev/null
vt_local_config "$T/ossec.conf" "$T/w" "$(vt_integration "$KEY" '{"requests_per_minute":500}')"
start_manager "$T/ossec.conf"
wait_log 10 "Enabling integration for: 'virustotal'"
wait_log 10 "scan finished"

# 10 files judged normally (done jobs, delivered results)
for i in $(seq 1 10); do cp "$T/src/f$i" "$T/w/"; done
wait_count 20 10 '.rule.id == "87105"'

# 100 more: 40 answered 503, 60 held 60 s
vt_emu mode '[{"mode":"503","count":40},{"mode":"slow","delay":60}]' >/dev/null
for i in $(seq 11 110); do cp "$T/src/f$i" "$T/w/"; done
q() { sqlite3 -cmd ".timeout 2000" "$T/home/queue/integrations.db" "$1"; }
# until the 40 jobs answered 503 wait out their back-off (5 s) and the 60
# others are in flight, held by the emulator (the states are committed
# before a request is sent)
end=$((SECONDS + 20))
until [ "$(vt_stats '.by_status["503"] // 0')" -ge 40 ] &&
	[ "$(q "SELECT count(*) FROM vt_job WHERE state = 'in_flight'")" -ge 60 ]; do
	[ $SECONDS -le $end ] || fail "never 60 lookups in flight: $(vt_stats .)"
	sleep 0.1
done
kill -9 "$MANAGER_PID"
wait "$MANAGER_PID" 2>/dev/null || true
inflight=$(q "SELECT count(*) FROM vt_job WHERE state = 'in_flight'")
[ "$(q "SELECT count(*) FROM vt_job WHERE state IN ('queued', 'in_flight')")" -eq 100 ] ||
	fail "jobs at the kill: $(q 'SELECT state, count(*) FROM vt_job GROUP BY state')"
echo "at the kill: $((100 - inflight)) lookups queued, $inflight in flight"
[ "$(count_alerts '.rule.id == "87105"')" -eq 10 ] || fail "verdicts before the restart"

vt_emu mode '{"mode":"normal"}' >/dev/null
t0=$SECONDS
start_manager "$T/ossec.conf"
wait_log 10 "$inflight lookups interrupted by a stop are queued again"
wait_count 30 110 '.rule.id == "87105"'
echo "110 verdicts $((SECONDS - t0)) s after the restart"
sleep 2 # a duplicate would land now
got=$(count_alerts '.rule.id == "87105"')
[ "$got" -eq 110 ] || fail "$got verdicts for 110 files"
[ "$(jq -r 'select(.rule.id == "87105") | .data.virustotal.source.file' "$ALERTS" |
	sort -u | wc -l)" -eq 110 ] || fail "a file has two verdicts, another none"
[ "$(q "SELECT count(*) FROM vt_job WHERE state != 'done'")" -eq 0 ] ||
	fail "jobs left: $(q 'SELECT state, count(*) FROM vt_job GROUP BY state')"
# at most one lost request per hash; the 10 judged before the kill: once
[ "$(vt_stats '[.by_sha256[] | select(. > 2)] | length')" -eq 0 ] ||
	fail "a hash asked more than twice: $(vt_stats .by_sha256)"
for i in $(seq 1 10); do
	sha=$(sha256sum "$T/src/f$i" | cut -d' ' -f1)
	[ "$(vt_stats ".by_sha256[\"$sha\"]")" -eq 1 ] || fail "f$i asked again after its verdict"
done
stop_manager
echo ok
