#!/usr/bin/env bash
# Runs the README's curl examples, as written, against a freshly started daemon on
# 127.0.0.1:5000. Fails if any example fails. Expects a release build of autovoiced.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp=$(mktemp -d)
"$root/target/release/autovoiced" --listen 127.0.0.1:5000 > "$tmp/daemon.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 300); do
  curl -fsS http://127.0.0.1:5000/ready >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { cat "$tmp/daemon.log"; echo "daemon exited"; exit 1; }
  sleep 0.1
done
# The examples: every line starting with `curl ` between the curl-examples markers.
sed -n '/<!-- curl-examples -->/,/<!-- \/curl-examples -->/p' "$root/README.md" | grep '^curl ' > "$tmp/examples.sh"
[ -s "$tmp/examples.sh" ] || { echo "no curl examples found in README.md"; exit 1; }
cd "$tmp"
n=0
while IFS= read -r line; do
  n=$((n + 1))
  echo "example $n: $line"
  bash -euo pipefail -c "$line" > "$tmp/out.$n" || { echo "FAILED: $line"; cat "$tmp/out.$n"; exit 1; }
done < "$tmp/examples.sh"
python3 - "$tmp/hello.wav" "$tmp/converted.wav" <<'PY'
import sys, wave
for p in sys.argv[1:]:
    with wave.open(p) as w:
        assert w.getframerate() == 22050 and w.getnframes() > 10000, p
print("check-readme: WAV outputs are valid")
PY
echo "check-readme: $n curl examples passed"
