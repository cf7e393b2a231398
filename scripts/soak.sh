#!/usr/bin/env bash
# Soak test (not part of the test command): starts the release daemon on its CPU default with
# the real models, then runs scripts/soak.py against it for SOAK_MINUTES (default 10) with
# SOAK_CLIENTS (default 6) clients on --concurrency 2 --queue 2, so some requests are refused
# as overload, plus slow clients; a 32 MiB synthesis cache. Writes the report to SOAK_OUT (default target/soak.json) and
# exits 1 when the verdict fails. Figures from a run are in docs/soak.md.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${SOAK_MINUTES:-10}
clients=${SOAK_CLIENTS:-6}
out=${SOAK_OUT:-target/soak.json}
[ -x target/release/autovoiced ] || cargo build --release --locked -p autovoice-daemon
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
log=$(mktemp)
# A 32 MiB cache fills in the first minutes, so growth after the warm-up is not the cache.
./target/release/autovoiced --listen "127.0.0.1:$port" --concurrency 2 --queue 2 --models-dir models \
  --cache-bytes $((32 * 1024 * 1024)) \
  > "$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 600); do
  if curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1; then break; fi
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/ready" >/dev/null
echo "soak: daemon $pid on :$port ready; $minutes min with $clients clients"
python3 scripts/soak.py --port "$port" --pid "$pid" --minutes "$minutes" --clients "$clients" --out "$out"
