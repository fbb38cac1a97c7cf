#!/usr/bin/env bash
# Proves real mode offline: the emulator and the reference merchant run as separate processes, configured to the
# suite only through an env file, with no control API (payments by coin withdrawal, time only as it passes, the
# emulator's clock scaled so a 10-minute expiry takes seconds). Extra arguments go to pytest, e.g. -n 4.
#   bash scripts/real_mode_offline.sh [pytest args]   default: one xdist worker per scenario; TIME_SCALE=60 by default
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-$ROOT/.venv/bin/python}
TIME_SCALE=${TIME_SCALE:-60}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/real-mode-offline.XXXXXX")
chmod 700 "$WORK"
PIDS=()

cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# Waits (bounded) for a started process to print its one JSON line; says which process failed and why.
first_json() {
  local name=$1 file=$2 pid=$3 log=$4 deadline=$((SECONDS + 30))
  until [ -s "$file" ] && head -n1 "$file" | grep -q '^{'; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "real_mode_offline: $name exited before it was ready:" >&2; cat "$log" >&2; exit 3
    fi
    if [ $SECONDS -ge $deadline ]; then echo "real_mode_offline: $name not ready after 30 s" >&2; exit 3; fi
    sleep 0.1
  done
  head -n1 "$file"
}
json_field() { "$PY" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

read -r API_KEY API_SECRET CALLBACK_SECRET PROBE_TOKEN < <("$PY" -c \
  'import secrets; print(*(secrets.token_urlsafe(n) for n in (12, 32, 32, 24)))')
# The merchant must know the emulator's URL and the emulator the merchant's: the emulator's port is chosen first.
EMULATOR_PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
API_URL="http://127.0.0.1:$EMULATOR_PORT"

MERCHANT_DATABASE_URL="sqlite:///$WORK/merchant.sqlite3" CRYPTOPAY_API_URL=$API_URL CRYPTOPAY_API_KEY=$API_KEY \
  CRYPTOPAY_API_SECRET=$API_SECRET CRYPTOPAY_CALLBACK_SECRET=$CALLBACK_SECRET MERCHANT_PROBE_TOKEN=$PROBE_TOKEN \
  "$PY" -m reference_merchant --port 0 >"$WORK/merchant.json" 2>"$WORK/merchant.log" &
PIDS+=($!)
MERCHANT=$(first_json "reference merchant" "$WORK/merchant.json" "${PIDS[-1]}" "$WORK/merchant.log")
PROBE_URL=$(json_field "$MERCHANT" probe_url)
CALLBACK_URL=$(json_field "$MERCHANT" callback_url)

# --rate-limit 0: the scaled run packs an hour of sandbox traffic into a minute; the real limit is 200/min (the suite
# keeps to it by its request budget: benchmarks/bench_rate_limit.py runs the features against --rate-limit 200).
# --opt=value: a random secret may start with "-", which argparse would take for an option.
CRYPTOPAY_EMULATOR_API_SECRET="$API_SECRET" CRYPTOPAY_EMULATOR_CALLBACK_SECRET="$CALLBACK_SECRET" \
"$PY" -m cryptopay_emulator --port="$EMULATOR_PORT" --callback-url="$CALLBACK_URL" --api-key="$API_KEY" \
  --time-scale="$TIME_SCALE" --no-control \
  --rate-limit=0 >"$WORK/emulator.json" 2>"$WORK/emulator.log" &
PIDS+=($!)
first_json "emulator" "$WORK/emulator.json" "${PIDS[-1]}" "$WORK/emulator.log" >/dev/null

ENV_FILE="$WORK/real-mode.env"
umask 077
# The reference merchant certified as an outside merchant signs off as one: the shipped example is refused then.
sed 's/(reference merchant)/(offline proof of real mode)/' signoff.yml > "$WORK/signoff.yml"
# Its emulator has no rate limit, so the suite's request budget is set out of the way (100000 a minute).
cat >"$ENV_FILE" <<EOF
GO_LIVE_SIGNOFF_FILE=$WORK/signoff.yml
CRYPTOPAY_API_URL=$API_URL
CRYPTOPAY_API_KEY=$API_KEY
CRYPTOPAY_API_SECRET=$API_SECRET
CRYPTOPAY_CALLBACK_SECRET=$CALLBACK_SECRET
MERCHANT_PROBE_URL=$PROBE_URL
MERCHANT_CALLBACK_URL=$CALLBACK_URL
MERCHANT_PROBE_TOKEN=$PROBE_TOKEN
PAYER=coin_withdrawal
WAIT_TIMEOUT_SECONDS=60
CRYPTOPAY_REQUESTS_PER_MINUTE=100000
EOF

echo "real mode offline: emulator $API_URL (no control API, clock x$TIME_SCALE), merchant $PROBE_URL" >&2
echo "  a 10-minute invoice expiry takes $("$PY" -c "print(round(600 / $TIME_SCALE, 1))") s of wall time" >&2
# Only the env file configures the run: settings inherited from this shell would win over it.
for key in $("$PY" -c 'import os; from support.settings import suite_keys; print(*suite_keys(os.environ))'); do
  unset "$key"
done
# Default: one worker per scenario, so the ten scenarios that each wait for an expiry all wait side by side.
# With fewer workers xdist can queue two of them on one worker (it deals tests in pairs once there are two per
# worker, and a worker's next test cannot be stolen), and the run takes two expiries instead of one.
if [ $# -eq 0 ]; then
  count=$(CERTIFY_ENV_FILE=$ENV_FILE "$PY" -m pytest steps --collect-only -q -p no:cacheprovider 2>/dev/null \
    | sed -nE 's/^([0-9]+) tests? collected.*/\1/p')
  set -- -n "${count:-16}" --dist load
fi
echo "  pytest steps $*" >&2
start=$("$PY" -c 'import time; print(time.monotonic())')
set +e
CERTIFY_ENV_FILE=$ENV_FILE "$PY" -m pytest steps -p no:cacheprovider -q -rs --junitxml="$WORK/junit.xml" \
  --alluredir="$WORK/allure-results" "$@" 2>&1 | tee "$WORK/pytest.out"
status=${PIPESTATUS[0]}
set -e
# The verdict as a reviewer gets it: every collected scenario in the summary, the emulator-only ones not run.
"$PY" -m reporting summary --results "$WORK/allure-results" --output "$WORK/summary" >"$WORK/summary.out"
cat "$WORK/summary.out" >&2
if [ -n "${REAL_MODE_OFFLINE_SUMMARY:-}" ]; then cp "$WORK/summary/go-live-summary.json" "$REAL_MODE_OFFLINE_SUMMARY"; fi
# Secret hygiene: none of this run's secrets may appear in its output or either process's log.
for value in "$API_SECRET" "$CALLBACK_SECRET" "$PROBE_TOKEN"; do
  if grep -rqF -e "$value" "$WORK/pytest.out" "$WORK/emulator.log" "$WORK/merchant.log" "$WORK/allure-results" \
      "$WORK/summary"; then
    echo "real mode offline: a secret of this run appears in its output or logs" >&2; status=5
  fi
done
"$PY" - "$start" "$WORK/junit.xml" "$TIME_SCALE" <<'PYEOF'
import sys, time, xml.etree.ElementTree as ET
start, junit, scale = float(sys.argv[1]), sys.argv[2], float(sys.argv[3])
wall = time.monotonic() - start
cases = [(float(c.get("time") or 0), c.get("name")) for c in ET.parse(junit).getroot().iter("testcase")
         if c.find("skipped") is None]
longest = max(cases, default=(0.0, "(none ran)"))
for case in ET.parse(junit).getroot().iter("testcase"):
    skipped = case.find("skipped")
    if skipped is not None:
        print(f"  skipped: {case.get('name')}: {skipped.get('message', '')[:110]}", file=sys.stderr)
print(f"real mode offline: wall time {wall:.1f} s; longest single scenario {longest[0]:.1f} s ({longest[1]}); "
      f"the longest wait Cryptopay imposes, a 10-minute expiry, is {600 / scale:.1f} s at x{scale:g}",
      file=sys.stderr)
PYEOF
exit $status
