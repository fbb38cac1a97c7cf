#!/usr/bin/env bash
# Creates .venv and installs the pinned requirements (idempotent; fast when nothing changed).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
stamp=.venv/.requirements.sha
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  # Said before the silent part, so a first run does not look hung.
  echo "installing dependencies (first run only)… Python packages into .venv/" >&2
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt 2>&1 | sed -u 's/^/[pip] /' >&2
  echo "$want" > "$stamp"
fi
