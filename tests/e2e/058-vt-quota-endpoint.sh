#!/usr/bin/env bash
# The key's real allowance from VirusTotal (issue 5 §4, use_quota_endpoint):
# the emulator's key allows 5 lookups a day, and 2 were already spent by
# another client of the same key; the manager is configured for 500 a day.
# At start it asks /users/{key}/overall_quotas, logs what VirusTotal said
# (never the key), and `vigie status` shows the day limit 5 with 2 used.
# Then 4 files: 3 are looked up (5 of 5 spent), the 4th waits for the
# next day instead of earning a 429, and one "quota reached" alert says so.
. "$(dirname "$0")/lib.sh"

KEY=e2e-vt-quota-endpoint-key-0123456789abcdef
N=4
start_vt_emulator --key "$KEY:60:5"
expect() { # STATUS CMD...: output in $T/out, errors in $T/err
	local want=$1 rc=0
	shift
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq "$want" ] || fail "'$*' exited $rc, not $want: $(cat "$T/out" "$T/err")"
}
lookups() { grep -c '"path": *"/api/v3/files/' "$VT_LOG" || true; }

# another user of the key spends 2 of its 5
for i in 1 2; do
	curl -s -o /dev/null -H "x-apikey: $KEY" "$VT_URL/files/$(printf '%064d' $i)"
done
[ "$(lookups)" -eq 2 ] || fail "the pre-spent lookups did not reach the emulator"

mkdir -p "$T/w" "$T/src"
specs='[]'
for i in $(seq 1 $N); do
	printf 'vigie quota endpoint file %d\n' "$i" >"$T/src/q$i"
	specs=$(jq -c --arg c "$(cat "$T/src/q$i")"$'\n' \
		'. + [{content: $c, malicious: 12, undetected: 5}]' <<<"$specs")
done
vt_emu files "$specs" >/dev/null

vt_local_config "$T/ossec.conf" "$T/w" "$(vt_integration "$KEY" \
	'{"requests_per_minute":60,"requests_per_day":500,"use_quota_endpoint":true}')"
start_manager "$T/ossec.conf"
wait_log 10 "Enabling integration for: 'virustotal'"
wait_log 10 "VirusTotal allowance: day 2 used of 5, month 2 used of"
grep -F "VirusTotal allowance:" "$T/home/logs/vigie.log"
grep -q '"path": *"/api/v3/users/<redacted>/overall_quotas"' "$VT_LOG" ||
	fail "no overall_quotas request in the emulator's log"
expect 0 "$VIGIE" status -D "$T/home" -c "$T/ossec.conf" --json
jq -e '.virustotal.quota.day.limit == 5 and .virustotal.quota.day.used == 2
	and .virustotal.quota.day.left == 3' "$T/out" >/dev/null ||
	fail "status JSON: $(jq -c .virustotal.quota "$T/out")"
wait_log 10 "scan finished"

for i in $(seq 1 $N); do
	cp "$T/src/q$i" "$T/w/q$i"
done
wait_count 30 $((N - 1)) '.rule.id == "87105"'
wait_count 10 1 '.rule.id == "87101"' # the day's quota is spent: said once
sleep 3 # a lookup past the allowance would land now
[ "$(count_alerts '.rule.id == "87105"')" -eq $((N - 1)) ] ||
	fail "$(count_alerts '.rule.id == "87105"') verdicts for $((N - 1)) lookups allowed"
[ "$(count_alerts '.rule.id == "87101"')" -eq 1 ] || fail "not one quota alert"
[ "$(lookups)" -eq 5 ] || fail "$(lookups) lookups reached VirusTotal, allowance 5"
[ "$(vt_stats '.by_status["429"] // 0')" -eq 0 ] || fail "429 answers: $(vt_stats .by_status)"
expect 0 "$VIGIE" status -D "$T/home" -c "$T/ossec.conf" --json
jq -e '.virustotal.quota.day.limit == 5 and .virustotal.quota.day.used == 5
	and .virustotal.quota.day.left == 0 and .virustotal.jobs.queued == 1' "$T/out" >/dev/null ||
	fail "status JSON after: $(jq -c '.virustotal | {quota, jobs}' "$T/out")"
! grep -rqF "$KEY" "$T/home" "$T/manager.out" || fail "the API key leaked under HOME"
stop_manager
echo ok
