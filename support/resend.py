"""Resending a 'completed' callback: Cryptopay's own resend where the emulator offers it, else the exact body re-posted."""
from __future__ import annotations

from dataclasses import dataclass

from support.drivers.callbacks import CallbackSender, completed_callback_body
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.waiting import wait_until


@dataclass(frozen=True)
class ResendResult:
    how: str
    answers: list[int | None]


def completed_body(invoice_id: str, control: EmulatorControl | None, cryptopay: CryptopayDriver) -> tuple[bytes, str | None]:
    """The exact bytes Cryptopay delivered for 'completed' if captured; otherwise rebuilt from Cryptopay's GET."""
    if control is not None:
        for delivery in control.deliveries(invoice_id):
            if delivery["event"] == "status_changed" and delivery["invoice_status"] == "completed":
                return delivery["body"].encode(), delivery["id"]
    invoice = cryptopay.invoice(invoice_id)
    assert invoice["status"] == "completed", f"invoice {invoice_id} is {invoice['status']}, not completed"
    return completed_callback_body(invoice), None


def resend_once(invoice_id: str, control: EmulatorControl | None, cryptopay: CryptopayDriver,
                sender: CallbackSender, timeout: float) -> ResendResult:
    body, delivery_id = completed_body(invoice_id, control, cryptopay)
    if control is not None and delivery_id is not None:
        new = control.resend(delivery_id)
        done = wait_until(lambda: next(d for d in control.deliveries(invoice_id) if d["id"] == new["id"]),
                          lambda d: bool(d["attempts"]), timeout=timeout,
                          expected="the resent callback to reach the merchant")
        return ResendResult("Cryptopay's resend (emulator delivery log)", [done["attempts"][-1]["status_code"]])
    return ResendResult("exact completed callback re-posted, signed with the callback secret",
                        [sender.post_signed(body)])


def resend_concurrently(invoice_id: str, times: int, control: EmulatorControl | None, cryptopay: CryptopayDriver,
                        sender: CallbackSender) -> ResendResult:
    body, _ = completed_body(invoice_id, control, cryptopay)
    return ResendResult(f"{times} identical signed copies released at once",
                        sender.post_signed_concurrently(body, times))
