#!/usr/bin/env bash
# Screenshots (from file://) of a READY, a NOT READY and a PARTIAL sample report: DIR (default reports/screenshots).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/install_tools.sh
bash scripts/install_browser.sh
exec .venv/bin/python -m reporting.screenshots "${1:-reports/screenshots}"
