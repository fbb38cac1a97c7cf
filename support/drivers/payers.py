"""Payers: how an invoice or a channel address gets paid — the emulator's control API, the account's own balance,
or a person."""
from __future__ import annotations

import sys
import threading
import uuid
from decimal import Decimal
from typing import Protocol, TextIO

from cryptopay_client import CryptopayClient
from cryptopay_client.client import decimal_text
from support.drivers.emulator import EmulatorControl
from support.drivers.operator import Progress, QrCode, instructions, make_qr, payment_payload
from support.drivers.waiting import WaitTimeout, wait_until
from support.targets.request_budget import RunBudget, current
from support.targets.settings import Settings

# The longest pause between two reads while a payment waits for its confirmations (minutes on a real testnet).
PAYMENT_POLL_MAX_SECONDS = 30.0


class Payer(Protocol):
    """Pays `amount` to `invoice`, as Cryptopay reported it just now: its paid_amount is the baseline the payment is
    awaited on top of (read again it would cost a request of the budget for every payment)."""

    description: str

    def pay(self, invoice: dict, amount: Decimal, risk_level: str = "low") -> dict: ...


class PaymentNotPossible(AssertionError):
    """This payer cannot make the payment a scenario asks for (e.g. a high-risk source on a real network)."""


class OperatorGaveUp(WaitTimeout):
    pass


class EmulatorPayer:
    description = "the emulator's sandbox control API"

    def __init__(self, control: EmulatorControl):
        self._control = control

    def pay(self, invoice: dict, amount: Decimal, risk_level: str = "low") -> dict:
        return self._control.pay(invoice["id"], amount, risk_level=risk_level)


def wait_for_paid_amount(client: CryptopayClient, invoice_id: str, at_least: Decimal, timeout: float,
                         progress: Progress, stop: threading.Event | None = None, always_done: bool = False,
                         run_budget: RunBudget | None = None) -> dict:
    """Polls Cryptopay's GET until the invoice's paid_amount reaches `at_least`, printing progress; within the
    run's request budget, and ever more slowly while a testnet confirmation takes minutes."""
    def read() -> dict:
        if stop is not None and stop.is_set():
            raise OperatorGaveUp(f"the operator gave up waiting for invoice {invoice_id} to be paid")
        invoice = client.retrieve_invoice(invoice_id)
        progress.tick(f"Cryptopay shows paid_amount {invoice['paid_amount']} {invoice['pay_currency']}")
        return invoice

    invoice = wait_until(read, lambda inv: Decimal(inv["paid_amount"]) >= at_least, timeout=timeout,
                         expected=f"Cryptopay to show invoice {invoice_id} paid_amount >= {at_least}",
                         pace=(run_budget or current()).poll_pace(PAYMENT_POLL_MAX_SECONDS), counts_down=False)
    progress.done(f"paid_amount {invoice['paid_amount']} {invoice['pay_currency']}", always=always_done)
    return invoice


class CoinWithdrawalPayer:
    """Pays from the account's own crypto balance, as the sandbox documents: a coin withdrawal to the invoice's
    address with `received_amount` exactly the amount to pay (network fees come on top, from the balance)."""

    description = "coin withdrawals from the Cryptopay account's own balance"

    def __init__(self, client: CryptopayClient, timeout: float, out: TextIO = sys.stderr,
                 charged_currency: str | None = None, fallback: Payer | None = None):
        self._client, self._timeout, self._out = client, timeout, out
        self._charged_currency = charged_currency
        # Risk levels cannot be chosen on a real network; a standalone emulator's control API can still force them.
        self._fallback = fallback

    def pay(self, invoice: dict, amount: Decimal, risk_level: str = "low") -> dict:
        if risk_level != "low":
            if self._fallback is None:
                raise PaymentNotPossible(f"a {risk_level}-risk payment cannot be made from the account's own "
                                         "balance; only the emulator's control API can force a risk level")
            return self._fallback.pay(invoice, amount, risk_level)
        currency = invoice["pay_currency"]
        # The caller read the invoice just now: its paid_amount is the baseline, without another request.
        before = Decimal(invoice["paid_amount"])
        # A custom_id lets the client find this withdrawal after a 429 instead of paying twice.
        withdrawal = self._client.create_coin_withdrawal(
            address=invoice["address"], charged_currency=self._charged_currency or currency,
            received_currency=currency, received_amount=decimal_text(amount), network=invoice["network"],
            force_commit=True,
            custom_id=f"certify-{uuid.uuid4()}")
        progress = Progress(self._out, f"{amount} {currency} to reach invoice {invoice['id']}", self._timeout)
        progress.say(f"paying {amount} {currency} to {invoice['address']} ({invoice['network']}) with coin "
                     f"withdrawal {withdrawal['id']} ({withdrawal['status']})")
        seen = wait_for_paid_amount(self._client, invoice["id"], before + amount, self._timeout, progress)
        return {"paid_by": "coin_withdrawal", "withdrawal_id": withdrawal["id"], "txid": withdrawal.get("txid"),
                "status": withdrawal["status"], "received_amount": withdrawal["received_amount"],
                "charged_amount": withdrawal["charged_amount"], "charged_currency": withdrawal["charged_currency"],
                "invoice_paid_amount": seen["paid_amount"]}


