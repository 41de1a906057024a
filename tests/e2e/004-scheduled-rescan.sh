#!/usr/bin/env bash
# Scheduled scans with --oneshot: the first builds the baseline silently,
# the second reports exactly what changed, between scan_start and scan_end.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/data/a/b"
for i in $(seq 1 50); do echo "file $i" >"$T/data/a/f$i"; done
echo keep >"$T/data/a/b/deep"
echo gone >"$T/data/gone.txt"
write_config "$T/ossec.conf" "<directories>$T/data</directories>"
"$AGENT" -c "$T/ossec.conf" -D "$T/home" -f --oneshot --local-events "$T/events.json" \
	2>>"$T/agent.out" || fail "first scan failed"
[ ! -s "$T/events.json" ] || fail "the baseline scan emitted events: $(head -3 "$T/events.json")"

echo "changed" >"$T/data/a/f7"
echo "new" >"$T/data/a/new.txt"
rm "$T/data/gone.txt"
touch -d '2001-01-01' "$T/data/a/b/deep"
"$AGENT" -c "$T/ossec.conf" -D "$T/home" -f --oneshot --local-events "$T/events.json" \
	2>>"$T/agent.out" || fail "rescan failed"
[ "$(count '.type=="scan_start"')" -eq 1 ] || fail "no scan_start"
[ "$(count '.type=="scan_end"')" -eq 1 ] || fail "no scan_end"
[ "$(count '.data.type=="modified" and (.data.path|endswith("/a/f7"))')" -eq 1 ] || fail "f7 not modified"
[ "$(count '.data.type=="added" and (.data.path|endswith("/a/new.txt"))')" -eq 1 ] || fail "new.txt not added"
[ "$(count '.data.type=="deleted" and (.data.path|endswith("/gone.txt"))')" -eq 1 ] || fail "gone.txt not deleted"
[ "$(count '.data.type=="modified" and .data.changed_attributes==["mtime"]')" -eq 1 ] || fail "mtime-only change not reported"
[ "$(count '.type=="event"')" -eq 4 ] || fail "expected exactly 4 events, got $(count '.type=="event"')"
[ "$(count '.type=="event" and .data.mode!="scheduled"')" -eq 0 ] || fail "mode is not scheduled"

# a third scan with nothing changed reports nothing and re-reads nothing
: >"$T/events.json"
"$AGENT" -c "$T/ossec.conf" -D "$T/home" -f --oneshot --local-events "$T/events.json" \
	2>"$T/agent.out" || fail "third scan failed"
[ "$(count '.type=="event"')" -eq 0 ] || fail "unchanged tree produced events"
grep -q "0 read and hashed" "$T/agent.out" || fail "unchanged files were re-read: $(grep finished "$T/agent.out")"
echo "ok"
