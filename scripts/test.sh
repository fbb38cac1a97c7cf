#!/usr/bin/env bash
# The project's tests: unit, contract and reliability tests plus the go-live features on the embedded default,
# after the offline proof of real mode, run on its own first (it starts many workers of its own).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# Allure 3 for the report tests; without Node they skip and say so.
bash scripts/install_tools.sh || echo "Allure tools not installed: report generation tests will be skipped" >&2
# Headless Chromium for the first-screen tests of the report; where it cannot be installed they skip and say so.
bash scripts/install_browser.sh || true
started_postgres=""
if [ -f scripts/postgres.sh ] && [ -z "${TEST_POSTGRES_URL:-}" ]; then
  # A throwaway PostgreSQL when the machine can; tests that need it skip with a reason otherwise.
  eval "$(bash scripts/postgres.sh --print-env 2>/dev/null || true)"
  if [ -n "${TEST_POSTGRES_URL:-}" ]; then export TEST_POSTGRES_URL; started_postgres=yes; fi
fi
# The features certify the embedded default here, whatever a local .env says.
export CERTIFY_ENV_FILE=/dev/null
status=0
.venv/bin/python -m pytest -m offline_proof "$@" || status=$?
if [ $status -eq 0 ]; then
  .venv/bin/python -m pytest -n 2 -m "not offline_proof" "$@" || status=$?
fi
[ -n "$started_postgres" ] && bash scripts/postgres.sh --stop >/dev/null 2>&1 || true
exit $status
