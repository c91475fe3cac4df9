#!/usr/bin/env bash
# Peak RSS of a real "rampart serve" under 100 parallel sign-ins (issue 11
# defect 3): every sign-in hashes with argon2id (m=64 MiB), the server keeps
# at most identity.HashConcurrency hashes in flight and answers 429 to
# requests that waited longer than identity.HashQueueWait for a slot.
# Each request comes from its own address (X-Forwarded-For from a trusted
# proxy), so the per-source throttle does not refuse them before hashing.
# Usage: bench/signin-rss.sh [PARALLEL] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/serve.sh
N=${1:-100}
RUNS=${2:-3}
BIN=/tmp/rampart-bench-rss
PASS='plinth ribbon otter granite quarry'
go build -o "$BIN" ./cmd/rampart
for run in $(seq "$RUNS"); do
  DATA=$(mktemp -d /tmp/rampart-rss.XXXXXX)
  printf '%s\n' "$PASS" | "$BIN" user add --data "$DATA" --name bench --role admin --password-stdin > /dev/null
  start_serve "$BIN" "$DATA" --trusted-proxy 127.0.0.1/32
  BASE=$(grep VmRSS /proc/$PID/status | awk '{print $2}')
  for i in $(seq "$N"); do
    curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
      -H "X-Forwarded-For: 10.1.$((i / 250)).$((i % 250 + 1))" \
      -d "{\"name\":\"bench\",\"password\":\"$PASS\"}" "http://127.0.0.1:$PORT/api/v1/auth/login" &
  done > "$DATA/codes"
  wait $(jobs -p | grep -v "^$PID\$") 2> /dev/null || true
  HWM=$(grep VmHWM /proc/$PID/status | awk '{print $2}')
  kill "$PID"; wait "$PID" 2> /dev/null || true
  echo "run $run: $N parallel sign-ins: peak RSS $((HWM / 1024)) MB (idle $((BASE / 1024)) MB); answers: $(sort "$DATA/codes" | uniq -c | awk '{printf "%s x %s, ", $1, $2}')load $(cut -d' ' -f1-3 /proc/loadavg)"
  rm -rf "$DATA"
done
