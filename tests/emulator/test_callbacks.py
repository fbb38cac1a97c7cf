"""Callback delivery: signed bodies, the real retry schedule on the emulator clock, timeouts, log, resend, pause."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from cryptopay_client.callbacks import verify_callback
from cryptopay_emulator.delivery import MAX_RETRIES, Deliverer, Endpoint, retry_delay
from cryptopay_emulator.invoices import RESCORES, next_score
from support.drivers.waiting import wait_until
from tests.emulator.conftest import CALLBACK_SECRET, frozen_clock

EUR_BTC = {"price_amount": "100.0", "price_currency": "EUR", "pay_currency": "BTC"}
LOG_KEYS = {"id", "type", "event", "object_id", "invoice_id", "invoice_status", "status", "state", "resend_of",
            "next_attempt_at", "attempts", "body"}


def deliveries(emu, invoice_id: str) -> list[dict]:
    answer = emu.control("GET", f"/deliveries?invoice_id={invoice_id}")
    assert answer.status_code == 200
    return answer.json()["data"]


def first_delivery_when(emu, invoice_id: str, accept, expected: str) -> dict:
    return wait_until(lambda: deliveries(emu, invoice_id)[0], accept, timeout=10, expected=expected)


def test_an_exact_payment_delivers_created_transaction_created_confirmed_then_completed(live, receiver) -> None:
    merchant, url = receiver
    emu = live(callback_url=url)
    invoice = emu.client.create_invoice(**EUR_BTC)
    assert emu.control("POST", "/payments", {"invoice_id": invoice["id"], "amount": invoice["pay_amount"]}
                       ).status_code == 201
    hits = merchant.wait_for(4)
    bodies = [json.loads(h["body"], parse_float=Decimal) for h in hits]  # as the client parses the API
    assert [(b["type"], b["event"], b["data"]["status"]) for b in bodies] == [
        ("Invoice", "created", "new"), ("Invoice", "transaction_created", "new"),
        ("Invoice", "transaction_confirmed", "new"), ("Invoice", "status_changed", "completed")]
    assert all(verify_callback(CALLBACK_SECRET, h["body"], h["signature"]) for h in hits)
    assert bodies[-1]["data"] == emu.client.retrieve_invoice(invoice["id"])  # the full invoice, as the API shows it
    log = wait_until(lambda: deliveries(emu, invoice["id"]), lambda rows: all(r["state"] == "delivered" for r in rows),
                     timeout=10, expected="every delivery delivered")
    assert all(set(row) == LOG_KEYS for row in log)
    assert all(set(a) == {"number", "at", "status_code", "error", "duration_ms"} for r in log for a in r["attempts"])


def test_a_merchant_answering_500_is_retried_on_schedule_once_the_clock_advances(live, receiver) -> None:
    merchant, url = receiver
    merchant.answers = [500]
    emu = live(callback_url=url)
    invoice = emu.client.create_invoice(**EUR_BTC)
    merchant.wait_for(1)
    failed = first_delivery_when(emu, invoice["id"], lambda d: len(d["attempts"]) == 1, "the first attempt logged")
    assert (failed["state"], failed["attempts"][0]["status_code"]) == ("pending", 500)
    gap = datetime.fromisoformat(failed["next_attempt_at"]) - datetime.fromisoformat(failed["attempts"][0]["at"])
    assert gap == timedelta(seconds=30)  # 30 + 0^4 + 0
    assert emu.control("POST", "/clock/advance", {"seconds": 30}).status_code == 200
    hits = merchant.wait_for(2)
    assert hits[0]["body"] == hits[1]["body"]
    done = first_delivery_when(emu, invoice["id"], lambda d: d["state"] == "delivered", "the retry delivered")
    assert [a["status_code"] for a in done["attempts"]] == [500, 200]


def test_a_merchant_slower_than_the_limit_has_failed_the_attempt(live, receiver) -> None:
    merchant, url = receiver
    merchant.delays = [1.0]
    emu = live(callback_url=url, callback_timeout_seconds=0.5)
    invoice = emu.client.create_invoice(**EUR_BTC)
    slow = first_delivery_when(emu, invoice["id"], lambda d: len(d["attempts"]) == 1, "the slow attempt logged")
    attempt = slow["attempts"][0]
    assert slow["state"] == "pending" and attempt["status_code"] is None and "0.5 s" in attempt["error"]
    emu.control("POST", "/clock/advance", {"seconds": 30})
    done = first_delivery_when(emu, invoice["id"], lambda d: d["state"] == "delivered", "the quick retry delivered")
    assert len(done["attempts"]) == 2


def test_a_resend_carries_the_invoice_as_it_is_now(live, receiver) -> None:
    """Like the dashboard's resend: the same event for the same invoice, but re-read, so the risk score (and with
    it the bytes) differ while the level and everything else stay."""
    merchant, url = receiver
    emu = live(callback_url=url)
    invoice = emu.client.create_invoice(**EUR_BTC)
    emu.control("POST", "/payments", {"invoice_id": invoice["id"], "amount": invoice["pay_amount"],
                                      "risk_level": "medium"})
    merchant.wait_for(4)
    original = wait_until(lambda: deliveries(emu, invoice["id"])[-1], lambda d: d["state"] == "delivered",
                          timeout=10, expected="the completed delivery")
    answer = emu.control("POST", f"/deliveries/{original['id']}/resend")
    assert answer.status_code == 201 and answer.json()["data"]["resend_of"] == original["id"]
    completed, resent = merchant.wait_for(5)[3:5]
    assert resent["body"] != completed["body"] and verify_callback(CALLBACK_SECRET, resent["body"], resent["signature"])
    first, again = json.loads(completed["body"]), json.loads(resent["body"])
    old_risk, new_risk = first["data"]["transactions"][0].pop("risk"), again["data"]["transactions"][0].pop("risk")
    assert (old_risk["level"], new_risk["level"]) == ("medium", "medium") and old_risk["score"] != new_risk["score"]
    assert first == again and again["data"]["status"] == "completed"
    assert emu.client.retrieve_invoice(invoice["id"])["transactions"][0]["risk"]["score"] == Decimal(str(new_risk["score"]))
    assert emu.control("POST", "/deliveries/00000000-0000-4000-8000-000000000000/resend").status_code == 404


def test_every_resend_re_scores_within_the_level() -> None:
    for level, cycle in RESCORES.items():
        score, seen = Decimal(cycle[0]), []
        for _ in cycle:
            score = next_score(level, score)
            seen.append(score)
        assert sorted(seen) == sorted(Decimal(s) for s in cycle) and len(set(seen)) == len(cycle)


def test_paused_delivery_holds_callbacks_until_resumed(live, receiver) -> None:
    merchant, url = receiver
    emu = live(run_scheduler=False, callback_url=url)  # the test runs the scheduler's steps itself
    assert emu.control("POST", "/deliveries/pause").json() == {"paused": True}
    emu.client.create_invoice(**EUR_BTC)
    assert emu.app.deliverer.run_due() == 0 and merchant.hits == []
    assert emu.control("POST", "/deliveries/resume").json() == {"paused": False}
    assert emu.app.deliverer.run_due() == 1
    assert len(merchant.wait_for(1)) == 1


# -- the retry schedule itself, on a clock that only moves when told ----------------------------------------
class ScriptedSession:
    def __init__(self, status: int):
        self.status, self.calls = status, 0

    def post(self, url, data, timeout, headers):
        self.calls += 1
        return SimpleNamespace(status_code=self.status)


def test_retry_delays_follow_30_plus_n4_plus_n() -> None:
    assert [int(retry_delay(n).total_seconds()) for n in (0, 1, 2, 3, 19)] == [30, 32, 48, 114, 130370]


def test_twenty_retries_on_schedule_then_failed() -> None:
    clock, session = frozen_clock(), ScriptedSession(500)
    deliverer = Deliverer(clock, Endpoint("http://merchant.invalid/cb", "s"), session_factory=lambda: session)
    delivery = deliverer.enqueue("created", {"id": "inv-1", "status": "new"})
    assert deliverer.run_due() == 1
    for n in range(MAX_RETRIES):
        clock.advance(retry_delay(n).total_seconds() - 1)
        assert deliverer.run_due() == 0, f"retry {n} came early"
        clock.advance(1)
        assert deliverer.run_due() == 1, f"retry {n} not made on time"
    assert delivery.state == "failed" and delivery.next_attempt_at is None
    assert session.calls == len(delivery.attempts) == MAX_RETRIES + 1
    clock.advance(10 ** 7)
    assert deliverer.run_due() == 0


def test_no_callback_url_is_logged_as_a_failed_attempt() -> None:
    deliverer = Deliverer(frozen_clock(), Endpoint(None, "s"), session_factory=lambda: ScriptedSession(200))
    delivery = deliverer.enqueue("created", {"id": "inv-1", "status": "new"})
    deliverer.run_due()
    assert delivery.attempts[0].error == "no callback URL configured" and delivery.state == "pending"


@pytest.mark.parametrize("status", [201, 204, 302, 404])
def test_anything_but_200_is_a_failure(status) -> None:
    deliverer = Deliverer(frozen_clock(), Endpoint("http://m.invalid", "s"), session_factory=lambda: ScriptedSession(status))
    delivery = deliverer.enqueue("created", {"id": "inv-1", "status": "new"})
    deliverer.run_due()
    assert delivery.state == "pending" and delivery.attempts[0].status_code == status


def test_at_a_high_time_scale_the_scheduler_expires_invoices_by_itself(live, receiver) -> None:
    merchant, url = receiver
    emu = live(callback_url=url)
    invoice = emu.client.create_invoice(**EUR_BTC)
    emu.control("POST", "/payments", {"invoice_id": invoice["id"], "amount": "0.001"})
    emu.control("POST", "/clock/scale", {"scale": 3600})  # the remaining ten minutes take about 0.17 real seconds
    hits = merchant.wait_for(4)  # created, transaction_created, transaction_confirmed, then expiry's status_changed
    last = json.loads(hits[3]["body"])
    assert (last["event"], last["data"]["status"], last["data"]["status_context"]) == (
        "status_changed", "unresolved", "underpaid")
