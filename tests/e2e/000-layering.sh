#!/usr/bin/env bash
# The folder is the layer (DESIGN.md): a layer includes only itself and the
# layers below it. lib < fim < ar < agent, manager < cli (ar: the
# active-response executor both daemons run).
set -euo pipefail
src=${VG_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/src
allowed() { # layer -> the include prefixes it may use
	case $1 in
	lib) echo "lib" ;;
	fim) echo "lib fim" ;;
	ar) echo "lib fim ar" ;;
	agent) echo "lib fim ar agent" ;;
	manager) echo "lib fim ar manager" ;;
	cli) echo "lib fim ar manager cli" ;;
	esac
}
bad=0
for dir in "$src"/*/; do
	layer=$(basename "$dir")
	ok=$(allowed "$layer")
	[ -n "$ok" ] || { echo "FAIL: unknown layer src/$layer"; bad=1; continue; }
	while IFS= read -r line; do
		file=${line%%:*}
		inc=$(sed -E 's/.*#include "([^/"]+)\/.*/\1/' <<<"$line")
		case " $ok " in
		*" $inc "*) ;;
		*) echo "FAIL: ${file#"$src"/} includes from $inc/ (a higher layer)"; bad=1 ;;
		esac
	done < <(grep -rH '^#include "[^"]*/' "$dir" || true)
done
[ $bad -eq 0 ] && echo "ok"
exit $bad
