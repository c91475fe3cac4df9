# Sourced by the bench scripts (not run on its own).
#
# start_serve BIN DATA [FLAG...] starts "BIN serve --data DATA" on a random
# loopback port with FLAGs, its output in DATA/serve.log, in the background
# of the calling shell; sets PORT and PID and returns once /healthz answers
# (or after 10 s).
start_serve() {
  local bin=$1 data=$2
  shift 2
  PORT=$((20000 + RANDOM % 20000))
  "$bin" serve --data "$data" --listen "127.0.0.1:$PORT" "$@" > "$data/serve.log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1 && break
    sleep 0.1
  done
}
