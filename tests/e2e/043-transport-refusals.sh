#!/usr/bin/env bash
# What the manager refuses on its two ports, and says so in its log without
# the password (docs/transport.md): an agent with a wrong enrollment
# password is not enrolled; a TLS client without a certificate, or with a
# certificate of another CA, is refused on 1514; a removed agent is cut off
# and its certificate refused from then on: its new files raise no alert.
# (Oversized batches and batches claiming another agent's id are refused
# in tests/unit/manager/test_remote.c, which can forge them.)
. "$(dirname "$0")/lib.sh"

P=$(free_port)
E=$(free_port)
LOG=$T/home/logs/vigie.log
manager_net_config "$T/manager.conf" "$P" "$E"
start_manager "$T/manager.conf"
wait_log 10 "listening"

# --- a wrong password: refused, logged on both sides, the password nowhere
mkdir -p "$T/wc"
agent_net_config "$T/c.conf" "$T/wc" "$P" "$E" agent-wrong
echo "not-the-password" >"$T/agent.pass"
"$AGENT" -c "$T/c.conf" -D "$T/c" --enroll >"$T/c.out" 2>&1 && fail "enrolled with a wrong password"
grep -qi "password" "$T/c.out" || fail "the agent does not say why: $(cat "$T/c.out")"
wait_log 5 "127.0.0.1"
grep -i "refus" "$LOG" | grep -qi "password" || fail "the manager did not log the refusal"
! grep -rqF -e "not-the-password" -e "e2e-enroll-pass" "$T/home/logs" "$T/c.out" "$T/c" ||
	fail "a password appears in a log"
! "$VIGIE" agents -D "$T/home" list | grep -q agent-wrong || fail "agent-wrong was enrolled"

# --- TLS clients without a certificate, or with one from another CA
openssl s_client -connect "127.0.0.1:$P" -tls1_3 </dev/null >"$T/s1.out" 2>&1 || true
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=001 \
	-keyout "$T/other.key" -out "$T/other.pem" 2>/dev/null
openssl s_client -connect "127.0.0.1:$P" -tls1_3 -cert "$T/other.pem" -key "$T/other.key" \
	</dev/null >"$T/s2.out" 2>&1 || true
wait_log 5 "TLS handshake from 127.0.0.1 failed: handshake: peer did not return a certificate"
wait_log 5 "TLS handshake from 127.0.0.1 failed: handshake: certificate verify failed"
grep -q "CONNECTED" "$T/s1.out" || fail "s_client did not reach the port: $(cat "$T/s1.out")"

# --- an enrolled agent, then removed: cut off, refused, its files ignored
mkdir -p "$T/wa"
agent_net_config "$T/a.conf" "$T/wa" "$P" "$E" agent-a
start_agent_home "$T/a" "$T/a.conf"
wait_file_log 20 "$T/a/logs/vigie.log" "scan finished"
echo before >"$T/wa/before"
wait_alert 20 ".syscheck.path == \"$T/wa/before\""
id=$(jq -r "select(.syscheck.path == \"$T/wa/before\") | .agent.id" "$ALERTS")
"$VIGIE" agents -D "$T/home" remove "$id" --yes >/dev/null || fail "agents remove $id"
wait_log 10 "revoked"
echo after >"$T/wa/after"
sleep 4
[ "$(count_alerts ".syscheck.path == \"$T/wa/after\"")" -eq 0 ] ||
	fail "a removed agent's event became an alert"
kill -0 "$AGENT_PID" || fail "the refused agent died instead of retrying"
echo ok
