#!/usr/bin/env bash
# Files that fight back: unreadable, growing, truncated or deleted while
# hashed, and over file_max_size. Each gives a correct event or a clear
# logged skip; the agent never hangs or dies, and later events still come.
. "$(dirname "$0")/lib.sh"

W=$T/w
mkdir -p "$W"
write_config "$T/ossec.conf" "
    <directories realtime=\"yes\">$W</directories>
    <file_max_size>8MB</file_max_size>"
start_agent "$T/ossec.conf"
wait_log 20 "scan finished"

# over file_max_size: reported, explicitly not hashed (no empty-file digests)
head -c $((9 << 20)) /dev/zero >"$W/too-big.bin"
wait_for 10 '.data.type=="added" and (.data.path|endswith("/too-big.bin"))'
ev=$(jq -c 'select(.data.path|endswith("/too-big.bin"))' "$T/events.json" | head -1)
[ "$(jq -r .data.attributes.hash_state <<<"$ev")" = too_big ] || fail "too_big not said: $ev"
[ "$(jq -r '.data.attributes|has("hash_sha256")' <<<"$ev")" = false ] || fail "digests on an unhashed file"

# growing while hashed: the last event carries the final content's digest
python3 - "$W/growing.log" <<'PY'
import os, sys, time
with open(sys.argv[1], "wb") as f:
    for i in range(40):
        f.write(os.urandom(64 << 10))
        f.flush()
        time.sleep(0.01)
PY
want=$(sha256sum <"$W/growing.log" | cut -d' ' -f1)
wait_for 10 "(.data.path|endswith(\"/growing.log\")) and .data.attributes.hash_sha256==\"$want\""
# ...and it is the only event: nothing was reported while the file was open
sleep 0.3
[ "$(count '(.data.path|endswith("/growing.log"))')" -eq 1 ] ||
	fail "a file being written gave $(count '(.data.path|endswith("/growing.log"))') events"

# truncated and deleted right after being written
head -c 4000000 /dev/urandom >"$W/shrinks.bin"
: >"$W/shrinks.bin"
wait_for 10 '(.data.path|endswith("/shrinks.bin")) and .data.attributes.size==0'
for i in $(seq 1 50); do head -c 200000 /dev/urandom >"$W/brief$i"; rm -f "$W/brief$i"; done

# unreadable for the agent's user: simulate with vigie scan as nobody
mkdir -p "$T/priv"
echo secret >"$T/priv/locked"
chmod 000 "$T/priv/locked"
chmod 755 "$T" "$T/priv"
if command -v setpriv >/dev/null && [ "$(id -u)" -eq 0 ]; then
	if setpriv --reuid=nobody --regid=nogroup --clear-groups "$VIGIE" scan "$T/priv" \
		>"$T/scan.out" 2>"$T/scan.err"; then
		fail "vigie scan exited 0 on an unreadable file"
	fi
	grep -q "locked" "$T/scan.err" || fail "the unreadable file was not named: $(cat "$T/scan.err")"
	jq -e '.attributes.hash_state=="unreadable"' "$T/scan.out" >/dev/null ||
		fail "hash_state unreadable missing: $(cat "$T/scan.out")"
fi

# and the agent is still fine
echo after >"$W/after.txt"
wait_for 10 '.data.type=="added" and (.data.path|endswith("/after.txt"))'
kill -0 "$AGENT_PID" || fail "the agent died"
stop_agent
echo "ok"
