"""`python -m cryptopay_emulator trigger ...` against a running emulator: each trigger does what its control API
route does, and a refusal, an emulator without control or nothing at the URL is one line and its exit status."""
from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from cryptopay_emulator import trigger

ROOT = Path(__file__).resolve().parents[2]
EUR_BTC = {"price_amount": "100.0", "price_currency": "EUR", "pay_currency": "BTC"}
EXTERNAL_BTC = "2N9wPGx67zdSeAbXi15qHgoZ9Hb9Uxhd2uQ"


@pytest.fixture
def emulator(live):
    return live(rate_limit_per_minute=0)


def triggered(capsys: pytest.CaptureFixture, emulator, *argv: str) -> dict:
    status = trigger.main(["--control-url", f"{emulator.url}/_emulator", *argv])
    out, err = capsys.readouterr()
    assert status == 0, err
    return json.loads(out)


def refused(capsys: pytest.CaptureFixture, url: str, *argv: str) -> tuple[int, str]:
    status = trigger.main(["--control-url", url, *argv])
    out, err = capsys.readouterr()
    assert not out
    return status, err.strip()


def test_pay_without_an_amount_pays_what_the_invoice_still_asks_for(emulator, capsys) -> None:
    invoice = emulator.client.create_invoice(**EUR_BTC)
    paid = triggered(capsys, emulator, "pay", invoice["id"])["data"]
    assert Decimal(paid["amount"]) == Decimal(invoice["pay_amount"]) and paid["confirmed"] is True
    assert emulator.client.retrieve_invoice(invoice["id"])["status"] == "completed"


def test_a_part_paid_unconfirmed_then_confirmed_then_expired_is_underpaid(emulator, capsys) -> None:
    invoice = emulator.client.create_invoice(**EUR_BTC)
    half = str(Decimal(invoice["pay_amount"]) / 2)
    paid = triggered(capsys, emulator, "pay", invoice["id"], "--amount", half, "--unconfirmed")["data"]
    assert paid["confirmed"] is False
    assert triggered(capsys, emulator, "confirm", paid["txid"])["data"]["paid_amount"] == half
    assert emulator.client.retrieve_invoice(invoice["id"])["status"] == "new"
    expired = triggered(capsys, emulator, "expire", invoice["id"])["data"]
    assert (expired["status"], expired["status_context"]) == ("unresolved", "underpaid")
    assert emulator.client.retrieve_invoice(invoice["id"])["status_context"] == "underpaid"


def test_a_high_risk_payment_is_held_and_a_decision_releases_it(emulator, capsys) -> None:
    invoice = emulator.client.create_invoice(**EUR_BTC)
    triggered(capsys, emulator, "pay", invoice["id"], "--risk", "high")
    assert emulator.client.retrieve_invoice(invoice["id"])["status_context"] == "illicit_resource"
    assert triggered(capsys, emulator, "decide", invoice["id"], "completed")["data"]["status"] == "completed"


def test_fail_and_hold_a_payout(emulator, capsys) -> None:
    def withdrawal() -> dict:
        return emulator.client.create_coin_withdrawal(address=EXTERNAL_BTC, charged_currency="BTC",
                                                      received_currency="BTC", charged_amount="0.01",
                                                      force_commit=True)

    failing, holding = withdrawal(), withdrawal()
    assert triggered(capsys, emulator, "fail-payout", failing["id"])["data"]["status"] == "failed"
    assert triggered(capsys, emulator, "hold-payout", holding["id"])["data"]["status"] == "on_hold"
    triggered(capsys, emulator, "advance", failing["id"], "--seconds", "5")  # a step later: cancelled
    assert emulator.client.retrieve_coin_withdrawal(failing["id"])["status"] == "cancelled"
    assert emulator.client.retrieve_coin_withdrawal(holding["id"])["status"] == "on_hold"
    assert triggered(capsys, emulator, "release-payout", holding["id"])["data"]["status"] == "processing"


def test_resend_sends_the_objects_latest_notification_again(emulator, capsys) -> None:
    invoice = emulator.client.create_invoice(**EUR_BTC)
    triggered(capsys, emulator, "pay", invoice["id"])
    sent = emulator.control("GET", f"/deliveries?object_id={invoice['id']}").json()["data"]
    again = triggered(capsys, emulator, "resend", invoice["id"], "--event", "status_changed")["data"]
    assert again["resend_of"] == [d for d in sent if d["event"] == "status_changed"][-1]["id"]
    assert triggered(capsys, emulator, "resend", invoice["id"])["data"]["resend_of"] == again["id"]


def test_advance_moves_an_objects_time_by_seconds(emulator, capsys) -> None:
    invoice = emulator.client.create_invoice(**EUR_BTC)
    assert triggered(capsys, emulator, "advance", invoice["id"], "--seconds", "30")["data"]["advanced_seconds"] == 30


def test_a_refusal_names_the_emulators_code_and_exits_1(emulator, capsys) -> None:
    status, said = refused(capsys, f"{emulator.url}/_emulator", "fail-payout", "no-such-withdrawal")
    assert status == 1 and said.startswith("cryptopay_emulator trigger fail-payout: the emulator refused: 404 ")
    status, said = refused(capsys, f"{emulator.url}/_emulator", "resend", "never-notified")
    assert status == 1 and "no notification was sent about never-notified" in said


def test_an_emulator_without_control_and_nothing_at_the_url_are_said_as_such(live, capsys) -> None:
    without = live(control_enabled=False)
    status, said = refused(capsys, f"{without.url}/_emulator", "expire", "some-invoice")
    assert status == 1 and "runs without its control API (started with --no-control)" in said
    status, said = refused(capsys, "http://127.0.0.1:9/_emulator", "expire", "some-invoice")
    assert status == 2 and "no control API answers at http://127.0.0.1:9/_emulator" in said


def test_python_m_trigger_runs_it_with_the_url_from_the_environment(emulator) -> None:
    invoice = emulator.client.create_invoice(**EUR_BTC)
    done = subprocess.run([sys.executable, "-m", "cryptopay_emulator", "trigger", "pay", invoice["id"]], cwd=ROOT,
                          capture_output=True, text=True, timeout=30,
                          env={"PATH": "/usr/bin:/bin", "EMULATOR_CONTROL_URL": f"{emulator.url}/_emulator"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["data"]["invoice_id"] == invoice["id"]
    assert emulator.client.retrieve_invoice(invoice["id"])["status"] == "completed"
