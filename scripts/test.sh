#!/usr/bin/env bash
# Runs every check and test: formatting, lints (clippy, inside the build; hadolint), unit/snapshot/integration tests (with the real
# promtool, docker-compose, check-jsonschema and Grafana's registry-derived schemas), the
# generated-output drift check, the end-to-end test, the container stack test (podman) and the
# README's curl examples against a live daemon. Everything is compiled once, in the release profile: the unit tests, the
# binaries the end-to-end test runs and the main job share one build of burn. Set
# AVCTL_TEST_TIMES=FILE to append each stage's wall time and CPU seconds to FILE.
set -euo pipefail
cd "$(dirname "$0")/.."

# CPU seconds (user + system) used so far by this shell's waited-for children (cutime and
# cstime in /proc/PID/stat): wall time varies between runs on these shared machines by
# minutes, CPU time much less.
tick=$(getconf CLK_TCK)
cpu_secs() {
  awk -v tick="$tick" '{ printf "%.0f", ($16 + $17) / tick }' "/proc/$$/stat"
}
stage() { # name command...
  local name=$1 start=$SECONDS cpu
  cpu=$(cpu_secs)
  shift
  echo "test.sh: == $name"
  "$@"
  if [ -n "${AVCTL_TEST_TIMES:-}" ]; then
    echo "$name $((SECONDS - start)) s wall, $(($(cpu_secs) - cpu)) CPU-s" >> "$AVCTL_TEST_TIMES"
  fi
}

stage setup-system bash scripts/setup.sh system
# The rest of the setup (pip and npm installs, the Grafana schemas, the model weights: mostly
# downloads and unpacking) runs beside the build, which needs none of it; the tests wait for it.
setup_log=$(mktemp)
bash scripts/setup.sh tools > "$setup_log" 2>&1 &
setup_pid=$!
trap 'kill "$setup_pid" 2>/dev/null || true; rm -f "$setup_log"' EXIT
setup_tools() {
  local rc=0
  wait "$setup_pid" || rc=$?
  cat "$setup_log"
  if [ "$rc" -ne 0 ]; then echo "test.sh: scripts/setup.sh tools failed (exit $rc)" >&2; fi
  return "$rc"
}
stage fmt cargo fmt --all -- --check
# Clippy runs inside the one release build instead of a second (check) compile of the
# workspace: clippy-driver wraps rustc for the workspace's own crates only (dependencies compile
# as usual), and CLIPPY_ARGS carries `-D warnings` to it as `cargo clippy -- -D warnings` does.
# `--tests --benches --examples` lints what `cargo clippy --all-targets` lints: libraries,
# binaries, tests, benches, examples and build scripts (the daemon's benches at opt-level 0: only
# linted and compiled here, see Cargo.toml). Not `--all-targets`, which would also compile the
# daemon's library in test mode although it has `test = false` (its tests are the package
# daemon-tests/; compiling the library again, at opt-level 3, took 71 CPU-seconds). Every cargo
# call below runs with the same wrapper, so none rebuilds.
clippy_driver=$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver || true)
if [ -z "$clippy_driver" ]; then
  echo "test.sh: clippy-driver not found; install it with \`rustup component add clippy\`" >&2
  exit 1
fi
export RUSTC_WORKSPACE_WRAPPER=$clippy_driver CLIPPY_ARGS=-Dwarnings
# `--workspace` with the same flags everywhere below, so no step re-resolves features and
# rebuilds a dependency; `cargo test` builds avctl's and autovoiced's binaries for their tests.
stage clippy-and-build cargo test --workspace --release --locked --tests --benches --examples --no-run
stage setup-tools setup_tools
# Runs a background command beside a foreground one; both must pass. The background one's
# output is kept in a log and shown after the foreground one's.
# Usage: beside WHAT BESIDE_WHAT BACKGROUND... ::: FOREGROUND...
beside() {
  local what=$1 fg_what=$2 log rc=0 pid bg=()
  shift 2
  while [ "$1" != ":::" ]; do bg+=("$1"); shift; done
  shift
  log=$(mktemp)
  "${bg[@]}" > "$log" 2>&1 &
  pid=$!
  "$@" || rc=$?
  if ! wait "$pid"; then
    rc=1
    echo "test.sh: $what failed:"
  fi
  echo "test.sh: == $what (ran beside $fg_what)"
  cat "$log"
  rm -f "$log"
  return "$rc"
}
# The unit and integration tests, beside the build of the container stack test's images
# (tests/stack.rs: the base image made with debootstrap from the Debian mirror, the stand-ins'
# packages installed, the daemon image; over a minute on a fresh machine, mostly waiting on the
# mirror and the disk). The tests leave about a third of the CPU idle. The promtool mutation
# test is left out here and runs beside the container stack test below. A second cargo does not
# wait for the first: cargo holds its build lock only while it builds, and all is built already.
stage tests-beside-images beside "the stack's images" "the tests" \
  cargo test --workspace --release --locked --test stack -- --ignored --exact the_stack_images_build \
  --nocapture ::: cargo test --workspace --release --locked -- --skip generated_tests_kill_every_mutation
stage validate ./target/release/avctl validate --deny-warnings
stage generate-check ./target/release/avctl generate --check --no-cache
stage hadolint .tools/venv/bin/hadolint Dockerfile tests/containers/stand-ins.Containerfile
# `avctl test` (promtool and amtool on every core, about 40 s) runs beside the end-to-end test
# (the generated config in a real Prometheus 2.42 and Alertmanager 0.25 with real daemons,
# tests/e2e.rs), which mostly waits on rule and notification timers.
stage promtool-tests-beside-e2e beside "avctl test" "e2e" ./target/release/avctl test -q \
  ::: cargo test --workspace --release --locked --test e2e -- --ignored --nocapture
# The container stack test (tests/stack.rs: the generated docker-compose.yml brought up with
# podman-compose, its images already built above; about 40 s) mostly waits: on the engine, on
# the daemon in its container and on Prometheus's scrapes. It runs beside the promtool mutation
# test, which has no timers to miss, and not beside the end-to-end test: there its image builds
# slowed that test's daemons past ModelNotLoaded's `for` window, which then fired for a healthy
# daemon still loading its models (measured).
stage mutation-beside-container-stack beside "the promtool mutation test" "the container stack" \
  cargo test --workspace --release --locked --test suite -- mutation::generated_tests_kill_every_mutation \
  ::: cargo test --workspace --release --locked --test stack -- --ignored --exact \
  the_generated_stack_runs_as_the_guide_says --nocapture
stage readme bash scripts/check-readme.sh
echo "test.sh: all checks passed"
