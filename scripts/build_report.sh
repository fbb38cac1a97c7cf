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

bash scripts/install_tools.sh || exit 2

python=.venv/bin/python
[ -x "$python" ] || python=python3
args=(build --results "$results" --output "$output")
[ -n "$secrets" ] && args+=(--secrets-file "$secrets")
exec "$python" -m reporting "${args[@]}"
