#!/usr/bin/env bash
# Builds the go-live evidence from Allure results: RESULTS_DIR OUTPUT_DIR [SECRETS_FILE].
# Installs the pinned Allure 3 into .tools/ when missing or when package-lock.json changed; after that, offline.
set -euo pipefail
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
  echo "usage: $0 RESULTS_DIR OUTPUT_DIR [SECRETS_FILE]" >&2
  exit 64
fi
# Absolute before the cd below, so relative paths mean what the caller meant.
results=$(realpath -m "$1") output=$(realpath -m "$2") secrets=${3:+$(realpath -m "$3")}
cd "$(dirname "$0")/.."

command -v node >/dev/null && command -v npm >/dev/null || { echo "Node 20 and npm are needed for Allure" >&2; exit 2; }
# The stamp holds the hash of the lock file the modules were installed from; a changed lock means reinstall.
stamp=.tools/node_modules/.package-lock.sha256
wanted=$(sha256sum .tools/package-lock.json | cut -d' ' -f1)
if [ ! -x .tools/node_modules/.bin/allure ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  npm ci --prefix .tools --no-audit --no-fund >&2
  echo "$wanted" > "$stamp"
fi

python=.venv/bin/python
[ -x "$python" ] || python=python3
args=(build --results "$results" --output "$output")
[ -n "$secrets" ] && args+=(--secrets-file "$secrets")
exec "$python" -m reporting "${args[@]}"