class OperatorPayer:
    """A person pays: the run prints address, exact amount, network and a QR code, then waits for Cryptopay to
    show the payment. `inp`, when given, is read for 'q' (give up); `last_qr` is kept for the report."""

    description = "an operator sending coins by hand"

    def __init__(self, client: CryptopayClient, timeout: float, out: TextIO = sys.stderr,
                 inp: TextIO | None = None, progress_every: float = 5.0):
        self._client, self._timeout, self._out, self._inp = client, timeout, out, inp
        self._every = progress_every
        self.last_qr: QrCode | None = None

    def pay(self, invoice: dict, amount: Decimal, risk_level: str = "low") -> dict:
        if risk_level != "low":
            raise PaymentNotPossible(f"an operator cannot promise a {risk_level}-risk payment; only the emulator's "
                                     "control API can force a risk level")
        before = Decimal(invoice["paid_amount"])  # read by the caller just now
        self.last_qr = qr = make_qr(payment_payload(invoice, amount))
        progress = Progress(self._out, f"the operator's {amount} {invoice['pay_currency']} on invoice "
                                       f"{invoice['id']}", self._timeout, every=self._every)
        progress.say(instructions(invoice, amount, self._timeout, qr, can_abort=self._inp is not None))
        seen = wait_for_paid_amount(self._client, invoice["id"], before + amount, self._timeout, progress,
                                    self._listen_for_abort(), always_done=True)
        return {"paid_by": "operator", "address": invoice["address"], "amount": decimal_text(amount),
                "currency": invoice["pay_currency"], "network": invoice["network"], "qr_payload": qr.payload,
                "invoice_paid_amount": seen["paid_amount"]}

    def _listen_for_abort(self) -> threading.Event | None:
        if self._inp is None:
            return None
        stop = threading.Event()

        def listen() -> None:
            for line in self._inp:
                if line.strip().lower() in ("q", "quit", "abort"):
                    stop.set()
                    return

        # A daemon: a terminal read cannot be interrupted, and it must not keep the run alive after the wait.
        threading.Thread(target=listen, name="operator-input", daemon=True).start()
        return stop


def build_payer(settings: Settings, control: EmulatorControl | None, cryptopay_client: CryptopayClient,
                out: TextIO = sys.stderr, inp: TextIO | None = None) -> Payer:
    """The payer PAYER names; settings validation already refused combinations that cannot work."""
    client = getattr(cryptopay_client, "client", cryptopay_client)  # a CryptopayDriver is accepted too
    if settings.payer == "emulator":
        if control is None:
            raise PaymentNotPossible("PAYER=emulator needs the emulator's control API (EMULATOR_CONTROL_URL)")
        return EmulatorPayer(control)
    if settings.payer == "coin_withdrawal":
        return CoinWithdrawalPayer(client, settings.wait_timeout, out, settings.payer_withdrawal_currency,
                                   fallback=EmulatorPayer(control) if control is not None else None)
    return OperatorPayer(client, settings.operator_payment_timeout, out, inp)


