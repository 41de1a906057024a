#!/usr/bin/env bash
# `vigie quarantine` (issue 6) on the manager alone (agent 000): EICAR is
# quarantined by the built-in bound to 87105; list (this host and the
# manager's view), show; a restore over a file that is back at the path is
# refused (exit 1, the reason, the file kept) and reported (99915, a line
# the CLI wrote and the daemon shipped); a restore through the manager
# (--agent 000 --wait) brings back the bytes, owner, mode and mtime (99914),
# after which the same verdict does not quarantine it again (99919); a
# second malicious file with a hostile name (newline, escape) is listed
# escaped and deleted here (99916); unknown ids exit 1, bad usage 2.
. "$(dirname "$0")/lib.sh"

KEY=e2e-vt-key-qcli
start_vt_emulator --key "$KEY:60"
mkdir -p "$T/w" "$T/staging"
AR='<active-response><command>quarantine</command><location>local</location>
<rules_id>87105</rules_id></active-response>'
vt_local_config "$T/ossec.conf" "$T/w" "$(vt_integration "$KEY")$AR"
start_manager "$T/ossec.conf"
wait_log 10 "scan finished"

q() { "$VIGIE" quarantine -D "$T/home" "$@"; }
expect() { # STATUS CMD...: output in $T/out, errors in $T/err
	local want=$1 rc=0
	shift
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq "$want" ] || fail "'$*' exited $rc, not $want: $(cat "$T/out" "$T/err")"
}
# view_state QID STATE: until the manager's view of 000's QID is STATE
view_state() {
	local end=$((SECONDS + 10))
	while [ $SECONDS -le $end ]; do
		[ "$(q list --agent 000 --json | jq -r "select(.id == \"$1\") | .state")" = "$2" ] &&
			return 0
		sleep 0.1
	done
	fail "the manager's view of $1 is not '$2': $(q list --agent 000)"
}

# owner, mode and an old mtime set before the file enters the watched tree
S=$T/staging/TestEICAR.txt
F=$T/w/TestEICAR.txt
write_eicar "$S"
chown 1234:2345 "$S"
chmod 0640 "$S"
TZ=UTC touch -d '2020-01-02 03:04:05.123456789' "$S"
cp -p "$S" "$T/original"
SHA=$(sha256sum "$S" | cut -d' ' -f1)
mv "$S" "$F"

wait_alert 10 '.rule.id == "99910"'
QID=$(jq -r 'select(.rule.id == "99910") | .data.vigie.quarantine_id' "$ALERTS" | head -n 1)
[ "$(jq -r 'select(.rule.id == "99910") | .agent.id' "$ALERTS")" = 000 ] ||
	fail "the quarantine is not agent 000's"
[ ! -e "$F" ] || fail "$F is still there"

# this host's quarantine: the table, the JSON lines, show
expect 0 q list
head -n 1 "$T/out" | grep -Eq '^ID +WHEN +SIZE +SHA256 +PATH$' || fail "header: $(cat "$T/out")"
grep -Eq "^$QID +[0-9TZ:.-]+ +69 +${SHA:0:12} +$F\$" "$T/out" || fail "list: $(cat "$T/out")"
expect 0 q list --json
jq -e "select(.id == \"$QID\") | .path == \"$F\" and .uid == 1234 and .mode == 416" \
	"$T/out" >/dev/null || fail "list --json: $(cat "$T/out")"
expect 0 q show "$QID"
grep -q "^Path: *$F\$" "$T/out" || fail "show: $(cat "$T/out")"
grep -q "^SHA256: *$SHA\$" "$T/out" || fail "show sha256: $(cat "$T/out")"
grep -q "^Owner: *1234 " "$T/out" && grep -q "^Mode: *0640\$" "$T/out" ||
	fail "show owner/mode: $(cat "$T/out")"
grep -q "^Modified: *2020-01-02T03:04:05.123456789Z\$" "$T/out" || fail "show mtime: $(cat "$T/out")"
grep -q "^Verdict: *57 of 62 engines" "$T/out" || fail "show verdict: $(cat "$T/out")"
expect 0 q show "$QID" --json
jq -e ".id == \"$QID\" and .sha256 == \"$SHA\" and .rule_id == \"87105\"" "$T/out" >/dev/null ||
	fail "show --json: $(cat "$T/out")"

# the manager's view of agent 000
view_state "$QID" quarantined
expect 0 q list --agent 000
head -n 1 "$T/out" | grep -Eq '^ID +AGENT +STATE +WHEN' || fail "view header: $(cat "$T/out")"
grep -Eq "^$QID +000 +quarantined +.* $F\$" "$T/out" || fail "view: $(cat "$T/out")"
expect 0 q list --all
grep -q "^$QID " "$T/out" || fail "--all: $(cat "$T/out")"
expect 0 q show "$QID" --agent 0
grep -q "^State: *quarantined\$" "$T/out" && grep -q "^Mode: *0640\$" "$T/out" ||
	fail "view show: $(cat "$T/out")"
expect 0 q list --agent 000 --json
jq -e "select(.id == \"$QID\") | .agent == \"000\" and .mode == 416 and .uid == 1234" \
	"$T/out" >/dev/null || fail "view --json: $(cat "$T/out")"

# a file back at the path: the restore is refused, the file kept, reported
echo "a new file" >"$F"
expect 1 q restore "$QID"
grep -q "already exists: not overwriting it without force" "$T/err" || fail "reason: $(cat "$T/err")"
[ "$(cat "$F")" = "a new file" ] || fail "the new file was touched"
[ -f "$T/home/quarantine/$QID.bin" ] || fail "the quarantined copy is gone"
wait_alert 10 ".rule.id == \"99915\" and .data.vigie.quarantine_id == \"$QID\""
rm -f "$F"

# restored through the manager: bytes, owner, mode, mtime
expect 0 q restore "$QID" --agent 000 --wait
grep -q "^Restored quarantined file $QID to $F on agent 000 (command [0-9]*)\$" "$T/out" ||
	fail "restore: $(cat "$T/out")"
cmp -s "$F" "$T/original" || fail "the restored bytes differ"
[ "$(stat -c '%u:%g %a %y' "$F")" = "$(stat -c '%u:%g %a %y' "$T/original")" ] ||
	fail "restored $(stat -c '%u:%g %a %y' "$F"), was $(stat -c '%u:%g %a %y' "$T/original")"
[ ! -e "$T/home/quarantine/$QID.bin" ] || fail "$QID.bin is still in quarantine"
wait_alert 10 ".rule.id == \"99914\" and .data.vigie.quarantine_id == \"$QID\""
view_state "$QID" restored
expect 1 q restore "$QID" --agent 000
grep -q "reported $QID as restored already" "$T/err" || fail "restore twice: $(cat "$T/err")"
# the same verdict again (the restored file is new to FIM): not quarantined again
wait_alert 10 '.rule.id == "99919" and (.data.vigie.reason | contains("restored to this path by an operator"))'
[ -f "$F" ] || fail "the restored file was quarantined again"
[ "$(count_alerts '.rule.id == "99910"')" -eq 1 ] || fail "quarantined twice"

# a second malicious file with a hostile name, deleted here
H=$T/w/$'evil\nname\e[31m.txt'
printf 'vigie-e2e-malware-%s\n' "$RANDOM" >"$T/staging/m"
vt_emu files "$(jq -cn --rawfile c "$T/staging/m" '{content: $c, malicious: 40}')" >/dev/null
mv "$T/staging/m" "$H"
wait_count 15 2 '.rule.id == "99910"'
QID2=$(jq -r 'select(.rule.id == "99910") | .data.vigie.quarantine_id' "$ALERTS" | tail -n 1)
[ ! -e "$H" ] || fail "the hostile file is still there"
expect 0 q list
grep -qF "$QID2" "$T/out" || fail "list: $(cat "$T/out")"
grep -qF "$T/w/evil\\nname\\x1b[31m.txt" "$T/out" || fail "not escaped: $(cat -A "$T/out")"
! grep -q $'\e' "$T/out" || fail "a raw escape reached the terminal"
[ "$(wc -l <"$T/out")" -eq 2 ] || fail "the newline forged a line: $(cat "$T/out")"
expect 0 q list --json
[ "$(jq -r "select(.id == \"$QID2\") | .path" "$T/out")" = "$H" ] || fail "--json path"
# refused by the agent through the manager: the reason on stderr, exit 1
view_state "$QID2" quarantined
echo "in the way" >"$H"
expect 1 q restore "$QID2" --agent 000 --wait=10
grep -q "^vigie quarantine: restore $QID2 on agent 000 refused (command [0-9]*): " "$T/err" &&
	grep -qF 'evil\nname\x1b[31m.txt already exists: not overwriting it without force' "$T/err" ||
	fail "remote refusal: $(cat -A "$T/err")"
rm -f "$H"
expect 0 q delete "$QID2"
grep -qF "Deleted quarantined file $QID2 (it was $T/w/evil\\nname\\x1b[31m.txt)" "$T/out" ||
	fail "delete: $(cat -A "$T/out")"
[ ! -e "$T/home/quarantine/$QID2.bin" ] && [ ! -e "$T/home/quarantine/$QID2.json" ] ||
	fail "$QID2 is still in quarantine"
wait_alert 10 ".rule.id == \"99916\" and .data.vigie.quarantine_id == \"$QID2\""
view_state "$QID2" deleted

# an agent that never takes its command: --wait runs out (3), the command stays
sqlite3 "$T/home/queue/responses.db" "INSERT INTO quarantine VALUES ('007', \
	'00000000000000aa', 'quarantined', '/x', '{\"id\":\"00000000000000aa\",\"path\":\"/x\"}', 1)"
expect 3 q delete 00000000000000aa --agent 7 --wait=1
grep -q "is still queued after 1 s" "$T/err" || fail "timeout: $(cat "$T/err")"
expect 0 q delete 00000000000000aa --agent 7 --json
jq -e '.state == "queued" and .agent == "007" and .op == "delete" and .command_id > 0' \
	"$T/out" >/dev/null || fail "queued --json: $(cat "$T/out")"
expect 0 q restore 00000000000000aa --agent 7
grep -Eq '^[0-9]+$' "$T/out" || fail "the id alone: $(cat "$T/out")"

# unknown ids, bad usage
expect 1 q restore 0123456789abcdef
grep -q "no quarantined file has the id 0123456789abcdef" "$T/err" || fail "$(cat "$T/err")"
expect 1 q show 0123456789abcdef
expect 1 q delete 0123456789abcdef --agent 000
expect 1 q restore "$QID" --agent 005
expect 2 q
expect 2 q restore
expect 2 q frobnicate
expect 2 q restore not-an-id
expect 2 q list --agent 000 --all
expect 2 q delete "$QID" --force
expect 2 q restore "$QID" --wait=forever --agent 000
expect 0 q --help
grep -q "^Exit status" "$T/out" || fail "--help"
[ "$(count_alerts '.rule.id == "99917"')" -eq 0 ] || fail "a mistyped id was reported"
echo ok
