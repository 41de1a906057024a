#!/usr/bin/env bash
# Issue 3 §4 conformance: the agent's events for /root/TestEICAR.txt added
# (69-byte EICAR file), modified into the 70-byte CRLF variant, then deleted,
# run through `vigie logtest -q`, give the seed's rule-554, rule-550 and
# rule-553 alerts key for key, value for value and in the same key order,
# except timestamp, id, firedtimes, agent, manager, mtime_* and inode_*.
# Then the default ruleset raises Vigie's malware rule 99901 instead.
. "$(dirname "$0")/lib.sh"

SEED=$VG_SOURCE_DIR/tests/fixtures/seed-alerts
mkdir -p "$T/home"

# The agent's event lines (docs/events.md), as src/fim/event.c writes them.
attrs() { # SIZE MTIME MD5 SHA1 SHA256
	printf '{"type":"file","size":%s,"perm":"rw-r--r--","uid":"0","gid":"0",' "$1"
	printf '"user_name":"root","group_name":"root","inode":"21388","mtime":%s,' "$2"
	printf '"hash_md5":"%s","hash_sha1":"%s","hash_sha256":"%s",' "$3" "$4" "$5"
	printf '"checksum":"0000000000000000000000000000000000000000"}'
}
A69=$(attrs 69 1704891124 69630e4574ec6798239b091cda43dca0 \
	cf8bd9dfddff007f75adf4c2be48005cea317c62 \
	131f95c51cc819465fa1797f6ccacf9d494aaaff46fa3eac73ae63ffbdfd8267)
A70=$(attrs 70 1704891190 e7e5fa40569514ec442bbdf755d89c2f \
	a6c80ce949469cc86f6c22355f4d3bb8773fc634 \
	8b3f191819931d1f2cef7289239b5f77c00b079847b9c2636e56854d1e5eff71)
head='{"type":"event","data":{"path":"/root/TestEICAR.txt","version":2,"mode":"realtime"'
{
	echo "$head,\"type\":\"added\",\"timestamp\":1704891124,\"attributes\":$A69}}"
	echo "$head,\"type\":\"modified\",\"timestamp\":1704891190,\"attributes\":$A70,\"changed_attributes\":[\"size\",\"mtime\",\"md5\",\"sha1\",\"sha256\"],\"old_attributes\":$A69}}"
	echo "$head,\"type\":\"deleted\",\"timestamp\":1704891200,\"attributes\":$A70}}"
} >"$T/events.json"
jq -e . "$T/events.json" >/dev/null || fail "the test's own event lines are not JSON"

# Wazuh has no rule on malware hashes by default; Vigie ships 99901 (child of
# 554 and 550), which would fire instead of 554/550 for EICAR. To compare
# with Wazuh's alerts, load the shipped ruleset without that one file.
cat >"$T/wazuh-rules.conf" <<EOC
<ossec_config>
  <ruleset>
    <rule_dir>ruleset/rules</rule_dir>
    <rule_exclude>9900-vigie_rules.xml</rule_exclude>
    <rule_dir>etc/rules</rule_dir>
  </ruleset>
</ossec_config>
EOC
"$VIGIE" logtest -q -D "$T/home" -c "$T/wazuh-rules.conf" "$T/events.json" \
	>"$T/alerts.json" 2>"$T/err" || { cat "$T/err" >&2; fail "logtest failed"; }
[ "$(wc -l <"$T/alerts.json")" -eq 3 ] || fail "expected 3 alerts, got: $(cat "$T/alerts.json")"

# What may differ (time, host, counters, inode, local-time mtime); key order
# is kept by jq without -S, so equal strings mean equal order too.
strip='del(.timestamp, .id, .rule.firedtimes, .agent, .manager,
	.syscheck.mtime_before, .syscheck.mtime_after,
	.syscheck.inode_before, .syscheck.inode_after)'
n=0
for rule in 554 550 553; do
	n=$((n + 1))
	want=$(jq -c "$strip" "$SEED/rule-$rule.json")
	got=$(sed -n "${n}p" "$T/alerts.json" | jq -c "$strip")
	if [ "$got" != "$want" ]; then
		echo "want: $want" >&2
		echo "got:  $got" >&2
		fail "alert $n differs from seed rule-$rule.json"
	fi
done
# The fields left out are still there, with the shapes Wazuh gives them.
jq -se 'all(.[]; (.timestamp|test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}[+-][0-9]{4}$"))
	and (.id|test("^[0-9]+\\.[1-3]$")) and .agent.id == "000"
	and (.rule.firedtimes|type) == "number" and (.syscheck.inode_after|type) == "number")' \
	"$T/alerts.json" >/dev/null || fail "timestamp/id/agent/firedtimes/inode shapes: $(cat "$T/alerts.json")"
[ "$(jq -r .id "$T/alerts.json" | cut -d. -f2 | tr '\n' ' ')" = "1 2 3 " ] ||
	fail "alert ids are not <epoch>.<line number>"

# The default ruleset (no ossec.conf in HOME): Vigie's offline malware rule.
head -n 1 "$T/events.json" | "$VIGIE" logtest -q -D "$T/home" >"$T/default.json" ||
	fail "logtest with the default ruleset failed"
jq -e '.rule.id == "99901" and .rule.level == 12 and (.rule.groups|index("syscheck")) != null
	and .rule.description == "Known Malware File Hash is detected: /root/TestEICAR.txt"
	and .syscheck.sha256_after == "131f95c51cc819465fa1797f6ccacf9d494aaaff46fa3eac73ae63ffbdfd8267"' \
	"$T/default.json" >/dev/null || fail "default ruleset: $(cat "$T/default.json")"
echo "ok"