# -- channels: a customer's personal deposit address ------------------------------------------------------------------
class ChannelPayer(Protocol):
    """Sends `amount` of the channel's pay currency to its address; Cryptopay's ChannelPayment once it is seen."""

    description: str

    def pay_channel(self, channel_id: str, address: str, network: str, amount: Decimal, risk_level: str = "low",
                    confirmed: bool = True) -> dict: ...


class EmulatorChannelPayer:
    description = "the emulator's sandbox control API"

    def __init__(self, control: EmulatorControl):
        self._control = control

    def pay_channel(self, channel_id: str, address: str, network: str, amount: Decimal, risk_level: str = "low",
                    confirmed: bool = True) -> dict:
        return self._control.pay_channel(address, amount, risk_level=risk_level, confirmed=confirmed)


class CoinWithdrawalChannelPayer:
    """Pays from the account's own crypto balance, as the sandbox documents for channels: a coin withdrawal of the
    same account to the channel address, which Cryptopay detects as a channel payment 18 s to minutes later."""

    description = "coin withdrawals from the Cryptopay account's own balance"

    def __init__(self, client: CryptopayClient, timeout: float, out: TextIO = sys.stderr,
                 charged_currency: str | None = None, fallback: ChannelPayer | None = None):
        self._client, self._timeout, self._out = client, timeout, out
        self._charged_currency = charged_currency
        self._fallback = fallback  # risk levels and unconfirmed payments only the emulator can force

    def pay_channel(self, channel_id: str, address: str, network: str, amount: Decimal, risk_level: str = "low",
                    confirmed: bool = True) -> dict:
        if risk_level != "low" or not confirmed:
            if self._fallback is None:
                raise PaymentNotPossible("a high-risk or never-confirmed payment cannot be made from the account's "
                                         "own balance; only the emulator's control API can force one")
            return self._fallback.pay_channel(channel_id, address, network, amount, risk_level, confirmed)
        before = {p["id"] for p in self._client.channel_payments(channel_id)["data"]}
        currency = self._client.channel(channel_id)["pay_currency"]
        withdrawal = self._client.create_coin_withdrawal(
            address=address, charged_currency=self._charged_currency or currency, received_currency=currency,
            received_amount=decimal_text(amount), network=network, force_commit=True,
            custom_id=f"certify-{uuid.uuid4()}")
        progress = Progress(self._out, f"{amount} {currency} to reach channel {channel_id}", self._timeout)
        progress.say(f"paying {amount} {currency} to {address} ({network}) with coin withdrawal {withdrawal['id']} "
                     f"({withdrawal['status']}); the sandbox detects it 18 s to minutes later")

        def new_payment() -> dict | None:
            page = self._client.channel_payments(channel_id)["data"]
            progress.tick(f"{len(page)} payment(s) to the channel")
            return next((p for p in page if p["id"] not in before and Decimal(p["paid_amount"]) == amount), None)

        payment = wait_until(new_payment, lambda p: p is not None, timeout=self._timeout,
                             expected=f"Cryptopay to see a {amount} {currency} payment to channel {channel_id} "
                                      f"(coin withdrawal {withdrawal['id']})",
                             pace=current().poll_pace(PAYMENT_POLL_MAX_SECONDS), counts_down=False)
        progress.done(f"channel payment {payment['id']} ({payment['status']})")
        return dict(payment, paid_by="coin_withdrawal", withdrawal_id=withdrawal["id"])


def build_channel_payer(settings: Settings, control: EmulatorControl | None, cryptopay_client: CryptopayClient,
                        out: TextIO = sys.stderr) -> ChannelPayer:
    """The channel payer PAYER names; an operator paying a channel by hand is not offered (yet)."""
    client = getattr(cryptopay_client, "client", cryptopay_client)  # a CryptopayDriver is accepted too
    if settings.payer == "emulator":
        if control is None:
            raise PaymentNotPossible("PAYER=emulator needs the emulator's control API (EMULATOR_CONTROL_URL)")
        return EmulatorChannelPayer(control)
    if settings.payer == "coin_withdrawal":
        return CoinWithdrawalChannelPayer(client, settings.wait_timeout, out, settings.payer_withdrawal_currency,
                                          fallback=EmulatorChannelPayer(control) if control is not None else None)
    raise PaymentNotPossible("PAYER=operator pays invoices only; pay deposit addresses with PAYER=coin_withdrawal")
