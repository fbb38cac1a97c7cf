"""Every invoice transition of API_FACTS §3 on the backend alone, with the callback events each one raises."""
from __future__ import annotations

from decimal import Decimal

import pytest

from cryptopay_emulator.backend import Backends
from cryptopay_emulator.invoices import CANCEL_AFTER
from cryptopay_emulator.errors import Invalid, NotRecalculatable, NotRefundable
from tests.emulator.conftest import Recorder

EUR_BTC = {"price_amount": "100.0", "price_currency": "EUR", "pay_currency": "BTC"}  # pay 0.001895 BTC
FULL, HALF = Decimal("0.001895"), Decimal("0.0009475")


def advance(backend: Backends, seconds: float) -> None:
    backend.clock.advance(seconds)
    backend.tick()


def status(backend: Backends, invoice_id: str) -> tuple[str, str | None]:
    invoice = backend.invoices.get(invoice_id)
    return invoice["status"], invoice["status_context"]


@pytest.fixture
def invoice(backend: Backends) -> dict:
    return backend.invoices.create(EUR_BTC)


def test_exact_payment_completes_with_the_documented_callback_sequence(backend, recorder: Recorder, invoice) -> None:
    backend.invoices.pay(invoice_id=invoice["id"], amount=FULL)
    assert recorder.sequence(invoice["id"]) == [
        ("created", "new", None), ("transaction_created", "new", None), ("transaction_confirmed", "new", None),
        ("status_changed", "completed", None)]


def test_during_transaction_callbacks_the_invoice_is_new_and_paid_amount_already_counts(backend, recorder,
                                                                                        invoice) -> None:
    tx = backend.invoices.pay(invoice_id=invoice["id"], amount=FULL, confirmed=False)
    assert status(backend, invoice["id"]) == ("new", None)
    backend.invoices.confirm_transaction(tx["txid"])
    seen = {event: data["paid_amount"] for event, data in recorder.events}
    assert seen["transaction_created"] == seen["transaction_confirmed"] == "0.001895"
    assert status(backend, invoice["id"]) == ("completed", None)


def test_underpaid_only_after_expiry(backend, recorder, invoice) -> None:
    backend.invoices.pay(invoice_id=invoice["id"], amount=HALF)
    advance(backend, 599)
    assert status(backend, invoice["id"]) == ("new", None)
    advance(backend, 1)
    assert status(backend, invoice["id"]) == ("unresolved", "underpaid")
    assert recorder.sequence(invoice["id"])[-1] == ("status_changed", "unresolved", "underpaid")


def test_a_top_up_before_expiry_completes_and_transactions_accumulate(backend, invoice) -> None:
    for amount in (Decimal("0.0005"), Decimal("0.0005"), Decimal("0.000895")):
        backend.invoices.pay(invoice_id=invoice["id"], amount=amount)
        advance(backend, 60)
    paid = backend.invoices.get(invoice["id"])
    assert (paid["status"], paid["paid_amount"]) == ("completed", "0.001895")
    assert len(paid["transactions"]) == 3 and len({t["txid"] for t in paid["transactions"]}) == 3
    assert all(set(t["risk"]) == {"score", "level", "resource_name", "resource_category"}
               for t in paid["transactions"])


def test_underpaid_waits_for_the_last_confirmation_after_expiry(backend, invoice) -> None:
    tx = backend.invoices.pay(invoice_id=invoice["id"], amount=HALF, confirmed=False)
    advance(backend, 601)
    assert status(backend, invoice["id"]) == ("new", None)
    backend.invoices.confirm_transaction(tx["txid"])
    assert status(backend, invoice["id"]) == ("unresolved", "underpaid")


def test_overpaid_at_confirmation_without_waiting_for_expiry(backend, recorder, invoice) -> None:
    tx = backend.invoices.pay(invoice_id=invoice["id"], amount=FULL * 2, confirmed=False)
    assert status(backend, invoice["id"]) == ("new", None)
    backend.invoices.confirm_transaction(tx["txid"])
    assert status(backend, invoice["id"]) == ("unresolved", "overpaid")


def test_paid_late_when_broadcast_after_expiry(backend, recorder, invoice) -> None:
    advance(backend, 601)
    backend.invoices.pay(invoice_id=invoice["id"], amount=FULL)
    assert status(backend, invoice["id"]) == ("unresolved", "paid_late")
    assert [e for e, *_ in recorder.sequence(invoice["id"])] == [
        "created", "transaction_created", "transaction_confirmed", "status_changed"]


def test_broadcast_before_expiry_but_confirmed_after_is_not_late(backend, invoice) -> None:
    tx = backend.invoices.pay(invoice_id=invoice["id"], amount=FULL, confirmed=False)
    advance(backend, 900)
    backend.invoices.confirm_transaction(tx["txid"])
    assert status(backend, invoice["id"]) == ("completed", None)


