#!/usr/bin/env bash
# `vigie scan` agrees with sha256sum/md5sum/sha1sum on a tree, including
# hostile names, and every output line is valid JSON.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/tree/x/y"
head -c 1000000 /dev/urandom >"$T/tree/big.bin"
: >"$T/tree/empty"
echo hi >"$T/tree/x/y/z.txt"
printf 'nl' >"$T/tree/x/new"$'\n'"line"
printf 'q' >"$T/tree/x/quote\"back\\slash"
printf 'bad' >"$T/tree/x/$(printf 'inv\xffalid')"
mkfifo "$T/tree/fifo"
ln -s /etc/passwd "$T/tree/link"

"$VIGIE" scan "$T/tree" >"$T/out.json" || fail "vigie scan failed"
jq -e . "$T/out.json" >/dev/null || fail "invalid JSON"
n=$(find "$T/tree" -type f -print0 | tr -cd "\\0" | wc -c)
[ "$(jq -s '[.[]|select(.attributes.type=="file")]|length' "$T/out.json")" -eq "$n" ] ||
	fail "expected $n files"
while IFS= read -r -d '' f; do
	want=$(sha256sum <"$f" | cut -d' ' -f1)
	got=$(jq -r --arg p "$f" 'select(.path==$p)|.attributes.hash_sha256' "$T/out.json")
	if [ -z "$got" ]; then # non-UTF-8 name: look it up by path_b64
		b64=$(printf '%s' "$f" | base64 -w0)
		got=$(jq -r --arg b "$b64" 'select(.path_b64==$b)|.attributes.hash_sha256' "$T/out.json")
	fi
	[ "$got" = "$want" ] || fail "sha256 of $(printf %q "$f"): got '$got' want '$want'"
done < <(find "$T/tree" -type f -print0)
[ "$(jq -r 'select(.path|endswith("/big.bin"))|.attributes.hash_md5' "$T/out.json")" = \
	"$(md5sum <"$T/tree/big.bin" | cut -d' ' -f1)" ] || fail "md5 differs"
[ "$(jq -r 'select(.path|endswith("/big.bin"))|.attributes.hash_sha1' "$T/out.json")" = \
	"$(sha1sum <"$T/tree/big.bin" | cut -d' ' -f1)" ] || fail "sha1 differs"
jq -se 'map(select(.path|endswith("/link")))[0].attributes.type=="symlink"' "$T/out.json" >/dev/null ||
	fail "symlink not reported as a symlink"
! grep -q '/fifo"' "$T/out.json" || fail "the FIFO was reported"
echo "ok"
