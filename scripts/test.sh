#!/usr/bin/env bash
# Runs every check and test: formatting, lints, unit/snapshot/integration tests (with the real
# promtool, docker-compose and check-jsonschema), the generated-output drift check, and the
# README's curl examples against a live daemon.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export AVCTL_GRAFANA_SCHEMAS="${AVCTL_GRAFANA_SCHEMAS:-$(cd .. && pwd)/shared/schemas/grafana}"

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
cargo build --release --locked -q -p avctl -p autovoice-daemon
./target/release/avctl validate
./target/release/avctl generate --check --no-cache
./target/release/avctl test -q
# End to end: the generated config in a real Prometheus 2.42 scraping real daemons (tests/e2e.rs).
cargo test -p autovoice-e2e --locked -- --ignored --nocapture
bash scripts/check-readme.sh
echo "test.sh: all checks passed"
