#!/usr/bin/env bash
# Runs the go-live certification (embedded emulator + reference merchant unless .env names other targets)
# and writes the evidence: reports/go-live-evidence.html and reports/go-live-summary.{md,json}.
# Extra arguments go to pytest, e.g. `-n 8` in real mode so the long expiry waits overlap.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh || exit 2
results=reports/allure-results
rm -rf "$results" && mkdir -p "$results"
# The run's secrets go to a private file outside reports/ so the evidence can be scanned for them; always removed.
secrets=$(mktemp) && chmod 600 "$secrets"
trap 'rm -f "$secrets"' EXIT
CERTIFY_SECRETS_OUT="$secrets" .venv/bin/python -m pytest steps -p no:cacheprovider --alluredir="$results" -rs "$@"
verdict=$?
if ! bash scripts/build_report.sh "$results" reports "$secrets"; then
  # Never leave a report that failed its secret scan where people pick up the evidence.
  rm -f reports/go-live-evidence.html reports/go-live-summary.md reports/go-live-summary.json
  echo "evidence report not generated or not clean: nothing to attach" >&2
  exit 3
fi
if [ $verdict -eq 0 ]; then echo "go-live certification: all scenarios passed"; else echo "go-live certification: FAILED (pytest exit $verdict)"; fi
exit $verdict
