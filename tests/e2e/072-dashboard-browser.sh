#!/usr/bin/env bash
# The dashboard in a real browser (issue 7, §5): headless Chromium
# (Debian's /usr/bin/chromium) driven by playwright-core (tests/web, npm,
# test-only) against a real manager monitoring $T/w as agent 000, with
# VirusTotal through the emulator and the quarantine bound to 87105.
# tests/web/browser.mjs logs in, drops EICAR into $T/w itself, sees the FIM
# and 87105 alerts arrive live, filters, opens the detail, checks the
# VirusTotal link, restores the quarantined file, switches to French and
# screenshots every view into $VG_BUILD_DIR/dashboard-screenshots. Missing
# tools fail the test: `make deps` (scripts/install-deps) installs them.
. "$(dirname "$0")/lib.sh"

WEB=$VG_SOURCE_DIR/tests/web
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
command -v node >/dev/null || fail "no node: run scripts/install-deps"
[ -x "$CHROMIUM" ] || fail "no $CHROMIUM: run scripts/install-deps"
[ -f "$WEB/node_modules/playwright-core/package.json" ] ||
	fail "no playwright-core in $WEB/node_modules: run scripts/install-deps"

KEY=e2e-vt-key-browser
start_vt_emulator --key "$KEY:60"
D=$(free_port)
mkdir -p "$T/w"
vt_local_config "$T/manager.conf" "$T/w" "$(vt_integration "$KEY")
<dashboard><port>$D</port></dashboard>
$AR_QUARANTINE"
start_manager "$T/manager.conf"
wait_log 10 "dashboard on http://127.0.0.1:$D/"
wait_log 10 "Enabling integration for: 'virustotal'"
# a file before the browser comes: the first scan is over and realtime on
echo first >"$T/w/first"
wait_alert 20 ".syscheck.path == \"$T/w/first\""

OUT=$VG_BUILD_DIR/dashboard-screenshots
rm -rf "$OUT"
start=$SECONDS
CHROMIUM=$CHROMIUM timeout 120 node "$WEB/browser.mjs" "http://127.0.0.1:$D" \
	"$(cat "$T/home/etc/dashboard.admin.pass")" "$T/w" "$OUT" ||
	fail "the browser test failed (screenshots so far in $OUT)"
echo "browser steps took $((SECONDS - start)) s"

# what the browser did happened on the host
wait_alert 10 '.rule.id == "99914"'
cmp -s "$T/w/TestEICAR.txt" <(write_eicar /dev/stdout) || fail "TestEICAR.txt is not restored"
for v in overview events detail fim virustotal agents french; do
	[ -s "$OUT/$v.png" ] || fail "no screenshot $OUT/$v.png"
done
echo ok
