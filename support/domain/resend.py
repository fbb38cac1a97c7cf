"""Resending a notification already delivered: its exact bytes again, and the object as it is now (Cryptopay's own
resend where the emulator offers it); copies a busy merchant answers 5xx are re-posted the way Cryptopay retries
them. Invoices, channel payments and payouts all resend through here, through their adapter (concepts.py)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

from support.domain.callbacks import is_retryable
from support.domain.concepts import ProductAdapter, notification_body
from support.drivers.callbacks import Answer, CallbackSender
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.drivers.waiting import WaitTimeout, wait_until

# Re-posts per copy after a 5xx or no answer in time. Cryptopay makes 20 retries over days; a merchant that is
# merely busy answers one of the first few, and the suite cannot wait days.
MAX_REDELIVERIES = 5


@dataclass(frozen=True)
class ResendResult:
    how: str
    answers: list[Answer]  # the last answer to each notification (after retries)
    retried: tuple[tuple[Answer, ...], ...] = ()  # every answer of each notification that needed a retry
    bodies: tuple[bytes, ...] = ()  # the distinct bodies sent, as evidence


@dataclass(frozen=True)
class Resent:
    """What a resend re-posts: the delivered bytes, how to render the object as Cryptopay reads it now (given an
    indent), and, where the emulator can resend it itself, the delivery to resend and the object it is about."""
    name: str  # the notification as the evidence names it, e.g. 'completed'
    thing: str  # what it is about, e.g. 'the invoice'
    body: bytes
    render_now: Callable[[int | None], bytes]
    status: str | None  # the status a resend must carry
    object_id: str = ""
    delivery_id: str | None = None


def resent_evidence(result: ResendResult) -> dict:
    """What a resend's evidence shows: how it was sent, the merchant's answers and every body it carried."""
    return {"how": result.how, "merchant_answers": result.answers, "bodies": [b.decode() for b in result.bodies]}


def other_bytes(render_now: Callable[[int | None], bytes], previous: bytes) -> bytes:
    """The notification as a dashboard resend carries it: the object as Cryptopay reads it now. The sandbox
    re-scores risk on every read, so the bytes usually differ from the first delivery's; where this read matches
    `previous` byte for byte, it is rendered in the layout of Cryptopay's recorded callback fixture (pretty-printed)
    instead, so the merchant still sees the same object in different bytes."""
    body = render_now(None)
    return body if body != previous else render_now(2)


def resend_once(product: ProductAdapter, name: str, thing: Any, control: EmulatorControl | None,
                cryptopay: CryptopayDriver, sender: CallbackSender, timeout: float) -> ResendResult:
    """The notification twice more: its exact bytes, then the object as it is now (other bytes, as a dashboard
    resend carries it). Only a merchant that de-duplicates by the object (not by a hash of the body) acts on
    neither."""
    body, delivery_id = notification_body(product, name, thing, control, cryptopay)
    status = product.notifications[name].status

    def render_now(indent: int | None) -> bytes:
        return product.render(name, product.as_notified(product.at_cryptopay(cryptopay, thing), status), indent)
    return resend_twice(Resent(name, f"the {product.kind}", body, render_now, status, product.object_id(thing),
                               delivery_id if product.resent_by_cryptopay else None), control, sender, timeout)


def resend_twice(resent: Resent, control: EmulatorControl | None, sender: CallbackSender,
                 timeout: float) -> ResendResult:
    """The notification twice more: its exact bytes, then the object as it is now (different bytes): Cryptopay's
    own resend where the emulator has the delivery, else rendered here and signed with the callback secret."""
    deadline = time.monotonic() + timeout
    exact = redeliver(sender, resent.body, sender.post_signed(resent.body), deadline)
    if control is not None and resent.delivery_id is not None:
        current, answer = cryptopay_resend(control, resent.object_id, resent.delivery_id, resent.status, timeout)
        return ResendResult(f"the exact '{resent.name}' bytes re-posted, then Cryptopay's resend of {resent.thing} "
                            "as it is now (emulator)", [exact[-1], answer], _retried([exact]), (resent.body, current))
    current = other_bytes(resent.render_now, resent.body)
    again = redeliver(sender, current, sender.post_signed(current), deadline)
    return ResendResult(f"the '{resent.name}' notification re-posted, then again as {resent.thing} is now (different "
                        "bytes), both signed with the callback secret", [exact[-1], again[-1]],
                        _retried([exact, again]), (resent.body, current))


def cryptopay_resend(control: EmulatorControl, object_id: str, delivery_id: str, status: str,
                     timeout: float) -> tuple[bytes, Answer]:
    """Cryptopay's own resend (emulator control API), which renders the object as it is now; waits for its
    first attempt and returns the body it carried and the merchant's answer."""
    new = control.resend(delivery_id)
    done = wait_until(lambda: control.delivery(object_id, delivery_id=new["id"]),
                      lambda d: d is not None and d.attempted, timeout=timeout,
                      expected="Cryptopay's resent notification to reach the merchant")
    assert done.status == status, f"the resend carried status {done.status}, not {status}"
    return done.body.encode(), done.answers[-1]


def resend_storm(product: ProductAdapter, name: str, times: int, thing: Any, control: EmulatorControl | None,
                 cryptopay: CryptopayDriver, sender: CallbackSender, timeout: float) -> ResendResult:
    """`times` identical signed copies of the notification at once (see send_copies)."""
    return send_copies(notification_body(product, name, thing, control, cryptopay)[0], times, sender, timeout, name)


def send_copies(body: bytes, times: int, sender: CallbackSender, timeout: float, name: str = "") -> ResendResult:
    """`times` identical signed copies of `body` at once; each copy answered 5xx (or not in time) is then re-posted
    on its own, as Cryptopay retries it, until it is answered otherwise or the retries or `timeout` run out."""
    deadline = time.monotonic() + timeout
    histories = [redeliver(sender, body, first, deadline) for first in sender.post_signed_concurrently(body, times)]
    of = f" of the '{name}' notification" if name else ""
    how = f"{times} identical signed copies{of} released at once"
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
