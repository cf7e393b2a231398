#!/usr/bin/env bash
# Runs every check and test: formatting, lints, unit/snapshot/integration tests (with the real
# promtool, docker-compose, check-jsonschema and Grafana's registry-derived schemas), the
# generated-output drift check, the end-to-end test and the README's curl examples against a
# live daemon. Everything is compiled once, in the release profile: the unit tests, the
# binaries the end-to-end test runs and the main job share one build of burn. Set
# AVCTL_TEST_TIMES=FILE to append each stage's wall time to FILE.
set -euo pipefail
cd "$(dirname "$0")/.."

stage() { # name command...
  local name=$1 start=$SECONDS
  shift
  echo "test.sh: == $name"
  "$@"
  if [ -n "${AVCTL_TEST_TIMES:-}" ]; then echo "$name $((SECONDS - start))" >> "$AVCTL_TEST_TIMES"; fi
}

stage setup bash scripts/setup.sh
stage fmt cargo fmt --all -- --check
stage clippy cargo clippy --workspace --all-targets --locked -- -D warnings
# `--workspace` with the same flags everywhere below, so no step re-resolves features and
# rebuilds a dependency; `cargo test` builds avctl's and autovoiced's binaries for their tests.
stage test-build cargo test --workspace --release --locked --no-run
stage tests cargo test --workspace --release --locked
stage validate ./target/release/avctl validate --deny-warnings
stage generate-check ./target/release/avctl generate --check --no-cache
stage promtool-tests ./target/release/avctl test -q
# End to end: the generated config in a real Prometheus 2.42 scraping real daemons (tests/e2e.rs).
stage e2e cargo test --workspace --release --locked --test e2e -- --ignored --nocapture
stage readme bash scripts/check-readme.sh
echo "test.sh: all checks passed"
