# tests/e2e/lib.sh - shared helpers for the end-to-end tests.
#
# Each test sources this file, gets a fresh temporary directory in $T (removed
# on exit, with every daemon it started), and uses the real binaries from
# $VG_BUILD_DIR (set by ctest; defaults to build/).
set -euo pipefail

VG_SOURCE_DIR=${VG_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
VG_BUILD_DIR=${VG_BUILD_DIR:-$VG_SOURCE_DIR/build}
AGENT=$VG_BUILD_DIR/vigie-agent
VIGIE=$VG_BUILD_DIR/vigie
T=$(mktemp -d /tmp/vigie-e2e.XXXXXX)
VG_PIDS=()

vg_cleanup() {
	local pid
	for pid in "${VG_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$T"
}
trap vg_cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	if [ -f "$T/home/logs/vigie.log" ]; then
		echo "--- vigie.log" >&2
		tail -n 30 "$T/home/logs/vigie.log" >&2
	fi
	if [ -f "$T/events.json" ]; then
		echo "--- events.json" >&2
		tail -n 5 "$T/events.json" | cut -c1-300 >&2
	fi
	if [ -f "$T/home/logs/alerts/alerts.json" ]; then
		echo "--- alerts.json" >&2
		tail -n 5 "$T/home/logs/alerts/alerts.json" | cut -c1-300 >&2
	fi
	exit 1
}

# write_config FILE SYSCHECK_BODY
write_config() {
	cat >"$1" <<EOC
<ossec_config>
  <syscheck>
$2
  </syscheck>
</ossec_config>
EOC
}

# start_agent CONFIG [extra args...]: runs in the background, events in $T/events.json
start_agent() {
	local conf=$1
	shift
	"$AGENT" -c "$conf" -D "$T/home" -f --local-events "$T/events.json" "$@" \
		>>"$T/agent.out" 2>&1 &
	VG_PIDS+=($!)
	AGENT_PID=$!
}

# wait_for TIMEOUT_S JQ_FILTER: until some event line matches the jq -e filter
wait_for() {
	local timeout=$1 filter=$2 end=$((SECONDS + $1))
	while [ $SECONDS -le $end ]; do
		if [ -f "$T/events.json" ] &&
			jq -c "select($filter)" "$T/events.json" 2>/dev/null | grep -q .; then
			return 0
		fi
		sleep 0.05
	done
	fail "no event matching '$filter' within ${timeout}s"
}

# wait_log TIMEOUT_S PATTERN: until vigie.log contains the fixed string
wait_log() {
	local end=$((SECONDS + $1))
	while [ $SECONDS -le $end ]; do
		grep -qF -- "$2" "$T/home/logs/vigie.log" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "log never said '$2' within $1s"
}

# count FILTER: number of event lines matching the jq filter (a torn last
# line, being written, is not counted: see count_alerts)
count() {
	{ jq -c "select($1)" "$T/events.json" 2>/dev/null || true; } | wc -l
}

stop_agent() {
	kill -TERM "$AGENT_PID"
	wait "$AGENT_PID" || fail "agent exited with status $?"
}

# ---- the manager -------------------------------------------------------------
MANAGER=$VG_BUILD_DIR/vigie-manager
ALERTS=$T/home/logs/alerts/alerts.json

# start_manager CONFIG [extra args...]: runs in the background, home $T/home
start_manager() {
	local conf=$1
	shift
	"$MANAGER" -c "$conf" -D "$T/home" -f "$@" >>"$T/manager.out" 2>&1 &
	VG_PIDS+=($!)
	MANAGER_PID=$!
}

# wait_alert TIMEOUT_S JQ_FILTER: until some alert in alerts.json matches
wait_alert() {
	local end=$((SECONDS + $1))
	while [ $SECONDS -le $end ]; do
		if [ -f "$ALERTS" ] && [ "$(count_alerts "$2")" -gt 0 ]; then
			return 0
		fi
		sleep 0.05
	done
	fail "no alert matching '$2' within $1s"
}

# count_alerts JQ_FILTER: alerts in alerts.json matching the filter. The
# manager may be halfway through writing the last line: jq then stops there
# with an error, the complete lines before it still count, and the torn read
# must not end the test (errexit and pipefail) without a word.
count_alerts() {
	{ jq -c "select($1)" "$ALERTS" 2>/dev/null || true; } | wc -l
}

