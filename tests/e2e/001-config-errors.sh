#!/usr/bin/env bash
# A bad ossec.conf stops vigie-agent with file:line and a non-zero status;
# a Wazuh section Vigie does not implement is only a warning.
. "$(dirname "$0")/lib.sh"

cat >"$T/bad.conf" <<'EOC'
<ossec_config>
  <syscheck>
    <frequency>43200</frequency>
    <directories check_al="yes">/tmp</directories>
  </syscheck>
</ossec_config>
EOC
if "$AGENT" -t -c "$T/bad.conf" -D "$T/home" 2>"$T/err"; then
	fail "a bad attribute was accepted"
fi
grep -q "bad.conf:4" "$T/err" || fail "error does not name bad.conf:4: $(cat "$T/err")"
grep -q "check_al" "$T/err" || fail "error does not name the attribute: $(cat "$T/err")"

printf '<ossec_config>\n  <syscheck>\n    <frequency>often</frequency>\n' >"$T/broken.conf"
if "$AGENT" -t -c "$T/broken.conf" -D "$T/home" 2>"$T/err"; then
	fail "malformed XML was accepted"
fi
grep -q "broken.conf:" "$T/err" || fail "no file:line for malformed XML: $(cat "$T/err")"

# <client> (issue 4): Wazuh's names, checked with file:line
cat >"$T/client.conf" <<'EOC'
<ossec_config>
  <client>
    <server>
      <address>manager.example</address>
      <port>70000</port>
    </server>
  </client>
</ossec_config>
EOC
if "$AGENT" -t -c "$T/client.conf" -D "$T/home" 2>"$T/err"; then
	fail "port 70000 was accepted"
fi
grep -q "client.conf:5" "$T/err" || fail "bad <port> not located: $(cat "$T/err")"
sed -i 's/70000/1514/' "$T/client.conf"
"$AGENT" -t -c "$T/client.conf" -D "$T/home" 2>"$T/err" || fail "a good <client> was refused: $(cat "$T/err")"

if "$AGENT" -t -c "$T/missing.conf" -D "$T/home" 2>"$T/err"; then
	fail "a missing file was accepted"
fi
grep -q "missing.conf" "$T/err" || fail "missing file not named"

cat >"$T/wazuh.conf" <<'EOC'
<ossec_config>
  <rootcheck><disabled>no</disabled></rootcheck>
  <syscheck>
    <directories realtime="yes" check_all="yes">/etc,/usr/bin</directories>
    <ignore type="sregex">.log$|.swp$</ignore>
  </syscheck>
</ossec_config>
<ossec_config>
  <localfile><log_format>syslog</log_format><location>/var/log/syslog</location></localfile>
</ossec_config>
EOC
"$AGENT" -t -c "$T/wazuh.conf" -D "$T/home" >"$T/out" 2>"$T/err" ||
	fail "a Wazuh config with unimplemented sections was refused: $(cat "$T/err")"
grep -q "rootcheck" "$T/err" || fail "no warning naming <rootcheck>"
grep -q "2 directories" "$T/out" || fail "directories not counted: $(cat "$T/out")"
echo "ok"
