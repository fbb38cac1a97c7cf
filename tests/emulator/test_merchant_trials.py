"""The control API's trials of a merchant (issue 23): every coin-withdrawal create counted, a failed payout that
completes after all, a held one released, notifications before a create's answer, a GET that fails while the
merchant handles a notification."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable, Iterator

import pytest

from cryptopay_client import CryptopayError
from cryptopay_emulator.backend import Backends
from support.targets.servers import ServerThread
from support.drivers.waiting import wait_until
from tests.emulator.conftest import STEP, LiveEmulator, frozen_clock

EXTERNAL_BTC = "2N1prXeqc7qSPa3rfvrWj3VNKFwaeQWLeBV"
RISKY_BTC = "2NBjwW5J9rLkBiCMPnpWUSsXJqFqWkJ8Ju8"
TO_EXTERNAL = {"address": EXTERNAL_BTC, "charged_currency": "BTC", "received_currency": "BTC"}
EUR_BTC = {"price_amount": "100.0", "price_currency": "EUR", "pay_currency": "BTC"}


def statuses(backends: Backends) -> list[tuple[str, str]]:
    return [(event, data["status"]) for kind, event, data in backends.calls if kind == "CoinWithdrawal"]


@pytest.fixture
def backends() -> Backends:
    calls: list[tuple[str, str, dict]] = []
    made = Backends(frozen_clock(), lambda kind, event, data: calls.append((kind, event, data)),
                    withdrawal_step_seconds=STEP)
    made.calls = calls  # type: ignore[attr-defined] - what was notified, for the test to read
    return made


def step(backends: Backends, seconds: float = STEP) -> None:
    backends.clock.advance(seconds)
    backends.tick()


# -- point 5: every create a payout request cost --------------------------------------------------------------
def test_every_withdrawal_create_is_logged_accepted_or_refused(emu: LiveEmulator) -> None:
    emu.control("POST", "/high_risk_addresses", {"address": RISKY_BTC})
    for custom_id in ("payout-1", "payout-1-again"):
        with pytest.raises(CryptopayError) as refused:
            emu.client.create_coin_withdrawal(address=RISKY_BTC, charged_currency="EUR", received_currency="BTC",
                                              charged_amount="20.00", custom_id=custom_id, customer_id="olga")
        assert refused.value.code == "high_risk_address"
    made = emu.client.create_coin_withdrawal(**TO_EXTERNAL, charged_amount="0.01", custom_id="payout-2",
                                             customer_id="olga")
    with pytest.raises(CryptopayError):  # refused for its body: logged all the same
        emu.client.create_coin_withdrawal(address=EXTERNAL_BTC, charged_currency="BTC", received_currency="BTC",
                                          customer_id="olga")
    emu.client.create_coin_withdrawal(**TO_EXTERNAL, charged_amount="0.01", customer_id="petra")
    olga = emu.control("GET", "/coin_withdrawal_attempts?customer_id=olga").json()["data"]
    assert [(a["custom_id"], a["outcome"], a["error_code"]) for a in olga] == [
        ("payout-1", "refused", "high_risk_address"), ("payout-1-again", "refused", "high_risk_address"),
        ("payout-2", "created", None), (None, "refused", "invalid")]
    assert olga[2]["coin_withdrawal_id"] == made["id"] and olga[2]["status"] == "new"
    assert (olga[0]["address"], olga[0]["charged_amount"], olga[0]["charged_currency"]) == (RISKY_BTC, "20.00", "EUR")
    risky = emu.control("GET", f"/coin_withdrawal_attempts?address={RISKY_BTC}").json()["data"]
    assert [a["custom_id"] for a in risky] == ["payout-1", "payout-1-again"]
    one = emu.control("GET", "/coin_withdrawal_attempts?custom_id=payout-1&customer_id=olga").json()["data"]
    assert len(one) == 1 and len(emu.control("GET", "/coin_withdrawal_attempts").json()["data"]) == 5
    emu.control("POST", "/reset")
    assert emu.control("GET", "/coin_withdrawal_attempts").json()["data"] == []


# -- point 4: a failed payout that completes after all; a hold that ends well -----------------------------------
def test_a_failed_withdrawal_can_complete_after_all_keeping_its_debit(backends: Backends) -> None:
    made = backends.withdrawals.create({**TO_EXTERNAL, "charged_amount": "0.5", "force_commit": True})
    step(backends)
    assert backends.withdrawals.fail(made["id"], "completed")["status"] == "failed"
    step(backends)
    completed = backends.withdrawals.get(made["id"])
    assert completed["status"] == "completed" and completed["txid"] and completed["risk"]["level"] == "low"
    assert backends.account.balances.available("BTC") == Decimal("9.5")  # sent: nothing comes back
    assert statuses(backends)[-2:] == [("status_changed", "failed"), ("status_changed", "completed")]
    with pytest.raises(Exception, match="invalid"):
        backends.withdrawals.fail(made["id"], "refunded")


def test_a_held_withdrawal_released_is_sent_and_completed_with_its_debit_kept(backends: Backends) -> None:
    made = backends.withdrawals.create({**TO_EXTERNAL, "charged_amount": "0.5", "force_commit": True})
    backends.withdrawals.hold(made["id"])
    with pytest.raises(Exception, match="invalid"):
        backends.withdrawals.release(backends.withdrawals.create({**TO_EXTERNAL, "charged_amount": "0.1"})["id"])
    assert backends.withdrawals.release(made["id"])["status"] == "processing"
    step(backends, 2 * STEP)
    assert backends.withdrawals.get(made["id"])["status"] == "completed"
    assert backends.account.balances.available("BTC") == Decimal("9.5")
    assert statuses(backends) == [("created", "pending"), ("status_changed", "on_hold"),
                                  ("status_changed", "processing"), ("status_changed", "sent"),
                                  ("status_changed", "completed")]


def test_fail_with_an_outcome_and_release_through_the_control_api(emu: LiveEmulator) -> None:
    made = emu.client.create_coin_withdrawal(**TO_EXTERNAL, charged_amount="0.5", force_commit=True)
    bad = emu.control("POST", f"/coin_withdrawals/{made['id']}/fail", {"outcome": "refunded"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["target"] == "outcome"
    assert emu.control("POST", f"/coin_withdrawals/{made['id']}/release").status_code == 422  # not held
    assert emu.control("POST", f"/coin_withdrawals/{made['id']}/hold").json()["data"]["status"] == "on_hold"
    assert emu.control("POST", f"/coin_withdrawals/{made['id']}/release").json()["data"]["status"] == "processing"
    other = emu.client.create_coin_withdrawal(**TO_EXTERNAL, charged_amount="0.5", force_commit=True)
    failed = emu.control("POST", f"/coin_withdrawals/{other['id']}/fail", {"outcome": "completed"})
    assert failed.json()["data"]["status"] == "failed"
    emu.control("POST", "/clock/advance", {"seconds": STEP})
    assert emu.client.retrieve_coin_withdrawal(other["id"])["status"] == "completed"


# -- a merchant on loopback that reads Cryptopay while it handles each notification ----------------------------
@dataclass
class ReadingMerchant:
    """Answers 200 to every notification after calling `read` (its confirming GET) with the body; records each
    hit's event, what the read gave (the object's status, or the error code) and whether `answered` was set."""
    read: Callable[[dict], dict] = lambda body: body["data"]
    answered: threading.Event = field(default_factory=threading.Event)
    hits: list[dict] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wsgi(self, environ, start_response):
        body = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        try:
            got = self.read(body)["status"]
        except CryptopayError as exc:
            got = f"{exc.status} {exc.code}"
        with self.arrived:
            self.hits.append({"id": body["data"]["id"], "event": body["event"], "status": body["data"]["status"],
                              "read": got, "after_answer": self.answered.is_set()})
            self.arrived.notify_all()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    def wait_for(self, count: int) -> list[dict]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.hits) >= count, 10), self.hits
            return list(self.hits)


@pytest.fixture
def reading(live) -> Iterator[tuple[ReadingMerchant, LiveEmulator]]:
    merchant = ReadingMerchant()
    server = ServerThread(merchant.wsgi, "reading-merchant").start()
    emulator = live(callback_url=f"{server.url}/callbacks", rate_limit_per_minute=0)
    yield merchant, emulator
    server.stop()


# -- point 7: Cryptopay's GET fails while the merchant handles a notification --------------------------------
def test_an_armed_read_fails_only_while_a_notification_about_it_awaits_the_merchant(reading) -> None:
    merchant, emu = reading
    merchant.read = lambda body: emu.client.retrieve_invoice(body["data"]["id"])
    invoice = emu.client.create_invoice(**EUR_BTC)
    wait_until(lambda: emu.control("GET", f"/deliveries?object_id={invoice['id']}").json()["data"],
               lambda log: [d["state"] for d in log] == ["delivered"], timeout=10, expected="`created` answered")
    armed = emu.control("POST", f"/objects/{invoice['id']}/read_failures", {"count": 2, "status": 503})
    assert armed.status_code == 201 and armed.json()["data"]["remaining"] == 2
    assert emu.client.retrieve_invoice(invoice["id"])["status"] == "new"  # no notification in flight: answered
    emu.control("POST", "/payments", {"invoice_id": invoice["id"]})
    hits = merchant.wait_for(4)
    assert [(h["event"], h["read"]) for h in hits[1:]] == [
        ("transaction_created", "503 service_unavailable"), ("transaction_confirmed", "503 service_unavailable"),
        ("status_changed", "completed")]
    fault = emu.control("GET", f"/read_failures?object_id={invoice['id']}").json()["data"][0]
    assert fault["remaining"] == 0 and [f["event"] for f in fault["failed"]] == ["transaction_created",
                                                                                  "transaction_confirmed"]
    assert fault["failed"][0]["path"] == f"/api/invoices/{invoice['id']}"


def test_a_channels_armed_read_fails_its_payments_reads_in_the_envelope(reading) -> None:
    merchant, emu = reading
    merchant.read = lambda body: emu.client.channel_payment(body["data"]["channel_id"], body["data"]["id"])
    channel = emu.client.create_channel(name="c", pay_currency="BTC", receiver_currency="EUR")
    emu.control("POST", f"/objects/{channel['id']}/read_failures", {"status": 500})
    emu.control("POST", "/payments", {"address": channel["address"], "amount": "0.002"})
    assert [(h["event"], h["read"]) for h in merchant.wait_for(2)] == [("created", "500 internal_error"),
                                                                      ("completed", "completed")]


def test_arming_a_read_failure_checks_the_object_and_the_numbers(emu: LiveEmulator) -> None:
    invoice = emu.client.create_invoice(**EUR_BTC)
    assert emu.control("POST", "/objects/3b0f8c52-0000-4000-8000-000000000000/read_failures").status_code == 404
    refused = emu.control("POST", f"/objects/{invoice['id']}/read_failures", {"count": 0, "status": 404})
    assert refused.status_code == 422
    assert {d["target"] for d in refused.json()["error"]["details"]} == {"count", "status"}
    assert emu.control("GET", "/read_failures").json()["data"] == []


# -- point 6: notifications before the create answer --------------------------------------------------------
def test_an_invoice_paid_the_moment_it_exists_is_notified_before_its_create_answer(reading) -> None:
    merchant, emu = reading
    merchant.read = lambda body: emu.client.retrieve_invoice(body["data"]["id"])  # the GET works meanwhile
    armed = emu.control("POST", "/early_notifications", {"object": "invoice", "customer_id": "olga", "pay": {}})
    assert armed.status_code == 201 and armed.json()["data"]["pay"] == {"amount": None, "risk_level": "low",
                                                                      "confirmed": True}
    emu.client.create_invoice(**EUR_BTC, customer_id="petra")  # another customer's: answered as usual
    created = emu.client.create_invoice(**EUR_BTC, customer_id="olga")
    merchant.answered.set()
    assert created["status"] == "new"  # the answer is what Cryptopay answered at creation
    olga = [h for h in merchant.wait_for(5) if h["id"] == created["id"]]
    assert all(not h["after_answer"] for h in olga)
    assert [(h["event"], h["read"]) for h in olga] == [
        ("created", "completed"), ("transaction_created", "completed"), ("transaction_confirmed", "completed"),
        ("status_changed", "completed")]
    notice = emu.control("GET", "/early_notifications").json()["data"][0]
    assert (notice["used_by"], notice["notified_id"], notice["before_answer"]) == (created["id"], created["id"],
                                                                                   True)
    assert [(n["event"], n["answered"]) for n in notice["notifications"]] == [
        ("created", 200), ("transaction_created", 200), ("transaction_confirmed", 200), ("status_changed", 200)]
    later = emu.client.create_invoice(**EUR_BTC, customer_id="olga")  # a notice is used once
    assert emu.client.retrieve_invoice(later["id"])["status"] == "new"


def test_a_payment_to_a_new_channel_is_notified_before_the_channel_create_answer(reading) -> None:
    merchant, emu = reading
    armed = emu.control("POST", "/early_notifications", {"object": "channel", "pay": {"amount": "0.002"}})
    assert armed.status_code == 201
    channel = emu.client.create_channel(name="c", pay_currency="BTC", receiver_currency="EUR", customer_id="olga")
    merchant.answered.set()
    assert [(h["event"], h["status"], h["after_answer"]) for h in merchant.wait_for(2)] == [
        ("created", "pending", False), ("completed", "completed", False)]
    notice = emu.control("GET", "/early_notifications").json()["data"][0]
    payments = emu.client.channel_payments(channel["id"])["data"]
    assert notice["used_by"] == channel["id"] and notice["notified_id"] == payments[0]["id"]
    assert notice["before_answer"] is True


def test_arming_an_early_notification_names_every_problem(emu: LiveEmulator) -> None:
    refused = emu.control("POST", "/early_notifications", {"object": "payout", "hold_seconds": 0})
    assert refused.status_code == 422
    assert {d["target"] for d in refused.json()["error"]["details"]} == {"object", "hold_seconds"}
    channel = emu.control("POST", "/early_notifications", {"object": "channel"})
    assert [d["target"] for d in channel.json()["error"]["details"]] == ["pay"]
    bad_pay = emu.control("POST", "/early_notifications", {"object": "invoice", "pay": {
        "amount": "1e3", "risk_level": "extreme", "confirmed": "yes"}})
    assert {d["target"] for d in bad_pay.json()["error"]["details"]} == {"pay.amount", "pay.risk_level",
                                                                         "pay.confirmed"}
    assert emu.control("GET", "/early_notifications").json()["data"] == []


def test_without_a_merchant_answering_the_create_answer_waits_no_longer_than_its_hold(live) -> None:
    emu = live(callback_url="http://127.0.0.1:9/nobody", rate_limit_per_minute=0)
    emu.control("POST", "/deliveries/pause")
    emu.control("POST", "/early_notifications", {"object": "invoice", "hold_seconds": 0.2})
    assert emu.client.create_invoice(**EUR_BTC)["status"] == "new"
    notice = emu.control("GET", "/early_notifications").json()["data"][0]
    assert notice["before_answer"] is False and notice["notifications"][0]["answered"] is None
