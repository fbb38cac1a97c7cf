"""The whole go-live suite, unchanged, against the reference merchant started as its own process the way an
external merchant runs: only URLs and secrets connect them."""
from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Iterator

import pytest

from tests.certification.harness import own_signoff

from support.targets.offline_proof import stop
from support.targets.pair import Credentials, connect, start_emulator
from support.targets.settings import SUITE_PREFIXES

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30
SUITE_SECONDS = 600
WITHDRAWAL_STEP_SECONDS = 0.5
OWN_PREFIXES = (*SUITE_PREFIXES, "PYTEST_XDIST", "PYTEST_ADDOPTS")


def _clean_env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if not key.startswith(OWN_PREFIXES)}


def _first_line(proc: subprocess.Popen, timeout: float) -> str:
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        raise AssertionError(f"the merchant printed nothing within {timeout:g} s")
    return proc.stdout.readline()


@pytest.fixture
def emulator_and_merchant(tmp_path: Path) -> Iterator[dict[str, str]]:
    creds = Credentials.fresh()
    with ExitStack() as stack:
        # Payout notifications are opt-in (as on the dashboard), and a withdrawal takes time between its steps so
        # the payout scenarios can fail or hold one before it is sent.
        emulator = start_emulator(stack, creds, rate_limit_per_minute=0, coin_withdrawal_callbacks=True,
                                  withdrawal_step_seconds=WITHDRAWAL_STEP_SECONDS)
        env = {**_clean_env(), "MERCHANT_DATABASE_URL": f"sqlite:///{tmp_path / 'external-merchant.sqlite3'}",
               "CRYPTOPAY_API_URL": emulator.url, "CRYPTOPAY_API_KEY": creds.api_key,
               "CRYPTOPAY_API_SECRET": creds.api_secret, "CRYPTOPAY_CALLBACK_SECRET": creds.callback_secret,
               "MERCHANT_PROBE_TOKEN": creds.probe_token}
        with open(tmp_path / "merchant.log", "wb") as merchant_log:
            proc = subprocess.Popen([sys.executable, "-m", "reference_merchant", "--port", "0"], cwd=ROOT, env=env,
                                    stdout=subprocess.PIPE, stderr=merchant_log, text=True)
        stack.callback(stop, proc)
        urls = json.loads(_first_line(proc, STARTUP_SECONDS))
        connect(stack, emulator, urls["callback_url"])
        yield {"CRYPTOPAY_API_URL": emulator.url, "CRYPTOPAY_API_KEY": creds.api_key,
               "CRYPTOPAY_API_SECRET": creds.api_secret, "CRYPTOPAY_CALLBACK_SECRET": creds.callback_secret,
               "MERCHANT_PROBE_URL": urls["probe_url"], "MERCHANT_CALLBACK_URL": urls["callback_url"],
               "MERCHANT_PROBE_TOKEN": creds.probe_token, "EMULATOR_CONTROL_URL": emulator.control_url}


@pytest.mark.slow
def test_the_unchanged_suite_passes_against_the_reference_merchant_as_a_separate_process(
        emulator_and_merchant: dict[str, str], tmp_path: Path) -> None:
    env = {**_clean_env(), **emulator_and_merchant, "CERTIFY_ENV_FILE": "/dev/null",
           "GO_LIVE_SIGNOFF_FILE": str(own_signoff(tmp_path))}
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "steps", "-q", "-p", "no:cacheprovider", "-rfEs",
         f"--basetemp={tmp_path / 'suite'}"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=SUITE_SECONDS)
    output = completed.stdout + completed.stderr
    summary = output.strip().splitlines()[-1] if output.strip() else ""
    assert completed.returncode == 0, output[-5000:]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= 10, summary  # the scenarios really ran, not just collected
    assert "failed" not in summary and "error" not in summary, summary
    assert "FAILED" not in output and "ERROR" not in output, output[-5000:]
