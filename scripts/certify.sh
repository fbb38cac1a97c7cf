#!/usr/bin/env bash
# Runs the go-live certification (embedded emulator + reference merchant unless .env names other targets)
# and writes the evidence: reports/go-live-evidence.html and reports/go-live-summary.{md,json}.
# Extra arguments go to pytest, e.g. `-m invoices_13` for one item, `-m channels` for one product, `--lf` for the last
# run's failures (each a subset: never a certification).
set -uo pipefail
cd "$(dirname "$0")/.."

usage() {
  cat <<'EOF'
usage: bash scripts/certify.sh [pytest options]        run the certification, write reports/
       bash scripts/certify.sh --merge RUN_A RUN_B     one verdict from a sandbox run and an emulator rehearsal
       bash scripts/certify.sh --verify EVIDENCE       re-check a certification against Cryptopay (for reviewers)
       bash scripts/certify.sh --help

Settings come from .env (or the file CERTIFY_ENV_FILE names; see .env.example). Main keys:
  CRYPTOPAY_API_URL, CRYPTOPAY_API_KEY, CRYPTOPAY_API_SECRET, CRYPTOPAY_CALLBACK_SECRET   the Cryptopay target
  MERCHANT_PROBE_URL, MERCHANT_CALLBACK_URL, MERCHANT_PROBE_TOKEN, MERCHANT_BUILD           the merchant under test
  EMULATOR_CONTROL_URL (a rehearsal on a standalone emulator), PAYER, UNRESOLVED_POLICY_*, WAIT_TIMEOUT_SECONDS
All blank: the embedded emulator and reference merchant (a rehearsal, not a certification).

pytest options work as in pytest (a selection is a subset: never a certification):
  -m invoices_12, -m channels, -k "signed off"   one item, one product, scenarios by name
  --lf                the scenarios that failed in the last run only (pytest's cache, .pytest_cache/);
                      after a failing run the terminal says: re-run the 3 failures: bash scripts/certify.sh --lf
  --ff                the last run's failures first, then the rest
  -v                  pytest's tracebacks too (without it a failure shows its Why, Fix and failed step; the
                      traceback is in the evidence)
  -n 8 --dist load    parallel workers (the sandbox's expiry waits overlap; -n 12 at most)
  --collect-only -q, --fixtures, --markers   list without running: reports/ is left as it was

Results: reports/go-live-evidence.html (one self-contained file), reports/go-live-summary.md and .json,
reports/go-live-manifest.json (a SHA-256 of every evidence file) and reports/allure-results/. Keep a copy of the
whole reports/ folder after each run: it is what --merge and --verify read. The verdict is READY only when every
scenario of every item passed on the Cryptopay sandbox; the sandbox cannot force risk holds, 14 days passing or a
monitoring decision, so run those as a rehearsal against an emulator with control, pointed at by the same merchant
build, then merge:  bash scripts/certify.sh --merge runs/sandbox runs/rehearsal
--merge checks both runs' files against their manifests and re-reads the sandbox run's Cryptopay objects with the
key in .env before it merges; --verify does the same for one evidence folder, with a key of the merchant's sandbox
account in .env (or the file CERTIFY_ENV_FILE names).

Exit codes (the run, --merge and --verify; the headline and go-live-summary.json's "overall" say the same):
   0  READY: a certification (every item passed on the Cryptopay sandbox); --verify: and it checks out
   1  NOT READY: an item failed                                                "overall": "not ready"
   2  interrupted (Ctrl-C or SIGTERM: the evidence shows what ran, never READY), the tools could not be installed,
      or the evidence could not be built or read
   3  a secret was found in the evidence: it was deleted
   4  configuration or preflight problem; runs that cannot be merged; --verify cannot read Cryptopay
  10  PARTIAL: not every scenario ran (a subset; a sandbox run before --merge)  "overall": "partial"
  11  ALL ITEMS PASS on an emulator: a rehearsal, not a certification          "overall": "rehearsal_passed"
  12  NOT VERIFIED (--verify, --merge): a file changed since the run, or Cryptopay does not show an object, the
      account, the run's window or the state and amounts the evidence claims
  13  --verify on a rehearsal's evidence: nothing at Cryptopay to check
  14  NOT PROVEN: nothing failed, but an outage or the run's configuration     "overall": "not proven"
      (the Callback URL, a secret) kept items from being proven; do what its Fix says, run again
A CI gate that may go live passes on 0 only, as Pact's can-i-deploy is read.
EOF
}

case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  --merge)
    if [ $# -ne 3 ]; then usage >&2; exit 64; fi
    bash scripts/bootstrap.sh || exit 2
    bash scripts/install_tools.sh || exit 2
    exec .venv/bin/python -m reporting merge "$2" "$3" --output reports ;;
  --verify)
    if [ $# -ne 2 ]; then usage >&2; exit 64; fi
    bash scripts/bootstrap.sh || exit 2
    exec .venv/bin/python -m reporting verify "$2" ;;
esac

bash scripts/bootstrap.sh || exit 2
bash scripts/install_tools.sh || exit 2
# The run writes into a fresh results dir outside reports/; pytest itself builds the evidence at the end, with this
# run's secrets in memory only (nothing secret on disk, even if the run is killed), and moves the results and the JUnit
# file into reports/. A configuration error, a listing (--collect-only, --fixtures, --markers) or a run that ran nothing
# therefore leaves the previous run's evidence as it was, and a run
# killed outright (SIGKILL) leaves its half-written results in .certify-run/, never beside that evidence; the next
# run clears them. exec: Ctrl-C and SIGTERM reach pytest itself, which stops its workers and still builds the
# evidence of what ran (exit 2).
fresh=.certify-run/allure-results
rm -rf .certify-run reports/.allure-results-running && mkdir -p "$fresh"
# The features' one test module, named: with --lf, pytest's cache then deselects the other scenarios instead of never
# collecting them, so the evidence still lists every scenario (not run: deselected by --lf).
exec .venv/bin/python -m pytest steps/test_features.py --alluredir="$fresh" --go-live-evidence=reports \
  --junitxml=reports/junit.xml "$@"
