#!/usr/bin/env bash
# Installs the pinned Allure 3 (npm) into .tools/ when missing or when package-lock.json changed; then offline.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v node >/dev/null && command -v npm >/dev/null || { echo "Node 20 and npm are needed for Allure" >&2; exit 2; }
# The stamp holds the hash of the lock file the modules were installed from; a changed lock means reinstall.
stamp=.tools/node_modules/.package-lock.sha256
wanted=$(sha256sum .tools/package-lock.json | cut -d' ' -f1)
if [ ! -x .tools/node_modules/.bin/allure ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  npm ci --prefix .tools --no-audit --no-fund >&2
  echo "$wanted" > "$stamp"
fi
