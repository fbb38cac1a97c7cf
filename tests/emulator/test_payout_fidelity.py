"""Issue 14's payout differences, each against docs/cryptopay-channels-payouts-facts.md: the lifecycle with its
callbacks (1), the processing fee on conversions (2), lists that page (4) and the documented refusals (7)."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
import requests

from cryptopay_client import CryptopayError
from cryptopay_client.signing import HmacAuth
from cryptopay_emulator.backend import Backends
from tests.emulator.conftest import KEY, SECRET, STEP, LiveEmulator, frozen_clock

EXTERNAL_BTC = "2N1prXeqc7qSPa3rfvrWj3VNKFwaeQWLeBV"
TO_EXTERNAL = {"address": EXTERNAL_BTC, "charged_currency": "BTC", "received_currency": "BTC"}


class Calls(list):
    """Every CoinWithdrawal notification as (event, status)."""

    def __call__(self, kind: str, event: str, data: dict) -> None:
        if kind == "CoinWithdrawal":
            self.append((event, data["status"]))


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
def account(calls: Calls) -> Backends:
    return Backends(frozen_clock(), calls, withdrawal_step_seconds=STEP)


def advance(backends: Backends, seconds: float) -> None:
    backends.clock.advance(seconds)
    backends.tick()


def ledger(backends: Backends) -> list[tuple[str, str, str]]:
    return [(r["reference_type"], r["amount"], r["status"]) for r in
            (row.to_json() for row in backends.account.ledger)]


# -- 1. the lifecycle --------------------------------------------------------------------------------------
def test_pending_processing_sent_completed_with_a_callback_on_each_change(account: Backends, calls: Calls) -> None:
    made = account.withdrawals.create({**TO_EXTERNAL, "charged_amount": "0.5", "force_commit": True})
    assert (made["status"], made["txid"], made["risk"]) == ("pending", None, None)
    assert account.account.balances.available("BTC") == Decimal("9.5")  # debited at creation
    seen = []
    for _ in range(3):
        advance(account, 1)
        seen.append(account.withdrawals.get(made["id"]))
    assert [w["status"] for w in seen] == ["processing", "sent", "completed"]
    assert seen[0]["txid"] is None and seen[1]["txid"] == seen[2]["txid"] is not None
    assert seen[2]["risk"]["level"] == "low"
    assert calls == [("created", "pending"), ("status_changed", "processing"), ("status_changed", "sent"),
                     ("status_changed", "completed")]
    assert ledger(account) == [("CoinWithdrawal", "-0.5", "completed")]  # the row mirrors the status


def test_two_step_is_new_without_a_debit_until_committed(account: Backends, calls: Calls) -> None:
    made = account.withdrawals.create({**TO_EXTERNAL, "charged_amount": "0.5"})
    assert made["status"] == "new" and account.account.balances.available("BTC") == Decimal("10.0")
    assert calls == [] and ledger(account) == []
    assert account.withdrawals.commit(made["id"])["status"] == "pending"
    assert account.account.balances.available("BTC") == Decimal("9.5") and calls == [("created", "pending")]


def test_failed_becomes_cancelled_and_the_charged_amount_returns(account: Backends, calls: Calls) -> None:
    made = account.withdrawals.create({**TO_EXTERNAL, "charged_amount": "0.5", "force_commit": True})
    advance(account, 1)
    assert account.withdrawals.fail(made["id"])["status"] == "failed"
    assert account.account.balances.available("BTC") == Decimal("9.5")  # failed is not final: still debited
    advance(account, 1)
    cancelled = account.withdrawals.get(made["id"])
    assert (cancelled["status"], cancelled["txid"]) == ("cancelled", None)
    assert account.account.balances.available("BTC") == Decimal("10.0")
    assert calls[-2:] == [("status_changed", "failed"), ("status_changed", "cancelled")]
    assert ledger(account) == [("CoinWithdrawal", "-0.5", "cancelled"), ("CoinWithdrawal", "0.5", "cancelled")]


def test_on_hold_stays_held_and_debited(account: Backends, calls: Calls) -> None:
    made = account.withdrawals.create({**TO_EXTERNAL, "charged_amount": "0.5", "force_commit": True})
    assert account.withdrawals.hold(made["id"])["status"] == "on_hold"
    advance(account, 30 * 86400)
    assert account.withdrawals.get(made["id"])["status"] == "on_hold"
    assert account.account.balances.available("BTC") == Decimal("9.5")
    assert calls == [("created", "pending"), ("status_changed", "on_hold")]


def test_a_sent_withdrawal_can_no_longer_fail(account: Backends) -> None:
    made = account.withdrawals.create({**TO_EXTERNAL, "charged_amount": "0.5", "force_commit": True})
    advance(account, 2)
    with pytest.raises(Exception, match="invalid"):
        account.withdrawals.fail(made["id"])


def test_fail_and_hold_through_the_control_api(emu: LiveEmulator) -> None:
    made = emu.client.create_coin_withdrawal(**TO_EXTERNAL, charged_amount="0.5", force_commit=True)
    assert emu.control("POST", f"/coin_withdrawals/{made['id']}/hold").json()["data"]["status"] == "on_hold"
    assert emu.control("POST", f"/coin_withdrawals/{made['id']}/fail").status_code == 422


# -- 2. the processing fee on conversions -------------------------------------------------------------------
# (field, amount, charged, received, rate, network fee, expected charged, received, exchange.fee): the worked
# examples of facts §12 (#1 RB-cas create.yml, #3 RB-fix, #4 JV-fix, #6 the docs' reference, #7 PHP-cas ec1129a2)
EXAMPLES = [
    ("charged_amount", "100.0", "EUR", "BTC", "53590.0452", "0.00000216", "100.0", "0.00184519", "1.0"),
    ("charged_amount", "10.0", "EUR", "ETH", "3333.9458", "0.00020992", "10.0", "0.00275953", "0.1"),
    ("charged_amount", "20.0", "EUR", "XRP", "0.815948", "0.000045", "20.0", "24.266207", "0.2"),
    ("charged_amount_to_send", "10", "EUR", "BTC", "9699.0409", "0.0000054", "10.17", "0.00103102", "0.11"),
    ("received_amount", "0.02986987", "USD", "ETH", "3718.9619", "0.00028751", "113.3", "0.02986987", "1.14"),
]


@pytest.mark.parametrize("field, amount, charged, received, rate, network_fee, want_charged, want_received, fee",
                         EXAMPLES)
def test_converted_withdrawals_match_the_recorded_amounts(account: Backends, field, amount, charged, received, rate,
                                                          network_fee, want_charged, want_received, fee) -> None:
    account.account.set_balances({charged: Decimal("1000")})
    account.account.set_rate(received, charged, Decimal(rate))
    account.account.network_fees[received] = Decimal(network_fee)
    made = account.withdrawals.create({"address": "somewhere", "charged_currency": charged,
                                       "received_currency": received, field: amount})
    assert (made["charged_amount"], made["received_amount"]) == (want_charged, want_received)
    assert made["exchange"] == {"pair": received + charged, "rate": rate, "fee": fee, "fee_currency": charged}
    assert made["fee"] == "0.0" and made["network_fee"] == network_fee


# -- 4. lists page -----------------------------------------------------------------------------------------
def test_the_list_pages_with_starting_after_and_filters_by_customer(emu: LiveEmulator) -> None:
    for n in range(53):
        emu.client.create_coin_withdrawal(**TO_EXTERNAL, charged_amount="0.01",
                                          customer_id="alice" if n % 10 == 0 else None)
    first = emu.client._call("GET", "/api/coin_withdrawals")
    assert len(first["data"]) == 50 and first["meta"] == {"total": 53, "has_more": True}
    rest = emu.client._call("GET", f"/api/coin_withdrawals?starting_after={first['data'][-1]['id']}")
    assert len(rest["data"]) == 3 and rest["meta"] == {"total": 53, "has_more": False}
    assert not {w["id"] for w in first["data"]} & {w["id"] for w in rest["data"]}
    alice = emu.client._call("GET", "/api/coin_withdrawals?customer_id=alice")
    assert alice["meta"]["total"] == 6 and {w["customer_id"] for w in alice["data"]} == {"alice"}


# -- 7. documented refusals --------------------------------------------------------------------------------
HIGH_RISK_BODY = {"code": "high_risk_address", "message": "We were unable to process your request as the address "
                  "of the recipient may be associated with resource primarily used for unlawful activities",
                  "details": []}


def test_a_high_risk_destination_is_refused_with_the_documented_body(emu: LiveEmulator) -> None:
    assert emu.control("POST", "/high_risk_addresses", {"address": EXTERNAL_BTC}).status_code == 201
    body = json.dumps({**TO_EXTERNAL, "charged_amount": "0.5", "force_commit": True}).encode()
    answer = requests.post(f"{emu.url}/api/coin_withdrawals", data=body, auth=HmacAuth(KEY, SECRET), timeout=10)
    assert answer.status_code == 422 and answer.json()["error"] == HIGH_RISK_BODY
    assert balance_btc(emu) == Decimal("10.0")


def test_less_than_5_eur_is_refused_on_the_field_sent(emu: LiveEmulator) -> None:
    emu.control("PUT", "/balances", {"EUR": "100.0"})
    with pytest.raises(CryptopayError) as refused:
        emu.client.create_coin_withdrawal(address=EXTERNAL_BTC, charged_currency="EUR", received_currency="BTC",
                                          charged_amount_to_send="4.0")
    problem, = refused.value.details
    assert (problem["code"], problem["target"], problem["args"]) == \
        ("must_be_greater_than_or_equal", "charged_amount_to_send", {"value": "5.0"})
    assert problem["message"] == "must be greater than or equal to 5.0"


@pytest.mark.parametrize("field", ["charged_amount", "charged_amount_to_send", "received_amount"])
def test_insufficient_balance_names_the_field_sent_and_its_ceiling(emu: LiveEmulator, field: str) -> None:
    emu.control("PUT", "/balances", {"BTC": "0.1"})
    with pytest.raises(CryptopayError) as refused:
        emu.client.create_coin_withdrawal(**TO_EXTERNAL, **{field: "0.5"})
    problem, = refused.value.details
    assert (refused.value.code, problem["code"], problem["target"]) == ("invalid", "must_be_less_than_or_equal", field)
    assert Decimal("0.09") < Decimal(problem["args"]["value"]) <= Decimal("0.1")
    assert problem["message"] == f"must be less than or equal to {problem['args']['value']}"


def balance_btc(emu: LiveEmulator) -> Decimal:
    return Decimal(emu.control("GET", "/balances").json()["data"]["BTC"])


def test_with_no_step_time_the_first_read_after_create_sees_the_whole_lifecycle(calls: Calls) -> None:
    backends = Backends(frozen_clock(), calls)  # the in-process default: steps fall due at once
    invoice = backends.invoices.create({"price_amount": "100.0", "price_currency": "EUR", "pay_currency": "BTC"})
    made = backends.withdrawals.create({"address": invoice["address"], "charged_currency": "BTC",
                                        "received_currency": "BTC", "received_amount": invoice["pay_amount"],
                                        "force_commit": True})
    assert made["status"] == "pending"  # the create answer is still the real one
    assert backends.invoices.get(invoice["id"])["status"] == "completed"
    assert [status for _, status in calls] == ["pending", "processing", "sent", "completed"]
