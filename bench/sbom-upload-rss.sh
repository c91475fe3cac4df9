#!/usr/bin/env bash
# Peak RSS of a real "rampart serve" while one large SPDX JSON SBOM is
# POSTed to /api/v1/releases/{id}/sbom (import, re-match, policy gate), next
# to the CLI import of the same file. Fresh SQLite data directories.
# Usage: [SERVE_FLAGS="--memory-limit 64MiB"] [BIN=/tmp/x] [NO_CLI=1] bench/sbom-upload-rss.sh [N_PACKAGES] [BOM]
# BIN is where the binary is built (give each worktree its own); NO_CLI=1 skips the CLI part.
# 640,000 SPDX packages are ~500 MB; the default 190,000 ~150 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/serve.sh
N=${1:-190000}
BOM=${2:-/tmp/bom-$N.spdx.json}
BIN=${BIN:-/tmp/rampart-bench-upload}
go build -o "$BIN" ./cmd/rampart
[ -f "$BOM" ] || go run ./bench/sbomgen -n "$N" -format spdx -o "$BOM"
ls -l "$BOM"
DATA=$(mktemp -d /tmp/rampart-upload.XXXXXX)
# A one-component SBOM creates product "Bench" release 1 (id 1).
printf '{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"type":"library","name":"seed","version":"1"}]}' > "$DATA/seed.cdx.json"
"$BIN" sbom import "$DATA/seed.cdx.json" --product Bench --release 1 --no-rematch --data "$DATA" > /dev/null
printf '%s\n' 'plinth ribbon otter granite quarry' | "$BIN" user add --data "$DATA" --name bench --role admin --password-stdin > /dev/null
TOKEN=$("$BIN" token create --user bench --name bench --expires 1h --data "$DATA")
# shellcheck disable=SC2086
start_serve "$BIN" "$DATA" --vulndb-offline ${SERVE_FLAGS:-}
IDLE=$(grep VmHWM /proc/$PID/status | awk '{print $2}')
START=$(date +%s)
CODE=$(curl -s -o "$DATA/answer.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
  --data-binary "@$BOM" "http://127.0.0.1:$PORT/api/v1/releases/1/sbom?filename=$(basename "$BOM")")
END=$(date +%s)
HWM=$(grep VmHWM /proc/$PID/status | awk '{print $2}')
RSS=$(grep VmRSS /proc/$PID/status | awk '{print $2}')
kill "$PID"; wait "$PID" 2> /dev/null || true
echo "API upload: HTTP $CODE $(head -c 200 "$DATA/answer.json")"
echo "API upload: peak RSS $((HWM / 1024)) MB (idle $((IDLE / 1024)) MB, after $((RSS / 1024)) MB), $((END - START)) s; load $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$DATA"
[ -n "${NO_CLI:-}" ] && exit 0
DATA=$(mktemp -d /tmp/rampart-upload.XXXXXX)
/usr/bin/time -v "$BIN" sbom import "$BOM" --product Bench --release 1 --data "$DATA" > /dev/null 2> "$DATA/time"
echo "CLI import (with re-match): peak RSS $(awk '/Maximum resident/ {print int($6/1024)}' "$DATA/time") MB, $(awk -F': ' '/Elapsed/ {print $2}' "$DATA/time") wall; load $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$DATA"
