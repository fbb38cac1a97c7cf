"""Callbacks the suite judges, forges and reads: the merchant's answers, bad callbacks, the delivery log, outages."""
from __future__ import annotations

import socket
import time
from typing import Callable

from cryptopay_client.callbacks import callback_signature
from support.domain.timetravel import parse_time
from support.drivers.callbacks import Answer, CallbackSender, callback_body
from support.drivers.emulator import Delivery, EmulatorControl
from support.drivers.waiting import wait_until

# -- the merchant's answers -------------------------------------------------------------------------------------------
# Only a signature check refuses a notification: anything else that is not 2xx says nothing about one.
REJECTIONS = (400, 401, 403)


def is_rejection(answer: Answer) -> bool:
    return answer in REJECTIONS and not isinstance(answer, bool)


def is_acknowledged(answer: Answer) -> bool:
    """Cryptopay documents exactly 200 as handled; anything else is a failed delivery it retries."""
    return answer == 200 and not isinstance(answer, bool)


def is_retryable(answer: Answer) -> bool:
    """What asks Cryptopay to come back later: a 5xx, or no answer in time. 4xx is a refusal, not "busy"."""
    if isinstance(answer, str):
        return answer.startswith("no answer within")
    return 500 <= answer < 600


def misses_the_handler(answer: Answer) -> bool:
    """No route, wrong method, a redirect, or nothing reachable: the URL, not the merchant's checks, answered."""
    return isinstance(answer, str) or answer in (404, 405) or 300 <= answer < 400


def explain(answer: Answer, url: str) -> str:
    """One phrase naming the answer and what it most likely means, naming MERCHANT_CALLBACK_URL where it is the
    likely culprit."""
    where = f"MERCHANT_CALLBACK_URL ({url})"
    if isinstance(answer, str):
        return f"{answer}: nothing answered at {where}; check the setting and that the endpoint is up"
    if 300 <= answer < 400:
        return (f"{answer}, a redirect: {where} does not reach the callback handler itself (redirects are not "
                "followed); set it to the final URL")
    if answer in (404, 405):
        return f"{answer}: there is no callback route at {where}; check the setting"
    if answer >= 500:
        return f"{answer}: the callback endpoint at {where} failed"
    return f"{answer}"


def rejection_problem(answers: list[Answer], how: str, url: str) -> str | None:
    """Why the answers are not a signature check refusing a bad notification; None when every one was."""
    wrong = [a for a in answers if not is_rejection(a)]
    if not wrong:
        return None
    if any(isinstance(a, int) and 200 <= a < 300 for a in wrong):
        return (f"the merchant accepted a {how} notification (answered {wrong}); it must refuse it with 400, 401 "
                "or 403 after checking X-Cryptopay-Signature over the raw body")
    reasons = "; ".join(sorted({explain(a, url) for a in wrong}))
    return (f"a {how} notification counts as rejected only when the merchant's signature check refuses it with "
            f"400, 401 or 403; it answered {reasons}")


def acknowledgement_problem(answers: list[Answer], url: str) -> str | None:
    """Why not every notification ended acknowledged (200); None when all did."""
    refused = [a for a in answers if not is_acknowledged(a)]
    if not refused:
        return None
    reasons = "; ".join(sorted({_refusal(a, url) for a in refused}))
    return (f"the merchant did not acknowledge {len(refused)} of {len(answers)} notifications (final answers: "
            f"{reasons}); Cryptopay treats anything but 200 as a failure and keeps retrying")


def _refusal(answer: Answer, url: str) -> str:
    if is_rejection(answer):  # a genuine, correctly signed notification refused by the signature check
        return (f"{answer}: a correctly signed notification was refused; verify X-Cryptopay-Signature over the exact "
                "raw bytes received, with the account's Callback Secret")
    return explain(answer, url)


# -- bad callbacks ----------------------------------------------------------------------------------------------------
KINDS = ("forged", "tampered", "unsigned", "misdirected")


