#!/usr/bin/env bash
# A realtime change is reported while a long scheduled scan is still
# walking, not after it: its realtime event comes before the scan's scan_end
# (and before the scan itself could report the file).
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/big" "$T/rt"
head -c 65536 /dev/urandom >"$T/big/seed"
python3 -c 'import os, sys
for i in range(20000): os.link(sys.argv[1] + "/seed", "%s/l%d" % (sys.argv[1], i))' "$T/big"
write_config "$T/ossec.conf" "
    <directories>$T/big</directories>
    <directories realtime=\"yes\">$T/rt</directories>
    <full_rehash>yes</full_rehash>"
start_agent "$T/ossec.conf"
wait_log 60 "scan finished"

kill -USR1 "$AGENT_PID"
wait_for 10 '.type=="scan_start"'
echo "during" >"$T/rt/during.txt"
wait_for 10 '.data.type=="added" and .data.mode=="realtime" and (.data.path|endswith("/rt/during.txt"))'
wait_for 60 '.type=="scan_end"'
ev=$(grep -n '/rt/during.txt' "$T/events.json" | head -1 | cut -d: -f1)
end=$(grep -n '"type":"scan_end"' "$T/events.json" | head -1 | cut -d: -f1)
[ "$ev" -lt "$end" ] || fail "the realtime event (line $ev) waited for the scan to end (line $end)"
stop_agent
echo "ok"
