#!/usr/bin/env bash
# Lost kernel events: with inotify forced and a tiny kernel queue, a burst of
# files overflows the queue; the agent says so (rule 560's message) and
# rescans at once, so every file still gets exactly one "added" event.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || { echo "skipped: needs root for the sysctl"; exit 0; }
sysctl_file=/proc/sys/fs/inotify/max_queued_events
saved=$(cat "$sysctl_file")
trap 'echo "$saved" >"$sysctl_file"; vg_cleanup' EXIT

N=${VG_BURST_FILES:-20000}
mkdir -p "$T/w"
write_config "$T/ossec.conf" "
    <directories realtime=\"yes\">$T/w</directories>
    <realtime_backend>inotify</realtime_backend>"
echo 1024 >"$sysctl_file"
start_agent "$T/ossec.conf"
wait_log 20 "realtime monitoring with inotify"
echo "$saved" >"$sysctl_file" # the queue size was taken at inotify_init
wait_log 20 "scan finished"

# files in a directory that is already watched; SIGSTOP the agent so that
# its kernel queue surely overflows, then let it go
mkdir -p "$T/w/burst"
echo first >"$T/w/burst/first"
wait_for 10 '.data.type=="added" and (.data.path|endswith("/burst/first"))'
rm "$T/w/burst/first"
wait_for 10 '.data.type=="deleted" and (.data.path|endswith("/burst/first"))'
: >"$T/events.json"
kill -STOP "$AGENT_PID"
for i in $(seq 1 "$N"); do : >"$T/w/burst/f$i"; done
kill -CONT "$AGENT_PID"
wait_for 60 '.type=="overflow"'
end=$((SECONDS + 60))
while [ "$(count '.data.type=="added"')" -lt "$N" ] && [ $SECONDS -lt $end ]; do sleep 0.2; done
sleep 0.5 # duplicates, if any, would arrive now
added=$(count '.data.type=="added"')
unique=$(jq -r 'select(.data.type=="added")|.data.path' "$T/events.json" | sort -u | wc -l)
[ "$added" -eq "$N" ] || fail "expected $N added events, got $added"
[ "$unique" -eq "$N" ] || fail "duplicates: $unique unique paths for $added events"
jq -se 'map(select(.type=="overflow"))[0].data.message|startswith("ossec: Real-time inotify kernel queue is full.")' \
	"$T/events.json" >/dev/null || fail "overflow message does not match rule 560"
stop_agent
echo "ok"