def send_badly_signed(kind: str, body: bytes, amount_field: str, misdirected_to: bytes,
                      sender: CallbackSender) -> Answer:
    """`body` posted one of the bad ways: forged (signed with a secret that is not the account's), tampered (a
    genuine signature of the body, then `amount_field` changed by one digit added), unsigned, or misdirected (a
    genuine signature, but of `misdirected_to`, another notification of the same object)."""
    if kind == "forged":
        return sender.post(body, callback_signature("not-the-callback-secret", body))
    if kind == "tampered":
        signature = sender.sign(body)
        field = f'"{amount_field}": "'.encode()
        tampered = body.replace(field, field + b"9", 1)
        # Else the test proves nothing.
        assert tampered != body, f"the tampering found no {amount_field} to change"
        return sender.post(tampered, signature)
    if kind == "unsigned":
        return sender.post(body, None)
    if kind == "misdirected":
        assert misdirected_to != body, "a misdirected signature must cover another body"  # else it is genuine
        return sender.post(body, sender.sign(misdirected_to))
    raise ValueError(f"unknown kind of bad callback: {kind}")


# -- the delivery log ---------------------------------------------------------------------------------------------
def earlier_callback_body(invoice_id: str, event: str, control: EmulatorControl | None,
                          invoice_now: dict) -> bytes:
    """The body of an earlier notification: captured if the log shows it, else rebuilt with the earlier status."""
    delivery = control.delivery(invoice_id, event) if control is not None else None
    if delivery is not None:
        return delivery.body.encode()
    earlier = dict(invoice_now, status="new", status_context=None)
    return callback_body(event, earlier)


def wait_until_settled(control: EmulatorControl | None, object_ids: list[str], timeout: float) -> None:
    """Where Cryptopay's delivery log is visible, waits until the merchant has answered every notification sent so
    far about these objects (invoices, channel payments, coin withdrawals), so a check that nothing happened is not
    made while the merchant is still acting on one."""
    if control is None:
        return
    for object_id in object_ids:
        # An attempt is logged once the merchant's answer (or its failure) is in, so "attempted" means answered.
        wait_until(lambda: control.deliveries(object_id), lambda rows: all(d.attempted for d in rows),
                   timeout=timeout, expected=f"every notification about {object_id} to reach the merchant")


# A merchant may finish a notification's work just after answering it (a queue): what it shows counts as its last
# word only this long after every notification was answered.
ANSWERED_GRACE_SECONDS = 1.0


def all_answered(object_ids: list[str], control: EmulatorControl | None,
                 grace: float = ANSWERED_GRACE_SECONDS) -> Callable[[], bool] | None:
    """Where the delivery log is visible: whether every notification sent so far for these objects (invoices,
    channel payments, withdrawals) is done with, delivered or given up, at least `grace` seconds ago, so nothing
    more will reach the merchant; None where nobody can tell. A notification the merchant answered with a failure
    is retried by Cryptopay: its retry is brought forward on its object's time (the emulator's objects stand still
    until the suite moves them) instead of being waited for, and until it is answered nothing is settled."""
    if control is None:
        return None
    since: list[float] = []

    def answered() -> bool:
        logs = {object_id: control.deliveries(object_id) for object_id in object_ids}
        retrying = {object_id: [d for d in rows if d.state == "pending"] for object_id, rows in logs.items()}
        for object_id, pending in retrying.items():
            due = [d.next_attempt_at for d in pending if d.attempted and d.next_attempt_at]
            if due:
                control.advance(object_id, until=parse_time(min(due)))
        if not all(logs.values()) or any(retrying.values()):
            since.clear()
            return False
        since[:] = since or [time.monotonic()]
        return time.monotonic() - since[0] >= grace
    return answered


# -- the merchant unreachable -----------------------------------------------------------------------------------------
def closed_port_url() -> str:
    """A callback URL at a closed loopback port: connection refused, exactly what Cryptopay sees when a merchant
    is down."""
    # Bind, note the port, close: nothing listens there afterwards, so connections are refused at once. On
    # 127.0.0.2, because every server of the suite binds 127.0.0.1 and could otherwise be given the same port.
    with socket.socket() as sock:
        sock.bind(("127.0.0.2", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.2:{port}/callbacks/unreachable"


def completed_delivery(control: EmulatorControl, invoice_id: str) -> Delivery | None:
    return control.delivery(invoice_id, "status_changed", "completed")


def wait_for_failed_attempt(control: EmulatorControl, invoice_id: str, timeout: float) -> Delivery:
    return wait_until(lambda: completed_delivery(control, invoice_id),
                      lambda d: d is not None and d.attempted and d.state == "pending", timeout=timeout,
                      expected="a failed first attempt to deliver the 'completed' notification")
