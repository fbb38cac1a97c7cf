"""Real mode's resend: the completed callback rebuilt from GET and again as the invoice is now (other bytes), signed
and re-posted, never credits twice; a merchant de-duplicating by a hash of the body is caught."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pytest

from support.domain.deposits import DEPOSITS
from support.domain.resend import ResendResult, resend_once, resend_storm, resent_evidence
from support.drivers.callbacks import CallbackSender
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.merchant import Deposit
from support.drivers.payers import CoinWithdrawalPayer
from support.drivers.waiting import wait_until
from support.targets.secrets import Secret
from tests.broken_merchants import VARIANTS
from tests.merchant.harness import Shop, running_shop, sqlite_url
from tests.support.conftest import Transcript


@pytest.fixture
def shop_without_control(tmp_path: Path) -> Iterator[Shop]:
    """Like the real sandbox: no control API, so payments go through coin withdrawals."""
    with running_shop(sqlite_url(tmp_path), control_enabled=False) as shop:
        yield shop


def completed_deposit(shop: Shop, customer: str) -> tuple[str, CryptopayDriver]:
    invoice_id = shop.deposit(customer, amount="100.00")
    cryptopay = CryptopayDriver(shop.api_url, shop.key, shop.api_secret, lambda exchange: None)
    invoice = cryptopay.invoice(invoice_id)
    CoinWithdrawalPayer(cryptopay.client, timeout=10, out=Transcript()).pay(invoice, Decimal(invoice["pay_amount"]))
    shop.wait_recorded(invoice_id, "completed")
    return invoice_id, cryptopay


def deposit(invoice_id: str) -> Deposit:
    """The deposit as the resend reads it: by its invoice's id."""
    return Deposit("customer", invoice_id, "custom", Decimal("100.00"), "EUR", "BTC")


def test_control_api_is_really_absent(shop_without_control: Shop) -> None:
    assert shop_without_control.http.get(f"{shop_without_control.api_url}/_emulator/clock").status_code == 404


def test_a_resent_completed_callback_is_accepted_and_credits_once(shop_without_control: Shop) -> None:
    shop = shop_without_control
    invoice_id, cryptopay = completed_deposit(shop, "resend-once")
    before = shop.balances("resend-once")
    assert before == {"EUR": Decimal("100.00")}
    sender = CallbackSender(shop.callback_url, Secret(shop.callback_secret))
    result = resend_once(DEPOSITS, "completed", deposit(invoice_id), None, cryptopay, sender, timeout=10)
    assert "as the invoice is now (different bytes)" in result.how and result.answers == [200, 200]
    first, again = result.bodies
    assert first != again and json.loads(first) == json.loads(again)  # same invoice, same status, other bytes
    assert shop.balances("resend-once") == before and shop.credit_rows(invoice_id) == 1


def test_a_merchant_that_dedupes_by_body_hash_is_credited_twice(tmp_path: Path) -> None:
    with running_shop(sqlite_url(tmp_path), VARIANTS["dedupes_by_body_hash"], control_enabled=False) as shop:
        invoice_id, cryptopay = completed_deposit(shop, "resend-hash")
        wait_until(lambda: shop.balances("resend-hash"), lambda b: b == {"EUR": Decimal("100.00")}, timeout=10,
                   expected="the completed notification credited once")
        sender = CallbackSender(shop.callback_url, Secret(shop.callback_secret))
        result = resend_once(DEPOSITS, "completed", deposit(invoice_id), None, cryptopay, sender, timeout=10)
        assert result.answers == [200, 200]
        # The body rebuilt from GET is byte-identical to the first delivery (caught); the re-read one is not.
        assert shop.balances("resend-hash") == {"EUR": Decimal("200.00")}


def test_resent_concurrently_still_credits_once(shop_without_control: Shop) -> None:
    shop = shop_without_control
    invoice_id, cryptopay = completed_deposit(shop, "resend-storm")
    sender = CallbackSender(shop.callback_url, Secret(shop.callback_secret))
    result = resend_storm(DEPOSITS, "completed", 20, deposit(invoice_id), None, cryptopay, sender, 30.0)
    assert result.answers == [200] * 20
    assert shop.balances("resend-storm") == {"EUR": Decimal("100.00")} and shop.credit_rows(invoice_id) == 1


def test_a_copy_signed_with_another_secret_is_refused(shop_without_control: Shop) -> None:
    shop = shop_without_control
    invoice_id, cryptopay = completed_deposit(shop, "resend-forged")
    forged = CallbackSender(shop.callback_url, Secret("not-the-callback-secret"))
    result = resend_once(DEPOSITS, "completed", deposit(invoice_id), None, cryptopay, forged, timeout=10)
    assert result.answers == [401, 401]
    assert shop.credit_rows(invoice_id) == 1


def test_the_evidence_of_a_resend_shows_how_the_answers_and_every_body() -> None:
    result = ResendResult("twice", [200, 401], bodies=(b'{"a": 1}', b'{\n  "a": 1\n}'))
    assert resent_evidence(result) == {"how": "twice", "merchant_answers": [200, 401],
                                       "bodies": ['{"a": 1}', '{\n  "a": 1\n}']}
