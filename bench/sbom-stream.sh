#!/usr/bin/env bash
# Whole-command import of a ~500 MB SBOM (streamed: above
# sbom.StreamThreshold) into a fresh SQLite store: wall time and peak RSS
# (GNU time -v). Usage: [FORMAT=json|xml|spdx|spdx3] [WITH_REMATCH=1] bench/sbom-stream.sh [N_COMPONENTS]
# ~500 MB documents: 930,000 components as CycloneDX JSON (the default),
# 811,000 as CycloneDX XML, 640,000 as SPDX JSON, 220,000 packages (1.5 M
# elements, 660,000 of them files) as SPDX 3 JSON-LD.
set -euo pipefail
cd "$(dirname "$0")/.."
FORMAT=${FORMAT:-json}
case "$FORMAT" in
  json) N=${1:-930000}; EXT=cdx.json ;;
  xml) N=${1:-811000}; EXT=cdx.xml ;;
  spdx) N=${1:-640000}; EXT=spdx.json ;;
  spdx3) N=${1:-220000}; EXT=spdx3.json ;;
  *) echo "FORMAT must be json, xml, spdx or spdx3" >&2; exit 2 ;;
esac
BIN=/tmp/rampart-bench-stream
go build -o "$BIN" ./cmd/rampart
BOM=/tmp/bom-$N.$EXT
[ -f "$BOM" ] || go run ./bench/sbomgen -n "$N" -format "$FORMAT" -o "$BOM"
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
