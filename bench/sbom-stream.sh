#!/usr/bin/env bash
# Whole-command import of a ~500 MB CycloneDX JSON SBOM (streamed: above
# sbom.StreamThreshold) into a fresh SQLite store: wall time and peak RSS
# (GNU time -v). Usage: [WITH_REMATCH=1] bench/sbom-stream.sh [N_COMPONENTS]
# 930,000 generated components make a ~500 MB document.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-930000}
BIN=/tmp/rampart-bench-stream
go build -o "$BIN" ./cmd/rampart
BOM=/tmp/bom-$N.cdx.json
[ -f "$BOM" ] || go run ./bench/sbomgen -n "$N" -o "$BOM"
ls -l "$BOM"
rm -rf /tmp/rampart-bench-stream-data
# The import alone (decode, validate, store); then, into a second release,
# the whole command with its re-match (which loads the release's components).
/usr/bin/time -v "$BIN" sbom import "$BOM" --product Bench --release 1 --no-rematch --data /tmp/rampart-bench-stream-data 2>/tmp/sbom-stream.time
grep -E "Elapsed|Maximum resident|User time|System time" /tmp/sbom-stream.time
uptime
if [ "${WITH_REMATCH:-0}" = 1 ]; then
  /usr/bin/time -v "$BIN" sbom import "$BOM" --product Bench --release 2 --data /tmp/rampart-bench-stream-data 2>/tmp/sbom-stream.time
  grep -E "Elapsed|Maximum resident|User time|System time" /tmp/sbom-stream.time
fi
uptime
