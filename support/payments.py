"""Paying a share of an invoice through the configured payer, with the evidence of what was sent."""
from __future__ import annotations

from decimal import Decimal

from support.drivers.cryptopay import CryptopayDriver
from support.drivers.merchant import Deposit
from support.drivers.payers import Payer
from support.evidence import Evidence

# What each way of paying sends, as a share of the invoice's pay_amount.
SHARES = {"the exact amount": Decimal("1"), "only half": Decimal("0.5"), "twice the amount": Decimal("2")}


def pay_share(cryptopay: CryptopayDriver, payer: Payer, deposit: Deposit, evidence: Evidence, how: str,
              risk_level: str = "low") -> dict:
    invoice = cryptopay.invoice(deposit.invoice_id)
    pay_amount = Decimal(invoice["pay_amount"])
    amount = (pay_amount * SHARES[how]).quantize(pay_amount)  # keeps the coin's precision
    tx = payer.pay(invoice, amount, risk_level=risk_level)
    qr = getattr(payer, "last_qr", None)  # an operator paid: keep the code they were shown
    if qr is not None:
        evidence.attach_svg("Payment QR code shown to the operator", qr.svg)
        evidence.attach_text("Payment QR code (terminal)", qr.text)
    evidence.attach_json(f"Payment sent ({how}, {risk_level} risk)", {
        "invoice_id": invoice["id"], "address": invoice["address"], "pay_amount": invoice["pay_amount"],
        "sent": str(amount), "currency": invoice["pay_currency"], "transaction": tx})
    return tx
