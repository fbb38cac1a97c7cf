"""The probe: bearer token on every path, bad deposit requests refused before anything is created, and deposits
whose create call never answered are still found by their custom_id."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from tests.merchant.harness import Shop

GOOD = {"customer_id": "pia", "price_amount": "10.00", "price_currency": "EUR", "pay_currency": "BTC"}


def _counts(shop: Shop) -> tuple[int, int]:
    with shop.engine.connect() as conn:
        rows = conn.execute(text("SELECT COUNT(*) FROM deposits")).scalar()
    return rows, shop.client.list_invoices()["meta"]["total"]


@pytest.mark.negative
@pytest.mark.parametrize("body", [
    None, [], "text", {}, {**GOOD, "customer_id": ""}, {**GOOD, "customer_id": 7}, {**GOOD, "price_amount": 10},
    {**GOOD, "price_amount": 10.5}, {**GOOD, "price_amount": "ten"}, {**GOOD, "price_amount": "-1"},
    {**GOOD, "price_amount": "0"}, {**GOOD, "price_amount": "NaN"}, {**GOOD, "price_amount": "Infinity"},
    {**GOOD, "customer_id": "x" * 129}, {**GOOD, "network": ""}, {**GOOD, "pay_currency": None},
    {**GOOD, "description": "x" * 256}, {**GOOD, "description": 7}])
def test_bad_deposit_requests_are_refused_and_create_nothing(shop: Shop, body: object) -> None:
    before = _counts(shop)
    response = shop.probe("POST", "/deposits", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid" and response.json()["error"]["message"]
    assert _counts(shop) == before


def test_a_deposit_cryptopay_refuses_leaves_no_record(shop: Shop) -> None:
    before = _counts(shop)
    response = shop.probe("POST", "/deposits", json={**GOOD, "price_currency": "XXX"})
    assert response.status_code == 502 and response.json()["error"]["code"] == "cryptopay_error"
    assert _counts(shop) == before


def test_a_deposit_description_reaches_cryptopay_exactly(shop: Shop) -> None:
    description = "Dépôt <café> & crème — " + "é" * 232  # 255 characters, the documented limit
    response = shop.probe("POST", "/deposits", json={**GOOD, "description": description})
    assert response.status_code == 201, response.text
    assert shop.client.retrieve_invoice(response.json()["invoice_id"])["description"] == description


@pytest.mark.security
def test_every_probe_path_needs_the_token(shop: Shop) -> None:
    invoice_id = shop.deposit("quentin")
    before = _counts(shop)
    for token in ("", "wrong", shop.token + "x", shop.token.upper()):
        for method, path in (("POST", "/deposits"), ("GET", "/customers/quentin/balance"),
                             ("GET", f"/invoices/{invoice_id}"), ("GET", f"/invoices/{invoice_id}/callbacks")):
            response = shop.probe(method, path, token=token, json=GOOD if method == "POST" else None)
            assert response.status_code == 401 and shop.token not in response.text
    assert _counts(shop) == before
    assert shop.probe("GET", "/customers/nobody/balance").json() == {"customer_id": "nobody", "balances": {}}


def test_an_oversized_callback_is_refused_before_it_is_read(shop: Shop) -> None:
    response = shop.post_callback(b"{" + b" " * 2_000_000 + b"}")
    assert response.status_code == 413


def test_a_deposit_whose_create_answer_never_arrived_is_found_by_custom_id(shop: Shop) -> None:
    invoice_id = shop.deposit("rosa", "20.00")
    shop.wait_delivered(invoice_id)
    with shop.engine.begin() as conn:  # as if Cryptopay's answer to the create call had been lost
        conn.execute(text("UPDATE deposits SET invoice_id = NULL WHERE invoice_id = :i"), {"i": invoice_id})
    assert shop.recorded(invoice_id) is None
    shop.pay_in_full(invoice_id)
    shop.wait_recorded(invoice_id, "completed")
    shop.wait_delivered(invoice_id)
    assert shop.balances("rosa") == {"EUR": Decimal("20.00")}
