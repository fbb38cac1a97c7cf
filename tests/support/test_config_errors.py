"""A broken .env stops `pytest steps` before any scenario with one clear message and no traceback."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from support.targets.settings import SUITE_PREFIXES

ROOT = Path(__file__).resolve().parents[2]
LEAKY_SECRET = "do-not-echo-this-SECRET-9"


def run_steps(extra_env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith((*SUITE_PREFIXES, "PYTEST_XDIST"))}
    env.update({"CERTIFY_ENV_FILE": os.devnull, **extra_env})
    return subprocess.run([sys.executable, "-m", "pytest", "steps", "-p", "no:cacheprovider", "-q", *args], cwd=ROOT,
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
                     "WAIT_TIMEOUT_SECONDS must be a number of seconds from 1"):
        assert fragment in output, (fragment, output)
    assert " passed" not in output and " failed" not in output, "no scenario ran"


def test_a_named_settings_file_that_does_not_exist_stops_the_run(tmp_path: Path) -> None:
    for missing in (tmp_path / "nonexistent.env", tmp_path):  # absent, and a directory that cannot be read as one
        result = run_steps({"CERTIFY_ENV_FILE": str(missing)})
        output = result.stdout + result.stderr
        assert result.returncode == 4, output
        assert f"CERTIFY_ENV_FILE names {missing}, which cannot be read" in output and "Traceback" not in output
        assert " passed" not in output, "the embedded default must not be certified instead"


def test_several_workers_against_one_emulator_with_control_are_refused() -> None:
    target = {"CRYPTOPAY_API_URL": "http://127.0.0.1:9", "CRYPTOPAY_API_KEY": "k", "CRYPTOPAY_API_SECRET": "s",
              "CRYPTOPAY_CALLBACK_SECRET": "c", "EMULATOR_CONTROL_URL": "http://127.0.0.1:9/_emulator"}
    result = run_steps(target, "-n", "2")
    output = result.stdout + result.stderr
    assert result.returncode == 4 and "-n 2 against one standalone emulator with its control API" in output, output
    assert "Run it serially" in output and "Traceback" not in output
