"""A preflight problem reads the same serial and under -n: one message naming the setting, exit 4, no INTERNALERROR."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.certification.harness import certification_stack, run_features


@pytest.mark.slow
@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "two-workers"])
def test_a_wrong_probe_token_stops_the_run_with_one_message(tmp_path: Path, workers: list[str]) -> None:
    with certification_stack(tmp_path) as stack:
        stack.env["MERCHANT_PROBE_TOKEN"] = "not-the-probe-token-0123456789abcdef"
        del stack.env["EMULATOR_CONTROL_URL"]  # control-less, like the real sandbox, so -n is allowed
        stack.env["PAYER"] = "coin_withdrawal"
        verdicts = run_features(stack, tmp_path, *workers)
    output = verdicts.output
    assert verdicts.returncode == 4, output[-3000:]
    assert "INTERNALERROR" not in output and "Traceback" not in output, output[-3000:]
    assert output.count("The go-live suite cannot start: its targets failed the preflight checks") == 1, output
    assert "rejected MERCHANT_PROBE_TOKEN" in output
    assert not verdicts.passed and not verdicts.failed, "no scenario ran"
