"""The sandbox control API's shapes and all-or-nothing settings, and the standalone `python -m` entry point."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import requests

from cryptopay_client import CryptopayClient

ROOT = Path(__file__).resolve().parents[2]
EUR_BTC = {"price_amount": "100.0", "price_currency": "EUR", "pay_currency": "BTC"}


def test_payment_answer_shape_and_unconfirmed_then_confirmed(emu) -> None:
    invoice = emu.client.create_invoice(**EUR_BTC)
    answer = emu.control("POST", "/payments", {"invoice_id": invoice["id"], "amount": "0.001895",
                                               "risk_level": "medium", "confirmed": False})
    assert answer.status_code == 201
    tx = answer.json()["data"]
    assert set(tx) == {"txid", "invoice_id", "amount", "currency", "confirmed"}
    assert (tx["amount"], tx["currency"], tx["confirmed"]) == ("0.001895", "BTC", False)
    assert emu.control("POST", f"/transactions/{tx['txid']}/confirm").json()["data"]["status"] == "completed"
    assert emu.control("POST", f"/transactions/{tx['txid']}/confirm").status_code == 404  # already confirmed


def test_clock_advance_and_scale(emu) -> None:
    before = emu.control("GET", "/clock").json()
    moved = emu.control("POST", "/clock/advance", {"seconds": 3600}).json()
    assert moved["now"] > before["now"] and moved["scale"] == before["scale"]
    assert emu.control("POST", "/clock/scale", {"scale": 60}).json()["scale"] == 60
    assert emu.control("POST", "/clock/scale", {"scale": 0}).status_code == 422
    assert emu.control("POST", "/clock/advance", {"seconds": "-5"}).status_code == 422
    emu.control("POST", "/clock/scale", {"scale": 1})


def test_settings_change_all_or_nothing(emu) -> None:
    good = emu.control("PUT", "/settings", {"unresolved": {"underpaid": "refund"}, "callback_url": "http://m/cb"})
    assert good.json() == {"unresolved": {"underpaid": "refund", "overpaid": "do_nothing", "paid_late": "do_nothing"},
                           "callback_url": "http://m/cb", "time": "running", "rate_limit_per_minute": 0,
                           "coin_withdrawal_callbacks": False}
    bad = emu.control("PUT", "/settings", {"unresolved": {"overpaid": "recalculate", "paid_late": "explode"}})
    assert bad.status_code == 422
    assert emu.control("PUT", "/settings", {"callback_url": 5}).status_code == 422
    # The account's opt-in to payout notifications is the emulator's flag, read here, never changed through control.
    assert emu.control("PUT", "/settings", {"coin_withdrawal_callbacks": True}).json()["coin_withdrawal_callbacks"] \
        is False
    assert emu.control("GET", "/settings").json() == good.json()


def test_a_monitoring_decision_over_http(emu) -> None:
    invoice = emu.client.create_invoice(**EUR_BTC)
    emu.control("POST", "/payments", {"invoice_id": invoice["id"], "amount": "0.001895", "risk_level": "high"})
    decided = emu.control("POST", f"/invoices/{invoice['id']}/monitoring_decision", {"outcome": "refunded"})
    assert decided.status_code == 200 and decided.json()["data"]["status"] == "refunded"


def test_the_delivery_log_filters_by_invoice(emu) -> None:
    first, second = emu.client.create_invoice(**EUR_BTC), emu.client.create_invoice(**EUR_BTC)
    rows = emu.control("GET", f"/deliveries?invoice_id={first['id']}").json()["data"]
    assert [(r["event"], r["invoice_id"]) for r in rows] == [("created", first["id"])]
    assert len(emu.control("GET", "/deliveries").json()["data"]) == 2 and second


def test_standalone_prints_its_urls_and_keys_and_serves_signed_requests() -> None:
    process = subprocess.Popen([sys.executable, "-m", "cryptopay_emulator", "--port", "0", "--rate-limit", "0",
                                "--balance", "BTC=1.5"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        info = json.loads(process.stdout.readline())
        assert {"api_url", "control_url", "api_key", "api_secret", "callback_secret"} <= set(info)
        client = CryptopayClient(info["api_url"], info["api_key"], info["api_secret"])
        assert client.create_invoice(**EUR_BTC)["status"] == "new"
        balances = requests.get(info["control_url"] + "/balances", timeout=10).json()["data"]
        assert balances["BTC"] == "1.5"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_standalone_refuses_a_bad_balance_with_a_message() -> None:
    done = subprocess.run([sys.executable, "-m", "cryptopay_emulator", "--balance", "BTC=lots"], cwd=ROOT,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode != 0 and "--balance BTC=lots" in done.stderr
