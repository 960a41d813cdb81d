#!/usr/bin/env bash
# Build the manager pages' browser libraries into sync/server/web/static/vendor.
# The chart library (ECharts) comes from the npm registry through the committed
# package.json + package-lock.json (npm ci: exact versions, integrity-checked);
# the pages load it from the server itself, never from a CDN. The built files are
# git-ignored; `make test`, `make run` and `make web-assets` run this script.
set -euo pipefail
cd "$(dirname "$0")/.."
ASSETS=sync/server/web/assets
VENDOR=sync/server/web/static/vendor
if ! command -v npm >/dev/null 2>&1; then
  echo "error: npm is needed to build the chart library (install the Debian packages nodejs and npm: bash scripts/system-deps.sh)" >&2
  exit 1
fi
npm ci --prefix "$ASSETS" --no-audit --no-fund --ignore-scripts --loglevel=error
mkdir -p "$VENDOR"
DIST="$ASSETS/node_modules/echarts/dist/echarts.common.min.js"
cp "$DIST" "$VENDOR/echarts.min.js.tmp"
mv "$VENDOR/echarts.min.js.tmp" "$VENDOR/echarts.min.js"
cp "$ASSETS/node_modules/echarts/LICENSE" "$VENDOR/ECHARTS-LICENSE.txt"
[ -f "$ASSETS/node_modules/echarts/NOTICE" ] && cp "$ASSETS/node_modules/echarts/NOTICE" "$VENDOR/ECHARTS-NOTICE.txt"
echo "web assets: $(du -h "$VENDOR/echarts.min.js" | cut -f1) echarts $(node -p "require('./$ASSETS/node_modules/echarts/package.json').version") in $VENDOR"
