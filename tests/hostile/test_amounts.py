"""Amounts only a plain decimal string can spell, and bodies nested too deep: the emulator and the reference merchant
refuse them with a 4xx in their own envelopes and change nothing (issue 21, point 14)."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pytest
import requests

from cryptopay_client import CryptopayError
from cryptopay_client.signing import HmacAuth
from tests.emulator.conftest import KEY, SECRET, LiveEmulator, live  # noqa: F401 - the fixture is used by name
from tests.merchant.harness import PAYOUT_OPTIONS, Shop, running_shop, sqlite_url

# What Python's Decimal reads but no Cryptopay amount looks like: money there is a plain decimal string ("100.0",
# "0.00184519"; docs/cryptopay-api-facts.md §3 and the channels/payouts facts' cross-cutting notes).
NOT_AMOUNTS = ["\u0665", "\u0661\u0660\u0660.0", "1_000", ".5", "5.", "+5", " 5", "5\n", "1e2", "1E+2", "0x10",
               "\uff15", "Infinity", "-0"]
EUR_BTC = {"price_currency": "EUR", "pay_currency": "BTC"}


@pytest.fixture
def emulator(live) -> LiveEmulator:  # noqa: F811 - pytest passes the fixture
    return live(run_scheduler=False, rate_limit_per_minute=0)


@pytest.mark.parametrize("amount", NOT_AMOUNTS)
def test_the_emulator_refuses_an_amount_that_is_not_a_plain_decimal_string(emulator: LiveEmulator,
                                                                           amount: str) -> None:
    with pytest.raises(CryptopayError) as refused:
        emulator.client.create_invoice(price_amount=amount, **EUR_BTC)
    assert refused.value.status == 422 and refused.value.code == "invalid"
    assert emulator.client.list_invoices()["data"] == []


def test_the_emulator_still_takes_plain_decimal_strings(emulator: LiveEmulator) -> None:
    for amount in ("100", "100.0", "0.00184519", "999999999999999.99"):
        created = emulator.client.create_invoice(price_amount=amount, **EUR_BTC)
        assert Decimal(created["price_amount"]) == Decimal(amount)


@pytest.mark.parametrize("path", ["/api/invoices", "/api/coin_withdrawals", "/api/channels"])
def test_a_signed_body_nested_too_deep_is_a_4xx_in_cryptopays_envelope(emulator: LiveEmulator, path: str) -> None:
    depth = 100_000
    body = '{"price_amount":"1.0","metadata":' + "[" * depth + "]" * depth + "}"
    answer = requests.post(emulator.url + path, data=body.encode(), auth=HmacAuth(KEY, SECRET), timeout=30)
    assert 400 <= answer.status_code < 500, answer.status_code
    envelope = answer.json()
    assert envelope["error"]["code"] == "invalid" and len(envelope["meta"]["request_id"]) == 32
    assert emulator.client.list_invoices()["data"] == []


# -- the reference merchant ----------------------------------------------------------------------------------------
@pytest.fixture
def payouts_shop(tmp_path: Path) -> Iterator[Shop]:
    with running_shop(sqlite_url(tmp_path), **PAYOUT_OPTIONS) as started:
        started.fund_account(EUR="1000.0")
        yield started


@pytest.mark.parametrize("amount", NOT_AMOUNTS)
def test_the_merchant_refuses_a_funding_amount_that_is_not_a_plain_decimal_string(payouts_shop: Shop,
                                                                                amount: str) -> None:
    answer = payouts_shop.probe("POST", "/customers/kai/funding", json={"amount": amount, "currency": "EUR"})
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid", answer.text
    assert payouts_shop.balances("kai") == {}


@pytest.mark.parametrize("amount", NOT_AMOUNTS)
def test_the_merchant_refuses_a_deposit_or_payout_amount_that_is_not_a_plain_decimal_string(payouts_shop: Shop,
                                                                                           amount: str) -> None:
    shop = payouts_shop
    shop.fund("lee", "100.00")
    deposit = shop.probe("POST", "/deposits", json={"customer_id": "lee", "price_amount": amount, **EUR_BTC})
    payout = shop.payout("lee", amount)
    assert (deposit.status_code, payout.status_code) == (422, 422), (deposit.text, payout.text)
    assert shop.client.list_invoices()["data"] == [] and shop.balances("lee") == {"EUR": Decimal("100.00")}


@pytest.mark.parametrize("path", ["/deposits", "/customers/lee/funding", "/payouts", "/channels"])
def test_a_probe_body_nested_too_deep_is_a_422_and_changes_nothing(payouts_shop: Shop, path: str) -> None:
    depth = 100_000
    body = b'{"customer_id":"lee","amount":' + b"[" * depth + b"]" * depth + b"}"
    answer = requests.post(f"{payouts_shop.merchant_url}/probe{path}", data=body, timeout=30,
                           headers={"Authorization": f"Bearer {payouts_shop.token}",
                                    "Content-Type": "application/json"})
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid", answer.text
    assert payouts_shop.balances("lee") == {} and payouts_shop.client.list_invoices()["data"] == []
