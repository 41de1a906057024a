#!/usr/bin/env bash
# A full disk under the baseline: a clear error naming the database, a
# non-zero exit, no crash; with space back, the next start completes.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root to mount a tmpfs"; exit 0; }
mkdir -p "$T/w" "$T/home"
for i in $(seq 1 3000); do echo "$i" >"$T/w/a-file-with-a-rather-long-name-$i"; done
mount -t tmpfs -o size=256k vigie-e2e "$T/home"
trap 'umount "$T/home" 2>/dev/null || true; vg_cleanup' EXIT
write_config "$T/ossec.conf" "<directories>$T/w</directories>"
if "$AGENT" -c "$T/ossec.conf" -D "$T/home" -f --oneshot --local-events "$T/events.json" \
	2>"$T/err"; then
	fail "the agent succeeded on a full disk"
fi
grep -q "fim.db.*disk is full" "$T/err" || fail "no clear error: $(cat "$T/err")"
! grep -q "scan finished" "$T/err" || fail "a failed scan was logged as finished"
umount "$T/home"
"$AGENT" -c "$T/ossec.conf" -D "$T/home" -f --oneshot --local-events "$T/events.json" \
	2>"$T/err" || fail "the agent failed with space available: $(cat "$T/err")"
grep -q "scan finished: 3000 files" "$T/err" || fail "baseline incomplete: $(cat "$T/err")"
echo "ok"
