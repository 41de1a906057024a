#!/usr/bin/env bash
# SIGHUP reloads the configuration (an invalid one is refused and the old
# one kept); changes made while the agent was stopped are reported by the
# rescan at the next start; SIGTERM exits 0.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/a" "$T/b"
write_config "$T/ossec.conf" "<directories realtime=\"yes\">$T/a</directories>"
start_agent "$T/ossec.conf"
wait_log 20 "scan finished"

echo '<ossec_config><syscheck><bogus/></syscheck></ossec_config>' >"$T/ossec.conf"
kill -HUP "$AGENT_PID"
wait_log 10 "keeping the current one"
grep -q "ossec.conf:1: <syscheck>: unknown element <bogus>" "$T/home/logs/vigie.log" ||
	fail "the reload error does not name file:line"
echo one >"$T/a/one"
wait_for 10 '.data.type=="added" and (.data.path|endswith("/a/one"))'

write_config "$T/ossec.conf" "<directories realtime=\"yes\">$T/a,$T/b</directories>"
mv "$T/events.json" "$T/events.json.1" # rotated: SIGHUP reopens it
kill -HUP "$AGENT_PID"
wait_log 10 "configuration reloaded"
sleep 0.5
echo two >"$T/b/two"
wait_for 10 '.data.type=="added" and (.data.path|endswith("/b/two"))'
[ "$(grep -c '/b/two' "$T/events.json.1")" -eq 0 ] || fail "events still went to the rotated file"
stop_agent

# while stopped
echo changed >"$T/a/one"
echo three >"$T/b/three"
mkdir -p "$T/c"
write_config "$T/ossec.conf" "<directories realtime=\"yes\">$T/a,$T/b</directories>
    <directories>$T/c</directories>"
start_agent "$T/ossec.conf"
wait_for 20 '.data.type=="modified" and (.data.path|endswith("/a/one")) and .data.mode=="scheduled"'
wait_for 20 '.data.type=="added" and (.data.path|endswith("/b/three"))'

# SIGUSR1: a scheduled-only directory is scanned on demand
echo four >"$T/c/four"
sleep 0.3
[ "$(count '(.data.path|endswith("/c/four"))')" -eq 0 ] || fail "a scheduled dir was watched in realtime"
kill -USR1 "$AGENT_PID"
wait_for 10 '.data.type=="added" and (.data.path|endswith("/c/four")) and .data.mode=="scheduled"'
stop_agent
grep -q "events, 0 lost-event rescans" "$T/home/logs/vigie.log" || fail "no stats line at stop"
echo "ok"
