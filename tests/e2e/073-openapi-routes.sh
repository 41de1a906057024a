#!/usr/bin/env bash
# docs/openapi.yaml and docs/api.md describe every route the manager serves
# (src/manager/api.c's table), and nothing it does not serve.
set -euo pipefail
src=${VG_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
routes=$(grep -o '"/api/[^"]*"' "$src/src/manager/api.c" | tr -d '"' | sort -u)
paths=$(grep -o '^  /api/[^:]*' "$src/docs/openapi.yaml" | sed 's/^  //' | sort -u)
[ -n "$routes" ] || { echo "FAIL: no routes found in api.c"; exit 1; }
[ "$routes" = "$paths" ] || {
	echo "FAIL: api.c and openapi.yaml differ:"
	diff <(echo "$routes") <(echo "$paths") || true
	exit 1
}
for r in $routes; do
	grep -qF "$r" "$src/docs/api.md" || { echo "FAIL: docs/api.md does not name $r"; exit 1; }
done
echo ok
