#!/usr/bin/env bash
# The VirusTotal API v3 emulator (tests/tools/vt-emulator, docs/vt-emulator.md)
# that every VirusTotal test runs against: file objects for the built-in EICAR
# files, VirusTotal's 401/403/404/429 bodies, per-key quotas, gzip, each
# failure mode of the control API once, a request log that never holds a key,
# and a clean stop on SIGTERM. Checked with curl, as a client would see it.
. "$(dirname "$0")/lib.sh"

EMU=$VG_SOURCE_DIR/tests/tools/vt-emulator
EICAR=275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f
EICAR_MD5=44d88612fea8a8f36de82e1278abb02f
SEED_MD5=69630e4574ec6798239b091cda43dca0
SEED=131f95c51cc819465fa1797f6ccacf9d494aaaff46fa3eac73ae63ffbdfd8267
K_GOOD=e2e-good-key-0f9e8d7c6b5a49382716
K_LIM=e2e-limited-key-1a2b3c4d5e6f7081
K_FORB=e2e-forbidden-key-99aa88bb77cc66dd
K_WRONG=e2e-wrong-key-deadbeefdeadbeef0

# start_emu NAME [args...]: an emulator on an ephemeral port; URL in $B
start_emu() {
	local name=$1 end=$((SECONDS + 10))
	shift
	"$EMU" --port 0 --port-file "$T/$name.port" --log "$T/$name.log" "$@" \
		>>"$T/$name.out" 2>&1 &
	VG_PIDS+=($!)
	EMU_PID=$!
	while [ ! -s "$T/$name.port" ]; do
		[ $SECONDS -le $end ] || fail "$name never wrote its port file"
		kill -0 "$EMU_PID" 2>/dev/null || fail "$name died: $(cat "$T/$name.out")"
		sleep 0.05
	done
	B=http://127.0.0.1:$(cat "$T/$name.port")
}

# get KEY PATH [curl args...]: body in $T/body, "STATUS" (or curl's exit code
# as "exit=N") in $R
get() {
	local key=$1 path=$2 rc=0
	shift 2
	local hdr=()
	[ -z "$key" ] || hdr=(-H "x-apikey: $key")
	R=$(curl -s -o "$T/body" -D "$T/headers" -w '%{http_code}' "${hdr[@]}" \
		"$@" "$B$path") || rc=$?
	[ $rc -eq 0 ] || R="exit=$rc"
}

expect() { [ "$R" = "$1" ] || fail "$2: got $R, wanted $1 ($(head -c 300 "$T/body"))"; }
body_is() {
	[ "$(jq -c . "$T/body")" = "$1" ] || fail "body $(jq -c . "$T/body"), wanted $1"
}
mode() {
	curl -sf -X POST -d "$1" "$B/_emu/mode" >/dev/null || fail "mode $1 refused"
}

start_emu emu --key "$K_GOOD" --key "$K_LIM:3" --forbidden-key "$K_FORB"

# ---- the real service's answers ----------------------------------------------
get "$K_GOOD" "/api/v3/files/$EICAR"
expect 200 "EICAR by sha256"
jq -e '.data.id == "'$EICAR'" and .data.type == "file"
	and .data.links.self == "https://www.virustotal.com/api/v3/files/'$EICAR'"
	and .data.attributes.md5 == "'$EICAR_MD5'"
	and .data.attributes.last_analysis_stats == {"malicious":66,"suspicious":0,
		"undetected":5,"harmless":0,"timeout":0,"confirmed-timeout":0,
		"failure":0,"type-unsupported":7}
	and (.data.attributes.last_analysis_results | length) == 78
	and .data.attributes.popular_threat_classification.suggested_threat_label
		== "virus.eicar/test"' "$T/body" >/dev/null || fail "EICAR object"
grep -qi '^content-type: application/json; charset=utf-8' "$T/headers" ||
	fail "EICAR content type"
cp "$T/body" "$T/eicar.plain"

get "$K_GOOD" "/api/v3/files/${EICAR_MD5^^}" -H 'Accept-Encoding: gzip'
expect 200 "EICAR by upper-case md5, gzip"
grep -qi '^content-encoding: gzip' "$T/headers" || fail "no gzip answer"
gunzip -c <"$T/body" | cmp -s - "$T/eicar.plain" || fail "gzip body differs"

