"""Unreachable targets and rejected credentials end the run before any scenario, with one clear message."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.certification.harness import certification_stack, run_features


@pytest.mark.parametrize(("key", "value", "message"), [
    ("CRYPTOPAY_API_SECRET", "wrong-secret-value", "rejected CRYPTOPAY_API_KEY / CRYPTOPAY_API_SECRET"),
    ("MERCHANT_PROBE_TOKEN", "wrong-token-value", "rejected MERCHANT_PROBE_TOKEN"),
    ("MERCHANT_PROBE_URL", "http://127.0.0.1:9/probe", "merchant probe unreachable at http://127.0.0.1:9/probe"),
    ("CRYPTOPAY_API_URL", "http://127.0.0.1:9", "Cryptopay API unreachable at http://127.0.0.1:9"),
    ("CRYPTOPAY_CALLBACK_SECRET", "wrong-callback-secret", "verifies with another Callback Secret"),
    ("MERCHANT_CALLBACK_URL", "http://127.0.0.1:9/callbacks", "MERCHANT_CALLBACK_URL (http://127.0.0.1:9/callbacks)"),
])
def test_the_run_stops_naming_the_cause(key: str, value: str, message: str, tmp_path: Path) -> None:
    with certification_stack(tmp_path) as stack:
        stack.env[key] = value
        verdicts = run_features(stack, tmp_path, "-k", "exactly_the_invoices_price")
    assert verdicts.returncode == 4, verdicts.output[-2000:]
    assert message in verdicts.output and "Traceback" not in verdicts.output
    assert value not in verdicts.output or key.endswith("_URL"), "a rejected secret must not be echoed"
    assert not verdicts.passed and not verdicts.failed


def test_a_mistyped_callback_url_stops_the_run_before_a_404_can_pass_for_a_rejection(tmp_path: Path) -> None:
    with certification_stack(tmp_path) as stack:
        mistyped = stack.env["MERCHANT_CALLBACK_URL"].replace("/callbacks/cryptopay", "/callback/cryptopay")
        stack.env["MERCHANT_CALLBACK_URL"] = mistyped
        verdicts = run_features(stack, tmp_path, "-k", "a_kind_completed_notification_is_refused")
    assert verdicts.returncode == 4, verdicts.output[-2000:]
    assert f"404: there is no callback route at MERCHANT_CALLBACK_URL ({mistyped})" in verdicts.output
    assert "Traceback" not in verdicts.output and not verdicts.passed and not verdicts.failed
