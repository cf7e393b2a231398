#!/usr/bin/env bash
# The main job: generate the monitoring stack from specs/, validate it with avctl and the real
# tools (promtool, amtool, docker-compose, the compose-spec schema, Grafana's dashboard schemas,
# kustomize and the Kubernetes schemas), then
# start the daemon on its CPU default at http://127.0.0.1:5000 (Ctrl-C stops it cleanly).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --locked -q -p avctl -p autovoice-daemon
avctl=./target/release/avctl
$avctl validate
$avctl generate
promtool check config generated/prometheus/prometheus.yml
promtool check rules generated/prometheus/rules/*.yml
amtool check-config generated/alertmanager/alertmanager.yml
GRAFANA_ADMIN_PASSWORD="${GRAFANA_ADMIN_PASSWORD:-placeholder-for-config-check}" docker-compose -f docker-compose.yml config -q
.tools/venv/bin/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml
if [ -d generated/kubernetes ]; then
  for k in generated/kubernetes/base generated/kubernetes/overlays/*/; do
    kubectl kustomize "$k" | .tools/venv/bin/kubernetes-validate --strict -k 1.30.0 --quiet --no-warn - \
      || { echo "run.sh: $k does not validate" >&2; exit 1; }
  done
fi
echo "run.sh: stack generated and validated; starting the daemon on ${AUTOVOICE_LISTEN:-127.0.0.1:5000}"
exec ./target/release/autovoiced "$@"
