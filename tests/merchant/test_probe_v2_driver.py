"""The suite's probe v2 driver: typed answers from the reference merchant, invoices only for a v1 merchant, and
every broken v2 answer refused naming its rule ("probe-v2: ...")."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pytest

from support.drivers.merchant import (Channel, MerchantError, Payout, PayoutRefusal, ProbeContractError, ProbeMerchant,
                                      ProbeTokenRejected, RecordedPayout)
from support.targets.secrets import Secret
from tests.merchant.harness import PAYOUT_OPTIONS, SAFE_ADDRESS, Shop, running_shop, sqlite_url
from tests.merchant.test_probe_contract_enforced import CannedProbe, canned, probe  # noqa: F401 - fixtures

RISKY = "2NBjwW5J9rLkBiCMPnpWUSsXJqFqWkJ8Ju8"


@pytest.fixture
def payouts_shop(tmp_path: Path) -> Iterator[Shop]:
    with running_shop(sqlite_url(tmp_path), **PAYOUT_OPTIONS) as started:
        started.fund_account(EUR="1000.0")
        yield started


def _driver(shop: Shop) -> ProbeMerchant:
    return ProbeMerchant(f"{shop.merchant_url}/probe", Secret(shop.token))


def test_the_reference_merchant_read_through_the_driver(payouts_shop: Shop) -> None:
    shop, merchant = payouts_shop, _driver(payouts_shop)
    assert merchant.capabilities() == frozenset({"invoices", "channels", "payouts"})
    opened = merchant.open_channel("pia", "BTC", "EUR")
    assert isinstance(opened, Channel) and opened.created and opened.address
    assert merchant.open_channel("pia", "BTC", "EUR") == Channel(**{**opened.__dict__, "created": False})
    payment = shop.control.pay_channel(opened.address, Decimal("0.002"))
    shop.wait_payment_recorded(payment["id"], "completed")
    assert merchant.recorded_channel_payment(payment["id"])["customer_id"] == "pia"
    assert merchant.recorded_channel_payment("never-seen") is None
    assert merchant.fund_customer("pia", Decimal("50.00"), "EUR")["EUR"] > Decimal("50.00")
    placed = merchant.request_payout("pia", Decimal("20.00"), "EUR", "BTC", SAFE_ADDRESS)
    assert isinstance(placed, Payout) and placed.status == "pending"
    shop.wait_payout_recorded(placed.payout_id, "completed")
    assert merchant.recorded_payout(placed.payout_id) == RecordedPayout(
        placed.payout_id, placed.coin_withdrawal_id, "pia", "completed", (Decimal("20.00"), "EUR"), False)
    assert merchant.recorded_payout("never-created") is None
    shop.control.add_high_risk_address(RISKY)
    refused = merchant.request_payout("pia", Decimal("20.00"), "EUR", "BTC", RISKY)
    assert isinstance(refused, PayoutRefusal) and refused.high_risk_address and refused.message
    poor = merchant.request_payout("pia", Decimal("100000.00"), "EUR", "BTC", SAFE_ADDRESS)
    assert isinstance(poor, PayoutRefusal) and (poor.http_status, poor.code) == (422, "insufficient_funds")
    assert not poor.high_risk_address


def test_a_v1_merchant_certifies_invoices_only(canned: CannedProbe, probe: ProbeMerchant) -> None:
    canned.set("/probe/capabilities", 404, {"error": {"code": "not_found", "message": "no such path"}})
    assert probe.capabilities() == frozenset({"invoices"})


def test_a_wrong_token_on_capabilities_is_a_token_problem_not_v1(canned: CannedProbe, probe: ProbeMerchant) -> None:
    canned.set("/probe/capabilities", 401, {"error": {"code": "unauthorized", "message": "token"}})
    with pytest.raises(ProbeTokenRejected):
        probe.capabilities()


def _refused(call) -> str:
    with pytest.raises(ProbeContractError) as failed:
        call()
    return str(failed.value)


@pytest.mark.parametrize("path, status, body, call, rule", [
    ("/probe/capabilities", 200, {"probe_version": "2", "products": ["invoices"]}, lambda p: p.capabilities(),
     "probe_version is the integer 2"),
    ("/probe/capabilities", 200, {"probe_version": 2, "products": ["invoices", "loans"]}, lambda p: p.capabilities(),
     "products lists what the merchant integrates"),
    ("/probe/capabilities", 500, {"error": {"code": "x", "message": "y"}}, lambda p: p.capabilities(),
     "GET /capabilities answers 200 with probe_version 2"),
    ("/probe/channels", 201, {"channel_id": "c", "pay_currency": "BTC", "receive_currency": "EUR",
                              "network": "bitcoin", "custom_id": "x"},
     lambda p: p.open_channel("c", "BTC", "EUR"), "a channel names its address as a non-empty string"),
    ("/probe/channel-payments/p", 200, {"channel_payment_id": "p", "channel_id": "c", "customer_id": "x",
                                        "status": "unresolved", "status_context": None},
     lambda p: p.recorded_channel_payment("p"), "a channel payment's status is one of pending"),
    ("/probe/customers/c/funding", 201, {"customer_id": "c", "balances": {"EUR": 100}},
     lambda p: p.fund_customer("c", Decimal("100"), "EUR"), "money is a decimal string"),
    ("/probe/payouts", 201, {"payout_id": "p", "coin_withdrawal_id": "", "status": "pending"},
     lambda p: p.request_payout("c", Decimal("1"), "EUR", "BTC", "a"),
     "a created payout names Cryptopay's coin_withdrawal_id as Cryptopay gave it, a UUID"),
    ("/probe/payouts", 422, b"<html>no</html>", lambda p: p.request_payout("c", Decimal("1"), "EUR", "BTC", "a"),
     "answers are JSON"),
    ("/probe/payouts/p", 200, {"payout_id": "p", "coin_withdrawal_id": "w", "customer_id": "c", "status": "paid",
                               "debited": None, "refunded": False},
     lambda p: p.recorded_payout("p"), "a payout's status is one of Cryptopay's"),
    ("/probe/payouts/p", 200, {"payout_id": "p", "coin_withdrawal_id": "w", "customer_id": "c",
                               "status": "cancelled", "debited": {"amount": "1.0"}, "refunded": False},
     lambda p: p.recorded_payout("p"), "debited is null or {amount, currency}"),
    ("/probe/payouts/p", 200, {"payout_id": "p", "coin_withdrawal_id": "w-1", "customer_id": "c",
                               "status": "completed", "debited": None, "refunded": False},
     lambda p: p.recorded_payout("p"),
     "a recorded payout names Cryptopay's coin_withdrawal_id, a UUID (format uuid: Cryptopay's id as Cryptopay gives "
     "it, a UUID such as 7e274430-9c5b-4c7b-a8c1-1c6f1c6a0b11): coin_withdrawal_id is \"w-1\""),
    ("/probe/channel-payments/p", 200, {"channel_payment_id": "p", "channel_id": "681817dc-50bb-41d6-af01-2589ac05b19b",
                                        "customer_id": "x", "status": "completed", "status_context": None},
     lambda p: p.recorded_channel_payment("p"),
     "a recorded channel payment names its channel_payment_id, Cryptopay's UUID (format uuid"),
    ("/probe/customers/c/funding", 201, {"customer_id": "c", "balances": {"EUR": "100.00\n"}},
     lambda p: p.fund_customer("c", Decimal("100"), "EUR"), 'money is a decimal string, e.g. "100.00", never a JSON '
     'number (format decimal: a decimal string of ASCII digits, at most one point between digits, nothing around '
     'it, e.g. 100.00): balances.EUR is "100.00\\n"'),
])
def test_a_broken_v2_answer_is_refused_naming_its_rule(canned: CannedProbe, probe: ProbeMerchant, path: str,
                                                       status: int, body: object, call, rule: str) -> None:
    canned.set(path, status, body)
    message = _refused(lambda: call(probe))
    assert message.startswith("probe-v2: ") and rule in message, message


def test_a_documented_refusal_of_a_channel_carries_the_merchants_words(canned: CannedProbe,
                                                                       probe: ProbeMerchant) -> None:
    canned.set("/probe/channels", 502, {"error": {"code": "cryptopay_error", "message": "Cryptopay said no"}})
    with pytest.raises(MerchantError) as failed:
        probe.open_channel("c", "BTC", "EUR")
    assert "cryptopay_error: Cryptopay said no" in str(failed.value)
    assert not isinstance(failed.value, ProbeContractError)