stop_manager() {
	kill -TERM "$MANAGER_PID"
	wait "$MANAGER_PID" || fail "manager exited with status $?"
}

# ---- agents talking to the manager over loopback (docs/transport.md) ---------

# free_port: a loopback TCP port nobody listens on
free_port() {
	local p
	while :; do
		# below the kernel's ephemeral range (32768-60999 here): a port the
		# client side of some connection holds cannot be bound again
		p=$((20000 + RANDOM % 12000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
}

# manager_net_config FILE PORT ENROLL_PORT [EXTRA_XML]: listeners on
# loopback, enrollment with the password in $T/home/etc/authd.pass (made here)
manager_net_config() {
	mkdir -p "$T/home/etc"
	echo "e2e-enroll-pass" >"$T/home/etc/authd.pass"
	chmod 0640 "$T/home/etc/authd.pass"
	cat >"$1" <<EOC
<ossec_config>
  <remote>
    <port>$2</port>
    <local_ip>127.0.0.1</local_ip>
  </remote>
  <auth>
    <port>$3</port>
    <use_password>yes</use_password>
  </auth>
  ${4:-}
</ossec_config>
EOC
}

# agent_net_config FILE WATCHED_DIR PORT ENROLL_PORT NAME [CLIENT_XML]
agent_net_config() {
	cp "$T/home/etc/authd.pass" "$T/agent.pass"
	chmod 0600 "$T/agent.pass"
	cat >"$1" <<EOC
<ossec_config>
  <syscheck>
    <directories realtime="yes">$2</directories>
  </syscheck>
  <client>
    <server>
      <address>127.0.0.1</address>
      <port>$3</port>
      <retry_interval>1</retry_interval>
    </server>
    <enrollment>
      <port>$4</port>
      <agent_name>$5</agent_name>
      <authorization_pass_path>$T/agent.pass</authorization_pass_path>
    </enrollment>
    ${6:-}
  </client>
</ossec_config>
EOC
}

# start_agent_home HOME CONFIG [extra args...]: an agent shipping to the
# manager (no --local-events); its pid in AGENT_PID, output in HOME.out
start_agent_home() {
	local home=$1 conf=$2
	shift 2
	mkdir -p "$home"
	"$AGENT" -c "$conf" -D "$home" -f "$@" >>"$home.out" 2>&1 &
	VG_PIDS+=($!)
	AGENT_PID=$!
}

# wait_file_log TIMEOUT_S FILE PATTERN: until FILE contains the fixed string
wait_file_log() {
	local end=$((SECONDS + $1))
	while [ $SECONDS -le $end ]; do
		grep -qF -- "$3" "$2" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "--- $2" >&2
	tail -n 20 "$2" >&2 2>/dev/null || true
	fail "$2 never said '$3' within $1s"
}

# wait_count TIMEOUT_S N JQ_FILTER: until N alerts match (fails on timeout)
wait_count() {
	local end=$((SECONDS + $1)) got=0
	while [ $SECONDS -le $end ]; do
		got=$(count_alerts "$3")
		[ "$got" -ge "$2" ] && return 0
		sleep 0.2
	done
	fail "$got of $2 alerts matching '$3' within $1s"
}

# net_start NAME: a manager and one agent NAME watching $T/w over loopback,
# the first file's alert seen (the channel works). Sets P and E (ports).
net_start() {
	P=$(free_port)
	E=$(free_port)
	mkdir -p "$T/w"
	manager_net_config "$T/manager.conf" "$P" "$E"
	start_manager "$T/manager.conf"
	wait_log 10 "listening"
	agent_net_config "$T/a.conf" "$T/w" "$P" "$E" "$1"
	start_agent_home "$T/a" "$T/a.conf"
	wait_file_log 20 "$T/a/logs/vigie.log" "scan finished"
	echo first >"$T/w/first"
	wait_alert 20 ".syscheck.path == \"$T/w/first\""
}

# outage_start NAME: net_start, then the manager stopped; DOWN is when
# (in $SECONDS).
outage_start() {
	net_start "$1"
	stop_manager
	DOWN=$SECONDS
}

# outage_end N OUTAGE_S: wait until the manager was down OUTAGE_S, start it,
# and check that each of the N files f1..fN and "first" has exactly one 554.
outage_end() {
	while [ $((SECONDS - DOWN)) -lt "$2" ]; do sleep 1; done
	start_manager "$T/manager.conf"
	wait_count 180 "$(($1 + 1))" '.rule.id == "554"'
	sleep 2 # a duplicate would land now
	jq -e . "$ALERTS" >/dev/null || fail "alerts.json is not valid JSON lines"
	local got uniq
	got=$(count_alerts '.rule.id == "554"')
	uniq=$(jq -r 'select(.rule.id == "554") | .syscheck.path' "$ALERTS" | sort -u | wc -l)
	[ "$uniq" -eq $(($1 + 1)) ] || fail "$uniq of $(($1 + 1)) files have an alert"
	[ "$got" -eq $(($1 + 1)) ] || fail "$got alerts for $(($1 + 1)) files: duplicates"
}

# ---- the VirusTotal emulator (docs/vt-emulator.md) ----------------------------

# start_vt_emulator [emulator args...]: on a free port; VT_URL is its API base
# for hook_url, VT_CTL its control base, VT_LOG its request log
start_vt_emulator() {
	local i
	"$VG_SOURCE_DIR/tests/tools/vt-emulator" --port 0 --port-file "$T/vt.port" \
		--log "$T/vt.log" "$@" >>"$T/vt.out" 2>&1 &
	VG_PIDS+=($!)
	VT_PID=$!
	for i in $(seq 1 100); do
		[ -s "$T/vt.port" ] && break
		sleep 0.05
	done
	[ -s "$T/vt.port" ] || fail "the VirusTotal emulator did not start: $(cat "$T/vt.out")"
	VT_CTL=http://127.0.0.1:$(cat "$T/vt.port")
	VT_URL=$VT_CTL/api/v3
	VT_LOG=$T/vt.log
}

# vt_integration KEY [OPTIONS_JSON]: the seed's <integration> block, pointed
# at the emulator
vt_integration() {
	echo "<integration><name>virustotal</name><api_key>$1</api_key>" \
		"<hook_url>$VT_URL</hook_url><group>syscheck</group>" \
		"<alert_format>json</alert_format>${2:+<options>$2</options>}</integration>"
}

# write_eicar FILE: the seed's 69-byte EICAR test file (EICAR and a newline)
write_eicar() {
	printf '%s\n' 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >"$1"
}

# vt_local_config FILE WATCHED_DIR INTEGRATION_XML: the manager alone (agent
# 000's realtime <syscheck> on WATCHED_DIR) with an <integration> block
vt_local_config() {
	cat >"$1" <<EOC
<ossec_config>
  <syscheck>
    <directories realtime="yes">$2</directories>
  </syscheck>
  $3
</ossec_config>
EOC
}

# vt_emu POST_PATH JSON: a control request to the emulator (fails the test
# when refused); the answer on stdout
vt_emu() {
	curl -sf -X POST -d "$2" "$VT_CTL/_emu/$1" || fail "emulator refused $1: $2"
}

# vt_stats JQ: a value of the emulator's GET /_emu/stats
vt_stats() {
	curl -sf "$VT_CTL/_emu/stats" | jq -r "$1"
}

# ---- active response (docs/active-response.md) --------------------------------

# The built-in quarantine bound to VirusTotal's 87105, on the alert's agent.
AR_QUARANTINE='<active-response><command>quarantine</command><location>local</location>
<rules_id>87105</rules_id></active-response>'

# ar_net_start NAME [XML]: the VirusTotal emulator (key $KEY, 60/min), a
# manager with the seed's integration and XML (default: AR_QUARANTINE),
# and agent NAME (HOME $T/a) watching $T/w, its first scan done.
ar_net_start() {
	start_vt_emulator --key "$KEY:60"
	P=$(free_port)
	E=$(free_port)
	manager_net_config "$T/manager.conf" "$P" "$E" "$(vt_integration "$KEY")${2:-$AR_QUARANTINE}"
	start_manager "$T/manager.conf"
	wait_log 10 "Enabling integration for: 'virustotal'"
	mkdir -p "$T/w"
	agent_net_config "$T/a.conf" "$T/w" "$P" "$E" "$1"
	start_agent_home "$T/a" "$T/a.conf"
	wait_file_log 20 "$T/a/logs/vigie.log" "scan finished"
}
