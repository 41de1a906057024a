#!/usr/bin/env bash
# `vigie lookup` (issue 5 §5): through the running manager, a file's verdict
# is looked up once, then served from the cache (the emulator sees one
# request); a hash works as well as a file; no alert is raised for these
# lookups; --direct asks the emulator with the configuration's key, which
# is never on a command line; the exit status says malicious (3), clean or
# unknown (0), failed (1) or usage (2).
. "$(dirname "$0")/lib.sh"

KEY=e2e-lookup-key-42
CLEAN_SHA=71d0949cf972d2ba14628dd8a32060fdc36972aa6971bf8249bd3aee788f617d
start_vt_emulator --key "$KEY:60"
mkdir -p "$T/w" "$T/home/etc"
cat >"$T/ossec.conf" <<EOC
<ossec_config>
  <syscheck><directories realtime="yes">$T/w</directories></syscheck>
  $(vt_integration "$KEY")
</ossec_config>
EOC
lookup() { "$VIGIE" lookup -D "$T/home" "$@"; }
expect() { # STATUS CMD...: output in $T/out, errors in $T/err
	local want=$1 rc=0
	shift
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq "$want" ] || fail "'$*' exited $rc, not $want: $(cat "$T/out" "$T/err")"
}
requests() { grep -c '"path": *"/api/v3/files/' "$VT_LOG" || true; }

# no manager state yet: a clear error
expect 1 lookup "$T/nothing"
expect 1 lookup "$CLEAN_SHA"
grep -q "is vigie-manager running" "$T/err" || fail "no hint: $(cat "$T/err")"
expect 2 lookup
start_manager "$T/ossec.conf"
wait_log 10 "scan finished"

write_eicar "$T/eicar.txt" # outside the watched directory: no FIM alert
expect 3 lookup "$T/eicar.txt"
grep -q "malicious: 57 of 62 engines" "$T/out" || fail "verdict: $(cat "$T/out")"
grep -q "through vigie-manager" "$T/out" || fail "source: $(cat "$T/out")"
[ "$(requests)" -eq 1 ] || fail "$(requests) requests for one lookup"
expect 3 lookup --json "$T/eicar.txt"
jq -e '.virustotal.positives == 57 and .virustotal.cache == "hit"' "$T/out" >/dev/null ||
	fail "JSON verdict: $(cat "$T/out")"
[ "$(requests)" -eq 1 ] || fail "the cache did not answer the second lookup"
expect 0 lookup "$CLEAN_SHA"
grep -q "clean: 0 of" "$T/out" || fail "clean verdict: $(cat "$T/out")"
expect 0 lookup 0000000000000000000000000000000000000000000000000000000000000000
grep -q "unknown to VirusTotal" "$T/out" || fail "not found: $(cat "$T/out")"
sleep 1
[ "$(count_alerts '.rule.groups | index("virustotal")')" -eq 0 ] ||
	fail "a lookup raised an alert"

# `vigie status` shows the integration's state beside the running manager
expect 0 "$VIGIE" status -D "$T/home"
grep -q "^Manager  *running, pid $MANAGER_PID" "$T/out" || fail "status: $(cat "$T/out")"
grep -Eq "^  cache  *3 verdicts" "$T/out" || fail "status cache: $(cat "$T/out")"
grep -Eq "^    minute  *3 of 4 used, 1 left" "$T/out" || fail "status quota: $(cat "$T/out")"
expect 0 "$VIGIE" status -D "$T/home" --json
jq -e '.virustotal.jobs.done == 3 and .virustotal.cache.hits >= 1 and .agents.enrolled == 0
	and .virustotal.quota.day.limit == 500' "$T/out" >/dev/null || fail "status JSON: $(cat "$T/out")"

# --direct: the configuration's key, the emulator asked, no cache
before=$(requests)
expect 3 lookup --direct -c "$T/ossec.conf" "$T/eicar.txt"
grep -q "VirusTotal, directly" "$T/out" || fail "direct: $(cat "$T/out")"
[ "$(requests)" -eq $((before + 1)) ] || fail "--direct did not ask VirusTotal"
expect 1 lookup --direct -c "$T/ossec.conf" /no/such/file
! grep -rqF "$KEY" "$T/home/logs" "$T/out" "$T/err" || fail "the key leaked"
stop_manager
expect 3 "$VIGIE" status -D "$T/home"
grep -q "^Manager  *not running" "$T/out" || fail "status after stop: $(cat "$T/out")"
# a lookup while the manager is away stays queued, and is listed as waiting
echo "waiting file" >"$T/waiting.txt"
expect 1 lookup --wait 0 "$T/waiting.txt"
grep -q "the job stays queued" "$T/err" || fail "no-wait lookup: $(cat "$T/err")"
expect 3 "$VIGIE" status -D "$T/home" --files
grep -q "waiting for a verdict:" "$T/out" && grep -q "$T/waiting.txt" "$T/out" ||
	fail "waiting files: $(cat "$T/out")"
echo ok
