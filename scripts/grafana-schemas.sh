#!/usr/bin/env bash
# Derives the JSON Schemas `avctl validate` checks dashboards against from Grafana's own npm
# packages (Apache-2.0), pinned and checksummed, into .tools/grafana-schemas/<version>/:
#   @grafana/schema  dashboard, panel-options and Prometheus-query TypeScript types, converted
#                    to JSON Schema (draft-07) by ts-json-schema-generator (tools/grafana-schemas/
#                    pins it with a lock file);
#   @grafana/data    the unit ids of its value formats (valueFormats/categories.js).
# Nothing third-party is committed; the result is cached and rebuilt when this script changes.
set -euo pipefail
cd "$(dirname "$0")/.."

version=10.4.2   # the Grafana version the compose stack runs (specs/stack.yaml)
schema_sha=a349a2da760b184a3a92a993d9161ef29f429ec8c2c6e99d99176a7a225d86ff
data_sha=cc7873487c0efbcbb51bf5b073c0131aeb7fdf9286f557b317f3b884a78e2375
out=.tools/grafana-schemas/$version
work=.tools/grafana-npm
stamp="$(sha256sum "$0" tools/grafana-schemas/package-lock.json | sha256sum | cut -c1-16)"
if [ -f "$out/.stamp" ] && [ "$(cat "$out/.stamp")" = "$stamp" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "grafana-schemas: npm (Node.js 18+) is needed" >&2; exit 1; }
echo "grafana-schemas: deriving Grafana $version schemas into $out"
mkdir -p "$work/dl"
cp tools/grafana-schemas/package.json tools/grafana-schemas/package-lock.json tools/grafana-schemas/tsconfig.json "$work/"
(cd "$work" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

fetch() { # package version sha256 -> extracted under $work/pkg/<name>
  local pkg=$1 ver=$2 sha=$3 name=${1#@grafana/}
  local tgz="$work/dl/grafana-$name-$ver.tgz"
  if [ ! -f "$tgz" ] || ! echo "$sha  $tgz" | sha256sum -c --status; then
    (cd "$work/dl" && npm pack --silent "$pkg@$ver" >/dev/null)
  fi
  if ! echo "$sha  $tgz" | sha256sum -c --status; then
    echo "grafana-schemas: $pkg@$ver does not match its pinned SHA-256 ($sha)" >&2
    exit 1
  fi
  rm -rf "$work/pkg/$name" && mkdir -p "$work/pkg/$name"
  tar xzf "$tgz" -C "$work/pkg/$name" --strip-components=1
}
fetch @grafana/schema "$version" "$schema_sha"
fetch @grafana/data "$version" "$data_sha"
# The panel types import `@grafana/schema` itself; resolve it to the pinned copy.
mkdir -p "$work/node_modules/@grafana"
rm -rf "$work/node_modules/@grafana/schema"
cp -r "$work/pkg/schema" "$work/node_modules/@grafana/schema"

mkdir -p .tools/grafana-schemas
tmp="$(mktemp -d .tools/grafana-schemas/.partial.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
raw="node_modules/@grafana/schema/dist/esm/raw"
convert() { # output-name path-under-raw
  (cd "$work" && npx --no-install ts-json-schema-generator --tsconfig tsconfig.json --no-type-check \
    --type '*' --path "$raw/$2" -o "$OLDPWD/$tmp/$1.jsonschema.json")
}
convert dashboard dashboard/x/dashboard_types.gen.d.ts
for panel in timeseries:TimeSeries stat:Stat gauge:Gauge bargauge:BarGauge table:Table text:Text heatmap:Heatmap; do
  convert "${panel%%:*}" "composable/${panel%%:*}/panelcfg/x/${panel#*:}PanelCfg_types.gen.d.ts"
done
convert prometheus composable/prometheus/dataquery/x/PrometheusDataQuery_types.gen.d.ts
# Unit ids: every `id: "..."` of the value-format categories, as one enum.
python3 - "$work/pkg/data/dist/esm/valueFormats/categories.js" "$tmp/units.jsonschema.json" <<'PY'
import json, re, sys
ids = sorted(set(re.findall(r'\bid: "([^"]+)"', open(sys.argv[1]).read())))
if len(ids) < 100:
    sys.exit(f"grafana-schemas: only {len(ids)} unit ids found in {sys.argv[1]}")
doc = {"$schema": "http://json-schema.org/draft-07/schema#",
       "definitions": {"Unit": {"type": "string", "enum": ids}}}
json.dump(doc, open(sys.argv[2], "w"), indent=1)
PY
cp "$work/pkg/schema/LICENSE" "$tmp/LICENSE" 2>/dev/null || true
printf 'Derived by scripts/grafana-schemas.sh from @grafana/schema@%s and @grafana/data@%s (Apache-2.0).\n' \
  "$version" "$version" > "$tmp/README"
echo "$stamp" > "$tmp/.stamp"
rm -rf "$out" && mv "$tmp" "$out"
trap - EXIT
echo "grafana-schemas: $(ls "$out" | grep -c jsonschema) schemas, $(python3 -c "import json;print(len(json.load(open('$out/units.jsonschema.json'))['definitions']['Unit']['enum']))") unit ids"
