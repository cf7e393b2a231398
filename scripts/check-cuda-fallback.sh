#!/usr/bin/env bash
# The CUDA build and its fallback, on demand (not in the test command: it compiles burn's CUDA
# backend, cubecl and cudarc as well, 20-odd minutes on 2 cores). Builds the daemon with
# `--features cuda` into target/cuda (the CPU build in target/ is left alone), linted like the
# test command's build, and runs the engine's unit tests and the backend tests
# (daemon-tests/tests/suite/backend.rs, daemon/tests/binary/backend.rs) with it. On a machine
# without a GPU they prove the fallback: CUDA is probed for real, fails, and the daemon serves
# on the CPU with the reason in its log,
# /ready and the autovoice_compute_backend gauge; `--backend cuda` refuses to start. On a GPU
# machine the same tests expect CUDA to be chosen.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target/cuda}
clippy_driver=$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver || true)
if [ -n "$clippy_driver" ]; then
  export RUSTC_WORKSPACE_WRAPPER=$clippy_driver CLIPPY_ARGS=-Dwarnings
fi
# The engine's unit tests and the in-process backend tests are in daemon-tests/ (its `cuda`
# feature turns on the daemon's); the binary's backend tests (its log line, the refusal) are in
# the daemon's package, which builds `autovoiced` for them.
cargo test --release --locked -p autovoice-daemon -p autovoice-daemon-tests \
  --features autovoice-daemon-tests/cuda --test suite --test binary -- units::engine backend::
echo "check-cuda-fallback: the CUDA build chose its backend as this machine allows"
