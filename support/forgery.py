"""Builds the bad callbacks a certification must see rejected: forged, tampered, unsigned, signed for another body."""
from __future__ import annotations

from cryptopay_client.callbacks import callback_signature
from support.drivers.callbacks import CallbackSender, callback_body

KINDS = ("forged", "tampered", "unsigned", "misdirected")


def claimed_completed(invoice: dict) -> bytes:
    """What an attacker would send: the invoice claimed completed and fully paid."""
    data = dict(invoice, status="completed", status_context=None, paid_amount=invoice["pay_amount"])
    return callback_body("status_changed", data)


def send_bad_callback(kind: str, invoice: dict, sender: CallbackSender) -> int:
    body = claimed_completed(invoice)
    if kind == "forged":  # signed, but with a secret that is not the account's
        return sender.post(body, callback_signature("not-the-callback-secret", body))
    if kind == "tampered":  # a genuine signature of the body, then the amount changed (one byte added)
        signature = sender.sign(body)
        tampered = body.replace(b'"price_amount": "', b'"price_amount": "9', 1)
        assert tampered != body, "the tampering found no price_amount to change"  # else the test proves nothing
        return sender.post(tampered, signature)
    if kind == "unsigned":
        return sender.post(body, None)
    if kind == "misdirected":  # a genuine signature, but of another body
        other = callback_body("created", invoice)
        return sender.post(body, sender.sign(other))
    raise ValueError(f"unknown kind of bad callback: {kind}")
