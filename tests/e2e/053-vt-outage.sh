#!/usr/bin/env bash
# VirusTotal down for 30 s (issue 5 §7): the emulator refuses connections
# (its listening socket closed, reopened on the same port after 30 s) while
# files land in agent 000's realtime directory at 0, 10 and 20 s into the
# outage; lookups fail with network errors and back off (5 s, doubling).
# After the outage every file ends with its verdict alert (87105 malicious,
# 87104 clean, 87103 unknown to VirusTotal), exactly one per file, and no
# file gets the wrong one. The back-off schedule bounds the wait: a lookup
# failing at t tries again at t+5, t+15, t+35, t+75, so every file is judged
# by 75 s after the outage began at worst (about 45 s here). A refused
# connection never reached VirusTotal: it costs no quota.
. "$(dirname "$0")/lib.sh"

KEY=e2e-vt-outage-key-0123456789abcdef
OUTAGE=30
start_vt_emulator --key "$KEY:60"
mkdir -p "$T/w" "$T/src"
# per batch b: m (malicious, registered), c (clean, registered), u (unknown)
specs='[]'
for b in 1 2 3; do
	for k in 1 2; do
		printf 'vigie outage malicious %d %d\n' $b $k >"$T/src/m$b$k"
		printf 'vigie outage clean %d %d\n' $b $k >"$T/src/c$b$k"
		printf 'vigie outage unknown %d %d\n' $b $k >"$T/src/u$b$k"
		specs=$(jq -c --arg m "$(cat "$T/src/m$b$k")"$'\n' --arg c "$(cat "$T/src/c$b$k")"$'\n' \
			'. + [{content: $m, malicious: 30, undetected: 10},
			      {content: $c, harmless: 5, undetected: 40}]' <<<"$specs")
	done
done
vt_emu files "$specs" >/dev/null

vt_local_config "$T/ossec.conf" "$T/w" "$(vt_integration "$KEY" '{"requests_per_minute":60}')"
start_manager "$T/ossec.conf"
wait_log 10 "Enabling integration for: 'virustotal'"
wait_log 10 "scan finished"

vt_emu mode "{\"mode\":\"refuse\",\"seconds\":$OUTAGE}" >/dev/null || true
t0=$SECONDS
(exec 3<>"/dev/tcp/127.0.0.1/$(cat "$T/vt.port")") 2>/dev/null &&
	fail "the emulator still answers: no outage"
for b in 1 2 3; do
	while [ $((SECONDS - t0)) -lt $(((b - 1) * 10)) ]; do sleep 0.2; done
	for f in m c u; do
		cp "$T/src/$f${b}1" "$T/src/$f${b}2" "$T/w/"
	done
	wait_count 10 $((b * 6)) '.rule.id == "554"' # the FIM alerts (the lookups' input)
done
wait_count 90 18 '.rule.id == "87105" or .rule.id == "87104" or .rule.id == "87103"'
echo "all 18 verdicts $((SECONDS - t0)) s after the outage began (${OUTAGE} s)"
sleep 2 # a duplicate would land now

verdicts='select(.rule.id == "87105" or .rule.id == "87104" or .rule.id == "87103")'
[ "$(count_alerts "$verdicts")" -eq 18 ] || fail "$(count_alerts "$verdicts") verdicts for 18 files"
for b in 1 2 3; do
	for k in 1 2; do
		for x in m:87105 c:87104 u:87103; do
			f=$T/w/${x%%:*}$b$k
			got=$(jq -r "$verdicts | select(.data.virustotal.source.file == \"$f\") | .rule.id" \
				"$ALERTS")
			[ "$got" = "${x#*:}" ] || fail "$f: verdicts '$got', wanted ${x#*:}"
		done
	done
done
# the lookups that failed were network errors, retried: none was given up
! grep -q "given up" "$T/home/logs/vigie.log" || fail "a lookup was given up"
grep -q "outcome=network_error" "$T/home/logs/integrations.log" ||
	fail "no failed lookup logged during the outage"
# the refused attempts cost no quota: the day's 500 less the 18 answered
left=$(grep -o 'quota_left=[0-9]*/[0-9]*' "$T/home/logs/integrations.log" | cut -d/ -f2 | sort -n | head -n 1)
[ "$left" -eq $((500 - 18)) ] || fail "the outage spent quota: $left of 500 left after 18 lookups"
[ "$(vt_stats '[.by_sha256[] | select(. != 1)] | length')" -eq 0 ] ||
	fail "a hash was answered twice: $(vt_stats .by_sha256)"
kill -0 "$MANAGER_PID" || fail "the manager died"
stop_manager
echo ok
