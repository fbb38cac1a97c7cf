"""Resending a 'completed' callback: its exact bytes again, and the invoice as it is now (Cryptopay's own resend where
the emulator offers it); copies a busy merchant answers 5xx are re-posted the way Cryptopay retries them."""
from __future__ import annotations

import time
from dataclasses import dataclass

from support.callbacks import completed_delivery, is_retryable
from support.drivers.callbacks import Answer, CallbackSender, callback_body, completed_callback_body
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.waiting import WaitTimeout, wait_until

# Re-posts per copy after a 5xx or no answer in time. Cryptopay makes 20 retries over days; a merchant that is
# merely busy answers one of the first few, and the suite cannot wait days.
MAX_REDELIVERIES = 5


@dataclass(frozen=True)
class ResendResult:
    how: str
    answers: list[Answer]  # the last answer to each notification (after retries)
    retried: tuple[tuple[Answer, ...], ...] = ()  # every answer of each notification that needed a retry
    bodies: tuple[bytes, ...] = ()  # the distinct bodies sent, as evidence


def completed_body(invoice_id: str, control: EmulatorControl | None, cryptopay: CryptopayDriver) -> tuple[bytes, str | None]:
    """The exact bytes Cryptopay delivered for 'completed' if captured; otherwise rebuilt from Cryptopay's GET."""
    delivery = completed_delivery(control, invoice_id) if control is not None else None
    if delivery is not None:
        return delivery["body"].encode(), delivery["id"]
    return completed_callback_body(_completed_invoice(invoice_id, cryptopay)), None


def _completed_invoice(invoice_id: str, cryptopay: CryptopayDriver) -> dict:
    invoice = cryptopay.invoice(invoice_id)
    assert invoice["status"] == "completed", f"invoice {invoice_id} is {invoice['status']}, not completed"
    return invoice


def current_state_body(invoice_id: str, cryptopay: CryptopayDriver, previous: bytes) -> bytes:
    """The 'completed' notification as a dashboard resend carries it: the invoice as Cryptopay reads it now. The
    sandbox re-scores risk on every read (same level), so the bytes differ from the first delivery's; where this
    read happens to match `previous` byte for byte, it is rendered in the layout of Cryptopay's recorded callback
    fixture (pretty-printed) instead, so the merchant still sees the same invoice in different bytes."""
    body = completed_callback_body(_completed_invoice(invoice_id, cryptopay))
    if body != previous:
        return body
    return callback_body("status_changed", _completed_invoice(invoice_id, cryptopay), indent=2)


def resend_once(invoice_id: str, control: EmulatorControl | None, cryptopay: CryptopayDriver,
                sender: CallbackSender, timeout: float) -> ResendResult:
    """The same 'completed' notification twice more: its exact bytes, then the invoice's current state. Only a
    merchant that de-duplicates by invoice (not by a hash of the body) credits neither."""
    deadline = time.monotonic() + timeout
    body, delivery_id = completed_body(invoice_id, control, cryptopay)
    exact = redeliver(sender, body, sender.post_signed(body), deadline)
    if control is not None and delivery_id is not None:
        current, answer = cryptopay_resend(control, invoice_id, delivery_id, timeout)
        return ResendResult("the exact 'completed' bytes re-posted, then Cryptopay's resend of the invoice as it is "
                            "now (emulator)", [exact[-1], answer], _retried([exact]), (body, current))
    current = current_state_body(invoice_id, cryptopay, body)
    again = redeliver(sender, current, sender.post_signed(current), deadline)
    return ResendResult("the 'completed' notification re-posted, then again as the invoice is now (different bytes), "
                        "both signed with the callback secret", [exact[-1], again[-1]], _retried([exact, again]),
                        (body, current))


def cryptopay_resend(control: EmulatorControl, invoice_id: str, delivery_id: str,
                     timeout: float) -> tuple[bytes, Answer]:
    """Cryptopay's own resend (emulator control API), which renders the invoice as it is now; waits for its
    first attempt and returns the body it carried and the merchant's answer."""
    new = control.resend(delivery_id)
    done = wait_until(lambda: control.delivery(invoice_id, delivery_id=new["id"]),
                      lambda d: bool(d["attempts"]), timeout=timeout,
                      expected="the resent callback to reach the merchant")
    assert done["invoice_status"] == "completed", f"the resend carried status {done['invoice_status']}"
    attempt = done["attempts"][-1]
    return done["body"].encode(), attempt["status_code"] or attempt["error"]


def resend_concurrently(invoice_id: str, times: int, control: EmulatorControl | None, cryptopay: CryptopayDriver,
                        sender: CallbackSender, timeout: float = 30.0) -> ResendResult:
    """`times` identical signed copies at once; each copy answered 5xx (or not in time) is then re-posted on its
    own, as Cryptopay retries it, until it is answered otherwise or the retries or `timeout` run out."""
    deadline = time.monotonic() + timeout
    body, _ = completed_body(invoice_id, control, cryptopay)
    histories = [redeliver(sender, body, first, deadline) for first in sender.post_signed_concurrently(body, times)]
    how = f"{times} identical signed copies released at once"
    if any(len(history) > 1 for history in histories):
        how += "; copies answered 5xx re-posted one at a time, as Cryptopay retries them"
    return ResendResult(how, [history[-1] for history in histories], _retried(histories), (body,))


def redeliver(sender: CallbackSender, body: bytes, first: Answer, deadline: float) -> list[Answer]:
    """Every answer one notification got: `first`, then Cryptopay-style retries while the merchant asks for them."""
    history = [first]
    if not is_retryable(first):
        return history

    def again() -> Answer:
        history.append(sender.post_signed(body))
        return history[-1]

    try:
        # wait_until spaces the re-posts with its growing poll interval: a busy merchant gets a moment to finish.
        wait_until(again, lambda answer: not is_retryable(answer) or len(history) > MAX_REDELIVERIES,
                   timeout=max(deadline - time.monotonic(), 0.01), expected="a retried notification answered")
    except WaitTimeout:
        pass  # the last answer is still not an acknowledgement: the acknowledgement step fails it, history shown
    return history


def _retried(histories: list[list[Answer]]) -> tuple[tuple[Answer, ...], ...]:
    return tuple(tuple(history) for history in histories if len(history) > 1)
