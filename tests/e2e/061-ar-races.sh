#!/usr/bin/env bash
# Active response races (issue 6): between VirusTotal's verdict on a file
# and the quarantine on agent 001, the file is replaced by other content,
# replaced by a symbolic link to /etc/passwd, moved away, or its directory
# is replaced by a symbolic link to a directory holding the same bytes.
# The verdicts are held back 4 s by the emulator so the changes land in
# between. Each quarantine is refused with its reason (rule 99912), and
# nothing outside the quarantine is touched: /etc/passwd, the replacement,
# the moved file and the decoy keep their bytes, the quarantine stays empty.
. "$(dirname "$0")/lib.sh"

KEY=e2e-vt-key-races
ar_net_start racer
W=$T/w
mkdir -p "$W/sub" "$T/elsewhere" "$T/decoy"

# four malicious files the emulator knows, their verdicts 4 s late
for i in 1 2 3 4; do
	vt_emu files "{\"content\":\"vigie race $i\\n\",\"malicious\":40,\"undetected\":30}" >/dev/null
done
vt_emu mode '{"mode":"slow","delay":4,"count":4}' >/dev/null
passwd_sum=$(sha256sum /etc/passwd)
for i in 1 2 3; do printf 'vigie race %s\n' "$i" >"$W/r$i.bin"; done
printf 'vigie race 4\n' >"$W/sub/r4.bin"
for f in "$W/r1.bin" "$W/r2.bin" "$W/r3.bin" "$W/sub/r4.bin"; do
	wait_alert 10 ".syscheck.path == \"$f\" and .rule.id == \"554\""
done

# the changes, while the verdicts are on their way
printf 'something else\n' >"$T/r1.new"
mv "$T/r1.new" "$W/r1.bin"              # replaced: same name, other content
rm "$W/r2.bin"
ln -s /etc/passwd "$W/r2.bin"          # replaced by a link to /etc/passwd
mv "$W/r3.bin" "$T/elsewhere/r3.bin"   # moved away
mv "$W/sub" "$T/moved-sub"             # its directory replaced by a link
cp -p "$T/moved-sub/r4.bin" "$T/decoy/r4.bin"
ln -s "$T/decoy" "$W/sub"

reason() {
	wait_alert 15 ".rule.id == \"99912\" and .data.vigie.file == \"$1\""
	jq -r "select(.rule.id == \"99912\" and .data.vigie.file == \"$1\") | .data.vigie.reason" \
		"$ALERTS" | head -n 1
}
r=$(reason "$W/r1.bin")
grep -qi "changed\|inode" <<<"$r" || fail "replaced file: $r"
r=$(reason "$W/r2.bin")
grep -qi "symbolic link" <<<"$r" || fail "symlink to /etc/passwd: $r"
r=$(reason "$W/r3.bin")
grep -qi "no longer exists" <<<"$r" || fail "moved away: $r"
r=$(reason "$W/sub/r4.bin")
grep -qi "symbolic link" <<<"$r" || fail "directory replaced by a link: $r"
[ "$(count_alerts '.rule.id == "99910"')" -eq 0 ] || fail "something was quarantined"

# nothing outside the quarantine was touched
[ "$(sha256sum /etc/passwd)" = "$passwd_sum" ] || fail "/etc/passwd changed"
[ -L "$W/r2.bin" ] || fail "the link was touched"
[ "$(cat "$W/r1.bin")" = "something else" ] || fail "the replacement was touched"
[ "$(cat "$T/elsewhere/r3.bin")" = "vigie race 3" ] || fail "the moved file was touched"
[ "$(cat "$T/decoy/r4.bin")" = "vigie race 4" ] || fail "the decoy was touched"
[ "$(cat "$T/moved-sub/r4.bin")" = "vigie race 4" ] || fail "the moved directory was touched"
[ -z "$(find "$T/a/quarantine" -type f -name '*.bin' 2>/dev/null)" ] ||
	fail "the quarantine holds files: $(ls -la "$T/a/quarantine")"
[ "$(grep -c 'Error quarantining threat' "$T/a/logs/active-responses.log")" -eq 4 ] ||
	fail "active-responses.log: $(cat "$T/a/logs/active-responses.log")"
echo ok
