#!/usr/bin/env bash
# VirusTotal answers that must not be believed (issue 5 §3, §7), each met by
# the real client through agent 000's realtime directory:
# 1. invalid JSON, missing fields, wrong types, a 16 MB body, a body for
#    another hash, 500, 502, 503, 504: nine clean files whose first lookup
#    gets one of these each. Error events (Vigie's rules 99904/99903 make
#    Wazuh's level-0 87100 visible), a retry 5 s later, then each file's
#    true verdict (87104); never an 87105 (the other-hash body is EICAR's).
# 2. slow-loris and a slow answer past the 3 s timeout: one 87106 per file,
#    then the true verdict.
# 3. a refused key (403): one 87102, no request while paused, none after a
#    few seconds; the key accepted again and SIGHUP: the waiting files'
#    verdicts.
# 4. 429: one 87101 for three files, their jobs stay queued through the 60 s
#    back-off, then their verdicts.
# The manager never crashes and stops cleanly; the key is in no log, alert,
# state file or process listing.
. "$(dirname "$0")/lib.sh"

KEY=e2e-vt-bad-key-0123456789abcdef
start_vt_emulator --key "$KEY"
mkdir -p "$T/w" "$T/src" "$T/home/etc/rules"
# clean files c1..c11 (phases 1, 2), malicious m1..m6 (phases 3, 4)
specs='[]'
for i in $(seq 1 11); do
	printf 'vigie bad answers clean %d\n' "$i" >"$T/src/c$i"
	specs=$(jq -c --arg c "$(cat "$T/src/c$i")"$'\n' '. + [{content: $c, harmless: 3, undetected: 50}]' <<<"$specs")
done
for i in $(seq 1 6); do
	printf 'vigie bad answers malicious %d\n' "$i" >"$T/src/m$i"
	specs=$(jq -c --arg c "$(cat "$T/src/m$i")"$'\n' '. + [{content: $c, malicious: 21}]' <<<"$specs")
done
vt_emu files "$specs" >/dev/null
sha() { sha256sum "$T/src/$1" | cut -d' ' -f1; }
INT=$(vt_integration "$KEY" '{"requests_per_minute":500}')
vt_local_config "$T/ossec.conf" "$T/w" "${INT/<\/integration>/<timeout>3</timeout></integration>}"
start_manager "$T/ossec.conf"
wait_log 10 "Enabling integration for: 'virustotal'"
wait_log 10 "scan finished"
L=$T/home/logs/integrations.log
verdict() { echo "select(.data.virustotal.source.file == \"$T/w/$1\" and (.rule.id == \"87103\" or .rule.id == \"87104\" or .rule.id == \"87105\"))"; }
# only_verdict FILE RULE: FILE has exactly one verdict alert, RULE
only_verdict() {
	local got
	got=$(jq -r "$(verdict "$1") | .rule.id" "$ALERTS" | tr '\n' ' ')
	[ "$got" = "$2 " ] || fail "$1: verdicts '$got', wanted $2"
}

# ---- 1. broken bodies and 5xx ------------------------------------------------
t0=$SECONDS
vt_emu mode '[{"mode":"invalid_json","count":1},{"mode":"missing_fields","count":1},
	{"mode":"wrong_types","count":1},{"mode":"huge","count":1,"size_mb":16},
	{"mode":"other_hash","count":1},{"mode":"500","count":1},{"mode":"502","count":1},
	{"mode":"503","count":1},{"mode":"504","count":1}]' >/dev/null
for i in $(seq 1 9); do cp "$T/src/c$i" "$T/w/"; done
wait_count 30 9 '.rule.id == "87104"'
echo "1. nine bad answers, nine verdicts in $((SECONDS - t0)) s"
[ "$(vt_stats .modes_pending)" -eq 0 ] || fail "not every bad answer was served"
for i in $(seq 1 9); do
	only_verdict "c$i" 87104
	grep "sha256=$(sha "c$i")" "$L" | grep -q 'outcome=\(bad_answer\|server_error\)' ||
		fail "c$i: no bad answer logged"
