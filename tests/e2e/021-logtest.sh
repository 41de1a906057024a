#!/usr/bin/env bash
# `vigie logtest` behaviour (docs/logtest.md): the -v rule chain, VirusTotal
# messages, per-line errors that do not stop the run, rule load errors with
# FILE:LINE, local rules and overwrite="yes", counters across lines, hostile
# input and usage errors.
. "$(dirname "$0")/lib.sh"

SEED=$VG_SOURCE_DIR/tests/fixtures/seed-alerts
H=$T/home
mkdir -p "$H/etc/rules"

# fim_event PATH TYPE SHA256: a FIM "added"/"deleted" event line (docs/events.md)
fim_event() {
	printf '{"type":"event","data":{"path":"%s","version":2,"mode":"realtime",' "$1"
	printf '"type":"%s","timestamp":1704891124,"attributes":{"type":"file",' "$2"
	printf '"size":5,"perm":"rw-r--r--","uid":"0","gid":"0","user_name":"root",'
	printf '"group_name":"root","inode":"7","mtime":1704891124,"hash_md5":"%s",' "${4:-d41d8cd98f00b204e9800998ecf8427e}"
	printf '"hash_sha1":"da39a3ee5e6b4b0d3255bfef95601890afd80709","hash_sha256":"%s",' "$3"
	printf '"checksum":"0000000000000000000000000000000000000000"}}}\n'
}
EICAR=131f95c51cc819465fa1797f6ccacf9d494aaaff46fa3eac73ae63ffbdfd8267
OTHER=2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
lt() { "$VIGIE" logtest -D "$H" "$@"; }

# --- -v: the rule chain, wazuh-logtest style, down to the deepest match.
fim_event /root/TestEICAR.txt added $EICAR | lt -v >"$T/v.out" || fail "logtest -v failed"
for id in 550 553 554 99901; do
	grep -q "Trying rule: $id - " "$T/v.out" || fail "-v does not show rule $id: $(cat "$T/v.out")"
done
grep -q '^\*\*Rule debugging:' "$T/v.out" || fail "no **Rule debugging section"
grep -q '\*Rule 554 matched' "$T/v.out" || fail "-v does not say 554 matched"
grep -q '\*Rule 99901 matched' "$T/v.out" || fail "-v does not say 99901 matched"
grep -q "^\*\*Phase 2: Completed decoding." "$T/v.out" || fail "no Phase 2"
grep -q "name: 'syscheck_new_entry'" "$T/v.out" || fail "Phase 2 lacks the decoder"
grep -q "sha256: '$EICAR'" "$T/v.out" || fail "Phase 2 lacks the decoded fields"
grep -q "^	id: '99901'" "$T/v.out" || fail "Phase 3 lacks the rule id"
grep -q "^\*\*Alert to be generated." "$T/v.out" || fail "no alert announced"
tail -n 2 "$T/v.out" | head -n 1 | jq -e '.rule.id == "99901"' >/dev/null ||
	fail "the alert JSON line does not follow **Alert to be generated."

# --- VirusTotal: the integration's message (numbers, as VirusTotal sends
# them) gives the seed's 87105 alert, values as strings.
jq -c '.data | .virustotal.found = 1 | .virustotal.malicious = 1 |
	.virustotal.positives = 57 | .virustotal.total = 62' "$SEED/rule-87105.json" >"$T/vt.json"
lt -q -l virustotal <"$T/vt.json" >"$T/vt.out" || fail "logtest on the VirusTotal line failed"
jq -e '.rule.id == "87105" and .rule.description ==
	"VirusTotal: Alert - /root/TestEICAR.txt - 57 engines detected this file"
	and .data.virustotal.positives == "57" and .data.virustotal.found == "1"' \
	"$T/vt.out" >/dev/null || fail "VirusTotal alert: $(cat "$T/vt.out")"
strip='del(.timestamp, .id, .rule.firedtimes, .agent, .manager)'
[ "$(jq -c "$strip" "$T/vt.out")" = "$(jq -c "$strip" "$SEED/rule-87105.json")" ] ||
	fail "87105 differs from the seed: $(jq -c "$strip" "$T/vt.out")"
# Without -l the location is "stdin", the rest the same.
lt -q <"$T/vt.json" | jq -e '.rule.id == "87105" and .location == "stdin"' >/dev/null ||
	fail "default location for a JSON message is not stdin"

# --- A malformed line: an error for it, the next line still works, exit 1.
set +e
{
	echo '{"type":"event","data":{"path":'
	fim_event /srv/a added $OTHER
} | lt -q >"$T/bad.out" 2>"$T/bad.err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "malformed line: exit $rc, want 1"
grep -q '^vigie logtest: stdin:1: ' "$T/bad.err" || fail "no stdin:1 error: $(cat "$T/bad.err")"
jq -e '.rule.id == "554" and .syscheck.path == "/srv/a" and (.id|endswith(".2"))' \
	"$T/bad.out" >/dev/null || fail "the line after the bad one: $(cat "$T/bad.out")"

