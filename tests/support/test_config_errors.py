"""A broken .env stops `pytest steps` before any scenario with one clear message and no traceback."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LEAKY_SECRET = "do-not-echo-this-SECRET-9"


def run_steps(extra_env: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRYPTOPAY_", "MERCHANT_", "EMULATOR_", "PAYER",
                                                                    "UNRESOLVED_POLICY_", "PYTEST_XDIST", "CERTIFY_"))}
    env.update(extra_env, CERTIFY_ENV_FILE=os.devnull)
    return subprocess.run([sys.executable, "-m", "pytest", "steps", "-p", "no:cacheprovider", "-q"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


def test_a_broken_env_gives_one_clear_message() -> None:
    result = run_steps({"CRYPTOPAY_API_URL": "https://business.cryptopay.me", "CRYPTOPAY_API_SECRET": LEAKY_SECRET,
                        "MERCHANT_PROBE_URL": "not a url", "UNRESOLVED_POLICY_OVERPAID": "keep-it",
                        "WAIT_TIMEOUT_SECONDS": "0"})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output and LEAKY_SECRET not in output
    assert output.count("The go-live suite cannot start") == 1, output
    for fragment in ("CRYPTOPAY_API_KEY is required", "CRYPTOPAY_CALLBACK_SECRET is required", "PRODUCTION API",
                     "MERCHANT_PROBE_URL must be an http(s) URL", "UNRESOLVED_POLICY_OVERPAID must be one of",
                     "WAIT_TIMEOUT_SECONDS must be a positive number"):
        assert fragment in output, (fragment, output)
    assert " passed" not in output and " failed" not in output, "no scenario ran"
