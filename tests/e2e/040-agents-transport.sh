#!/usr/bin/env bash
# One manager, two agents on loopback (docs/transport.md): both enroll with
# the password, connect with their certificates, and files created in each
# agent's directory become alerts carrying that agent's id, name and
# address, with Wazuh's "location":"syscheck". The registry then lists both
# agents active with their version, and the password is in no log.
. "$(dirname "$0")/lib.sh"

P=$(free_port)
E=$(free_port)
manager_net_config "$T/manager.conf" "$P" "$E"
start_manager "$T/manager.conf"
wait_log 10 "listening"

for x in a b; do
	mkdir -p "$T/w$x"
	agent_net_config "$T/$x.conf" "$T/w$x" "$P" "$E" "agent-$x"
	start_agent_home "$T/$x" "$T/$x.conf"
	wait_file_log 20 "$T/$x/logs/vigie.log" "scan finished"
done
for x in a b; do
	echo "hello from $x" >"$T/w$x/from-$x.txt"
done
for x in a b; do
	wait_alert 20 ".syscheck.path == \"$T/w$x/from-$x.txt\""
done

alert_of() { jq -c "select(.syscheck.path == \"$T/w$1/from-$1.txt\")" "$ALERTS" | head -n 1; }
for x in a b; do
	a=$(alert_of $x)
	[ "$(jq -r .agent.name <<<"$a")" = "agent-$x" ] || fail "agent name in $a"
	[ "$(jq -r .agent.ip <<<"$a")" = 127.0.0.1 ] || fail "agent ip in $a"
	[ "$(jq -r .location <<<"$a")" = syscheck ] || fail "location in $a"
	[ "$(jq -r .rule.id <<<"$a")" = 554 ] || fail "rule in $a"
	id=$(jq -r .agent.id <<<"$a")
	"$VIGIE" agents -D "$T/home" show "$id" >"$T/show" || fail "agents show $id"
	grep -q "agent-$x" "$T/show" || fail "agent $id is not agent-$x: $(cat "$T/show")"
done
ids=$(jq -r .agent.id "$ALERTS" | sort -u | tr '\n' ' ')
[ "$ids" = "001 002 " ] || fail "alert agent ids: $ids"

# connected agents are active, at the address they connect from (the
# manager records keepalives once a second)
end=$((SECONDS + 5))
while :; do
	"$VIGIE" agents -D "$T/home" list >"$T/list" || fail "agents list"
	[ "$(grep -Ec "^00[12] +agent-[ab] +127\.0\.0\.1 +active +Vigie v" "$T/list")" -eq 2 ] && break
	[ $SECONDS -le $end ] || fail "agents not active in: $(cat "$T/list")"
	sleep 0.2
done
# the agents' keys and certificates are private to them
for x in a b; do
	[ "$(stat -c %a "$T/$x/etc/agent.key")" = 600 ] || fail "agent.key mode"
done
! grep -rqF "e2e-enroll-pass" "$T/home/logs" "$T/a/logs" "$T/b/logs" "$T"/*.out ||
	fail "the enrollment password appears in a log"
echo ok
