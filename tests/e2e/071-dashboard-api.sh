#!/usr/bin/env bash
# The dashboard's REST API (issue 7, docs/api.md), on a real manager
# monitoring itself: nothing is readable without logging in (every route
# 401), the Wazuh-style token login and the dashboard's session, CSRF on
# the session's state-changing requests, bad parameters 400, paging with
# the cursor, the live stream (SSE) carrying new alerts, a restore queued
# through the API that the local executor runs, the web assets with their
# security headers, the login rate limit, and `vigie passwd` taking effect
# without a restart. No password appears in the manager's log.
. "$(dirname "$0")/lib.sh"

D=$(free_port)
mkdir -p "$T/w" "$T/staging"
vt_local_config "$T/manager.conf" "$T/w" "<dashboard><port>$D</port></dashboard>
<active-response><command>quarantine</command><location>local</location>
<rules_id>99901</rules_id></active-response>"
start_manager "$T/manager.conf"
wait_log 10 "dashboard on http://127.0.0.1:$D/"
U=http://127.0.0.1:$D
PWF=$T/home/etc/dashboard.admin.pass
[ "$(stat -c %a "$PWF")" = 600 ] || fail "dashboard.admin.pass is not 0600"
PW=$(cat "$PWF")
[ "${#PW}" -ge 16 ] || fail "a short generated password"

# code METHOD URL [curl args...]: the HTTP status
code() {
	local m=$1 u=$2
	shift 2
	curl -s -o "$T/body" -w '%{http_code}' -X "$m" "$@" "$U$u"
}

# nothing without logging in
for r in "GET /api/alerts" "GET /api/alerts/1.0" "GET /api/stats" "GET /api/stream" \
	"GET /api/agents" "GET /api/virustotal/quota" "GET /api/virustotal/files" \
	"GET /api/quarantine" "POST /api/quarantine/000/0123456789abcdef/restore" \
	"DELETE /api/session" "GET /api/session"; do
	c=$(code $r --max-time 5)
	[ "$c" = 401 ] || fail "$r answered $c without credentials"
	jq -e '.error == 401 and (.title | length > 0)' "$T/body" >/dev/null ||
		fail "$r: not a JSON error: $(cat "$T/body")"
done
[ "$(code GET /api/alerts -H 'Authorization: Bearer forged')" = 401 ] || fail "a forged token"
[ "$(code POST /api/security/user/authenticate -u "admin:wrong")" = 401 ] || fail "a wrong password"

# the Wazuh API's login
TOK=$(curl -sf -u "admin:$PW" -X POST "$U/api/security/user/authenticate" | jq -r .data.token)
[ "${#TOK}" -ge 32 ] || fail "no token"
B=(-H "Authorization: Bearer $TOK")
[ "$(code GET /api/agents "${B[@]}")" = 200 ] || fail "agents: $(cat "$T/body")"
jq -e '.data.affected_items[0].id == "000"' "$T/body" >/dev/null || fail "agents: $(cat "$T/body")"
for bad in "level=abc" "limit=9999" "hash=zz" "after=x" "since=yesterday" "agent.id=x1"; do
	[ "$(code GET "/api/alerts?$bad" "${B[@]}")" = 400 ] || fail "$bad: $(cat "$T/body")"
	jq -e '.error == 400 and (.detail | length > 0)' "$T/body" >/dev/null || fail "$bad"
done
[ "$(code GET /api/nothing "${B[@]}")" = 404 ] || fail "an unknown route"
[ "$(code PUT /api/alerts "${B[@]}")" = 405 ] || fail "a wrong method"

# the live stream, then files: their alerts arrive on it
curl -sN "${B[@]}" "$U/api/stream" >"$T/stream" 2>/dev/null &
VG_PIDS+=($!)
sleep 0.5
for i in 1 2 3; do echo "file $i" >"$T/w/f$i"; done
write_eicar "$T/staging/eicar.com"
cp "$T/staging/eicar.com" "$T/original"
mv "$T/staging/eicar.com" "$T/w/eicar.com"
wait_alert 10 '.rule.id == "99910"'
for rule in 554 99901 99910; do
	end=$((SECONDS + 5))
	until grep -q "\"id\":\"$rule\"" "$T/stream"; do
		[ $SECONDS -le $end ] || fail "rule $rule not on the stream: $(head -c 600 "$T/stream")"
		sleep 0.1
	done
done
grep -q '^event: alert$' "$T/stream" || fail "no SSE event lines"

# paging: every alert once, newest first, through the cursor
all=$(count_alerts 'true')
seen=0 after=""
while :; do
	curl -sf "${B[@]}" "$U/api/alerts?limit=2${after:+&after=$after}" >"$T/page"
	seen=$((seen + $(jq '.data.affected_items | length' "$T/page")))
	after=$(jq -r '.data.next // empty' "$T/page")
	[ -n "$after" ] || break
