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
        shop.wait_object_delivered(payment["id"])
        assert shop.balances("a") == ({"BTC": Decimal("0.002")} if flavour == "broken" else {})


def test_credits_held_channel_payment(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "credits_held_channel_payment", flavour) as shop:
        payment = shop.pay_channel(shop.open_channel("b"), risk_level="high")
        shop.wait_payment_recorded(payment["id"], "on_hold", "illicit_resource")
        shop.wait_object_delivered(payment["id"], at_least=2)
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
        shop.wait_object_delivered(payment["id"], at_least=2)
        once = _net(shop, payment)
        body = callback_bytes("completed", shop.channel_payment(payment), kind="ChannelPayment")
        assert shop.post_callback(body).status_code == 200
        # The broken one credited at `created` (the GET already said completed), at `completed`, and at the resend.
        expected = {"EUR": once["EUR"] * 3} if flavour == "broken" else once
        assert shop.balances("d") == expected


def test_ignores_channel_payment_callbacks(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "ignores_channel_payment_callbacks", flavour) as shop:
        payment = shop.pay_channel(shop.open_channel("e"))
        shop.wait_object_delivered(payment["id"], at_least=2)  # acknowledged either way
        if flavour == "broken":
            assert shop.recorded_payment(payment["id"]) is None and shop.balances("e") == {}
        else:
            assert shop.wait_payment_recorded(payment["id"], "completed") and shop.balances("e") == _net(shop, payment)


def test_never_records_channel_payment_status(tmp_path: Path, flavour: str) -> None:
    with _shop(tmp_path, "never_records_channel_payment_status", flavour) as shop:
        payment = shop.pay_channel(shop.open_channel("f"))
        shop.wait_object_delivered(payment["id"], at_least=2)
        assert shop.balances("f") == _net(shop, payment)  # credited correctly either way
        assert (shop.recorded_payment(payment["id"]) is None) == (flavour == "broken")


def test_every_channel_variant_has_a_test_here_and_a_docstring_naming_its_item() -> None:
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    assert set(CHANNEL_VARIANTS) <= tested
    for kwargs in CHANNEL_VARIANTS.values():
        for cls in kwargs.values():
            assert "channels item" in (cls.__doc__ or ""), cls
