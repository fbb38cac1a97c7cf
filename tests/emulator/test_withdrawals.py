"""Coin withdrawals (docs/cryptopay-channels-payouts-facts.md §9-§17): the lifecycle, balances and the ledger, the
three amount modes with the processing fee, 30-second commits, documented errors, lists, paying invoice addresses."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest

from cryptopay_client import CryptopayError
from cryptopay_emulator.errors import Invalid
from tests.emulator.conftest import LiveEmulator
from tests.emulator.shapes import RECORDINGS, assert_same_shape

EXTERNAL_BTC = "2N1prXeqc7qSPa3rfvrWj3VNKFwaeQWLeBV"


def balance(emu: LiveEmulator, currency: str) -> Decimal:
    return Decimal(emu.control("GET", "/balances").json()["data"][currency])


def step(emu: LiveEmulator, seconds: int = 1) -> None:
    """One lifecycle step (EmulatorConfig.withdrawal_step_seconds is 1 emulated second)."""
    assert emu.control("POST", "/clock/advance", {"seconds": seconds}).status_code == 200


def test_a_forced_withdrawal_to_an_invoice_address_pays_that_invoice_once_sent(emu) -> None:
    invoice = emu.client.create_invoice(price_amount="100.0", price_currency="EUR", pay_currency="BTC")
    before = balance(emu, "BTC")
    made = emu.client.create_coin_withdrawal(address=invoice["address"], charged_currency="BTC",
                                             received_currency="BTC", received_amount=invoice["pay_amount"],
                                             force_commit=True)
    assert (made["status"], made["txid"], made["received_amount"], made["charged_amount"]) == \
        ("pending", None, "0.001895", "0.001905")
    assert balance(emu, "BTC") == before - Decimal("0.001905")  # debited at once: amount plus the network fee
    step(emu)
    assert emu.client.retrieve_invoice(invoice["id"])["paid_amount"] == "0.0"  # processing: nothing broadcast
    step(emu)
    sent = emu.client.retrieve_coin_withdrawal(made["id"])
    seen = emu.client.retrieve_invoice(invoice["id"])
    assert sent["status"] == "sent" and (seen["status"], seen["paid_amount"]) == ("new", "0.001895")
    assert [t["txid"] for t in seen["transactions"]] == [sent["txid"]]
    step(emu)
    paid = emu.client.retrieve_invoice(invoice["id"])
    assert emu.client.retrieve_coin_withdrawal(made["id"])["status"] == "completed"
    assert paid["status"] == "completed" and paid["transactions"][0]["risk"]["level"] == "low"


def test_without_force_commit_nothing_moves_until_committed_within_30_seconds(emu) -> None:
    invoice = emu.client.create_invoice(price_amount="100.0", price_currency="EUR", pay_currency="ETH")
    before = balance(emu, "ETH")
    quote = emu.client.create_coin_withdrawal(address=invoice["address"], charged_currency="ETH",
                                              received_currency="ETH", received_amount=invoice["pay_amount"])
    assert quote["status"] == "new" and quote["txid"] is None
    assert emu.client.retrieve_invoice(invoice["id"])["paid_amount"] == "0.0" and balance(emu, "ETH") == before
    emu.control("POST", "/clock/advance", {"seconds": 29})
    committed = emu.client.commit_coin_withdrawal(quote["id"])
    assert (committed["status"], committed["txid"]) == ("pending", None)
    assert balance(emu, "ETH") == before - Decimal(committed["charged_amount"])
    step(emu, 3)
    assert emu.client.retrieve_invoice(invoice["id"])["status"] == "completed"


def test_a_commit_after_30_seconds_is_refused_and_the_withdrawal_cancelled(emu) -> None:
    before = balance(emu, "BTC")
    quote = emu.client.create_coin_withdrawal(address=EXTERNAL_BTC, charged_currency="BTC", received_currency="BTC",
                                              charged_amount="0.5")
    emu.control("POST", "/clock/advance", {"seconds": 31})
    with pytest.raises(CryptopayError) as refused:
        emu.client.commit_coin_withdrawal(quote["id"])
    assert (refused.value.status, refused.value.code) == (422, "coin_withdrawal_expired")
    assert emu.client.retrieve_coin_withdrawal(quote["id"])["status"] == "cancelled"
    assert balance(emu, "BTC") == before


def test_more_than_the_balance_is_422_and_changes_nothing(emu) -> None:
    assert emu.control("PUT", "/balances", {"BTC": "0.001"}).json()["data"]["BTC"] == "0.001"
    with pytest.raises(CryptopayError) as refused:
        emu.client.create_coin_withdrawal(address=EXTERNAL_BTC, charged_currency="BTC", received_currency="BTC",
                                          received_amount="0.001", force_commit=True)
    assert refused.value.status == 422 and refused.value.detail_codes() == ["must_be_less_than_or_equal"]
    assert balance(emu, "BTC") == Decimal("0.001")
    assert emu.client._call("GET", "/api/coin_withdrawals")["meta"]["total"] == 0


@pytest.mark.parametrize("amounts", [{}, {"charged_amount": "1.0", "received_amount": "1.0"}])
def test_exactly_one_amount_field(emu, amounts) -> None:
    with pytest.raises(CryptopayError) as refused:
        emu.client.create_coin_withdrawal(address=EXTERNAL_BTC, charged_currency="BTC", received_currency="BTC",
                                          **amounts)
    assert refused.value.detail_codes() == ["must_be_exactly_one_of"]


def test_custom_ids_are_unique_and_retrievable(emu) -> None:
    params = dict(address=EXTERNAL_BTC, charged_currency="BTC", received_currency="BTC", charged_amount="0.1",
                  custom_id="payout-1")
    made = emu.client.create_coin_withdrawal(**params)
    with pytest.raises(CryptopayError) as duplicate:
        emu.client.create_coin_withdrawal(**params)
    assert (duplicate.value.status, duplicate.value.code) == (409, "duplicate_custom_id")
    assert emu.client._call("GET", "/api/coin_withdrawals/custom_id/payout-1")["data"]["id"] == made["id"]
    with pytest.raises(CryptopayError) as missing:
        emu.client.retrieve_coin_withdrawal("00000000-0000-4000-8000-000000000000")
    assert missing.value.status == 404


def test_the_field_set_matches_the_recorded_coin_withdrawal_callback(emu) -> None:
    recorded = json.loads((RECORDINGS / "callbacks" / "coin_withdrawal.json").read_text())["data"]
    emu.control("PUT", "/balances", {"EUR": "100.0"})
    made = emu.client.create_coin_withdrawal(address="0x7d00c40f923f1cdb99a5a8e692db8a8804e06715",
                                             charged_currency="EUR", received_currency="ETH", charged_amount="10.0",
                                             force_commit=True)
    step(emu, 2)
    made = emu.client.retrieve_coin_withdrawal(made["id"])
    assert made["status"] == recorded["status"] == "sent"
    # customer_id and description are in the API's field list (facts §11), absent from the 2021 callback fixture,
    # whose exchange also lacks the processing fee the API shows (facts §15, open question 16)
    extra = {k: made.pop(k) for k in ("customer_id", "description")}
    assert extra == {"customer_id": None, "description": None}
    assert_same_shape(recorded, {**made, "exchange": {k: made["exchange"][k] for k in ("pair", "rate")}})
    assert made["exchange"]["pair"] == "ETHEUR" and made["exchange"]["fee"] == "0.1"


# -- amount modes, on the desk alone ------------------------------------------------------------------------
@pytest.mark.parametrize("field, amount, received, charged", [
    ("received_amount", "1.0", "1.0", "1.00001"),  # fee on top
    ("charged_amount_to_send", "1.0", "1.0", "1.00001"),  # fee on top, same currency
    ("charged_amount", "1.0", "0.99999", "1.0"),  # fee taken out
])
def test_amount_modes_in_the_same_currency(backend, field, amount, received, charged) -> None:
    desk = backend.withdrawals
    made = desk.create({"address": EXTERNAL_BTC, "charged_currency": "BTC", "received_currency": "BTC",
                        field: amount, "force_commit": True})
    assert (made["received_amount"], made["charged_amount"], made["exchange"]) == (received, charged, None)
    assert backend.account.balances.available("BTC") == Decimal("10.0") - Decimal(charged)


def test_a_fiat_charged_withdrawal_converts_at_the_rate(backend) -> None:
    backend.account.set_balances({"EUR": Decimal("1000")})
    made = backend.withdrawals.create({"address": EXTERNAL_BTC, "charged_currency": "EUR",
                                           "received_currency": "BTC", "received_amount": "0.01"})
    # (0.01 + 0.00001 network fee) × 52798.1734 = 528.51, plus 1% of the final charge (5.34) = 533.85
    assert (made["charged_amount"], made["exchange"]) == \
        ("533.85", {"pair": "BTCEUR", "rate": "52798.1734", "fee": "5.34", "fee_currency": "EUR"})


def test_an_amount_that_the_network_fee_eats_is_refused(backend) -> None:
    with pytest.raises(Invalid):
        backend.withdrawals.create({"address": EXTERNAL_BTC, "charged_currency": "BTC",
                                        "received_currency": "BTC", "charged_amount": "0.00001"})


def test_balances_are_read_and_set_through_the_control_api_and_restored_by_reset(emu) -> None:
    assert balance(emu, "BTC") == Decimal("10.0") and balance(emu, "USDT") == Decimal("100000.0")
    assert emu.control("PUT", "/balances", {"BTC": "2.5", "EUR": "0"}).status_code == 200
    assert (balance(emu, "BTC"), balance(emu, "EUR")) == (Decimal("2.5"), Decimal("0"))
    assert emu.control("PUT", "/balances", {"BTC": "-1"}).status_code == 422
    assert emu.control("PUT", "/balances", {"NOPE": "1"}).status_code == 422
    emu.control("POST", "/reset")
    assert balance(emu, "BTC") == Decimal("10.0")
