#!/usr/bin/env bash
# Findings list API latency with 1,000,000 findings in SQLite, measured with
# wrk on loopback. Usage: bench/findings-api.sh [DATA_DIR]
# Needs wrk (apt-get install wrk). Prints wrk's latency distribution.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-/tmp/rampart-bench-1m}
BIN=/tmp/rampart-bench
go build -o "$BIN" ./cmd/rampart
if [ ! -f "$DATA/rampart.db" ]; then
  go run ./bench/reportgen -format sarif -n 100000 > /tmp/bench-100k.sarif
  for i in $(seq 1 10); do
    "$BIN" scan import /tmp/bench-100k.sarif --product "Product $((i % 3))" --release "1.$i" --data "$DATA" | tail -1
  done
fi
printf '%s\n' 'benchmark passphrase for wrk' | "$BIN" user add --name bench --role viewer --password-stdin --data "$DATA" 2>/dev/null || true
TOKEN=$("$BIN" token create --user bench --name wrk --expires 1h --data "$DATA")
"$BIN" serve --listen 127.0.0.1:18111 --data "$DATA" --log-format json 2>/dev/null > /tmp/bench-serve.out &
PID=$!
trap 'kill $PID' EXIT
# Wait until the server answers (a cold 1M-finding database can take longer
# than a fixed sleep; wrk against a server still starting measures nothing).
for _ in $(seq 1 60); do
  curl -sf -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:18111/api/v1/findings?limit=1" && break
  sleep 1
done
for q in "status=active&limit=50" "status=active&severity=high&limit=50" "sort=due&limit=50" "sort=severity&limit=50" "release=3&status=active&limit=50" "q=zzqxj-nomatch&limit=50" "q=synthetic&limit=50" "q=rg007&limit=50"; do
  echo "== GET /api/v1/findings?$q"
  wrk -t2 -c8 -d15s --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:18111/api/v1/findings?$q" | grep -E "Latency|50%|90%|99%|Requests/sec"
done
