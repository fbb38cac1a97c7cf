"""The checklist's teeth: each deliberately broken merchant fails the scenarios of the item it violates,
while the reference merchant passes the very same selection."""
from __future__ import annotations

from pathlib import Path

import pytest

from reference_merchant.invoice_callbacks import InvoiceProcessor
from tests.broken_merchants import VARIANTS
from tests.certification.harness import certification_stack, run_features


class IgnoresStatusChanges(InvoiceProcessor):
    """Violates items 9-11: acknowledges every callback but never records what Cryptopay reported."""

    def apply(self, deposit: dict, event: str, invoice: dict) -> str:
        return "acknowledged, not processed"


RECALCULATED = "test_a_deposit_left_kind_and_recalculated_at_the_current_rate_credits_the_new_price"
BROKEN = {**VARIANTS, "ignores_status_changes": {"invoice_processor_cls": IgnoresStatusChanges}}

# variant -> the scenarios (pytest-bdd test names) that must fail against it
EXPECTED_FAILURES = {
    "credits_on_resend": ["test_cryptopay_sends_the_completed_notification_again"],
    "races_on_duplicates": ["test_cryptopay_sends_the_completed_notification_50_times_at_once",
                            "test_the_very_first_completed_notification_arrives_50_times_at_once"],
    "check_then_insert": ["test_the_very_first_completed_notification_arrives_50_times_at_once"],
    "credits_on_unresolved": ["test_a_payment_from_a_highrisk_source_is_held_and_not_credited",
                              "test_paying_too_little_leaves_the_deposit_unresolved_as_underpaid_once_it_expires",
                              "test_paying_too_much_leaves_the_deposit_unresolved_as_overpaid",
                              "test_paying_after_the_deposit_expired_leaves_it_unresolved_as_paid_late"],
    "loses_customer_id": ["test_three_deposits_in_different_amounts_and_currencies"],
    "credits_original_amount": [f"{RECALCULATED}[underpaid]", f"{RECALCULATED}[overpaid]", f"{RECALCULATED}[paid late]"],
    "skips_signature_check": ["test_a_kind_completed_notification_is_refused[forged]",
                              "test_a_kind_completed_notification_is_refused[tampered]",
                              "test_a_kind_completed_notification_is_refused[unsigned]",
                              "test_a_kind_completed_notification_is_refused[misdirected]"],
    "credits_on_transaction_confirmed": ["test_a_confirmed_payment_that_does_not_complete_the_invoice_credits_nothing"],
    "trusts_callback_body": ["test_a_late_payment_seen_notification_does_not_move_an_underpaid_deposit_back"],
    "books_everything_in_eur": [
        "test_a_deposit_paid_in_full_credits_the_customer_exactly_the_invoices_price[40.00-USD]",
        "test_a_deposit_paid_in_full_credits_the_customer_exactly_the_invoices_price[0.0015-BTC]"],
    "ignores_status_changes": ["test_every_notification_of_a_paid_deposit_is_acknowledged_and_followed",
                               "test_a_deposit_left_kind_and_refunded_to_the_payer_credits_nothing[underpaid]",
                               "test_paying_too_little_leaves_the_deposit_unresolved_as_underpaid_once_it_expires"],
}
EXPECTED_FAILURES["reserialises_before_verifying"] = ["test_every_notification_of_a_paid_deposit_is_acknowledged_and_followed"]
EXPECTED_FAILURES["dedupes_by_body_hash"] = ["test_cryptopay_sends_the_completed_notification_again"]
EXPECTED_FAILURES["credits_price_less_fee"] = [
    "test_a_deposit_paid_in_full_credits_the_customer_exactly_the_invoices_price[100.00-EUR]"]
# Issue 23: a deposit repeated, notifications before Cryptopay's answer, a notification acknowledged before processed.
EXPECTED_FAILURES["dedupes_credits_by_customer_amount"] = [
    "test_two_deposits_of_the_same_amount_by_one_customer_are_both_credited"]
EXPECTED_FAILURES["ignores_unrecorded_invoice"] = [
    "test_a_deposit_notified_before_the_merchant_has_cryptopays_answer_for_it_is_credited"]
EXPECTED_FAILURES["acknowledges_before_processing"] = ["test_a_deposit_whose_status_checks_failed_once_is_still_credited"]


def _selection(names: list[str]) -> str:
    return " or ".join(name.split("[")[0] for name in names)


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(EXPECTED_FAILURES))
def test_broken_merchant_fails_its_checklist_item(variant: str, tmp_path: Path) -> None:
    expected = EXPECTED_FAILURES[variant]
    with certification_stack(tmp_path, BROKEN[variant]) as stack:
        verdicts = run_features(stack, tmp_path, "-k", _selection(expected))
    missing = [name for name in expected if name not in verdicts.failed]
    assert verdicts.returncode != 0 and not missing, (
        f"{variant}: these scenarios should fail but did not: {missing}\n{verdicts.output[-3000:]}")


@pytest.mark.slow
def test_the_reference_merchant_passes_the_same_scenarios(tmp_path: Path) -> None:
    everything = sorted({name for names in EXPECTED_FAILURES.values() for name in names})
    with certification_stack(tmp_path) as stack:
        verdicts = run_features(stack, tmp_path, "-k", _selection(everything))
    assert verdicts.returncode == 0 and not verdicts.failed, verdicts.output[-3000:]
    assert all(any(p.startswith(name.split("[")[0]) for p in verdicts.passed) for name in everything)


@pytest.mark.slow
def test_a_declared_policy_that_differs_from_the_account_setting_fails_item_4(tmp_path: Path) -> None:
    with certification_stack(tmp_path, policy={"underpaid": "do_nothing"}) as stack:
        stack.env["UNRESOLVED_POLICY_UNDERPAID"] = "refund"  # declared, but the account does nothing
        verdicts = run_features(stack, tmp_path, "-k", "test_an_underpaid_deposit_ends_as_the_merchant_chose")
    assert "test_an_underpaid_deposit_ends_as_the_merchant_chose" in verdicts.failed, verdicts.output[-3000:]


@pytest.mark.slow
def test_a_missing_team_in_the_signoff_fails_item_14(tmp_path: Path) -> None:
    signoff = tmp_path / "incomplete-signoff.yml"
    signoff.write_text("acknowledgements:\n  - team: Support\n    name: Ada\n    date: 2026-01-05\n"
                       "    acknowledged: Held deposits are explained to customers as pending review.\n")
    with certification_stack(tmp_path) as stack:
        stack.env["GO_LIVE_SIGNOFF_FILE"] = str(signoff)
        verdicts = run_features(stack, tmp_path, "-k", "test_the_teams_that_handle_risk_holds_have_signed_off")
    failure = verdicts.failed.get("test_the_teams_that_handle_risk_holds_have_signed_off", "")
    assert "Finance" in failure and "Transaction Monitoring" in failure, verdicts.output[-3000:]
