#!/usr/bin/env bash
# Peak RSS of re-matching one large release after a feed update: a
# release of N generated components (default 200,000; bench/sbomgen), then
# `rampart vulndb import` of 200 generated NVD records that match
# components of it (every 999th component's CPE), which re-matches the
# portfolio (measured: the records are imported once before). Usage: bench/rematch-rss.sh [N] [BINARY]
# BINARY defaults to a fresh build of this tree; pass an older build to
# compare.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
BIN=${2:-/tmp/rampart-bench-rematch}
if [ -z "${2:-}" ]; then go build -o "$BIN" ./cmd/rampart; fi
BOM=/tmp/bom-$N.cdx.json
[ -f "$BOM" ] || go run ./bench/sbomgen -n "$N" -o "$BOM"
SEED=/tmp/rampart-bench-rematch-seed-$N
if [ ! -d "$SEED" ]; then
  "$BIN" sbom import "$BOM" --product Bench --release 1 --no-rematch --data "$SEED.tmp" >/dev/null
  mv "$SEED.tmp" "$SEED"
fi
FEED=/tmp/rampart-bench-rematch-feed
rm -rf "$FEED"; mkdir -p "$FEED"
# Components i with i % 3 == 0 carry cpe:2.3:a:vendor{i%50}:pkg-{i:06}:1.{i%13}.{i%7}.
for k in $(seq 0 199); do
  i=$((k * 999)); i=$((i - i % 3))
  printf '{"id":"CVE-2099-%05d","published":"2026-01-01T00:00:00.000","lastModified":"2026-01-01T00:00:00.000","vulnStatus":"Analyzed","descriptions":[{"lang":"en","value":"synthetic"}],"metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","baseScore":9.8,"baseSeverity":"CRITICAL"}}]},"configurations":[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[{"vulnerable":true,"criteria":"cpe:2.3:a:vendor%d:pkg-%06d:*:*:*:*:*:*:*:*","versionEndExcluding":"9.0"}]}]}],"references":[]}\n' \
    "$k" $((i % 50)) "$i" > "$FEED/CVE-2099-$k.json"
done
DATA=/tmp/rampart-bench-rematch-data
rm -rf "$DATA"; cp -r "$SEED" "$DATA"
# Import the feed first without the re-match (this also applies the
# binary's migrations), so the measured run is the re-match.
"$BIN" vulndb import "$FEED" --no-rematch --data "$DATA" >/dev/null
uptime
/usr/bin/time -f "%e s wall, %U s user, %M KB peak RSS" "$BIN" vulndb import "$FEED" --data "$DATA"
uptime
