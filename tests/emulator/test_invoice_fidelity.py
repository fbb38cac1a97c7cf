"""Issue 14's invoice differences: a malformed id is 422 `must_be_uuid` (6); transaction risk is null until scored (5)."""
from __future__ import annotations

import pytest
import requests

from cryptopay_client.signing import HmacAuth
from tests.emulator.conftest import KEY, SECRET, LiveEmulator
from tests.emulator.shapes import assert_same_shape, recorded_error

EUR_BTC = {"price_amount": "100.0", "price_currency": "EUR", "pay_currency": "BTC"}


def signed(emu: LiveEmulator, method: str, path: str, body: bytes | None = None) -> requests.Response:
    return requests.request(method, emu.url + path, data=body, auth=HmacAuth(KEY, SECRET), timeout=10)


@pytest.mark.parametrize("method, path, target", [
    ("GET", "/api/invoices/not-a-uuid", "invoice_id"),
    ("POST", "/api/invoices/not-a-uuid/refunds", "invoice_id"),
    ("GET", "/api/invoices/not-a-uuid/refunds", "invoice_id"),
    ("POST", "/api/invoices/not-a-uuid/recalculations", "invoice_id"),
    ("GET", "/api/coin_withdrawals/not-a-uuid", "coin_withdrawal_id"),
    ("POST", "/api/coin_withdrawals/not-a-uuid/commit", "coin_withdrawal_id"),
])
def test_a_malformed_id_is_422_must_be_uuid_like_starting_after(emu: LiveEmulator, method, path, target) -> None:
    answer = signed(emu, method, path)
    assert answer.status_code == 422
    recorded = recorded_error("wrong_starting_after")  # the same envelope, naming the path parameter instead
    assert_same_shape(recorded, answer.json())
    assert answer.json()["error"]["details"] == [{**recorded["error"]["details"][0], "target": target}]


def test_a_well_formed_unknown_id_is_still_404(emu: LiveEmulator) -> None:
    assert signed(emu, "GET", "/api/invoices/00000000-0000-4000-8000-000000000000").status_code == 404


def test_transaction_risk_is_null_until_the_transaction_is_scored(emu: LiveEmulator) -> None:
    invoice = emu.client.create_invoice(**EUR_BTC)
    tx = emu.control("POST", "/payments", {"invoice_id": invoice["id"], "amount": invoice["pay_amount"],
                                           "risk_level": "medium", "confirmed": False}).json()["data"]
    seen = emu.client.retrieve_invoice(invoice["id"])["transactions"]
    assert seen == [{"txid": tx["txid"], "risk": None}]
    emu.control("POST", f"/transactions/{tx['txid']}/confirm")
    risk = emu.client.retrieve_invoice(invoice["id"])["transactions"][0]["risk"]
    assert risk["level"] == "medium" and set(risk) == {"score", "level", "resource_name", "resource_category"}
    created = emu.control("GET", f"/deliveries?invoice_id={invoice['id']}").json()["data"][1]
    assert created["event"] == "transaction_created" and '"risk": null' in created["body"]
