"""Each broken payout merchant really has its defect, and the reference merchant, driven the same way, has not."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.broken_payout_merchants import PAYOUT_VARIANTS
from support.drivers.waiting import wait_until
from tests.merchant.harness import PAYOUT_OPTIONS, WAIT, Shop, callback_bytes, running_shop, sqlite_url

RISKY = "2NBjwW5J9rLkBiCMPnpWUSsXJqFqWkJ8Ju8"


@pytest.fixture(params=["reference", "broken"])
def flavour(request: pytest.FixtureRequest) -> str:
    return request.param


def _shop(tmp_path: Path, variant: str, flavour: str, **declared: str):
    kwargs = {**(PAYOUT_VARIANTS[variant] if flavour == "broken" else {}), **declared}
    return running_shop(sqlite_url(tmp_path), kwargs, **PAYOUT_OPTIONS)


def _placed(shop: Shop, customer: str, funded: str = "100.00") -> dict:
    shop.fund_account(EUR="1000.0")
    shop.fund(customer, funded)
    response = shop.payout(customer)
    assert response.status_code == 201, response.text
    return response.json()


def test_debits_twice_on_duplicated_callbacks(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "debits_twice_on_duplicated_callbacks", flavour) as shop:
        placed = _placed(shop, "a")
        shop.wait_payout_recorded(placed["payout_id"], "completed")
        shop.wait_delivered(placed["coin_withdrawal_id"], at_least=4)
        assert shop.balances("a") == {"EUR": Decimal("80.00")}  # one clean delivery: right either way
        created = callback_bytes("created", shop.client.retrieve_coin_withdrawal(placed["coin_withdrawal_id"]),
                                 kind="CoinWithdrawal")
        assert set(shop.post_at_once(created, copies=10)) == {200}
        assert shop.balances("a") == {"EUR": Decimal("-120.00") if flavour == "broken" else Decimal("80.00")}


def test_never_refunds_cancelled_payout(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "never_refunds_cancelled_payout", flavour) as shop:
        placed = _placed(shop, "b")
        shop.control.fail_withdrawal(placed["coin_withdrawal_id"])
        recorded = shop.wait_payout_recorded(placed["payout_id"], "cancelled")
        shop.wait_delivered(placed["coin_withdrawal_id"])
        assert recorded["refunded"] is (flavour == "reference")
        assert shop.balances("b") == {"EUR": Decimal("80.00") if flavour == "broken" else Decimal("100.00")}


def test_debits_on_high_risk_address(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "debits_on_high_risk_address", flavour) as shop:
        shop.fund("c", "100.00")
        shop.control.add_high_risk_address(RISKY)
        response = shop.payout("c", address=RISKY)
        assert response.status_code == 422 and response.json()["error"]["code"] == "high_risk_address"
        assert shop.balances("c") == {"EUR": Decimal("80.00") if flavour == "broken" else Decimal("100.00")}


def test_debits_requested_amount(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "debits_requested_amount", flavour, payout_amount_field="charged_amount_to_send") as shop:
        placed = _placed(shop, "d")
        charged = Decimal(shop.client.retrieve_coin_withdrawal(placed["coin_withdrawal_id"])["charged_amount"])
        assert charged > Decimal("20.00")
        debited = Decimal("20.00") if flavour == "broken" else charged
        assert shop.balances("d") == {"EUR": Decimal("100.00") - debited}


def test_sends_amount_in_undeclared_field(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "sends_amount_in_undeclared_field", flavour) as shop:  # declared: charged_amount
        placed = _placed(shop, "e")
        charged = Decimal(shop.client.retrieve_coin_withdrawal(placed["coin_withdrawal_id"])["charged_amount"])
        # charged_amount: Cryptopay charges exactly the 20.00 asked; charged_amount_to_send adds the fees on top.
        assert (charged > Decimal("20.00")) == (flavour == "broken")
        assert shop.balances("e") == {"EUR": Decimal("100.00") - charged}


def test_ignores_coin_withdrawal_callbacks(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "ignores_coin_withdrawal_callbacks", flavour) as shop:
        placed = _placed(shop, "f")
        shop.run_out(placed["coin_withdrawal_id"])  # Cryptopay's time moves the payout to its end
        shop.wait_delivered(placed["coin_withdrawal_id"], at_least=4)  # acknowledged either way
        status = shop.recorded_payout(placed["payout_id"])["status"]
        assert status == ("pending" if flavour == "broken" else "completed")


def test_payouts_without_customer_id(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "payouts_without_customer_id", flavour) as shop:
        placed = _placed(shop, "g")
        withdrawal = shop.client.retrieve_coin_withdrawal(placed["coin_withdrawal_id"])
        assert withdrawal["customer_id"] == (None if flavour == "broken" else "g")


# -- issue 23: storms of the first delivery, stale notifications, holds and failures that end well, retries --------
def _recorded(shop: Shop, payout_id: str, status: str) -> dict:
    """The merchant's record once it says `status`, Cryptopay's time left where it is (the record must have seen
    the status before the payout moves on)."""
    return wait_until(lambda: shop.recorded_payout(payout_id), lambda r: r is not None and r["status"] == status,
                      timeout=WAIT, expected=f"merchant records payout {payout_id} as {status}")


def test_check_then_insert_payout_refund(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "check_then_insert_payout_refund", flavour) as shop:
        placed = _placed(shop, "h")
        withdrawal_id = placed["coin_withdrawal_id"]
        shop.wait_delivered(withdrawal_id)  # `created` answered: its GET can no longer see the failure
        shop.pause_deliveries()  # the merchant hears of the cancellation first from the storm below
        shop.control.fail_withdrawal(withdrawal_id)
        shop.run_out(withdrawal_id)
        cancelled = shop.client.retrieve_coin_withdrawal(withdrawal_id)
        assert cancelled["status"] == "cancelled" and shop.recorded_payout(placed["payout_id"])["status"] == "pending"
        body = callback_bytes("status_changed", cancelled, kind="CoinWithdrawal")
        assert set(shop.post_at_once(body, copies=50)) == {200}  # the very first cancelled delivery, 50 at once
        returned = shop.balances("h")["EUR"]
        assert returned >= Decimal("120.00") if flavour == "broken" else returned == Decimal("100.00")
        assert [shop.post_callback(body).status_code for _ in range(2)] == [200, 200]
        assert shop.balances("h")["EUR"] == returned  # one at a time, the check does catch duplicates


def test_follows_payout_callback_body(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "follows_payout_callback_body", flavour) as shop:
        placed = _placed(shop, "i")
        withdrawal_id = placed["coin_withdrawal_id"]
        shop.wait_payout_recorded(placed["payout_id"], "completed")
        shop.wait_delivered(withdrawal_id, at_least=4)
        stale = shop.control.delivery(withdrawal_id, status="processing")
        shop.control.resend(stale.id)  # the earlier state again, after completed
        shop.wait_delivered(withdrawal_id, at_least=5)
        assert shop.client.retrieve_coin_withdrawal(withdrawal_id)["status"] == "completed"
        recorded = shop.recorded_payout(placed["payout_id"])["status"]
        assert recorded == ("processing" if flavour == "broken" else "completed")
        assert shop.balances("i") == {"EUR": Decimal("80.00")}


def test_refunds_held_payout(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "refunds_held_payout", flavour) as shop:
        placed = _placed(shop, "j")
        withdrawal_id = placed["coin_withdrawal_id"]
        shop.control.hold_withdrawal(withdrawal_id)
        _recorded(shop, placed["payout_id"], "on_hold")
        assert shop.balances("j") == {"EUR": Decimal("100.00") if flavour == "broken" else Decimal("80.00")}
        shop.control.release_withdrawal(withdrawal_id)  # the hold ends well
        shop.wait_payout_recorded(placed["payout_id"], "completed")
        shop.wait_delivered(withdrawal_id, at_least=5)
        assert shop.client.retrieve_coin_withdrawal(withdrawal_id)["status"] == "completed"
        # The broken merchant paid the customer twice: the withdrawal went out and the debit came back.
        assert shop.balances("j") == {"EUR": Decimal("100.00") if flavour == "broken" else Decimal("80.00")}


def test_refunds_failed_payout(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "refunds_failed_payout", flavour) as shop:
        placed = _placed(shop, "k")
        withdrawal_id = placed["coin_withdrawal_id"]
        shop.control.fail_withdrawal(withdrawal_id, outcome="completed")  # failed is not final
        _recorded(shop, placed["payout_id"], "failed")
        shop.wait_payout_recorded(placed["payout_id"], "completed")
        shop.wait_delivered(withdrawal_id, at_least=3)
        assert shop.client.retrieve_coin_withdrawal(withdrawal_id)["status"] == "completed"
        assert shop.balances("k") == {"EUR": Decimal("100.00") if flavour == "broken" else Decimal("80.00")}


def test_retries_high_risk_with_new_custom_id(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "retries_high_risk_with_new_custom_id", flavour) as shop:
        shop.fund("l", "100.00")
        shop.control.add_high_risk_address(RISKY)
        response = shop.payout("l", address=RISKY)
        # The answer to the customer is right either way: only Cryptopay's side shows the retry.
        assert response.status_code == 422 and response.json()["error"]["code"] == "high_risk_address"
        assert shop.balances("l") == {"EUR": Decimal("100.00")}
        attempts = shop.control.withdrawal_attempts(customer_id="l", address=RISKY)
        assert [a["error_code"] for a in attempts] == ["high_risk_address"] * (2 if flavour == "broken" else 1)
        assert len({a["custom_id"] for a in attempts}) == len(attempts)  # each retry under a new custom_id


def test_every_payout_variant_has_a_test_here_and_a_docstring_naming_its_item() -> None:
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    assert set(PAYOUT_VARIANTS) <= tested
    for kwargs in PAYOUT_VARIANTS.values():
        for cls in kwargs.values():
            assert "payouts item" in (cls.__doc__ or ""), cls