# --- Plain text: no decoder, no alert, not an error.
echo 'Jan 10 12:52:04 host program: hello world' | lt >"$T/plain.out" ||
	fail "plain text line failed"
grep -q 'No decoder matched.' "$T/plain.out" || fail "plain text: $(cat "$T/plain.out")"
! grep -q 'Alert to be generated' "$T/plain.out" || fail "plain text raised an alert"
[ -z "$(echo 'hello world' | lt -q)" ] || fail "plain text gave an alert line with -q"

# --- Counters persist across lines (firedtimes), like a logtest session.
{ fim_event /srv/a added $OTHER; fim_event /srv/b added $OTHER; } | lt -q >"$T/ft.out"
[ "$(jq -r .rule.firedtimes "$T/ft.out" | tr '\n' ' ')" = "1 2 " ] ||
	fail "firedtimes across lines: $(cat "$T/ft.out")"

# ... and so do frequency histories: the third add within 60 s fires 100400.
cat >"$H/etc/rules/local_rules.xml" <<'EOX'
<group name="local,">
  <rule id="100400" level="10" frequency="3" timeframe="60">
    <if_matched_sid>554</if_matched_sid>
    <description>Three files added within a minute</description>
  </rule>
</group>
EOX
for f in a b c; do fim_event /srv/$f added $OTHER; done | lt -q >"$T/freq.out"
[ "$(jq -r .rule.id "$T/freq.out" | tr '\n' ' ')" = "554 554 100400 " ] ||
	fail "frequency across lines: $(jq -c .rule "$T/freq.out")"

# --- Local rules: a child of 554 on the file name.
cat >"$H/etc/rules/local_rules.xml" <<'EOX'
<group name="syscheck,">
  <rule id="100200" level="7">
    <if_sid>554</if_sid>
    <field name="file">^/root/</field>
    <description>File added to the root user directory: $(file)</description>
  </rule>
</group>
EOX
{ fim_event /root/notes.txt added $OTHER; fim_event /srv/x added $OTHER; } | lt -q >"$T/local.out"
jq -se '.[0].rule.id == "100200" and .[0].rule.level == 7
	and .[0].rule.description == "File added to the root user directory: /root/notes.txt"
	and .[1].rule.id == "554"' "$T/local.out" >/dev/null || fail "local rule: $(cat "$T/local.out")"

# --- overwrite="yes" replaces 554's description (and keeps it the parent
# of 100200 and 99901).
cat >"$H/etc/rules/local_rules.xml" <<'EOX'
<group name="ossec,">
  <rule id="554" level="5" overwrite="yes">
    <category>ossec</category>
    <decoded_as>syscheck_new_entry</decoded_as>
    <description>New file: $(file)</description>
    <group>syscheck,syscheck_entry_added,syscheck_file,</group>
  </rule>
</group>
EOX
{ fim_event /srv/y added $OTHER; fim_event /root/TestEICAR.txt added $EICAR; } | lt -q >"$T/ow.out"
jq -se '.[0].rule.id == "554" and .[0].rule.description == "New file: /srv/y"
	and .[1].rule.id == "99901"' "$T/ow.out" >/dev/null || fail "overwrite: $(cat "$T/ow.out")"
# Without overwrite="yes" the same id is an error naming the file.
sed -i 's/ overwrite="yes"//' "$H/etc/rules/local_rules.xml"
set +e
fim_event /srv/y added $OTHER | lt -q >/dev/null 2>"$T/dup.err"
rc=$?
set -e
[ $rc -eq 1 ] && grep -q 'local_rules.xml:[0-9]' "$T/dup.err" ||
	fail "duplicate id: exit $rc, $(cat "$T/dup.err")"

# --- A broken local_rules.xml: FILE:LINE and exit 1, no event processed.
printf '<group name="x,">\n  <rule id="100300" level="3">\n    <description>x\n  </rule>\n</group>\n' \
	>"$H/etc/rules/local_rules.xml"
set +e
fim_event /srv/a added $OTHER | lt -q >"$T/broken.out" 2>"$T/broken.err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "broken rules: exit $rc, want 1"
grep -q 'local_rules.xml:[0-9][0-9]*' "$T/broken.err" || fail "no FILE:LINE: $(cat "$T/broken.err")"
[ ! -s "$T/broken.out" ] || fail "events were processed with broken rules"