get "$K_GOOD" "/api/v3/files/$SEED_MD5"
expect 200 "seed EICAR by md5"
jq -e '.data.id == "'$SEED'" and .data.attributes.size == 69
	and .data.attributes.last_analysis_date == 1704889837
	and .data.attributes.last_analysis_stats.malicious == 57
	and ([.data.attributes.last_analysis_stats | .malicious, .suspicious,
		.undetected, .harmless] | add) == 62' "$T/body" >/dev/null ||
	fail "seed EICAR object (rule-87105: 57 of 62)"

UNKNOWN=0000000000000000000000000000000000000000000000000000000000000001
get "$K_GOOD" "/api/v3/files/$UNKNOWN"
expect 404 "unknown file"
body_is '{"error":{"code":"NotFoundError","message":"File \"'$UNKNOWN'\" not found"}}'

get "" "/api/v3/files/$EICAR"
expect 401 "no key"
body_is '{"error":{"code":"AuthenticationRequiredError","message":"X-Apikey header is missing"}}'
get "$K_WRONG" "/api/v3/files/$EICAR"
expect 401 "wrong key"
jq -e '.error.code == "WrongCredentialsError"' "$T/body" >/dev/null || fail "wrong key code"
get "$K_FORB" "/api/v3/files/$EICAR"
expect 403 "forbidden key"
jq -e '.error.code == "ForbiddenError"' "$T/body" >/dev/null || fail "403 code"

for i in 1 2 3; do
	get "$K_LIM" "/api/v3/files/$EICAR"
	expect 200 "limited key, request $i of 3"
done
get "$K_LIM" "/api/v3/files/$EICAR" -H 'Accept-Encoding: gzip'
expect 429 "limited key, 4th request in the minute"
body_is '{"error":{"code":"QuotaExceededError","message":"Quota exceeded"}}'
get "$K_LIM" "/api/v3/users/$K_LIM/overall_quotas"
expect 200 "overall_quotas"
jq -e '.data.api_requests_daily.user.used == 3
	and .data.api_requests_hourly.user.allowed == 180' "$T/body" >/dev/null ||
	fail "overall_quotas body $(jq -c . "$T/body")"

get "$K_GOOD" "/api/v3/nothing/here"
expect 404 "unknown path"
jq -e '.error.code == "NotFoundError"' "$T/body" >/dev/null || fail "unknown path body"
get "$K_GOOD" "/api/v3/files/$EICAR" -X POST
expect 405 "POST"
get "" "/api/v3/urls" -X DELETE
expect 405 "DELETE"
jq -e '.error | has("code") and has("message")' "$T/body" >/dev/null || fail "405 body"
get "$K_GOOD" "/api/v3/files/$K_GOOD"
expect 404 "a key in the path"

# ---- files added by a test ---------------------------------------------------
printf 'vigie e2e\n' >"$T/f"
SHA=$(sha256sum "$T/f" | cut -c1-64)
curl -sf -X POST -d '[{"content":"vigie e2e\n","malicious":3,"undetected":4,
	"label":"trojan.e2e/test"}]' "$B/_emu/files" >/dev/null || fail "add file"
get "$K_GOOD" "/api/v3/files/$(sha1sum "$T/f" | cut -c1-40)"
expect 200 "added file by sha1"
jq -e '.data.id == "'"$SHA"'" and .data.attributes.last_analysis_stats.malicious == 3
	and (.data.attributes.last_analysis_results | length) == 7' \
	"$T/body" >/dev/null || fail "added file object"

# ---- failure modes -----------------------------------------------------------
P=/api/v3/files/$EICAR
mode '{"mode":"down","count":1}'
get "$K_GOOD" "$P"
expect exit=52 "down: no answer"
get "$K_GOOD" "$P"
expect 200 "down lasted one request"

mode '{"mode":"slow","delay":1,"count":1}'
t0=$(date +%s%N)
get "$K_GOOD" "$P"
expect 200 "slow"
[ $((($(date +%s%N) - t0) / 1000000)) -ge 950 ] || fail "slow answered at once"

mode '{"mode":"slowloris","count":1,"interval":0.5}'
get "$K_GOOD" "$P" --max-time 2
expect exit=28 "slowloris: curl times out"

mode '[{"mode":"500","count":1},{"mode":"502","count":1},{"mode":"503","count":1}]'
get "$K_GOOD" "$P"
expect 500 "500"
get "$K_GOOD" "$P"
expect 502 "502"
grep -q '502' "$T/body" || fail "502 page"
get "$K_GOOD" "$P"
expect 503 "503"
body_is '{"error":{"code":"TransientError","message":"Transient server error. Retry might work."}}'

