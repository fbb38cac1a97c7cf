#!/usr/bin/env bash
# Installs the pinned Allure 3 (npm) into .tools/ when missing or when package-lock.json changed; then offline.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v node >/dev/null && command -v npm >/dev/null || { echo "Node 20 and npm are needed for Allure" >&2; exit 2; }
# The stamp holds the hash of the lock file the modules were installed from; a changed lock means reinstall.
stamp=.tools/node_modules/.package-lock.sha256
wanted=$(sha256sum .tools/package-lock.json | cut -d' ' -f1)
if [ ! -x .tools/node_modules/.bin/allure ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "installing dependencies (first run only)… Allure 3 report tools into .tools/ (npm)" >&2
  # Labelled, so npm's lines are not read as the suite's; pipefail keeps npm's exit status.
  npm ci --prefix .tools --no-audit --no-fund 2>&1 | sed -u 's/^/[npm] /' >&2
  echo "$wanted" > "$stamp"
fi