# --- An if_sid cycle is a load error too.
cat >"$H/etc/rules/local_rules.xml" <<'EOX'
<group name="local,">
  <rule id="100301" level="3">
    <if_sid>100302</if_sid>
    <description>a</description>
  </rule>
  <rule id="100302" level="3">
    <if_sid>100301</if_sid>
    <description>b</description>
  </rule>
</group>
EOX
set +e
echo hello | lt -q >/dev/null 2>"$T/cycle.err"
rc=$?
set -e
[ $rc -eq 1 ] && grep -q 'local_rules.xml:[0-9].*cycle' "$T/cycle.err" ||
	fail "if_sid cycle: exit $rc, $(cat "$T/cycle.err")"
rm "$H/etc/rules/local_rules.xml"

# --- -c: a config that does not load names FILE:LINE.
printf '<ossec_config>\n  <ruleset>\n    <rule_dirx>x</rule_dirx>\n  </ruleset>\n</ossec_config>\n' \
	>"$T/bad.conf"
set +e
echo hello | lt -c "$T/bad.conf" >/dev/null 2>"$T/conf.err"
rc=$?
set -e
[ $rc -eq 1 ] && grep -q 'bad.conf:3' "$T/conf.err" || fail "bad config: exit $rc, $(cat "$T/conf.err")"

# --- Hostile input: each line is reported, none stops the run or crashes.
{
	head -c $((3 * 1024 * 1024)) /dev/zero | tr '\0' 'a'
	echo
	printf 'nul\0byte\n'
	printf 'bad utf8 \xff\xfe and \033[31m escape\n'
	printf '{"integration":"x","v":"%s"}\n' "$(head -c $((1024 * 1024 + 10)) /dev/zero | tr '\0' 'b')"
	head -c $((1024 * 1024)) /dev/zero | tr '\0' 'c'
	echo
	fim_event /srv/last added $OTHER
} >"$T/hostile.txt"
set +e
lt "$T/hostile.txt" >"$T/hostile.out" 2>"$T/hostile.err"
rc=$?
set -e
[ $rc -eq 1 ] || fail "hostile input: exit $rc, want 1 ($(cat "$T/hostile.err"))"
grep -q "hostile.txt:1: line longer than" "$T/hostile.err" || fail "3 MiB line: $(cat "$T/hostile.err")"
grep -q "hostile.txt:2: .*NUL" "$T/hostile.err" || fail "NUL byte: $(cat "$T/hostile.err")"
grep -q "hostile.txt:4: " "$T/hostile.err" || fail "1 MiB field: $(cat "$T/hostile.err")"
! grep -q "hostile.txt:[356]:" "$T/hostile.err" || fail "a good line was an error: $(cat "$T/hostile.err")"
grep -q $'bad utf8 \xef\xbf\xbd\xef\xbf\xbd and \\\\x1b\\[31m escape' "$T/hostile.out" ||
	fail "invalid UTF-8 / control bytes not made safe"
! grep -q $'\033' "$T/hostile.out" || fail "an escape byte reached the terminal"
grep -q "id: '554'" "$T/hostile.out" || fail "the last line was not processed"
lt -q "$T/hostile.txt" >"$T/hostile.q" 2>/dev/null || true # exit 1: checked above
[ "$(jq -r .syscheck.path "$T/hostile.q")" = /srv/last ] ||
	fail "-q: want only the last line's alert: $(cut -c1-200 "$T/hostile.q")"

# --- Options: agent and location, usage errors.
fim_event /srv/a added $OTHER | lt -q -a 007 | jq -e '.agent == {"id":"007","name":"007"}' \
	>/dev/null || fail "-a 007"
fim_event /srv/a added $OTHER | lt -q | jq -e --arg h "$(hostname)" \
	'.agent == {"id":"000","name":$h} and .manager.name == $h' >/dev/null ||
	fail "agent 000 is not named after the host"
for args in "-a x" "-a 1" "--nope" "-l"; do
	set +e
	# shellcheck disable=SC2086
	echo | lt $args >/dev/null 2>&1
	rc=$?
	set -e
	[ $rc -eq 2 ] || fail "'$args': exit $rc, want 2"
done
lt -h | grep -q -- '--alerts-only' || fail "-h does not document the options"
set +e
lt /nonexistent/events >/dev/null 2>"$T/nf.err"
rc=$?
set -e
[ $rc -eq 1 ] && grep -q '/nonexistent/events' "$T/nf.err" || fail "missing input file: exit $rc"

# Under the sanitizer build a crash also exits 1: the expected-failure runs
# above must have failed for their own reason, not for a sanitizer report.
! grep -l 'Sanitizer\|runtime error:' "$T"/*.err || fail "sanitizer report in a run's stderr"
echo "ok"
