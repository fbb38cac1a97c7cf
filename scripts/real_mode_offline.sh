#!/usr/bin/env bash
# Proves real mode offline: the emulator and the reference merchant run as separate processes, configured to the
# suite only through an env file, with no control API (payments by coin withdrawal, time only as it passes, the
# emulator's clock scaled so a 10-minute expiry takes seconds). Extra arguments go to pytest, e.g. -n 4.
#   bash scripts/real_mode_offline.sh [pytest args]   default: as many xdist workers as the CPUs and the merchant
#   can serve (4 a CPU, at most 8); TIME_SCALE=60 by default
# The work is support/targets/offline_proof.py; PYTHON picks the interpreter (default: the project's .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHON=${PYTHON:-$PWD/.venv/bin/python}
exec "$PYTHON" -m support.targets.offline_proof "$@"
