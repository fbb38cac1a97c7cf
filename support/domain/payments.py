"""Paying a share of an invoice through the configured payer, with the evidence of what was sent; with the emulator, a
payment the network confirms only later."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from support.domain.timetravel import parse_time
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.drivers.merchant import Deposit
from support.drivers.payers import Payer
from support.drivers.waiting import EnvironmentFailure
from support.evidence.attachments import Evidence

# What each way of paying sends, as a share of the invoice's pay_amount.
SHARES = {"the exact amount": Decimal("1"), "only half": Decimal("0.5"), "twice the amount": Decimal("2")}


def pay_share(cryptopay: CryptopayDriver, payer: Payer, deposit: Deposit, evidence: Evidence, how: str,
              risk_level: str = "low", clock_moves_by_itself: bool = False) -> dict:
    """Pays `how` much of the deposit. Where Cryptopay's clock runs on its own (no control API), a payment begun
    before the invoice expired but seen only after is the suite's lateness, never the merchant's."""
    invoice = cryptopay.invoice(deposit.invoice_id)
    pay_amount = Decimal(invoice["pay_amount"])
    amount = (pay_amount * SHARES[how]).quantize(pay_amount)  # keeps the coin's precision
    started = cryptopay.server_now() if clock_moves_by_itself else None
    tx = payer.pay(invoice, amount, risk_level=risk_level)
    if started is not None:
        require_in_time(invoice, started, cryptopay.server_now())
    qr = getattr(payer, "last_qr", None)  # an operator paid: keep the code they were shown
    if qr is not None:
        evidence.attach_svg("Payment QR code shown to the operator", qr.svg)
        evidence.attach_text("Payment QR code (terminal)", qr.text)
    evidence.attach_json(f"Payment sent ({how}, {risk_level} risk)", {
        "invoice_id": invoice["id"], "address": invoice["address"], "pay_amount": invoice["pay_amount"],
        "sent": str(amount), "currency": invoice["pay_currency"], "transaction": tx})
    return tx


def pay_unconfirmed(cryptopay: CryptopayDriver, control: EmulatorControl, deposit: Deposit) -> dict:
    """The exact amount paid, seen by Cryptopay but not yet confirmed by the network (emulator)."""
    invoice = cryptopay.invoice(deposit.invoice_id)
    return control.pay(invoice["id"], Decimal(invoice["pay_amount"]), confirmed=False)


def confirm_payments(cryptopay: CryptopayDriver, control: EmulatorControl, deposit: Deposit) -> list[dict]:
    """Every payment of the deposit the network has not confirmed yet, confirmed now (emulator); an unconfirmed
    transaction shows no risk score yet."""
    invoice = cryptopay.invoice(deposit.invoice_id)
    return [control.confirm(tx["txid"]) for tx in invoice["transactions"] if tx["risk"] is None]


def require_in_time(invoice: dict, started: datetime, seen: datetime) -> None:
    """A payment meant for an invoice still open that only showed after its expiry: the outcome (underpaid or paid
    late, completed or not) is then the suite's timing, not anything the merchant did."""
    expires = parse_time(invoice["expires_at"])
    if started < expires < seen:
        raise EnvironmentFailure(
            f"the suite's payment to invoice {invoice['id']} began {(expires - started).total_seconds():.0f} s of "
            f"Cryptopay's time before the invoice expired ({invoice['expires_at']}) but was seen only "
            f"{(seen - expires).total_seconds():.0f} s after it: the suite was late (a loaded machine, too many "
            "workers or the request budget), so whether the invoice expired first says nothing about the merchant",
            "run fewer xdist workers (-n), or a slower emulator clock (--time-scale), or give the key a larger budget "
            "(CRYPTOPAY_REQUESTS_PER_MINUTE); with the emulator's control API (EMULATOR_CONTROL_URL) the suite "
            "moves time itself and cannot be late")
