#!/usr/bin/env bash
# Whole-process timings of `avctl generate` (release build): the AutoVoice spec (target < 20 ms)
# and the synthetic 10,000-metric / 5,000-alert / 100x20-panel spec (target < 1 s).
# Criterion benches of the in-process pipeline: `cargo bench -p avctl --bench generate`.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q -p avctl
avctl=$PWD/target/release/avctl
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$avctl" synth --out "$tmp/spec"
mkdir -p "$tmp/out-av" "$tmp/out-synth"

time_ms() { # runs "$@" N times, prints mean and min wall time in ms
  local n=$1; shift; local total=0 min=999999999
  for _ in $(seq "$n"); do
    local t0 t1 d; t0=$(date +%s%N); "$@" >/dev/null 2>&1; t1=$(date +%s%N)
    d=$(( (t1 - t0) / 1000 )); total=$((total + d)); [ "$d" -lt "$min" ] && min=$d
  done
  awk -v t="$total" -v n="$n" -v m="$min" 'BEGIN { printf "mean %.1f ms, min %.1f ms over %d runs\n", t/n/1000, m/1000, n }'
}
# "warm": the previous output's unit tests are current and reused (the usual run: a spec edit
# that leaves alerts and metrics alone, or CI's --check); "cold": tests synthesized afresh.
# Prime both outputs so the warm runs find current tests.
"$avctl" generate --out "$tmp/out-av" -q
"$avctl" --spec "$tmp/spec" generate --out "$tmp/out-synth" -q
echo -n "avctl generate, AutoVoice spec, warm:     "; time_ms 30 "$avctl" generate --out "$tmp/out-av" -q
echo -n "avctl generate, AutoVoice spec, cold:     "; time_ms 10 "$avctl" generate --out "$tmp/out-av" -q --no-cache
echo -n "avctl generate, synthetic 10k spec, warm: "; time_ms 5 "$avctl" --spec "$tmp/spec" generate --out "$tmp/out-synth" -q
echo -n "avctl generate, synthetic 10k spec, cold: "; time_ms 3 "$avctl" --spec "$tmp/spec" generate --out "$tmp/out-synth" -q --no-cache
echo -n "avctl validate, synthetic 10k spec:       "; time_ms 5 "$avctl" --spec "$tmp/spec" validate 2>/dev/null
# The same rules checked by promtool, for comparison (it parses; avctl also resolves against the spec).
echo -n "promtool check rules, same rules:         "; time_ms 5 promtool check rules "$tmp"/out-synth/generated/prometheus/rules/*.yml
