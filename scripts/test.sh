#!/usr/bin/env bash
# Runs every check and test: formatting, lints, unit/snapshot/integration tests (with the real
# promtool, docker-compose and check-jsonschema), and the generated-output drift check.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export AVCTL_GRAFANA_SCHEMAS="${AVCTL_GRAFANA_SCHEMAS:-$(cd .. && pwd)/shared/schemas/grafana}"

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
cargo build --locked -q -p avctl
./target/debug/avctl validate
./target/debug/avctl generate --check
echo "test.sh: all checks passed"
