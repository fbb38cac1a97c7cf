"""The reference merchant's channels: one per customer and coin, credited once, only when completed, as declared."""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pytest

from tests.merchant.harness import Shop, callback_bytes, running_shop, sqlite_url


@pytest.fixture
def gross_shop(tmp_path: Path) -> Iterator[Shop]:
    with running_shop(sqlite_url(tmp_path), {"channel_credited_amount": "gross"}) as started:
        yield started


def test_a_customer_has_one_channel_per_coin_recorded_at_cryptopay_under_the_merchants_custom_id(shop: Shop) -> None:
    first = shop.probe("POST", "/channels", json={"customer_id": "ada", "pay_currency": "BTC",
                                                  "receive_currency": "EUR"})
    again = shop.probe("POST", "/channels", json={"customer_id": "ada", "pay_currency": "BTC",
                                                  "receive_currency": "EUR"})
    assert (first.status_code, again.status_code) == (201, 200) and first.json() == again.json()
    other_coin = shop.open_channel("ada", pay="ETH")
    other_customer = shop.open_channel("bea")
    assert len({first.json()["address"], other_coin["address"], other_customer["address"]}) == 3
    at_cryptopay = shop.client.channel(first.json()["channel_id"])
    assert at_cryptopay["custom_id"] == first.json()["custom_id"] and at_cryptopay["customer_id"] == "ada"
    assert at_cryptopay["address"] == first.json()["address"] and at_cryptopay["receiver_currency"] == "EUR"


def test_a_pending_payment_is_recorded_but_credited_only_once_it_completes(shop: Shop) -> None:
    channel = shop.open_channel("cy")
    payment = shop.pay_channel(channel, confirmed=False)
    shop.wait_payment_recorded(payment["id"], "pending")
    shop.wait_delivered(payment["id"])
    assert shop.balances("cy") == {}
    shop.control.confirm(payment["txid"])
    shop.wait_payment_recorded(payment["id"], "completed")
    completed = shop.channel_payment(payment)
    assert shop.balances("cy") == {"EUR": Decimal(completed["received_amount"])}  # net, the default declaration
    assert shop.recorded_payment(payment["id"]) == {
        "channel_payment_id": payment["id"], "channel_id": channel["channel_id"], "customer_id": "cy",
        "status": "completed", "status_context": None}


def test_the_gross_declaration_credits_received_amount_plus_the_fee(gross_shop: Shop) -> None:
    payment = gross_shop.pay_channel(gross_shop.open_channel("dan"))
    gross_shop.wait_payment_recorded(payment["id"], "completed")
    completed = gross_shop.channel_payment(payment)
    gross = Decimal(completed["received_amount"]) + Decimal(completed["fee"])
    assert Decimal(completed["fee"]) > 0 and gross_shop.balances("dan") == {"EUR": gross}


def test_a_same_currency_channel_credits_the_net_in_that_coin(shop: Shop) -> None:
    payment = shop.pay_channel(shop.open_channel("eve", pay="BTC", receive="BTC"), amount="0.003")
    shop.wait_payment_recorded(payment["id"], "completed")
    completed = shop.channel_payment(payment)
    assert completed["received_currency"] == "BTC" and Decimal(completed["received_amount"]) < Decimal("0.003")
    assert shop.balances("eve") == {"BTC": Decimal(completed["received_amount"])}


def test_a_held_payment_is_never_credited_while_held_and_credited_once_released(shop: Shop) -> None:
    channel = shop.open_channel("fay")
    held = shop.pay_channel(channel, risk_level="high")
    shop.wait_payment_recorded(held["id"], "on_hold", "illicit_resource")
    shop.wait_delivered(held["id"])
    assert shop.balances("fay") == {}
    shop.control.channel_monitoring_decision(held["id"], "completed")
    shop.wait_payment_recorded(held["id"], "completed")
    assert shop.balances("fay") == {"EUR": Decimal(shop.channel_payment(held)["received_amount"])}
    refunded = shop.pay_channel(channel, risk_level="high")
    shop.wait_payment_recorded(refunded["id"], "on_hold", "illicit_resource")
    shop.control.channel_monitoring_decision(refunded["id"], "refunded")
    shop.wait_payment_recorded(refunded["id"], "refunded")
    assert shop.moves("channel_credit", refunded["id"]) == 0


def test_fifty_simultaneous_copies_of_the_completed_callback_credit_exactly_once(any_db_shop: Shop) -> None:
    shop = any_db_shop  # SQLite and PostgreSQL: the UNIQUE constraint, not the database's locking, decides
    channel = shop.open_channel("gus")
    shop.pause_deliveries()  # the merchant first hears of the payment from the 50 copies
    payment = shop.pay_channel(channel)
    completed = shop.channel_payment(payment)
    answers = shop.post_at_once(callback_bytes("completed", completed, kind="ChannelPayment"))
    assert answers == [200] * 50, answers
    assert shop.moves("channel_credit", payment["id"]) == 1
    assert shop.balances("gus") == {"EUR": Decimal(completed["received_amount"])}


