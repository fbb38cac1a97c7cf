"""Time moved per object: driven objects stand still until moved, running ones follow the clock, and moving an
object never shows a timestamp later than the emulator's now (its past is pushed back instead)."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from cryptopay_client import CryptopayClient, RateLimited
from cryptopay_client.retry import RetryPolicy
from cryptopay_emulator.backend import Backends
from cryptopay_emulator.clock import Clock
from tests.emulator.conftest import KEY, SECRET, STEP, frozen_clock

EXTERNAL_BTC = "2N1prXeqc7qSPa3rfvrWj3VNKFwaeQWLeBV"
PAYOUT = {"address": EXTERNAL_BTC, "charged_currency": "BTC", "received_currency": "BTC", "charged_amount": "0.5",
          "force_commit": True}
EUR_INVOICE = {"price_amount": "100", "price_currency": "EUR", "pay_currency": "BTC"}


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def driven(clock: Clock | None = None) -> Backends:
    return Backends(clock or frozen_clock(), lambda *a: None, withdrawal_step_seconds=10.0, driven_time=True)


def test_a_driven_withdrawal_stands_still_however_much_time_passes() -> None:
    backends = driven()
    made = backends.withdrawals.create(PAYOUT)
    backends.clock.advance(3600)  # an hour of the clock, as on a machine that stalled: nothing happens to it
    backends.tick()
    assert backends.withdrawals.get(made["id"])["status"] == "pending"


def test_moving_a_driven_withdrawal_to_its_next_deadline_runs_exactly_one_step() -> None:
    backends = driven()
    made = backends.withdrawals.create(PAYOUT)
    statuses = []
    for _ in range(3):
        moved = backends.account.advance(made["id"])
        assert (moved.seconds, moved.ran) == (10.0, 1)
        statuses.append(backends.withdrawals.get(made["id"])["status"])
    assert statuses == ["processing", "sent", "completed"]
    assert backends.account.advance(made["id"]).pending == 0  # nothing left ahead of it


def test_a_driven_withdrawal_fails_at_the_step_the_test_chose() -> None:
    backends = driven()
    made = backends.withdrawals.create(PAYOUT)
    backends.account.advance(made["id"])  # processing
    assert backends.withdrawals.fail(made["id"])["status"] == "failed"
    backends.account.advance(made["id"])
    assert backends.withdrawals.get(made["id"])["status"] == "cancelled"
    assert backends.account.balances.available("BTC") == Decimal("10.0")  # the charge came back


def test_moved_time_never_shows_later_than_now_and_keeps_the_intervals() -> None:
    backends = driven()
    invoice = backends.invoices.create(EUR_INVOICE)
    before = (parse(invoice["created_at"]), parse(invoice["expires_at"]))
    moved = backends.account.advance(invoice["id"], 601)  # past its 10-minute expiry
    now = backends.clock.now()
    after = backends.invoices.get(invoice["id"])
    created, expires = parse(after["created_at"]), parse(after["expires_at"])
    assert created <= now and expires <= now, "moved time shows in the future"
    assert expires - created == before[1] - before[0] == timedelta(minutes=10)
    assert moved.backdated == 601.0 and created == before[0] - timedelta(seconds=601)


def test_a_payment_to_a_driven_invoice_is_judged_on_the_invoice_s_own_time() -> None:
    backends = driven()
    invoice = backends.invoices.create(EUR_INVOICE)
    backends.clock.advance(3600)  # the wall clock runs past the expiry; the invoice's own time does not
    paid = backends.invoices.pay(amount=Decimal(invoice["pay_amount"]), invoice_id=invoice["id"])
    assert paid["confirmed"]
    assert backends.invoices.get(invoice["id"])["status"] == "completed", "a driven invoice expired by itself"


def test_paid_late_after_the_invoice_is_moved_past_its_expiry() -> None:
    backends = driven()
    invoice = backends.invoices.create(EUR_INVOICE)
    backends.account.advance(invoice["id"], 601)
    backends.invoices.pay(amount=Decimal(invoice["pay_amount"]), invoice_id=invoice["id"])
    after = backends.invoices.get(invoice["id"])
    assert (after["status"], after["status_context"]) == ("unresolved", "paid_late")


def test_moving_one_object_leaves_the_others_where_they_are() -> None:
    backends = driven()
    first, second = backends.invoices.create(EUR_INVOICE), backends.invoices.create(EUR_INVOICE)
    backends.account.advance(first["id"], 14 * 86400 + 1)
    assert backends.invoices.get(first["id"])["status"] == "cancelled"
    assert backends.invoices.get(second["id"]) == second


def test_running_objects_follow_the_clock_and_can_still_be_brought_forward() -> None:
    backends = Backends(frozen_clock(), lambda *a: None, withdrawal_step_seconds=STEP)
    made = backends.withdrawals.create(PAYOUT)
    backends.clock.advance(STEP)
    backends.tick()
    assert backends.withdrawals.get(made["id"])["status"] == "processing"
    backends.account.advance(made["id"], 2 * STEP)
    after = backends.withdrawals.get(made["id"])
    assert after["status"] == "completed" and parse(after["created_at"]) <= backends.clock.now()


def test_a_retry_waits_on_its_object_s_time_when_driven(live, receiver) -> None:
    merchant, url = receiver
    merchant.answers = [503]
    emu = live(run_scheduler=False, callback_url=url, driven_time=True)  # the test plays the scheduler's ticks
    invoice = emu.client.create_invoice(price_amount="100", price_currency="EUR", pay_currency="BTC")
    assert emu.app.deliverer.run_due() == 1
    emu.app.clock.advance(3600)  # an hour on the clock: the retry is not the clock's to send
    emu.app.backends.tick()
    assert emu.app.deliverer.run_due() == 0 and len(merchant.hits) == 1
    moved = emu.control("POST", f"/objects/{invoice['id']}/advance", {}).json()["data"]
    assert moved["deadlines_run"] == 1 and 29 < moved["advanced_seconds"] <= 30
    assert emu.app.deliverer.run_due() == 1
    log = emu.control("GET", f"/deliveries?object_id={invoice['id']}").json()["data"]
    attempts = log[0]["attempts"]
    assert [a["status_code"] for a in attempts] == [503, 200]
    assert (parse(attempts[1]["at"]) - parse(attempts[0]["at"])).total_seconds() == 30


def test_the_rate_limit_window_follows_the_emulator_clock(live) -> None:
    emu = live(rate_limit_per_minute=2)
    client = CryptopayClient(emu.url, KEY, SECRET, retry=RetryPolicy.never())
    client.list_invoices()
    client.list_invoices()
    with pytest.raises(RateLimited):
        client.list_invoices()
    emu.control("POST", "/clock/advance", {"seconds": 61})
    client.list_invoices()  # refilled by the emulator's minute, not the wall clock's


def test_moving_an_object_moves_the_key_s_request_window_as_far(live) -> None:
    emu = live(rate_limit_per_minute=2)
    client = CryptopayClient(emu.url, KEY, SECRET, retry=RetryPolicy.never())
    invoice = client.create_invoice(**EUR_INVOICE)
    client.list_invoices()
    with pytest.raises(RateLimited):
        client.list_invoices()
    emu.control("POST", f"/objects/{invoice['id']}/advance", {"seconds": 61})  # a retry a minute later
    client.list_invoices()


def test_an_unknown_object_cannot_be_moved(emu) -> None:
    assert emu.control("POST", "/objects/5b4e3c1d-0000-4000-8000-000000000000/advance", {}).status_code == 404


def test_the_time_setting_switches_what_new_objects_do(emu) -> None:
    assert emu.control("PUT", "/settings", {"time": "driven"}).json()["time"] == "driven"
    made = emu.client.create_coin_withdrawal(**PAYOUT)
    emu.control("POST", "/clock/advance", {"seconds": 0})
    assert emu.client.retrieve_coin_withdrawal(made["id"])["status"] == "pending"
    assert emu.control("PUT", "/settings", {"time": "sideways"}).status_code == 422
    assert emu.control("POST", "/reset").status_code == 200
    assert emu.control("GET", "/settings").json()["time"] == "running"


def test_a_driven_withdrawal_holds_still_beside_a_cpu_burning_thread(live) -> None:
    """The scenario picks the step however slow the machine: zero real seconds slept for the emulator's steps."""
    stop = threading.Event()

    def burn() -> None:
        while not stop.is_set():
            sum(range(10_000))

    burners = [threading.Thread(target=burn, daemon=True) for _ in range(2)]
    for thread in burners:
        thread.start()
    try:
        emu = live(driven_time=True, withdrawal_step_seconds=0.001, time_scale=1000.0)
        made = emu.client.create_coin_withdrawal(**PAYOUT)
        # Each request on this loaded machine lasts thousands of steps of a 1 ms step at x1000: nothing moves.
        held = emu.client.create_coin_withdrawal(**{**PAYOUT, "charged_amount": "0.25"})
        emu.control("POST", f"/objects/{made['id']}/advance", {})
        assert emu.control("POST", f"/coin_withdrawals/{made['id']}/fail").json()["data"]["status"] == "failed"
        assert emu.control("POST", f"/coin_withdrawals/{held['id']}/hold").json()["data"]["status"] == "on_hold"
        emu.control("POST", f"/objects/{made['id']}/advance", {})
        assert emu.client.retrieve_coin_withdrawal(made["id"])["status"] == "cancelled"
    finally:
        stop.set()
