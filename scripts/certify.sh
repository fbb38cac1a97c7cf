#!/usr/bin/env bash
# Runs the go-live certification (embedded emulator + reference merchant unless .env names other targets)
# and writes the evidence: reports/go-live-evidence.html and reports/go-live-summary.{md,json}.
# Extra arguments go to pytest, e.g. `-m invoices_13` for one item, `-m channels` for one product (a subset: never a certification).
set -uo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
usage: bash scripts/certify.sh [pytest options]        run the certification, write reports/
       bash scripts/certify.sh --merge RUN_A RUN_B     one verdict from a sandbox run and an emulator rehearsal
       bash scripts/certify.sh --help

Settings come from .env (or the file CERTIFY_ENV_FILE names; see .env.example). Main keys:
  CRYPTOPAY_API_URL, CRYPTOPAY_API_KEY, CRYPTOPAY_API_SECRET, CRYPTOPAY_CALLBACK_SECRET   the Cryptopay target
  MERCHANT_PROBE_URL, MERCHANT_CALLBACK_URL, MERCHANT_PROBE_TOKEN, MERCHANT_BUILD           the merchant under test
  EMULATOR_CONTROL_URL (a rehearsal on a standalone emulator), PAYER, UNRESOLVED_POLICY_*, WAIT_TIMEOUT_SECONDS
All blank: the embedded emulator and reference merchant (a rehearsal, not a certification).

Results: reports/go-live-evidence.html (one self-contained file), reports/go-live-summary.md and .json, and
reports/allure-results/ (keep a copy of it for --merge). The verdict is READY only when every scenario of every
item passed on the Cryptopay sandbox; the sandbox cannot force risk holds, 14 days passing or a monitoring
decision, so run those as a rehearsal against an emulator with control, pointed at by the same merchant build,
then merge:  bash scripts/certify.sh --merge runs/sandbox runs/rehearsal
Exit: 0 all ran scenarios passed, 1 some failed, 2 interrupted (Ctrl-C or SIGTERM: the evidence shows what ran,
never READY) or the tools could not be installed, 3 evidence not clean, 4 configuration or preflight problem.
EOF
}

case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  --merge)
    if [ $# -ne 3 ]; then usage >&2; exit 64; fi
    bash scripts/bootstrap.sh || exit 2
    bash scripts/install_tools.sh || exit 2
    exec .venv/bin/python -m reporting merge "$2" "$3" --output reports ;;
esac

bash scripts/bootstrap.sh || exit 2
bash scripts/install_tools.sh || exit 2
# The run writes into a fresh results dir outside reports/; pytest itself builds the evidence at the end, with this
# run's secrets in memory only (nothing secret on disk, even if the run is killed), and moves the results to
# reports/allure-results. A configuration error therefore leaves the previous run's evidence as it was, and a run
# killed outright (SIGKILL) leaves its half-written results in .certify-run/, never beside that evidence; the next
# run clears them. exec: Ctrl-C and SIGTERM reach pytest itself, which stops its workers and still builds the
# evidence of what ran (exit 2).
fresh=.certify-run/allure-results
rm -rf .certify-run reports/.allure-results-running && mkdir -p "$fresh"
exec .venv/bin/python -m pytest steps -p no:cacheprovider --alluredir="$fresh" --go-live-evidence=reports \
  --junitxml=reports/junit.xml -rfEs "$@"