done
[ "$seen" -eq "$all" ] || fail "paging saw $seen of $all alerts"
id=$(jq -r 'select(.rule.id == "99910") | .id' "$ALERTS" | head -n 1)
[ "$(code GET "/api/alerts/$id" "${B[@]}")" = 200 ] || fail "alert $id"
jq -e '.data.affected_items[0].rule.id == "99910"' "$T/body" >/dev/null || fail "alert $id"
[ "$(code GET /api/alerts/999.9 "${B[@]}")" = 404 ] || fail "an unknown alert"
curl -sf "${B[@]}" "$U/api/alerts?rule.id=99901&q=malware" | jq -e '.data.affected_items | length == 1' \
	>/dev/null || fail "filters"
curl -sf "${B[@]}" "$U/api/stats" | jq -e '.data.top_rules | length > 0' >/dev/null || fail "stats"

# the dashboard's session: cookie + CSRF; the restore is queued and runs
J=(-c "$T/jar" -b "$T/jar")
CSRF=$(curl -sf "${J[@]}" -H 'Content-Type: application/json' \
	-d "{\"user\":\"admin\",\"password\":\"$PW\"}" "$U/api/session" | jq -r .data.csrf)
[ -n "$CSRF" ] && [ "$CSRF" != null ] || fail "no CSRF token"
grep -q 'HttpOnly' "$T/jar" || fail "the session cookie is not HttpOnly"
[ "$(code GET /api/session "${J[@]}")" = 200 ] || fail "GET /api/session"
QID=$(curl -sf "${J[@]}" "$U/api/quarantine" | jq -r '.data.affected_items[0].id')
[ "${#QID}" = 16 ] || fail "the quarantine view: $(curl -s "${J[@]}" "$U/api/quarantine")"
R=/api/quarantine/000/$QID/restore
[ "$(code POST "$R" "${J[@]}")" = 403 ] || fail "a restore without CSRF token: $(cat "$T/body")"
[ "$(code POST "$R" "${J[@]}" -H "X-CSRF-Token: forged")" = 403 ] || fail "a forged CSRF token"
[ "$(code POST "$R" "${J[@]}" -H "X-CSRF-Token: $CSRF" -d '{"force":"yes"}')" = 400 ] ||
	fail "a malformed body"
[ "$(code POST "$R" "${J[@]}" -H "X-CSRF-Token: $CSRF")" = 202 ] || fail "restore: $(cat "$T/body")"
jq -e '.data.command_id > 0' "$T/body" >/dev/null || fail "no command id"
wait_alert 10 '.rule.id == "99914"'
cmp -s "$T/w/eicar.com" "$T/original" || fail "not restored"
[ "$(code POST "$R" "${J[@]}" -H "X-CSRF-Token: $CSRF")" = 409 ] || fail "a second restore"
[ "$(code POST /api/quarantine/000/ffffffffffffffff/restore "${J[@]}" -H "X-CSRF-Token: $CSRF")" = 404 ] ||
	fail "an unknown file"
[ "$(code DELETE /api/session "${J[@]}" -H "X-CSRF-Token: $CSRF")" = 200 ] || fail "logout"
[ "$(code GET /api/alerts "${J[@]}")" = 401 ] || fail "still logged in"

# the web assets
curl -sf -D "$T/h" "$U/" -o "$T/index" || fail "no index"
grep -qi '^content-security-policy:.*default-src' "$T/h" || fail "no CSP: $(cat "$T/h")"
grep -qi '^x-frame-options: DENY' "$T/h" || fail "no X-Frame-Options"
grep -q '<html' "$T/index" || fail "index.html"
[ "$(code GET /js/main.js)" = 200 ] || fail "main.js"
[ "$(curl -s -o /dev/null -w '%{content_type}' "$U/js/main.js")" = "text/javascript; charset=utf-8" ] ||
	[ "$(curl -s -o /dev/null -w '%{content_type}' "$U/js/main.js")" = "text/javascript" ] ||
	fail "main.js: $(curl -s -o /dev/null -w '%{content_type}' "$U/js/main.js")"
[ "$(curl -s -o /dev/null -w '%{http_code}' --path-as-is "$U/../../etc/passwd")" = 404 ] ||
	fail "a path out of the web root"

# vigie passwd takes effect at once; the old password stops working
printf '%s\n' 'a-new-Password-42' | "$VIGIE" passwd --stdin -D "$T/home" admin >/dev/null ||
	fail "vigie passwd"
[ "$(code POST /api/security/user/authenticate -u "admin:$PW")" = 401 ] || fail "the old password"
[ "$(code POST /api/security/user/authenticate -u "admin:a-new-Password-42")" = 200 ] ||
	fail "the new password"

# failed logins are limited per address (from another loopback address)
for i in 1 2 3 4 5; do code POST /api/security/user/authenticate -u "admin:bad$i" \
	--interface 127.0.0.2 >/dev/null; done
[ "$(code POST /api/security/user/authenticate -u "admin:a-new-Password-42" --interface 127.0.0.2 -D "$T/h")" = 429 ] ||
	fail "no rate limit"
grep -qi '^retry-after: [0-9]' "$T/h" || fail "no Retry-After"
[ "$(code POST /api/security/user/authenticate -u "admin:a-new-Password-42")" = 200 ] ||
	fail "the limit spilled over to another address"

! grep -qF -e "$PW" -e 'a-new-Password-42' "$T/home/logs/vigie.log" "$T/manager.out" ||
	fail "a password in the log"
echo ok
