"""Each payer pays an invoice address for real against the emulator: control API, coin withdrawal, an operator."""
from __future__ import annotations

import io
import re
import threading
from contextlib import contextmanager
from decimal import Decimal

import pytest
import requests

from support.drivers.operator import Progress, TerminalOut, payment_payload
from support.drivers.payers import (CoinWithdrawalPayer, EmulatorPayer, OperatorGaveUp, OperatorPayer,
                                    PaymentNotPossible, build_payer)
from support.drivers.waiting import WaitTimeout, wait_until
from support.targets.settings import load_settings
from tests.support.conftest import Sandbox, Transcript

SHARES = {"exact": Decimal("1"), "smaller": Decimal("0.5"), "larger": Decimal("2")}


def share(invoice: dict, how: str) -> Decimal:
    pay_amount = Decimal(invoice["pay_amount"])
    return (pay_amount * SHARES[how]).quantize(pay_amount)


def test_emulator_payer_pays_through_the_control_api(sandbox: Sandbox) -> None:
    invoice = sandbox.invoice()
    EmulatorPayer(sandbox.control).pay(invoice, share(invoice, "exact"))
    assert sandbox.paid(invoice["id"]) == Decimal(invoice["pay_amount"])


@pytest.mark.parametrize("how", SHARES)
def test_coin_withdrawal_payer_sends_exactly_the_amount(sandbox: Sandbox, transcript: Transcript, how: str) -> None:
    invoice = sandbox.invoice()
    amount = share(invoice, how)
    tx = CoinWithdrawalPayer(sandbox.client, timeout=10, out=transcript).pay(invoice, amount)
    assert sandbox.paid(invoice["id"]) == amount
    withdrawal = sandbox.client.retrieve_coin_withdrawal(tx["withdrawal_id"])
    assert (withdrawal["address"], withdrawal["network"]) == (invoice["address"], invoice["network"])
    assert Decimal(withdrawal["received_amount"]) == amount and withdrawal["received_currency"] == "BTC"
    assert withdrawal["charged_currency"] == "BTC" and Decimal(tx["invoice_paid_amount"]) == amount
    assert f"paying {amount} BTC to {invoice['address']}" in transcript.text()


def test_coin_withdrawal_payer_pays_a_second_time_on_top(sandbox: Sandbox, transcript: Transcript) -> None:
    invoice = sandbox.invoice(pay_currency="LTC")
    payer = CoinWithdrawalPayer(sandbox.client, timeout=10, out=transcript)
    half = share(invoice, "smaller")
    payer.pay(invoice, half)
    payer.pay(sandbox.client.retrieve_invoice(invoice["id"]), half)  # the payer takes the invoice as just read
    assert sandbox.paid(invoice["id"]) == 2 * half


def test_coin_withdrawal_payer_leaves_forced_risk_to_the_control_api(sandbox: Sandbox,
                                                                     transcript: Transcript) -> None:
    invoice = sandbox.invoice()
    with pytest.raises(PaymentNotPossible, match="high-risk payment cannot be made"):
        CoinWithdrawalPayer(sandbox.client, timeout=10, out=transcript).pay(invoice, share(invoice, "exact"), "high")
    payer = CoinWithdrawalPayer(sandbox.client, timeout=10, out=transcript, fallback=EmulatorPayer(sandbox.control))
    payer.pay(invoice, share(invoice, "exact"), "high")
    risk = sandbox.client.retrieve_invoice(invoice["id"])["transactions"][0]["risk"]
    assert risk["level"] == "high"


def test_a_payment_that_never_shows_times_out_saying_what_was_awaited(sandbox: Sandbox,
                                                                      transcript: Transcript) -> None:
    invoice = sandbox.invoice()
    payer = OperatorPayer(sandbox.client, timeout=0.3, out=transcript)
    with pytest.raises(WaitTimeout, match=rf"invoice {invoice['id']} paid_amount >= {invoice['pay_amount']}"):
        payer.pay(invoice, Decimal(invoice["pay_amount"]))


def test_the_operator_gives_up_by_typing_q(sandbox: Sandbox, transcript: Transcript) -> None:
    invoice = sandbox.invoice()
    payer = OperatorPayer(sandbox.client, timeout=30, out=transcript, inp=io.StringIO("\nq\n"))
    with pytest.raises(OperatorGaveUp, match="operator gave up"):
        payer.pay(invoice, Decimal(invoice["pay_amount"]))
    assert "type q and Enter to give up" in transcript.text()


