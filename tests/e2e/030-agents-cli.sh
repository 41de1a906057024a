#!/usr/bin/env bash
# `vigie agents` (docs/agents.md): add two agents, list them as a table and
# as JSON lines, show one, remove one with --yes and on a terminal, refuse
# agent 000, a duplicate name, bad ids and options, with the documented
# exit statuses (0 done, 1 failed, 2 usage).
. "$(dirname "$0")/lib.sh"

H=$T/home
mkdir -p "$H"
ag() { "$VIGIE" agents -D "$H" "$@"; }

# expect STATUS CMD...: run CMD, fail unless it exits with STATUS; stderr in $T/err
expect() {
	local want=$1 rc=0
	shift
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq "$want" ] || fail "'$*' exited $rc, not $want: $(cat "$T/err")"
}

# --- No registry yet: list is an error naming the file; nothing is created.
expect 1 ag list
grep -q "no agent registry at $H/queue/agents.db" "$T/err" || fail "list without registry: $(cat "$T/err")"
[ ! -e "$H/queue/agents.db" ] || fail "list created the registry"
expect 1 ag remove 001 --yes
[ ! -e "$H/queue/agents.db" ] || fail "remove created the registry"

# --- add prints the new ids, 001 then 002; the file is 0640.
[ "$(ag add web-1 --ip 10.0.0.5 --groups web,linux)" = 001 ] || fail "first id is not 001"
[ "$(ag add db.2)" = 002 ] || fail "second id is not 002"
[ "$(stat -c %a "$H/queue/agents.db")" = 640 ] || fail "registry mode is not 0640"

# --- a duplicate name is refused (1), --force replaces it with a new id.
expect 1 ag add db.2
grep -q "agent name 'db.2' already enrolled as 002" "$T/err" || fail "duplicate: $(cat "$T/err")"
expect 2 ag add "bad name"
expect 2 ag add 123
expect 2 ag add web-3 --ip nowhere
expect 2 ag add web-3 --groups "a,,b"
expect 1 ag add "$(hostname)" # agent 000 holds the host name

# --- list: a table with Wazuh agent_control's columns.
ag list >"$T/table" || fail "list failed"
head -n 1 "$T/table" | grep -Eq '^ID +NAME +IP +STATUS +VERSION +LAST-KEEPALIVE$' ||
	fail "table header: $(head -n 1 "$T/table")"
[ "$(wc -l <"$T/table")" -eq 4 ] || fail "table rows: $(cat "$T/table")"
grep -Eq '^000 +[^ ]+ +127\.0\.0\.1 +active ' "$T/table" || fail "no 000 row: $(cat "$T/table")"
grep -Eq '^001 +web-1 +10\.0\.0\.5 +never_connected +- +-$' "$T/table" ||
	fail "no 001 row: $(cat "$T/table")"
grep -Eq '^002 +db\.2 +any +never_connected ' "$T/table" || fail "no 002 row: $(cat "$T/table")"
# columns line up: STATUS starts at the same offset on every line
[ "$(awk '{print index($0, $4)}' "$T/table" | sort -u | wc -l)" -eq 1 ] ||
	fail "columns do not line up: $(cat "$T/table")"

# --- list --json: one object per line, Wazuh API keys.
ag list --json >"$T/json" || fail "list --json failed"
[ "$(wc -l <"$T/json")" -eq 3 ] || fail "json lines: $(cat "$T/json")"
jq -e -s '[.[].id] == ["000","001","002"]' "$T/json" >/dev/null || fail "json ids: $(cat "$T/json")"
jq -e -s '.[1] | .name == "web-1" and .ip == "10.0.0.5" and .status == "never_connected"
	and .group == ["web","linux"] and .lastKeepAlive == null and .version == null
	and (.dateAdd | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$"))' "$T/json" >/dev/null ||
	fail "json fields: $(sed -n 2p "$T/json")"
jq -e -s '.[0] | .status == "active" and .ip == "127.0.0.1"' "$T/json" >/dev/null ||
	fail "json 000: $(head -n 1 "$T/json")"
ag list --status never_connected --json | jq -e -s '[.[].id] == ["001","002"]' >/dev/null ||
	fail "--status never_connected"
ag list --status active --json | jq -e -s '[.[].id] == ["000"]' >/dev/null || fail "--status active"
[ -z "$(ag list --status disconnected --json)" ] || fail "--status disconnected is not empty"
expect 2 ag list --status pending

# --- show, by "001" and by "1"; human and JSON.
ag show 001 >"$T/show" || fail "show failed"
grep -q '^Name: *web-1$' "$T/show" || fail "show: $(cat "$T/show")"
grep -q '^Groups: *web,linux$' "$T/show" || fail "show groups: $(cat "$T/show")"
grep -q '^Status: *never_connected$' "$T/show" || fail "show status: $(cat "$T/show")"
ag show 1 --json | jq -e '.id == "001" and .name == "web-1"' >/dev/null || fail "show 1 --json"

# --- bad ids (2) and unknown ids (1).
expect 2 ag show abc
grep -q "agent id 'abc' is not 1 to 8 digits" "$T/err" || fail "bad id message: $(cat "$T/err")"
expect 2 ag show 123456789
expect 2 ag show -- -1
expect 1 ag show 042
grep -q "no agent with id 042" "$T/err" || fail "unknown id message: $(cat "$T/err")"
expect 2 ag show
expect 2 ag show 1 2
expect 2 ag list --yes
expect 2 ag frob
expect 0 ag --help
grep -q '^Usage: vigie agents list' "$T/out" || fail "--help"
expect 0 ag remove --help

# --- remove: 000 refused, --yes required off a terminal, then removed.
expect 1 ag remove 000 --yes
grep -q "agent 000 is the manager" "$T/err" || fail "remove 000: $(cat "$T/err")"
expect 2 ag remove 002 </dev/null
grep -q -- "--yes" "$T/err" || fail "remove without --yes off a terminal: $(cat "$T/err")"
expect 0 ag remove 002 --yes
grep -q "Agent 002 (db.2) removed" "$T/out" || fail "remove output: $(cat "$T/out")"
expect 1 ag remove 002 --yes
grep -q "no agent with id 002" "$T/err" || fail "second remove: $(cat "$T/err")"
expect 1 ag show 2

# on a terminal it asks; only y/yes removes
if command -v script >/dev/null; then
	printf 'n\n' | script -qec "$VIGIE agents -D $H remove 001" /dev/null >"$T/tty" 2>&1 &&
		fail "a declined removal exited 0"
	grep -q 'Remove agent 001 (web-1)' "$T/tty" || fail "no prompt: $(cat "$T/tty")"
	ag show 001 >/dev/null || fail "a declined removal removed the agent"
	printf 'y\n' | script -qec "$VIGIE agents -D $H remove 001" /dev/null >"$T/tty" 2>&1 ||
		fail "a confirmed removal failed: $(cat "$T/tty")"
	expect 1 ag show 001
else
	ag remove 001 --yes >/dev/null || fail "remove 001"
fi

# --- ids are never reused: the next agent is 003, even with 001's name.
[ "$(ag add web-1)" = 003 ] || fail "an id was reused"
ag list --json | jq -e -s '[.[].id] == ["000","003"]' >/dev/null || fail "final list: $(ag list)"

# --- a file that is not a registry: a clear error, exit 1.
H2=$T/home2
mkdir -p "$H2/queue"
head -c 8192 /dev/urandom >"$H2/queue/agents.db"
expect 1 "$VIGIE" agents -D "$H2" list
grep -q "agents.db" "$T/err" || fail "corrupt registry message: $(cat "$T/err")"
echo "ok"
