#!/usr/bin/env bash
# Never waste a lookup (issue 5 §4, §7): 40 distinct malicious files and 10
# copies of each (440 files) land in agent 000's realtime directory; the
# emulator enforces 60 requests a minute for the key and the client is
# configured for 60 a minute. Exactly 40 requests reach VirusTotal (one per
# sha256), none is answered 429, and each of the 440 files gets exactly one
# 87105 alert naming it, with its own hash and its own engine count.
. "$(dirname "$0")/lib.sh"

KEY=e2e-vt-quota-key-0123456789abcdef
N=40
COPIES=10
start_vt_emulator --key "$KEY:60"
mkdir -p "$T/w" "$T/src"
# the 40 files' contents and sha256s; file i is flagged by 10+i engines
specs='[]'
for i in $(seq 1 $N); do
	printf 'vigie quota test file %d\n' "$i" >"$T/src/u$i"
	sha=$(sha256sum "$T/src/u$i" | cut -d' ' -f1)
	echo "$sha" >"$T/src/u$i.sha256"
	specs=$(jq -c --arg c "$(cat "$T/src/u$i")"$'\n' --argjson m $((10 + i)) \
		'. + [{content: $c, malicious: $m, undetected: 5}]' <<<"$specs")
done
added=$(vt_emu files "$specs" | jq '.added | length')
[ "$added" -eq $N ] || fail "the emulator took $added of $N file specs"

vt_local_config "$T/ossec.conf" "$T/w" "$(vt_integration "$KEY" \
	'{"requests_per_minute":60,"requests_per_day":5000,"requests_per_month":50000}')"
start_manager "$T/ossec.conf"
wait_log 10 "Enabling integration for: 'virustotal'"
wait_log 10 "scan finished"

t0=$SECONDS
for i in $(seq 1 $N); do
	cp "$T/src/u$i" "$T/w/u$i"
done
for k in $(seq 1 $COPIES); do
	for i in $(seq 1 $N); do
		cp "$T/src/u$i" "$T/w/c${i}_$k"
	done
done
total=$((N * (COPIES + 1)))
wait_count 120 $total '.rule.id == "87105"'
echo "$total verdicts in $((SECONDS - t0)) s"
sleep 2 # a duplicate would land now

# exactly 40 requests, each sha256 once, no 429
[ "$(vt_stats .requests)" -eq $N ] || fail "$(vt_stats .requests) requests for $N hashes"
[ "$(vt_stats '.by_status["429"] // 0')" -eq 0 ] || fail "429 answers: $(vt_stats .by_status)"
[ "$(vt_stats '[.by_sha256[] | select(. != 1)] | length')" -eq 0 ] ||
	fail "a hash asked more than once: $(vt_stats .by_sha256)"
for i in $(seq 1 $N); do
	[ "$(vt_stats ".by_sha256[\"$(cat "$T/src/u$i.sha256")\"] // 0")" -eq 1 ] ||
		fail "u$i's hash was not asked once"
done

# 440 87105 alerts, one per file, each naming its file, hash and engine count
got=$(count_alerts '.rule.id == "87105"')
[ "$got" -eq $total ] || fail "$got 87105 alerts for $total files"
jq -r 'select(.rule.id == "87105") | [.data.virustotal.source.file,
	.data.virustotal.sha256, .data.virustotal.positives, .rule.description] | @tsv' \
	"$ALERTS" | sort >"$T/verdicts"
[ "$(cut -f1 "$T/verdicts" | sort -u | wc -l)" -eq $total ] || fail "a file has two verdicts"
while IFS=$'\t' read -r file sha pos desc; do
	base=${file##*/}
	i=${base#u}
	i=${i#c}
	i=${i%%_*}
	[ "$file" = "$T/w/$base" ] && [ -f "$T/src/u$i.sha256" ] || fail "unknown file $file"
	[ "$sha" = "$(cat "$T/src/u$i.sha256")" ] || fail "$file: verdict for $sha"
	[ "$pos" -eq $((10 + i)) ] || fail "$file: $pos positives, wanted $((10 + i))"
	[ "$desc" = "VirusTotal: Alert - $file - $pos engines detected this file" ] ||
		fail "$file: description '$desc'"
done <"$T/verdicts"
# the cache served the copies (every copy whose twin was answered before it)
hits=$(jq -r 'select(.rule.id == "87105") | .data.virustotal.cache' "$ALERTS" | grep -c hit || true)
echo "cache hits: $hits of $((total - N)) copies"
# the integrations.log: one line per verdict, with issue 5 §5's fields
L=$T/home/logs/integrations.log
[ "$(grep -c ' virustotal ' "$L")" -eq $total ] || fail "$(grep -c ' virustotal ' "$L") log lines"
grep ' virustotal ' "$L" | grep -v 'alert=[0-9]*\.[0-9]* agent=000 sha256=[0-9a-f]\{64\} outcome=malicious http=[-0-9]* latency_ms=[-0-9]* cache=\(hit\|miss\) quota_left=[0-9]*/[0-9]*/[0-9]*' &&
	fail "integrations.log lines without the fields"
[ "$(grep ' virustotal ' "$L" | grep -o 'alert=[0-9.]*' | sort -u | wc -l)" -eq $total ] ||
	fail "integrations.log: not one line per alert"
# a miss is a file whose verdict came with a request (its own or a twin's in
# flight): every hash has one, and the copies are hits or twins
[ "$(grep 'cache=miss' "$L" | grep -o 'sha256=[0-9a-f]*' | sort -u | wc -l)" -eq $N ] ||
	fail "not every hash has a logged lookup"
! grep -rqF "$KEY" "$T/home" "$T/manager.out" || fail "the API key leaked under HOME"
! ps -C vigie-manager -o args= | grep -qF "$KEY" || fail "the API key is in a process listing"
stop_manager
echo ok
