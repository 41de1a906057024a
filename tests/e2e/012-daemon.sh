#!/usr/bin/env bash
# Without -f the agent goes to the background, records its pid, raises its
# open files limit to the hard one, refuses a second agent on the same HOME,
# works, and stops on SIGTERM.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/w"
write_config "$T/ossec.conf" "<directories realtime=\"yes\">$T/w</directories>"
hard=$(ulimit -Hn)
# started with a soft limit of 256 (a shell's is often 1024)
(ulimit -Sn 256 && exec "$AGENT" -c "$T/ossec.conf" -D "$T/home" --local-events "$T/events.json") ||
	fail "the daemon did not start"
pidfile=$T/home/var/run/vigie-agent.pid
end=$((SECONDS + 10))
until [ -s "$pidfile" ] && grep -q "scan finished" "$T/home/logs/vigie.log" 2>/dev/null; do
	[ $SECONDS -lt $end ] || fail "no pid file or no first scan"
	sleep 0.05
done
pid=$(cat "$pidfile")
kill -0 "$pid" || fail "pid $pid from the pid file is not running"
soft=$(awk '/^Max open files/ { print $4 }' "/proc/$pid/limits")
want=$hard
[ "$hard" = unlimited ] || [ "$hard" -gt 1048576 ] && want=1048576
[ "$soft" = "$want" ] || fail "open files soft limit $soft, want $want (hard $hard)"
[ "$(ps -o sid= -p "$pid")" != "$(ps -o sid= -p $$)" ] || fail "the agent is still in our session"

if "$AGENT" -c "$T/ossec.conf" -D "$T/home" -f --oneshot 2>"$T/err"; then
	fail "a second agent on the same HOME was accepted"
fi
grep -q "another instance is running with this home (pid $pid" "$T/err" ||
	fail "the refusal does not name the pid: $(cat "$T/err")"

echo hi >"$T/w/daemon.txt"
wait_for 10 '.data.type=="added" and (.data.path|endswith("/daemon.txt"))'
kill -TERM "$pid"
end=$((SECONDS + 10))
while kill -0 "$pid" 2>/dev/null; do
	[ $SECONDS -lt $end ] || fail "the daemon did not stop on SIGTERM"
	sleep 0.05
done
[ ! -e "$pidfile" ] || fail "the pid file was left behind"
grep -q "vigie-agent stopped" "$T/home/logs/vigie.log" || fail "no clean stop in the log"
echo "ok"