done
[ "$(grep -c 'outcome=bad_answer' "$L")" -eq 5 ] || fail "$(grep -c outcome=bad_answer "$L") bad answers logged"
[ "$(grep -c 'outcome=server_error' "$L")" -eq 4 ] || fail "server errors logged"
[ "$(count_alerts '.rule.id == "99904"')" -eq 5 ] || fail "$(count_alerts '.rule.id == "99904"') bad-answer alerts"
[ "$(count_alerts '.rule.id == "99903"')" -eq 4 ] || fail "$(count_alerts '.rule.id == "99903"') server alerts"
for f in $(jq -r 'select(.rule.id == "99904" or .rule.id == "99903") | .data.virustotal.source.file' "$ALERTS"); do
	[ -f "$f" ] || fail "an error alert names no watched file: $f"
done

# ---- 2. slow-loris, slow answer: timeouts ------------------------------------
t0=$SECONDS
vt_emu mode '[{"mode":"slowloris","count":1,"interval":1},{"mode":"slow","count":1,"delay":8}]' >/dev/null
cp "$T/src/c10" "$T/src/c11" "$T/w/"
wait_count 30 2 '.rule.id == "87106"'
wait_count 30 11 '.rule.id == "87104"'
echo "2. two timeouts, two verdicts in $((SECONDS - t0)) s"
only_verdict c10 87104
only_verdict c11 87104
[ "$(count_alerts '.rule.id == "87106"')" -eq 2 ] || fail "87106 alerts: $(count_alerts '.rule.id == "87106"')"
[ "$(jq -r 'select(.rule.id == "87106") | .data.virustotal.source.file' "$ALERTS" | sort | tr '\n' ' ')" = \
	"$T/w/c10 $T/w/c11 " ] || fail "the timeouts do not name c10 and c11"

# ---- 3. a refused key --------------------------------------------------------
t0=$SECONDS
n0=$(vt_stats .requests)
vt_emu keys "{\"key\":\"$KEY\",\"forbidden\":true}" >/dev/null
cp "$T/src/m1" "$T/src/m2" "$T/src/m3" "$T/w/"
wait_alert 10 '.rule.id == "87102"'
sleep 8 # any retry would have come: the back-off starts at 5 s
n1=$(vt_stats .requests)
[ $((n1 - n0)) -ge 1 ] && [ $((n1 - n0)) -le 3 ] || fail "$((n1 - n0)) requests with a refused key"
[ "$(count_alerts '.rule.id == "87102"')" -eq 1 ] || fail "$(count_alerts '.rule.id == "87102"') 87102 alerts"
[ "$(count_alerts '.rule.id == "87105"')" -eq 0 ] || fail "a verdict with a refused key"
grep -q "refused the API key" "$T/home/logs/vigie.log" || fail "the pause is not logged"
vt_emu keys "{\"key\":\"$KEY\",\"forbidden\":false}" >/dev/null
kill -HUP "$MANAGER_PID"
wait_count 20 3 '.rule.id == "87105"'
echo "3. refused key: $((n1 - n0)) requests, one 87102, verdicts $((SECONDS - t0)) s later"
for i in 1 2 3; do only_verdict "m$i" 87105; done
[ "$(count_alerts '.rule.id == "87102"')" -eq 1 ] || fail "87102 again after the reload"

# ---- 4. 429 ------------------------------------------------------------------
t0=$SECONDS
n0=$(vt_stats .requests)
# 429 for 2 s from the first request (however the three files' lookups are
# spread), then VirusTotal answers again
vt_emu mode '{"mode":"quota","seconds":2}' >/dev/null
cp "$T/src/m4" "$T/src/m5" "$T/src/m6" "$T/w/"
wait_alert 10 '.rule.id == "87101"'
sleep 5
[ "$(count_alerts '.rule.id == "87101"')" -eq 1 ] || fail "$(count_alerts '.rule.id == "87101"') 87101 alerts"
[ $(($(vt_stats .requests) - n0)) -le 3 ] || fail "requests during the 429 back-off"
wait_count 90 6 '.rule.id == "87105"'
echo "4. 429: one 87101, verdicts $((SECONDS - t0)) s later"
for i in 4 5 6; do only_verdict "m$i" 87105; done
[ "$(count_alerts '.rule.id == "87101"')" -eq 1 ] || fail "87101 again"

# ---- all along ---------------------------------------------------------------
[ "$(count_alerts '.rule.id == "87105"')" -eq 6 ] || fail "an 87105 for a file with a bad answer"
kill -0 "$MANAGER_PID" || fail "the manager died"
! grep -rqF "$KEY" "$T/home" "$T/manager.out" || fail "the API key leaked under HOME"
! ps -C vigie-manager -o args= | grep -qF "$KEY" || fail "the API key is in a process listing"
stop_manager
echo ok
