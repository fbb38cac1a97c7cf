"""Diagnosis, not symptoms: against each broken merchant, the failure message names the cause and the fix first."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.certification.harness import certification_stack, run_features
from tests.certification.test_checklist_catches_defects import BROKEN, EXPECTED_FAILURES, _selection

DUPLICATE = ("credits for one invoice", "unique constraint on the invoice id")
# variant -> words its failure messages must carry: the cause, then the fix
CAUSE_AND_FIX = {
    "credits_on_resend": DUPLICATE,
    "races_on_duplicates": DUPLICATE,
    "check_then_insert": DUPLICATE,
    "dedupes_by_body_hash": DUPLICATE,
    "credits_on_unresolved": ("although Cryptopay reports invoice", "credit only when the invoice"),
    "credits_on_transaction_confirmed": ("although Cryptopay reports invoice", "never on transaction_confirmed"),
    "loses_customer_id": ("carries no customer_id", "send the customer's id as customer_id"),
    "credits_original_amount": ("credited the requested 100.00 EUR instead of the final price",
                                "credit price_amount of the completed invoice (it changes on recalculation)"),
    "skips_signature_check": ("accepted a notification with a forged", "verify X-Cryptopay-Signature"),
    "trusts_callback_body": ("while Cryptopay's GET reports", "read the invoice with GET /api/invoices/{id}"),
    "ignores_status_changes": ("while Cryptopay's GET reports", "read the invoice with GET /api/invoices/{id}"),
    "books_everything_in_eur": ("credited in EUR", "price_currency"),
    "reserialises_before_verifying": ("rejects Cryptopay's signature", "raw request bytes"),
    "credits_price_less_fee": ("less Cryptopay's fee", "Cryptopay's fee is charged to the merchant's account"),
    # Issue 23: the item each names is the cause's first words.
    "dedupes_credits_by_customer_amount": ("invoices item 12): the customer was credited 100.00 EUR for completed "
                                           "invoices worth 200.00 EUR", "credit price_amount of each completed invoice"),
    "ignores_unrecorded_invoice": ("invoices item 10): Cryptopay notified invoice",
                                   "on a notification about an object not recorded yet, read it with Cryptopay's GET"),
    "acknowledges_before_processing": ("invoices item 10): the merchant acknowledged the transaction_confirmed, "
                                       "status_changed notifications", "answer 200 only once a notification is handled"),
}


def _problems(variant: str, failed: dict[str, str]) -> list[str]:
    cause, fix = CAUSE_AND_FIX[variant]
    problems = []
    for name in EXPECTED_FAILURES[variant]:
        # By base name too: the examples' ids follow the feature's table, which may change.
        messages = [m for key, m in failed.items() if key == name or key.split("[")[0] == name.split("[")[0]]
        for message in messages or ["<did not fail>"]:
            first = message.split("\n")[0]
            if "Why (" not in first or cause not in first or fix not in first:
                problems.append(f"{name}: {message[:400]}")
    return problems


@pytest.mark.slow
@pytest.mark.parametrize("variant", sorted(CAUSE_AND_FIX))
def test_the_failure_of_a_broken_merchant_says_why_and_what_to_fix(variant: str, tmp_path: Path) -> None:
    with certification_stack(tmp_path, BROKEN[variant]) as stack:
        verdicts = run_features(stack, tmp_path, "-k", _selection(EXPECTED_FAILURES[variant]))
    problems = _problems(variant, verdicts.failed)
    assert not problems, f"{variant}: failures without their cause and fix:\n" + "\n".join(problems)


@pytest.mark.slow
def test_a_declared_policy_that_differs_is_a_configuration_error(tmp_path: Path) -> None:
    with certification_stack(tmp_path, policy={"underpaid": "do_nothing"}) as stack:
        stack.env["UNRESOLVED_POLICY_UNDERPAID"] = "refund"
        verdicts = run_features(stack, tmp_path, "-k", "test_an_underpaid_deposit_ends_as_the_merchant_chose")
    message = verdicts.failed.get("test_an_underpaid_deposit_ends_as_the_merchant_chose", "<did not fail>")
    first = message.split("\n")[0]
    assert "Why (configuration, invoices item 4):" in first and "UNRESOLVED_POLICY_UNDERPAID" in first, message


def test_every_broken_merchant_has_its_cause_and_fix() -> None:
    assert set(CAUSE_AND_FIX) == set(EXPECTED_FAILURES)
