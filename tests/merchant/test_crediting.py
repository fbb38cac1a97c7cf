"""Credit only on completed, with the final amount; unresolved of any context holds; refunded/cancelled never credit."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.merchant.harness import Shop

UNDERPAY_FACTOR = Decimal("0.5")
EXPIRY_SECONDS = 11 * 60  # invoices with an exchange expire after 10 minutes
CANCEL_SECONDS = 15 * 86400  # unpaid invoices are cancelled after 14 days


def _underpay_and_expire(shop: Shop, invoice_id: str) -> None:
    pay_amount = Decimal(shop.invoice(invoice_id)["pay_amount"])
    shop.control.pay(invoice_id, pay_amount * UNDERPAY_FACTOR)
    shop.control.advance_clock(EXPIRY_SECONDS)


def test_a_completed_deposit_credits_the_final_price_once_and_is_recorded(any_db_shop: Shop) -> None:
    shop = any_db_shop
    invoice_id = shop.deposit("alice", "100.00")
    assert shop.recorded(invoice_id) == {"invoice_id": invoice_id, "status": "new", "status_context": None}
    shop.pay_in_full(invoice_id)
    shop.wait_recorded(invoice_id, "completed")
    shop.wait_delivered(invoice_id, at_least=3)
    assert shop.balances("alice") == {"EUR": Decimal("100.00")}
    assert shop.balances("someone-else") == {}
    assert shop.credit_rows(invoice_id) == 1


def test_a_resent_completed_callback_never_credits_twice(any_db_shop: Shop) -> None:
    shop = any_db_shop
    invoice_id = shop.deposit("bob", "40.00")
    shop.pay_in_full(invoice_id)
    delivered = shop.wait_delivered(invoice_id, at_least=3)
    completed = [d for d in delivered if d.status == "completed" and d.event == "status_changed"]
    assert len(completed) == 1
    already_before = [c["outcome"] for c in shop.callbacks(invoice_id)].count("already credited: no change")
    for _ in range(3):
        shop.control.resend(completed[0].id)
    shop.wait_delivered(invoice_id, at_least=len(delivered) + 3)
    assert shop.balances("bob") == {"EUR": Decimal("40.00")}
    assert shop.credit_rows(invoice_id) == 1
    outcomes = [c["outcome"] for c in shop.callbacks(invoice_id)]
    assert outcomes.count("already credited: no change") == already_before + 3, outcomes


def test_the_recalculated_price_is_credited_not_the_original(shop: Shop) -> None:
    invoice_id = shop.deposit("carol", "100.00")
    _underpay_and_expire(shop, invoice_id)
    shop.wait_recorded(invoice_id, "unresolved", "underpaid")
    assert shop.balances("carol") == {}
    shop.client.create_recalculation(invoice_id, force_commit=True)
    final = shop.invoice(invoice_id)
    assert final["status"] == "completed" and Decimal(final["price_amount"]) < Decimal("100.00")
    shop.wait_recorded(invoice_id, "completed")
    shop.wait_delivered(invoice_id)
    assert shop.balances("carol") == {"EUR": Decimal(final["price_amount"]).quantize(Decimal("0.01"))}


@pytest.mark.parametrize("context", ["underpaid", "overpaid", "paid_late", "illicit_resource"])
def test_unresolved_of_any_context_is_held_and_not_credited(shop: Shop, context: str) -> None:
    invoice_id = shop.deposit("dave", "100.00")
    pay_amount = Decimal(shop.invoice(invoice_id)["pay_amount"])
    if context == "underpaid":
        _underpay_and_expire(shop, invoice_id)
    elif context == "overpaid":
        shop.control.pay(invoice_id, pay_amount * 2)
    elif context == "paid_late":
        shop.control.advance_clock(EXPIRY_SECONDS)
        shop.control.pay(invoice_id, pay_amount)
    else:
        shop.control.pay(invoice_id, pay_amount, risk_level="high")
    assert shop.invoice(invoice_id)["status_context"] == context
    shop.wait_recorded(invoice_id, "unresolved", context)
    shop.wait_delivered(invoice_id)
    assert shop.balances("dave") == {} and shop.credit_rows(invoice_id) == 0


def test_an_illicit_hold_released_by_monitoring_credits_then(shop: Shop) -> None:
    invoice_id = shop.deposit("erin", "25.00")
    shop.pay_in_full(invoice_id, risk_level="high")
    shop.wait_recorded(invoice_id, "unresolved", "illicit_resource")
    shop.control.monitoring_decision(invoice_id, "completed")
    shop.wait_recorded(invoice_id, "completed")
    shop.wait_delivered(invoice_id)
    assert shop.balances("erin") == {"EUR": Decimal("25.00")}


@pytest.mark.parametrize("how", ["refund_underpaid", "illicit_refunded", "cancelled"])
def test_refunded_and_cancelled_never_credit(shop: Shop, how: str) -> None:
    invoice_id = shop.deposit("frank", "100.00")
    if how == "refund_underpaid":
        _underpay_and_expire(shop, invoice_id)
        shop.wait_recorded(invoice_id, "unresolved", "underpaid")
        shop.client.create_refund(invoice_id)
        expected = "refunded"
    elif how == "illicit_refunded":
        shop.pay_in_full(invoice_id, risk_level="high")
        shop.wait_recorded(invoice_id, "unresolved", "illicit_resource")
        shop.control.monitoring_decision(invoice_id, "refunded")
        expected = "refunded"
    else:
        shop.control.advance_clock(CANCEL_SECONDS)
        expected = "cancelled"
    shop.wait_recorded(invoice_id, expected)
    shop.wait_delivered(invoice_id)
    assert shop.balances("frank") == {} and shop.credit_rows(invoice_id) == 0
