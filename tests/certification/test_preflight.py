"""Unreachable targets and rejected credentials end the run before any scenario, with one clear message."""
from __future__ import annotations

from pathlib import Path

import pytest

from cryptopay_emulator.withdrawals import QUICK_STEP_SECONDS
from support.drivers.emulator import EmulatorControl
from support.targets.servers import ServerThread
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


def test_a_probe_url_without_its_path_says_nothing_speaks_the_probe_there_and_where_it_does(tmp_path: Path) -> None:
    # Issue 24, point 5: the merchant's root answers 404 to the balance; that is no probe breaking its contract.
    with certification_stack(tmp_path) as stack:
        root = stack.env["MERCHANT_PROBE_URL"].removesuffix("/probe")
        stack.env["MERCHANT_PROBE_URL"] = root
        verdicts = run_features(stack, tmp_path, "-k", "exactly_the_invoices_price")
    assert verdicts.returncode == 4, verdicts.output[-2000:]
    assert f"nothing at {root} speaks the certification probe" in verdicts.output, verdicts.output[-2000:]
    assert "MERCHANT_PROBE_URL is the base URL the probe's paths hang from" in verdicts.output
    assert f"The probe answers at {root}/probe: set MERCHANT_PROBE_URL={root}/probe" in verdicts.output
    assert "never 404" not in verdicts.output and "Traceback" not in verdicts.output


# -- Cryptopay delivering to another callback URL (another staging) stops the run with that reason ---------------------
def _another_staging(environ, start_response):
    """What answers at the URL the account really delivers to: another staging that acknowledges everything."""
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def test_with_control_a_callback_url_set_elsewhere_in_the_account_is_named(tmp_path: Path) -> None:
    elsewhere = ServerThread(_another_staging, "another-staging").start()
    try:
        with certification_stack(tmp_path) as stack:
            EmulatorControl(stack.env["EMULATOR_CONTROL_URL"]).set_callback_url(f"{elsewhere.url}/callbacks")
            verdicts = run_features(stack, tmp_path, "-k", "exactly_the_invoices_price")
    finally:
        elsewhere.stop()
    assert verdicts.returncode == 4, verdicts.output[-2000:]
    assert (f"the Cryptopay account's Callback URL is {elsewhere.url}/callbacks, but MERCHANT_CALLBACK_URL is "
            f"{stack.env['MERCHANT_CALLBACK_URL']}") in verdicts.output
    assert "set the Callback URL in the Cryptopay dashboard" in verdicts.output
    assert not verdicts.passed and not verdicts.failed


@pytest.mark.parametrize(("selection", "stops"), [(["-m", "payouts_1"], True),
                                                   (["-k", "exactly_the_invoices_price"], False)])
def test_with_control_an_account_that_does_not_notify_payouts_stops_a_run_of_payout_scenarios(
        selection: list[str], stops: bool, tmp_path: Path) -> None:
    """Started without --coin-withdrawal-callbacks, the emulator sends no payout notification: every payout scenario
    would blame a correct merchant (the rehearsal as once documented did). A run with payout scenarios stops before
    any of them, naming the flag; a run of invoice scenarios runs."""
    with certification_stack(tmp_path, coin_withdrawal_callbacks=False) as stack:
        verdicts = run_features(stack, tmp_path, *selection)
    named = "start the emulator with --coin-withdrawal-callbacks" in verdicts.output
    if stops:
        assert verdicts.returncode == 4 and named, verdicts.output[-2000:]
        assert "sends no payout (CoinWithdrawal) notifications" in verdicts.output
        assert "Traceback" not in verdicts.output and not verdicts.passed and not verdicts.failed
    else:
        assert not named and verdicts.passed and not verdicts.failed, verdicts.output[-2000:]


def test_on_the_sandbox_a_preflight_invoice_whose_notification_never_arrives_is_a_warning_and_the_scenarios_name_it(
        tmp_path: Path) -> None:
    """Cryptopay notifying an unpaid invoice is inferred, not documented: its silence must not stop a sandbox run.
    The warning comes first, and a scenario whose completed invoice the callback log lacks names the Callback URL."""
    elsewhere = ServerThread(_another_staging, "another-staging").start()
    try:
        # Its time runs by itself at the standalone emulator's quick pace, as nobody will move it.
        with certification_stack(tmp_path, driven_time=False, withdrawal_step_seconds=QUICK_STEP_SECONDS) as stack:
            EmulatorControl(stack.env["EMULATOR_CONTROL_URL"]).set_callback_url(f"{elsewhere.url}/callbacks")
            del stack.env["EMULATOR_CONTROL_URL"]  # as on the real sandbox: no delivery log, no account settings
            verdicts = run_features(stack, tmp_path, "-k", "exactly_the_invoices_price and EUR")
    finally:
        elsewhere.stop()
    assert "preflight: no notification for the preflight invoice" in verdicts.output, verdicts.output[-2000:]
    assert "Cryptopay may not notify an invoice nobody paid" in verdicts.output
    assert verdicts.failed and not verdicts.passed, verdicts.output[-2000:]
    assert all("the account's Callback URL does not reach the merchant" in message
               for message in verdicts.failed.values()), verdicts.failed
