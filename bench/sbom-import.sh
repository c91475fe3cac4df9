#!/usr/bin/env bash
# Whole-command import of a 10,000-component CycloneDX JSON SBOM into a
# fresh SQLite store: wall time and peak RSS (GNU time), five runs.
# Usage: bench/sbom-import.sh [N_COMPONENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
BIN=/tmp/rampart-bench
go build -o "$BIN" ./cmd/rampart
go run ./bench/sbomgen -n "$N" -o /tmp/bom-$N.cdx.json
for i in 1 2 3 4 5; do
  rm -rf /tmp/rampart-bench-import
  /usr/bin/time -f "run $i: %e s wall, %M KB peak RSS" "$BIN" sbom import /tmp/bom-$N.cdx.json \
      --product Bench --release 1 --data /tmp/rampart-bench-import > /dev/null
done
# Go benchmarks: the import alone (decode, validate, store) and portfolio search.
go test -run '^$' -bench 'Import10kSQLite|SearchPortfolio' -benchtime 5x -benchmem ./internal/portfolio/