def test_cancelled_after_fourteen_days_unpaid(backend, recorder, invoice) -> None:
    advance(backend, CANCEL_AFTER.total_seconds() - 1)
    assert status(backend, invoice["id"]) == ("new", None)
    advance(backend, 1)
    assert status(backend, invoice["id"]) == ("cancelled", None)
    assert recorder.sequence(invoice["id"])[-1] == ("status_changed", "cancelled", None)


def test_a_payment_never_confirmed_in_fourteen_days_ends_cancelled(backend, invoice) -> None:
    backend.invoices.pay(invoice_id=invoice["id"], amount=FULL, confirmed=False)
    advance(backend, CANCEL_AFTER.total_seconds())
    assert status(backend, invoice["id"]) == ("cancelled", None)


@pytest.mark.parametrize("outcome", ["completed", "refunded"])
def test_illicit_funds_wait_for_the_monitoring_team_whatever_the_settings(backend, invoice, outcome) -> None:
    for context in ("underpaid", "overpaid", "paid_late"):
        backend.account.settings.set_policy(context, "recalculate")
    backend.invoices.pay(invoice_id=invoice["id"], amount=FULL, risk_level="high")
    advance(backend, 30 * 86400)
    assert status(backend, invoice["id"]) == ("unresolved", "illicit_resource")
    with pytest.raises(NotRecalculatable):
        backend.resolutions.create_recalculation(invoice["id"], force_commit=True)
    with pytest.raises(NotRefundable):
        backend.resolutions.create_refund(invoice["id"])
    backend.invoices.resolve_illicit(invoice["id"], outcome)
    assert status(backend, invoice["id"]) == (outcome, None)


def test_a_monitoring_decision_needs_an_illicit_hold_and_a_known_outcome(backend, invoice) -> None:
    with pytest.raises(Invalid):
        backend.invoices.resolve_illicit(invoice["id"], "completed")
    backend.invoices.pay(invoice_id=invoice["id"], amount=FULL, risk_level="high")
    with pytest.raises(Invalid):
        backend.invoices.resolve_illicit(invoice["id"], "approved")


def unresolved(backend: Backends, context: str) -> dict:
    invoice = backend.invoices.create(EUR_BTC)
    if context == "paid_late":
        advance(backend, 601)
    backend.invoices.pay(invoice_id=invoice["id"], amount={"underpaid": HALF, "overpaid": FULL * 2, "paid_late": FULL}[context])
    advance(backend, 601)
    return backend.invoices.get(invoice["id"])


@pytest.mark.parametrize("final_status", ["completed", "refunded"])
def test_completed_and_refunded_are_final(backend, final_status) -> None:
    invoice = unresolved(backend, "underpaid")
    if final_status == "completed":
        backend.resolutions.create_recalculation(invoice["id"], force_commit=True)
    else:
        backend.resolutions.create_refund(invoice["id"])
    backend.invoices.pay(invoice_id=invoice["id"], amount=FULL)
    advance(backend, CANCEL_AFTER.total_seconds() + 1)
    assert status(backend, invoice["id"]) == (final_status, None)
    with pytest.raises(NotRecalculatable):
        backend.resolutions.create_recalculation(invoice["id"])
    with pytest.raises(NotRefundable):
        backend.resolutions.create_refund(invoice["id"])


# -- account settings: "How to handle unresolved invoices" ----------------------------------------------
SETTING_OUTCOMES = [
    ("underpaid", "do_nothing", ("unresolved", "underpaid"), None),
    ("overpaid", "do_nothing", ("unresolved", "overpaid"), None),
    ("paid_late", "do_nothing", ("unresolved", "paid_late"), None),
    ("underpaid", "refund", ("refunded", None), "0.0009475"),  # everything back
    ("overpaid", "refund", ("completed", None), "0.001895"),  # only the excess back, the invoice settled
    ("paid_late", "refund", ("refunded", None), "0.001895"),
    ("underpaid", "recalculate", ("completed", None), None),
    ("overpaid", "recalculate", ("completed", None), None),
    ("paid_late", "recalculate", ("completed", None), None),
]


@pytest.mark.parametrize("context, policy, final, refunded", SETTING_OUTCOMES)
def test_each_setting_per_context_has_the_real_outcome(backend, recorder, context, policy, final, refunded) -> None:
    backend.account.settings.set_policy(context, policy)
    invoice = unresolved(backend, context)
    assert (invoice["status"], invoice["status_context"]) == final
    refunds = backend.resolutions.list_refunds(invoice["id"])
    assert [r["amount"] for r in refunds] == ([refunded] if refunded else [])
    events = recorder.sequence(invoice["id"])
    assert ("status_changed", "unresolved", context) in events  # the unresolved state is announced first
    if policy != "do_nothing":
        resolution = "refunded" if policy == "refund" else "recalculated"
        assert [e for e, *_ in events[-2:]] == [resolution, "status_changed"]