@pytest.mark.parametrize("how", ["exact", "smaller"])
def test_operator_payer_driven_by_a_test_playing_the_operator(sandbox: Sandbox, transcript: Transcript,
                                                              how: str) -> None:
    invoice = sandbox.invoice()
    amount = share(invoice, how)
    operator = threading.Thread(target=play_operator, args=(sandbox, transcript), daemon=True)
    operator.start()
    payer = OperatorPayer(sandbox.client, timeout=20, out=transcript, progress_every=0.05)
    tx = payer.pay(invoice, amount)
    operator.join(timeout=10)
    assert sandbox.paid(invoice["id"]) == amount and Decimal(tx["invoice_paid_amount"]) == amount
    shown = transcript.text()
    assert f"network       {invoice['network']}" in shown and "█" in shown, "the terminal QR code is printed"
    assert re.search(r"[|/\\-] waiting +\d+/20 s for the operator's", shown), "a visible progress indicator"
    assert "done after" in shown, "the operator is told the payment arrived"
    assert payer.last_qr is not None and payer.last_qr.svg.startswith("<svg")
    assert payer.last_qr.payload == tx["qr_payload"] and str(amount) in payer.last_qr.payload


def play_operator(sandbox: Sandbox, transcript: Transcript) -> None:
    """Reads what the run printed, as a person would, waits until the run shows it is waiting, then pays."""
    shown = wait_until(transcript.text, lambda text: "waiting" in text, timeout=10,
                       expected="the payer to print instructions and start its progress indicator")
    amount, currency = re.search(r"send exactly +([0-9.]+) ([A-Z]+)", shown).groups()
    address = re.search(r"to address +(\S+)", shown).group(1)
    response = requests.post(f"{sandbox.url}/_emulator/payments", json={"address": address, "amount": amount},
                             timeout=10)
    assert response.status_code == 201, response.text


def test_payment_payload_follows_the_invoice_uri() -> None:
    invoice = {"address": "2NEg6YRbKwnQT2bSJL36tSnN6VNNQnHy1JA", "pay_amount": "0.001895",
               "uri": "bitcoin:2NEg6YRbKwnQT2bSJL36tSnN6VNNQnHy1JA?amount=0.001895"}
    assert payment_payload(invoice, Decimal("0.001895")) == invoice["uri"]
    assert payment_payload(invoice, Decimal("0.000948")).endswith("?amount=0.000948")
    eth = {"address": "0x145a", "pay_amount": "0.0292", "uri": "ethereum:0x145a?value=0.292e17"}
    assert payment_payload(eth, Decimal("0.0146")) == "0x145a"


def test_build_payer_picks_by_settings(sandbox: Sandbox) -> None:
    embedded = load_settings({})
    assert isinstance(build_payer(embedded, sandbox.control, sandbox.client), EmulatorPayer)
    real = {"CRYPTOPAY_API_URL": "https://business-sandbox.cryptopay.me", "CRYPTOPAY_API_KEY": "k",
            "CRYPTOPAY_API_SECRET": "s", "CRYPTOPAY_CALLBACK_SECRET": "c"}
    assert isinstance(build_payer(load_settings(real), None, sandbox.client), CoinWithdrawalPayer)
    assert isinstance(build_payer(load_settings({**real, "PAYER": "operator"}), None, sandbox.client), OperatorPayer)


def test_progress_prints_at_most_once_per_interval_and_closes_only_a_visible_wait() -> None:
    now = [0.0]
    out = io.StringIO()
    progress = Progress(out, "1 BTC on invoice X", timeout=60, every=5, clock=lambda: now[0])
    progress.tick("paid 0")
    assert out.getvalue() == ""
    now[0] = 5.0
    progress.tick("paid 0")
    now[0] = 6.0
    progress.tick("paid 0")
    assert out.getvalue().count("waiting") == 1 and "   5/60 s for 1 BTC on invoice X; paid 0" in out.getvalue()
    progress.done("paid 1")
    assert "done after 6.0 s" in out.getvalue()
    quiet = io.StringIO()
    Progress(quiet, "x", timeout=1, clock=lambda: 0.0).done("paid")
    assert quiet.getvalue() == ""


def test_terminal_out_writes_past_pytest_capture() -> None:
    entered = []

    class FakeCaptureManager:
        @contextmanager
        def global_and_fixture_disabled(self):
            entered.append(True)
            yield

    assert TerminalOut(FakeCaptureManager()).write("") == 0 and entered == [True]
