"""Each broken channel merchant really has its defect, and the reference merchant, driven the same way, has not."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tests.broken_channel_merchants import CHANNEL_VARIANTS
from tests.merchant.harness import Shop, callback_bytes, running_shop, sqlite_url


@pytest.fixture(params=["reference", "broken"])
def flavour(request: pytest.FixtureRequest) -> str:
    return request.param


def _shop(tmp_path: Path, variant: str, flavour: str):
    return running_shop(sqlite_url(tmp_path), CHANNEL_VARIANTS[variant] if flavour == "broken" else {})


def _net(shop: Shop, payment: dict) -> dict[str, Decimal]:
    completed = shop.channel_payment(payment)
    return {completed["received_currency"]: Decimal(completed["received_amount"])}


def test_credits_pending_channel_payment(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "credits_pending_channel_payment", flavour) as shop:
        payment = shop.pay_channel(shop.open_channel("a"), confirmed=False)
        shop.wait_payment_recorded(payment["id"], "pending")
        shop.wait_delivered(payment["id"])
        assert shop.balances("a") == ({"BTC": Decimal("0.002")} if flavour == "broken" else {})


def test_credits_held_channel_payment(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "credits_held_channel_payment", flavour) as shop:
        payment = shop.pay_channel(shop.open_channel("b"), risk_level="high")
        shop.wait_payment_recorded(payment["id"], "on_hold", "illicit_resource")
        shop.wait_delivered(payment["id"], at_least=2)
        assert shop.balances("b") == ({"BTC": Decimal("0.002")} if flavour == "broken" else {})


def test_credits_gross_when_declared_net(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "credits_gross_when_declared_net", flavour) as shop:
        payment = shop.pay_channel(shop.open_channel("c"))
        shop.wait_payment_recorded(payment["id"], "completed")
        completed = shop.channel_payment(payment)
        gross = Decimal(completed["received_amount"]) + Decimal(completed["fee"])
        assert shop.balances("c") == ({"EUR": gross} if flavour == "broken" else _net(shop, payment))


def test_recredits_resent_channel_completion(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "recredits_resent_channel_completion", flavour) as shop:
        payment = shop.pay_channel(shop.open_channel("d"))
        shop.wait_payment_recorded(payment["id"], "completed")
        shop.wait_delivered(payment["id"], at_least=2)
        once = _net(shop, payment)
        body = callback_bytes("completed", shop.channel_payment(payment), kind="ChannelPayment")
        assert shop.post_callback(body).status_code == 200
        # The broken one credited at `created` (the GET already said completed), at `completed`, and at the resend.
        expected = {"EUR": once["EUR"] * 3} if flavour == "broken" else once
        assert shop.balances("d") == expected


def test_ignores_channel_payment_callbacks(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "ignores_channel_payment_callbacks", flavour) as shop:
        payment = shop.pay_channel(shop.open_channel("e"))
        shop.wait_delivered(payment["id"], at_least=2)  # acknowledged either way
        if flavour == "broken":
            assert shop.recorded_payment(payment["id"]) is None and shop.balances("e") == {}
        else:
            assert shop.wait_payment_recorded(payment["id"], "completed") and shop.balances("e") == _net(shop, payment)


def test_never_records_channel_payment_status(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "never_records_channel_payment_status", flavour) as shop:
        payment = shop.pay_channel(shop.open_channel("f"))
        shop.wait_delivered(payment["id"], at_least=2)
        assert shop.balances("f") == _net(shop, payment)  # credited correctly either way
        assert (shop.recorded_payment(payment["id"]) is None) == (flavour == "broken")


# -- issue 23: an address paid again, the first delivery stormed, stale notifications, holds that end well ---------
def test_keys_channel_credits_by_channel(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "keys_channel_credits_by_channel", flavour) as shop:
        channel = shop.open_channel("g")
        first = shop.pay_channel(channel)
        shop.wait_payment_recorded(first["id"], "completed")
        second = shop.pay_channel(channel)  # the same deposit address, the same amount
        shop.wait_payment_recorded(second["id"], "completed")
        shop.wait_delivered(second["id"], at_least=2)
        once = _net(shop, first)["EUR"]
        assert _net(shop, second)["EUR"] == once
        assert shop.balances("g") == {"EUR": once if flavour == "broken" else once * 2}


def test_check_then_insert_channel_credit(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "check_then_insert_channel_credit", flavour) as shop:
        payment = shop.pay_channel(shop.open_channel("h"), confirmed=False)
        shop.wait_payment_recorded(payment["id"], "pending")
        shop.wait_delivered(payment["id"])
        shop.pause_deliveries()  # the merchant hears of the completion first from the storm below
        shop.control.confirm(payment["txid"])
        body = callback_bytes("completed", shop.channel_payment(payment), kind="ChannelPayment")
        assert set(shop.post_at_once(body, copies=50)) == {200}  # the very first completed delivery, 50 at once
        once, credited = _net(shop, payment)["EUR"], shop.balances("h")["EUR"]
        assert credited >= once * 2 if flavour == "broken" else credited == once
        assert [shop.post_callback(body).status_code for _ in range(2)] == [200, 200]
        assert shop.balances("h")["EUR"] == credited  # one at a time, the check does catch duplicates


def test_follows_channel_callback_body(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "follows_channel_callback_body", flavour) as shop:
        payment = shop.pay_channel(shop.open_channel("i"), risk_level="high")
        shop.wait_payment_recorded(payment["id"], "on_hold", "illicit_resource")
        shop.control.channel_monitoring_decision(payment["id"], "completed")
        shop.wait_payment_recorded(payment["id"], "completed")
        shop.wait_delivered(payment["id"], at_least=3)
        stale = shop.control.delivery(payment["id"], event="on_hold")
        shop.control.resend(stale.id)  # the hold again, after the monitoring team's decision
        shop.wait_delivered(payment["id"], at_least=4)
        recorded = shop.recorded_payment(payment["id"])
        assert (recorded["status"], recorded["status_context"]) == (
            ("on_hold", "illicit_resource") if flavour == "broken" else ("completed", None))
        assert shop.balances("i") == _net(shop, payment)  # credited once either way


def test_treats_channel_hold_as_final(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "treats_channel_hold_as_final", flavour) as shop:
        payment = shop.pay_channel(shop.open_channel("j"), risk_level="high")
        shop.wait_payment_recorded(payment["id"], "on_hold", "illicit_resource")
        shop.wait_delivered(payment["id"], at_least=2)
        shop.control.channel_monitoring_decision(payment["id"], "completed")  # the hold ends well
        shop.wait_delivered(payment["id"], at_least=3)
        assert shop.channel_payment(payment)["status"] == "completed"
        if flavour == "broken":
            assert shop.balances("j") == {} and shop.recorded_payment(payment["id"])["status"] == "on_hold"
        else:
            assert shop.balances("j") == _net(shop, payment)
            assert shop.recorded_payment(payment["id"])["status"] == "completed"


def test_ignores_unrecorded_channel(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "ignores_unrecorded_channel", flavour) as shop:
        shop.control.notify_before_create_answer("channel", "k", amount=Decimal("0.002"))
        channel = shop.open_channel("k")
        notice = shop.control.early_notifications()[0]
        # The payment's notifications were answered before the merchant had Cryptopay's answer to its create call.
        assert (notice["used_by"], notice["before_answer"]) == (channel["channel_id"], True)
        assert [(n["event"], n["answered"]) for n in notice["notifications"]] == [("created", 200), ("completed", 200)]
        payment = {"id": notice["notified_id"], "channel_id": channel["channel_id"]}
        assert shop.channel_payment(payment)["status"] == "completed"
        if flavour == "broken":
            assert shop.recorded_payment(payment["id"]) is None and shop.balances("k") == {}
        else:
            assert shop.recorded_payment(payment["id"])["status"] == "completed"
            assert shop.balances("k") == _net(shop, payment)


def test_every_channel_variant_has_a_test_here_and_a_docstring_naming_its_item() -> None:
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    assert set(CHANNEL_VARIANTS) <= tested
    for kwargs in CHANNEL_VARIANTS.values():
        for cls in kwargs.values():
            assert "channels item" in (cls.__doc__ or ""), cls