def test_recalculation_prices_the_paid_amount_at_the_current_rate(backend) -> None:
    invoice = unresolved(backend, "underpaid")
    backend.account.set_rate("BTC", "EUR", Decimal("60000"))
    recalculation = backend.resolutions.create_recalculation(invoice["id"], force_commit=True)
    assert (recalculation["pay_amount"], recalculation["price_amount"], recalculation["fee"]) == \
        ("0.0009475", "56.85", "0.57")  # floor(0.0009475 × 60000, 2 dp); ceil 1%
    after = backend.invoices.get(invoice["id"])
    assert (after["status"], after["price_amount"], after["pay_amount"], after["exchange"]["rate"]) == \
        ("completed", "56.85", "0.0009475", "60000.0")


def test_a_two_step_recalculation_applies_only_when_committed_within_30_seconds(backend) -> None:
    invoice = unresolved(backend, "overpaid")
    pending = backend.resolutions.create_recalculation(invoice["id"], force_commit=False)
    assert status(backend, invoice["id"]) == ("unresolved", "overpaid")
    advance(backend, 30)
    committed = backend.resolutions.commit_recalculation(invoice["id"], pending["id"])
    # the same recalculation; only created_at turns from `…Z` to `+00:00` (commit_recalculation.yml)
    assert pending["created_at"].endswith("Z") and committed["created_at"] == pending["created_at"][:-1] + "+00:00"
    assert {**committed, "created_at": pending["created_at"]} == pending
    assert status(backend, invoice["id"]) == ("completed", None)
    assert backend.resolutions.commit_recalculation(invoice["id"], pending["id"]) == committed  # again: harmless


def test_a_recalculation_committed_after_30_seconds_fails_and_changes_nothing(backend) -> None:
    from cryptopay_emulator.errors import NotFound, RecalculationExpired
    invoice = unresolved(backend, "paid_late")
    stale = backend.resolutions.create_recalculation(invoice["id"])
    advance(backend, 31)
    with pytest.raises(RecalculationExpired):
        backend.resolutions.commit_recalculation(invoice["id"], stale["id"])
    assert status(backend, invoice["id"]) == ("unresolved", "paid_late")
    other = backend.invoices.create(EUR_BTC)
    with pytest.raises(NotFound):  # a recalculation belongs to its invoice
        backend.resolutions.commit_recalculation(other["id"], stale["id"])
    fresh = backend.resolutions.create_recalculation(invoice["id"])
    backend.resolutions.commit_recalculation(invoice["id"], fresh["id"])
    assert status(backend, invoice["id"]) == ("completed", None)


@pytest.mark.parametrize("state", ["new", "completed", "cancelled"])
def test_recalculations_and_refunds_only_for_unresolved_underpaid_overpaid_paid_late(backend, state) -> None:
    invoice = backend.invoices.create(EUR_BTC)
    if state == "completed":
        backend.invoices.pay(invoice_id=invoice["id"], amount=FULL)
    elif state == "cancelled":
        advance(backend, CANCEL_AFTER.total_seconds())
    assert status(backend, invoice["id"])[0] == state
    with pytest.raises(NotRecalculatable):
        backend.resolutions.create_recalculation(invoice["id"], force_commit=True)
    with pytest.raises(NotRefundable):
        backend.resolutions.create_refund(invoice["id"], "2NEg6YRbKwnQT2bSJL36tSnN6VNNQnHy1JA")


def test_a_refund_to_an_address_leaves_the_account_balance_alone(backend) -> None:
    invoice = unresolved(backend, "underpaid")
    before = backend.account.balances.available("BTC")
    refund = backend.resolutions.create_refund(invoice["id"], "2NEg6YRbKwnQT2bSJL36tSnN6VNNQnHy1JA")
    assert (refund["address"], refund["amount"], refund["fee"]) == (
        "2NEg6YRbKwnQT2bSJL36tSnN6VNNQnHy1JA", "0.0009475", "0.00000948")  # fee: 1% rounded up at 8 dp
    assert backend.account.balances.available("BTC") == before
    assert status(backend, invoice["id"]) == ("refunded", None)


def test_a_refund_without_address_goes_to_the_accounts_own_crypto_balance(backend) -> None:
    invoice = unresolved(backend, "paid_late")
    before = backend.account.balances.available("BTC")
    refund = backend.resolutions.create_refund(invoice["id"])
    assert refund["address"] is None and refund["txid"] is None and refund["risk"] is None
    assert backend.account.balances.available("BTC") == before + Decimal(refund["amount"]) - Decimal(refund["fee"])
    advance(backend, 10)
    assert backend.resolutions.list_refunds(invoice["id"])[0]["txid"]  # broadcast later, as recorded


def test_a_completed_invoice_settles_price_less_fee_into_the_price_currency_account(backend, invoice) -> None:
    backend.invoices.pay(invoice_id=invoice["id"], amount=FULL)
    assert backend.account.balances.available("EUR") == Decimal("99.0")


def test_a_payment_can_be_addressed_by_deposit_address(backend, invoice) -> None:
    backend.invoices.pay(address=invoice["address"], amount=FULL)
    assert status(backend, invoice["id"]) == ("completed", None)