mode '{"mode":"invalid_json","count":1}'
get "$K_GOOD" "$P"
expect 200 "invalid_json"
! jq . "$T/body" >/dev/null 2>&1 || fail "invalid_json body parses"

mode '{"mode":"missing_fields","count":1}'
get "$K_GOOD" "$P"
jq -e '.data.attributes | has("last_analysis_stats") | not' "$T/body" >/dev/null ||
	fail "missing_fields kept the stats"
mode '{"mode":"wrong_types","count":1}'
get "$K_GOOD" "$P"
jq -e '.data.attributes.last_analysis_stats.malicious == "66"' "$T/body" >/dev/null ||
	fail "wrong_types: stats are not strings"

mode '{"mode":"huge","size_mb":8,"count":1}'
get "$K_GOOD" "$P"
expect 200 "huge"
[ "$(stat -c %s "$T/body")" -ge $((8 * 1024 * 1024)) ] || fail "huge body is small"
jq -e '.data.id == "'$EICAR'"' "$T/body" >/dev/null || fail "huge body is not JSON"

mode '{"mode":"other_hash","count":1}'
get "$K_GOOD" "$P"
expect 200 "other_hash"
jq -e '.data.id != "'$EICAR'" and .data.type == "file"' "$T/body" >/dev/null ||
	fail "other_hash answered the asked file"

mode '{"mode":"quota","count":1}'
get "$K_GOOD" "$P"
expect 429 "quota mode"

mode '{"mode":"refuse","seconds":1}'
get "$K_GOOD" "$P"
expect exit=7 "refuse: connection refused"
end=$((SECONDS + 5))
until get "$K_GOOD" "$P" && [ "$R" = 200 ]; do
	[ $SECONDS -le $end ] || fail "still refusing after the outage ($R)"
	sleep 0.2
done

R=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{"mode":"slow","dealy":1}' \
	"$B/_emu/mode")
[ "$R" = 400 ] || fail "a misspelt mode parameter was accepted ($R)"

# ---- the request log ---------------------------------------------------------
curl -sf "$B/_emu/log" >"$T/memlog" || fail "GET /_emu/log"
cmp -s "$T/memlog" "$T/emu.log" || fail "--log and /_emu/log differ"
# log_count JQ_FILTER OP N: the number of log lines matching, compared (OP
# is test's -eq, -ge...)
log_count() { test "$(jq -c "$1" "$T/emu.log" | wc -l)" "$2" "$3"; }
log_count 'select(.status == 429)' -eq 2 || fail "429 lines, wanted 2"
log_count 'select(.key_present == false)' -eq 2 || fail "key_present"
log_count 'select(.status == 200 and .gzip == true)' -ge 1 || fail "no gzip line"
log_count 'select(.path == "/api/v3/users/<redacted>/overall_quotas")' -eq 1 ||
	fail "overall_quotas path not redacted"
log_count 'select(.path == "/api/v3/files/<redacted>" and .status == 404)' -eq 1 ||
	fail "a key in a file path not redacted"
for k in "$K_GOOD" "$K_LIM" "$K_FORB" "$K_WRONG"; do
	! grep -qF -- "$k" "$T/emu.log" "$T/memlog" "$T/emu.out" || fail "a key is in the log"
done
curl -sf "$B/_emu/stats" >"$T/stats"
jq -e '.by_status["200"] > 10 and .by_status["401"] == 2
	and .by_status["405"] == 2 and .by_status["0"] == 1' "$T/stats" >/dev/null ||
	fail "stats $(jq -c . "$T/stats")"

curl -sf -X POST "$B/_emu/reset" >/dev/null
get "$K_LIM" "$P"
expect 200 "reset gives the quota back"

# ---- a real capture served as given; SIGTERM ---------------------------------
kill -TERM "$EMU_PID"
wait "$EMU_PID" || fail "emulator exited with status $? on SIGTERM"
start_emu emu2 --files "$VG_SOURCE_DIR/tests/fixtures/virustotal"
get any-key "/api/v3/files/$EICAR"
expect 200 "capture from --files"
jq -S . "$T/body" >"$T/a"
jq -S . "$VG_SOURCE_DIR/tests/fixtures/virustotal/v3_file_eicar_275a021b_2024-07-17.json" >"$T/b"
cmp -s "$T/a" "$T/b" || fail "the capture is not served as recorded"
kill -TERM "$EMU_PID"
wait "$EMU_PID" || fail "emulator 2 exited with status $?"
echo "ok"
