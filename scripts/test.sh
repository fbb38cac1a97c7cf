#!/usr/bin/env bash
# The project's tests: unit, contract and reliability tests plus the go-live features on the embedded default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# Allure 3 for the report tests; without Node they skip and say so.
bash scripts/install_tools.sh || echo "Allure tools not installed: report generation tests will be skipped" >&2
if [ -f scripts/postgres.sh ] && [ -z "${TEST_POSTGRES_URL:-}" ]; then
  # Starts a throwaway PostgreSQL when the machine can; tests that need it skip with a reason otherwise.
  eval "$(bash scripts/postgres.sh --print-env 2>/dev/null || true)"
  export TEST_POSTGRES_URL
fi
exec .venv/bin/python -m pytest -n 2 "$@"
