"""The reference merchant's payouts: debit Cryptopay's charged_amount once, return it once on cancel, refuse high risk."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import text

from tests.merchant.harness import PAYOUT_OPTIONS, Shop, callback_bytes, running_shop, sqlite_url

RISKY = "2NBjwW5J9rLkBiCMPnpWUSsXJqFqWkJ8Ju8"


def _shop(tmp_path: Path, **merchant: str):
    return running_shop(sqlite_url(tmp_path), merchant or None, **PAYOUT_OPTIONS)


@pytest.fixture
def payouts_shop(tmp_path: Path) -> Iterator[Shop]:
    with _shop(tmp_path) as started:
        started.fund_account(EUR="1000.0")
        yield started


@pytest.fixture
def any_db_payouts_shop(database_url: str) -> Iterator[Shop]:
    with running_shop(database_url, **PAYOUT_OPTIONS) as started:
        started.fund_account(EUR="1000.0")
        yield started


@pytest.fixture
def to_send_shop(tmp_path: Path) -> Iterator[Shop]:
    with _shop(tmp_path, payout_amount_field="charged_amount_to_send") as started:
        started.fund_account(EUR="1000.0")
        yield started


def _placed(shop: Shop, customer: str, amount: str = "20.00") -> dict:
    response = shop.payout(customer, amount)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_payout_debits_cryptopays_charged_amount_once_and_follows_the_withdrawal(payouts_shop: Shop) -> None:
    shop = payouts_shop
    shop.fund("ann", "100.00")
    placed = _placed(shop, "ann")
    withdrawal = shop.client.retrieve_coin_withdrawal(placed["coin_withdrawal_id"])
    assert withdrawal["custom_id"] == placed["payout_id"] and withdrawal["customer_id"] == "ann"
    assert Decimal(withdrawal["charged_amount"]) == Decimal("20.00")  # charged_amount: exactly what was asked
    assert shop.balances("ann") == {"EUR": Decimal("80.00")}
    recorded = shop.wait_payout_recorded(placed["payout_id"], "completed")
    shop.wait_delivered(placed["coin_withdrawal_id"], at_least=4)
    assert recorded["debited"] == {"amount": "20.00", "currency": "EUR"} and recorded["refunded"] is False
    assert shop.balances("ann") == {"EUR": Decimal("80.00")} and shop.moves("payout_debit", placed["payout_id"]) == 1


def test_charged_amount_to_send_debits_the_fees_on_top_as_cryptopay_charged_them(to_send_shop: Shop) -> None:
    shop = to_send_shop
    shop.fund("bob", "100.00")
    placed = _placed(shop, "bob")
    withdrawal = shop.client.retrieve_coin_withdrawal(placed["coin_withdrawal_id"])
    charged = Decimal(withdrawal["charged_amount"])
    assert charged > Decimal("20.00")  # the fees came on top of the amount sent
    assert shop.balances("bob") == {"EUR": Decimal("100.00") - charged}
    assert shop.recorded_payout(placed["payout_id"])["debited"] == {"amount": f"{charged:.2f}", "currency": "EUR"}


def test_a_failed_payout_that_ends_cancelled_is_returned_to_the_customer_once(any_db_payouts_shop: Shop) -> None:
    shop = any_db_payouts_shop
    shop.fund("cat", "100.00")
    placed = _placed(shop, "cat")
    shop.control.fail_withdrawal(placed["coin_withdrawal_id"])
    recorded = shop.wait_payout_recorded(placed["payout_id"], "cancelled")
    assert recorded["refunded"] is True and shop.balances("cat") == {"EUR": Decimal("100.00")}
    delivery = shop.control.delivery(placed["coin_withdrawal_id"], status="cancelled")
    shop.control.resend(delivery.id)
    cancelled = shop.client.retrieve_coin_withdrawal(placed["coin_withdrawal_id"])
    answers = shop.post_at_once(callback_bytes("status_changed", cancelled, kind="CoinWithdrawal"))
    assert answers == [200] * 50, answers
    shop.wait_delivered(placed["coin_withdrawal_id"])
    assert shop.moves("payout_refund", placed["payout_id"]) == 1 and shop.balances("cat") == {"EUR": Decimal("100.00")}


def test_fifty_simultaneous_copies_of_each_payout_callback_move_no_more_money(payouts_shop: Shop) -> None:
    shop = payouts_shop
    shop.fund("dee", "100.00")
    placed = _placed(shop, "dee")
    shop.wait_payout_recorded(placed["payout_id"], "completed")
    completed = shop.client.retrieve_coin_withdrawal(placed["coin_withdrawal_id"])
    for event in ("created", "status_changed"):
        assert shop.post_at_once(callback_bytes(event, completed, kind="CoinWithdrawal")) == [200] * 50
    assert shop.balances("dee") == {"EUR": Decimal("80.00")}
    assert shop.moves("payout_debit", placed["payout_id"]) == 1 and shop.moves("payout_refund", placed["payout_id"]) == 0


def test_a_high_risk_address_debits_nothing_tells_the_customer_and_is_tried_once(payouts_shop: Shop) -> None:
    shop = payouts_shop
    shop.fund("eli", "100.00")
    shop.control.add_high_risk_address(RISKY)
    response = shop.payout("eli", address=RISKY)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "high_risk_address" and "address" in error["message"]
    assert shop.balances("eli") == {"EUR": Decimal("100.00")}
    with shop.engine.connect() as conn:
        rows = conn.execute(text("SELECT refusal, coin_withdrawal_id FROM payouts WHERE customer_id = 'eli'")).all()
    assert rows == [("high_risk_address", None)]  # recorded once, never attempted again


def test_a_withdrawal_larger_than_the_balance_is_refused_and_debits_nothing(payouts_shop: Shop) -> None:
    shop = payouts_shop
    shop.fund("fay", "10.00")
    response = shop.payout("fay", "20.00")
    assert response.status_code == 422 and response.json()["error"]["code"] == "insufficient_funds"
    assert shop.balances("fay") == {"EUR": Decimal("10.00")}


def test_fees_on_top_that_the_balance_cannot_cover_are_refused_and_nothing_is_sent(to_send_shop: Shop) -> None:
    shop = to_send_shop
    shop.fund("gil", "20.00")
    response = shop.payout("gil", "20.00")
    assert response.status_code == 422 and response.json()["error"]["code"] == "insufficient_funds"
    assert shop.balances("gil") == {"EUR": Decimal("20.00")}
    with shop.engine.connect() as conn:
        withdrawal_id = conn.execute(text("SELECT coin_withdrawal_id FROM payouts WHERE customer_id = 'gil'")).scalar()
    assert shop.client.retrieve_coin_withdrawal(withdrawal_id)["status"] == "new"  # quoted, never committed


def test_concurrent_withdrawals_never_spend_the_same_balance_twice(any_db_payouts_shop: Shop) -> None:
    shop = any_db_payouts_shop  # the customer's lock row serialises debits on SQLite and PostgreSQL alike
    shop.fund("hal", "30.00")
    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(lambda _: shop.payout("hal", "20.00").status_code, range(5)))
    assert sorted(answers) == [201, 422, 422, 422, 422], answers
    assert shop.balances("hal") == {"EUR": Decimal("10.00")}


@pytest.mark.parametrize("signature", [None, "0" * 64])
def test_a_forged_cancelled_callback_returns_nothing(payouts_shop: Shop, signature: str | None) -> None:
    shop = payouts_shop
    shop.fund("ida", "100.00")
    placed = _placed(shop, "ida")
    shop.wait_payout_recorded(placed["payout_id"], "completed")
    forged = {**shop.client.retrieve_coin_withdrawal(placed["coin_withdrawal_id"]), "status": "cancelled"}
    for sign in (signature, "sign"):  # forged, then signed but contradicted by Cryptopay's GET
        response = shop.post_callback(callback_bytes("status_changed", forged, kind="CoinWithdrawal"), sign)
        assert response.status_code in ((400, 401, 403) if sign != "sign" else (200,))
    assert shop.recorded_payout(placed["payout_id"])["status"] == "completed"
    assert shop.balances("ida") == {"EUR": Decimal("80.00")}


@pytest.mark.parametrize("body", [{}, {"customer_id": "j", "amount": "-1", "currency": "EUR", "pay_currency": "BTC",
                                       "address": "a"},
                                  {"customer_id": "j", "amount": 20, "currency": "EUR", "pay_currency": "BTC",
                                   "address": "a"},
                                  {"customer_id": "j", "amount": "NaN", "currency": "EUR", "pay_currency": "BTC",
                                   "address": "a"}])
def test_an_invalid_payout_request_is_refused_and_changes_nothing(payouts_shop: Shop, body: dict) -> None:
    shop = payouts_shop
    shop.fund("j", "100.00")
    response = shop.probe("POST", "/payouts", json=body)
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid"
    assert shop.balances("j") == {"EUR": Decimal("100.00")}


@pytest.mark.parametrize("body", [{}, {"amount": "1e400x", "currency": "EUR"}, {"amount": "0", "currency": "EUR"},
                                  {"amount": "5", "currency": "euro"}])
def test_invalid_funding_is_refused_and_changes_nothing(shop: Shop, body: dict) -> None:
    response = shop.probe("POST", "/customers/kai/funding", json=body)
    assert response.status_code == 422 and shop.balances("kai") == {}
