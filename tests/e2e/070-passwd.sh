#!/usr/bin/env bash
# `vigie passwd` (docs/dashboard-users.md): set admin's password from
# standard input, change it, add a user, and through a terminal (echo off,
# asked twice); the users file stays 0600 and holds scrypt hashes that an
# independent scrypt (Python's hashlib) verifies, the old password no longer
# verifies, and no password ever appears in the file or in any output.
# Refusals: a short password, a mismatch, no terminal without --stdin (1);
# bad names and arguments (2); the file is then left as it was.
. "$(dirname "$0")/lib.sh"

H=$T/home
U=$H/etc/dashboard.users
mkdir -p "$H"
PW1='first-Secret-1234'
PW2='second Secret 5678'
PW3='third-secret-9012'

# expect STATUS CMD...: run CMD, fail unless it exits with STATUS; output in
# $T/out and $T/err, which must never hold a password
expect() {
	local want=$1 rc=0
	shift
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq "$want" ] || fail "'$*' exited $rc, not $want: $(cat "$T/out" "$T/err")"
	no_secret "$T/out" "$T/err"
}
no_secret() {
	local f
	for f in "$@"; do
		! grep -qF -e "$PW1" -e "$PW2" -e "$PW3" -e 'short1' "$f" ||
			fail "a password is in $f"
	done
}
mode_is_0600() {
	[ "$(stat -c %a "$U")" = 600 ] || fail "$U has mode $(stat -c %a "$U")"
}
# verifies USER PASSWORD: exit 0 when the file's hash of USER is PASSWORD's
verifies() {
	python3 - "$U" "$1" "$2" <<'EOF'
import base64, hashlib, re, sys
path, user, pw = sys.argv[1:4]
for line in open(path):
    name, _, h = line.rstrip("\n").partition(":")
    if name != user:
        continue
    m = re.fullmatch(r"\$scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([^$]+)\$([^$]+)", h)
    n, r, p = int(m[1]), int(m[2]), int(m[3])
    salt, key = base64.b64decode(m[4]), base64.b64decode(m[5])
    got = hashlib.scrypt(pw.encode(), salt=salt, n=n, r=r, p=p,
                         maxmem=256 * 1024 * 1024, dklen=len(key))
    sys.exit(0 if got == key else 1)
sys.exit(2)
EOF
}
pw() { "$VIGIE" passwd -D "$H" "$@"; }

# set from standard input: created, 0600, an scrypt hash of the password
expect 0 pw --stdin admin <<<"$PW1"
grep -q "password of admin set" "$T/out" || fail "no confirmation: $(cat "$T/out")"
mode_is_0600
grep -Eq '^admin:\$scrypt\$N=32768,r=8,p=1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$' "$U" ||
	fail "not an scrypt line: $(cat "$U")"
verifies admin "$PW1" || fail "the hash does not verify"
no_secret "$U"
BEFORE=$(cat "$U")

# changed: the file is replaced, the old password no longer verifies
expect 0 pw --stdin admin <<<"$PW2"
[ "$(cat "$U")" != "$BEFORE" ] || fail "the file did not change"
mode_is_0600
verifies admin "$PW2" || fail "the new password does not verify"
! verifies admin "$PW1" || fail "the old password still verifies"

# a second user, admin kept
expect 0 pw --stdin alice.ops <<<"$PW3"
[ "$(grep -c . "$U")" = 2 ] || fail "expected 2 users: $(cat "$U")"
verifies alice.ops "$PW3" || fail "alice's password does not verify"
verifies admin "$PW2" || fail "admin's password was lost"
no_secret "$U"

# refusals leave the file as it was
BEFORE=$(cat "$U")
expect 1 pw --stdin admin <<<"short1"
grep -q "at least 8" "$T/err" || fail "short: $(cat "$T/err")"
expect 1 pw --stdin admin </dev/null
expect 1 setsid -w "$VIGIE" passwd -D "$H" admin </dev/null
grep -q -- "--stdin" "$T/err" || fail "no terminal: $(cat "$T/err")"
expect 1 "$VIGIE" passwd --stdin -D "$T/nowhere" admin <<<"$PW1"
expect 2 pw --stdin 'bad name' <<<"$PW1"
expect 2 pw --stdin 'a:b' <<<"$PW1"
expect 2 pw --stdin <<<"$PW1"
expect 2 pw --stdin admin alice <<<"$PW1"
expect 2 pw --bogus admin
[ "$(cat "$U")" = "$BEFORE" ] || fail "a refused command changed $U"
expect 0 pw --help
grep -q "Exit status" "$T/out" || fail "--help: $(cat "$T/out")"

# through a terminal: asked twice without echo; a mismatch changes nothing
if command -v script >/dev/null; then
	{
		sleep 1
		printf '%s\n' "$PW1"
		sleep 0.5
		printf '%s\n' "$PW1"
	} | script -qec "$VIGIE passwd -D $H admin" /dev/null >"$T/tty" 2>&1 ||
		fail "terminal: $(cat "$T/tty")"
	grep -q "New password for admin" "$T/tty" || fail "no prompt: $(cat "$T/tty")"
	no_secret "$T/tty"
	verifies admin "$PW1" || fail "the password typed on the terminal does not verify"
	BEFORE=$(cat "$U")
	rc=0
	{
		sleep 1
		printf '%s\n' "$PW2"
		sleep 0.5
		printf '%s\n' "$PW3"
	} | script -qec "$VIGIE passwd -D $H admin" /dev/null >"$T/tty" 2>&1 || rc=$?
	[ "$rc" -eq 1 ] || fail "a mismatch exited $rc: $(cat "$T/tty")"
	grep -q "do not match" "$T/tty" || fail "mismatch: $(cat "$T/tty")"
	no_secret "$T/tty"
	[ "$(cat "$U")" = "$BEFORE" ] || fail "a mismatch changed $U"
fi
mode_is_0600
echo "ok: vigie passwd"
