#!/usr/bin/env bash
# custom-* integrations (docs/integrations.md): Wazuh's script contract,
# argv[1] the alert file, [2] api_key, [3] hook_url, [4] debug or "",
# [5] options file or "", [6] timeout, [7] retries; the script runs once
# per matching alert, not for others, and the alert file is gone after it.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/w" "$T/home/integrations"
cat >"$T/home/integrations/custom-e2e" <<EOS
#!/bin/sh
# one line per run: the argument count, then each argument, then the alert
{ echo "argc=\$#"; for a in "\$@"; do echo "arg=\$a"; done; cat "\$1"; } >>"$T/custom.out"
EOS
chmod 0750 "$T/home/integrations/custom-e2e"
cat >"$T/ossec.conf" <<EOC
<ossec_config>
  <syscheck><directories realtime="yes">$T/w</directories></syscheck>
  <integration>
    <name>custom-e2e</name>
    <hook_url>https://hooks.example/abc</hook_url>
    <api_key>custom-secret</api_key>
    <rule_id>554</rule_id>
    <alert_format>json</alert_format>
    <options>{"x":1}</options>
  </integration>
</ossec_config>
EOC
start_manager "$T/ossec.conf"
wait_log 10 "Enabling integration for: 'custom-e2e'."
wait_log 10 "scan finished"
echo one >"$T/w/one.txt"
wait_alert 10 ".syscheck.path == \"$T/w/one.txt\""
echo changed >>"$T/w/one.txt" # a 550: not the integration's rule
echo two >"$T/w/two.txt"
end=$((SECONDS + 10))
until [ "$(grep -c '^argc=' "$T/custom.out" 2>/dev/null)" -ge 2 ] || [ $SECONDS -gt $end ]; do
	sleep 0.1
done
sleep 1 # a third run (the 550) would show now
[ "$(grep -c '^argc=' "$T/custom.out")" -eq 2 ] || fail "runs: $(cat "$T/custom.out")"
grep -q '^argc=7$' "$T/custom.out" || fail "argc: $(cat "$T/custom.out")"
mapfile -t args < <(grep '^arg=' "$T/custom.out" | head -n 7 | cut -d= -f2-)
case ${args[0]} in "$T/home/tmp/custom-e2e-"*.alert) ;; *) fail "alert file: ${args[0]}" ;; esac
[ "${args[1]}" = custom-secret ] || fail "api_key: ${args[1]}"
[ "${args[2]}" = https://hooks.example/abc ] || fail "hook_url: ${args[2]}"
[ -z "${args[3]}" ] || fail "debug: ${args[3]}"
case ${args[4]} in *.options) ;; *) fail "options file: ${args[4]}" ;; esac
[ "${args[5]}" = 10 ] && [ "${args[6]}" = 3 ] || fail "timeout/retries: ${args[5]} ${args[6]}"
grep '^{' "$T/custom.out" | jq -e 'select(.rule.id == "554")' >/dev/null || fail "alert JSON"
[ -z "$(ls "$T/home/tmp" 2>/dev/null)" ] || fail "temp files left: $(ls "$T/home/tmp")"
grep -q "custom-e2e.*done" "$T/home/logs/integrations.log" || fail "integrations.log"
! grep -q "Timeout running" "$T/home/logs/vigie.log" || fail "a quick script was killed as timed out"
! grep -qF custom-secret "$T/home/logs/vigie.log" "$T/home/logs/integrations.log" ||
	fail "the key is in a log"
echo ok
