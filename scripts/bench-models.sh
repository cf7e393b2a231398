#!/usr/bin/env bash
# Throughput of the neural models: burn (this build's backend; add `--features cuda` through
# BENCH_FEATURES=cuda on a GPU machine) against the reference PyTorch implementations on the
# same machine and the same input shapes. Figures go to docs/benchmarks.md by hand, with the
# machine they were measured on.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/fetch-models.sh >/dev/null
features=()
[ -n "${BENCH_FEATURES:-}" ] && features=(--features "$BENCH_FEATURES")
echo "== burn (autovoice-daemon, ${BENCH_FEATURES:-cpu})"
cargo bench -q -p autovoice-daemon-bench "${features[@]}" --bench models -- --warm-up-time 2 --measurement-time 5 2>&1 |
  grep -E '^models/|thrpt:'
if [ -x .tools/refenv/bin/python ]; then
  echo "== reference (torchcrepe 0.0.24 / Resemblyzer 0.1.4, PyTorch CPU)"
  .tools/refenv/bin/python tools/bench_reference.py
else
  echo "== reference skipped: run scripts/model-reference-env.sh first"
fi
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
