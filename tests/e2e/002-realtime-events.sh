#!/usr/bin/env bash
# Realtime FIM end to end: the baseline is silent, then added, modified
# (content and permissions) and deleted events arrive with correct digests.
. "$(dirname "$0")/lib.sh"

backend=${1:-auto}
mkdir -p "$T/watched/sub"
echo "already here" >"$T/watched/old.txt"
write_config "$T/ossec.conf" "
    <directories realtime=\"yes\" tags=\"demo,e2e\">$T/watched</directories>
    <realtime_backend>$backend</realtime_backend>"
start_agent "$T/ossec.conf"
wait_log 20 "scan finished"

echo 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' >"$T/watched/sub/eicar.txt"
wait_for 5 '.data.type=="added" and (.data.path|endswith("/sub/eicar.txt"))'
sha=$(sha256sum "$T/watched/sub/eicar.txt" | cut -d' ' -f1)
md5=$(md5sum "$T/watched/sub/eicar.txt" | cut -d' ' -f1)
ev=$(jq -c 'select(.data.type=="added" and (.data.path|endswith("/sub/eicar.txt")))' "$T/events.json" | head -1)
[ "$(jq -r .data.attributes.hash_sha256 <<<"$ev")" = "$sha" ] || fail "sha256 differs: $ev"
[ "$(jq -r .data.attributes.hash_md5 <<<"$ev")" = "$md5" ] || fail "md5 differs: $ev"
[ "$(jq -r .data.mode <<<"$ev")" = realtime ] || fail "mode is not realtime: $ev"
[ "$(jq -r .data.tags <<<"$ev")" = "demo,e2e" ] || fail "tags missing: $ev"
[ "$(jq -r '.data.attributes.inode|type' <<<"$ev")" = string ] || fail "inode not a string"

echo "more" >>"$T/watched/old.txt"
wait_for 5 '.data.type=="modified" and (.data.path|endswith("/old.txt")) and (.data.changed_attributes|index("sha256"))'
ev=$(jq -c 'select(.data.type=="modified" and (.data.path|endswith("/old.txt")))' "$T/events.json" | head -1)
[ "$(jq -r .data.old_attributes.size <<<"$ev")" = 13 ] || fail "old size wrong: $ev"

chmod 600 "$T/watched/old.txt"
wait_for 5 '.data.type=="modified" and (.data.changed_attributes==["permission"])'

rm "$T/watched/sub/eicar.txt"
wait_for 5 '.data.type=="deleted" and (.data.path|endswith("/sub/eicar.txt"))'

# the pre-existing file never produced an "added" event (silent baseline)
[ "$(count '.data.type=="added" and (.data.path|endswith("/old.txt"))')" -eq 0 ] ||
	fail "the baseline scan reported old.txt"
stop_agent
echo "ok"
