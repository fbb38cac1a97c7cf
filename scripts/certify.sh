#!/usr/bin/env bash
# Runs the go-live certification (embedded emulator + reference merchant unless .env names other targets)
# and writes the evidence: reports/go-live-evidence.html and reports/go-live-summary.{md,json}.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh || exit 2
results=reports/allure-results
rm -rf "$results" && mkdir -p "$results"
.venv/bin/python -m pytest steps -p no:cacheprovider --alluredir="$results" -rs "$@"
verdict=$?
if [ -f scripts/build_report.sh ]; then
  bash scripts/build_report.sh "$results" reports || { echo "evidence report could not be generated" >&2; exit 3; }
fi
exit $verdict
