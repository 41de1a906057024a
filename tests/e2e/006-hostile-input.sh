#!/usr/bin/env bash
# Hostile names and special files in a realtime-watched tree: every event is
# valid JSON with the exact bytes recoverable, FIFOs, sockets and devices are
# skipped without a hang, a deep path and a symlink loop are handled, and a
# watched root that is deleted and recreated keeps being watched.
. "$(dirname "$0")/lib.sh"

W=$T/watched
mkdir -p "$W"
write_config "$T/ossec.conf" "<directories realtime=\"yes\" follow_symbolic_link=\"yes\">$W</directories>"
start_agent "$T/ossec.conf"
wait_log 20 "scan finished"

# special files first: the agent must not block on them
mkfifo "$W/fifo"
mknod "$W/null" c 1 3
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$W/sock"
ln -s "$W" "$W/loop"
names=("new"$'\n'"line" 'quo"te' 'back\slash' $'ctl\x01\x1f' "$(printf 'inv\xff\xfelid')" ' lead space' 'ünïcödé')
for n in "${names[@]}"; do printf '%s' "$n" >"$W/$n"; done
for n in "${names[@]}"; do
	b64=$(printf '%s' "$W/$n" | base64 -w0)
	wait_for 5 "(.data.type==\"added\") and ((.data.path_b64 // (.data.path|@base64)) == \"$b64\")"
done
jq -e . "$T/events.json" >/dev/null || fail "an event line is not valid JSON"
[ "$(count '(.data.path|test("/(fifo|null|sock)$"))')" -eq 0 ] || fail "a special file was reported"

# a path longer than PATH_MAX
deep=$W
for i in $(seq 1 25); do deep=$deep/$(printf 'd%.0s' $(seq 1 200)); done
python3 - "$W" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
for i in range(25):
    os.mkdir("d" * 200, dir_fd=fd)
    nfd = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
    os.close(fd)
    fd = nfd
with os.fdopen(os.open("leaf", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "w") as f:
    f.write("deep")
PY
wait_for 10 '.data.type=="added" and (.data.path|endswith("/leaf")) and (.data.path|length) > 5000'

# the watched root deleted and recreated
rm -rf "$W"
wait_for 10 '.data.type=="deleted" and (.data.path|endswith("/quo\"te"))'
mkdir -p "$W"
sleep 0.3
echo again >"$W/after-recreate.txt"
wait_for 10 '.data.type=="added" and (.data.path|endswith("/after-recreate.txt"))'
kill -0 "$AGENT_PID" || fail "the agent died"
stop_agent
echo "ok"