def test_a_resent_completed_callback_does_not_credit_again(shop: Shop) -> None:
    payment = shop.pay_channel(shop.open_channel("hal"))
    shop.wait_payment_recorded(payment["id"], "completed")
    shop.wait_delivered(payment["id"], at_least=2)
    before = shop.balances("hal")
    delivery = shop.control.delivery(payment["id"], event="completed")
    resent = shop.control.resend(delivery.id)
    shop.wait_delivered(payment["id"], at_least=3)
    assert json.loads(resent["body"])["data"]["status"] == "completed"
    assert shop.balances("hal") == before and shop.moves("channel_credit", payment["id"]) == 1


@pytest.mark.parametrize("signature", [None, "0" * 64, "forged"])
def test_a_forged_channel_callback_is_refused_and_changes_nothing(shop: Shop, signature: str | None) -> None:
    channel = shop.open_channel("ivy")
    payment = shop.pay_channel(channel, confirmed=False)
    shop.wait_payment_recorded(payment["id"], "pending")
    claimed = {**shop.channel_payment(payment), "status": "completed", "received_amount": "1000.0"}
    response = shop.post_callback(callback_bytes("completed", claimed, kind="ChannelPayment"), signature=signature)
    assert response.status_code in (400, 401, 403)
    assert shop.recorded_payment(payment["id"])["status"] == "pending" and shop.balances("ivy") == {}


def test_a_signed_callback_claiming_completion_is_checked_against_cryptopay(shop: Shop) -> None:
    """Even with the right signature, the body is not the truth: Cryptopay's GET still says pending."""
    payment = shop.pay_channel(shop.open_channel("jon"), confirmed=False)
    shop.wait_payment_recorded(payment["id"], "pending")
    claimed = {**shop.channel_payment(payment), "status": "completed", "received_amount": "1000.0"}
    assert shop.post_callback(callback_bytes("completed", claimed, kind="ChannelPayment")).status_code == 200
    assert shop.recorded_payment(payment["id"])["status"] == "pending" and shop.balances("jon") == {}


def test_a_payment_to_a_channel_the_merchant_never_opened_is_acknowledged_and_ignored(shop: Shop) -> None:
    foreign = shop.client.create_channel(name="not the merchant's", pay_currency="BTC", receiver_currency="EUR",
                                         customer_id="kim")
    shop.pause_deliveries()
    payment = shop.control.pay_channel(foreign["address"], Decimal("0.002"))
    body = callback_bytes("completed", shop.client.channel_payment(foreign["id"], payment["id"]),
                          kind="ChannelPayment")
    assert shop.post_callback(body).status_code == 200
    assert shop.recorded_payment(payment["id"]) is None and shop.balances("kim") == {}


@pytest.mark.parametrize("body", [{}, {"customer_id": "x", "pay_currency": "BTC"},
                                  {"customer_id": "x", "pay_currency": "btc", "receive_currency": "EUR"},
                                  {"customer_id": "x" * 129, "pay_currency": "BTC", "receive_currency": "EUR"}])
def test_an_invalid_channel_request_is_refused_and_opens_nothing(shop: Shop, body: dict) -> None:
    response = shop.probe("POST", "/channels", json=body)
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid"
    assert shop.client.channels()["data"] == []


def test_a_channel_cryptopay_refuses_is_not_kept(shop: Shop) -> None:
    refused = shop.probe("POST", "/channels", json={"customer_id": "lea", "pay_currency": "XXX",
                                                    "receive_currency": "EUR"})
    assert refused.status_code == 502 and refused.json()["error"]["code"] == "cryptopay_error"
    # Nothing was kept: the customer's channel for that coin can be asked for again and is created then.
    again = shop.probe("POST", "/channels", json={"customer_id": "lea", "pay_currency": "XXX",
                                                  "receive_currency": "EUR"})
    assert again.status_code == 502
    assert shop.open_channel("lea")["channel_id"]


def test_a_payment_to_a_channel_whose_create_answer_was_lost_still_reaches_the_customer(shop: Shop) -> None:
    """The merchant recorded the channel, Cryptopay created it, but the answer never came back: the payment's
    callback finds the channel by the merchant's custom_id, checked against Cryptopay's own record."""
    channels = shop.merchant_app.extensions["merchant"]["channels"]
    row = channels._request("lou", "BTC", "EUR")  # what open() records before it asks Cryptopay
    created = shop.client.create_channel(name="lou", pay_currency="BTC", receiver_currency="EUR",
                                         custom_id=row["custom_id"], customer_id="lou")
    payment = shop.control.pay_channel(created["address"], Decimal("0.002"))
    shop.wait_payment_recorded(payment["id"], "completed")
    assert shop.balances("lou") == {"EUR": Decimal(shop.channel_payment(payment)["received_amount"])}
    assert shop.open_channel("lou")["channel_id"] == created["id"]  # and the customer keeps that channel
    # A channel under a custom_id the merchant never recorded is still not the merchant's.
    stranger = shop.client.create_channel(name="x", pay_currency="BTC", receiver_currency="EUR",
                                          custom_id="channel-not-ours", customer_id="lou")
    other = shop.control.pay_channel(stranger["address"], Decimal("0.002"))
    shop.wait_delivered(other["id"], at_least=2)
    assert shop.recorded_payment(other["id"]) is None
