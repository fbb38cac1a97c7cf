#!/usr/bin/env bash
# Installs headless Chromium (Debian's `chromium`) for the report's first-screen tests, when missing and possible.
# Exit 0 when a browser is there afterwards; otherwise prints why on stderr and exits 2 (the tests then skip).
set -uo pipefail
found=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$found" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "chromium is not installed and cannot be installed here (needs root and apt-get): browser tests will skip" >&2
  exit 2
fi
echo "installing chromium for the report tests (first run only)…" >&2
# Labelled, so apt's lines are not mistaken for the suite's; noninteractive: CI has no one to answer prompts.
{ DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium \
    || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }
} 2>&1 | sed -u 's/^/[apt chromium] /' >&2
command -v chromium >/dev/null || { echo "chromium could not be installed: browser tests will skip" >&2; exit 2; }
