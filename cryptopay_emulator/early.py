"""Notifications that beat the create answer: armed through the control API, used by the next matching create.

Cryptopay's notifications are sent on their own, not after its answers (docs/cryptopay-api-facts.md §4), so a
merchant may hear of an invoice, or of a payment to a channel, before its create call has returned, or before it
has written down what that call returned. The emulator makes that order certain for one create: the object's
notifications (and those of a payment made the moment it exists) are answered by the merchant before the create
answer leaves. Sandbox control only; the payment stands for one made before the merchant recorded the object.
"""
from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Callable

from cryptopay_emulator import money
from cryptopay_emulator.account import Account
from cryptopay_emulator.channels import ChannelBackend
from cryptopay_emulator.errors import ApiError, Invalid, detail
from cryptopay_emulator.invoices import RISK_SCORES, InvoiceBackend

OBJECTS = ("invoice", "channel")
# How long a create answer waits for the merchant to answer those notifications: under the 4 s a client such as the
# reference merchant gives Cryptopay, so the create itself is not lost to the wait.
HOLD_SECONDS = 3.0
LONGEST_HOLD = 30.0

# What the deliverer offers: waits for an object's notifications' first attempts; (deliveries, all in time).
FirstAttempts = Callable[[str, float], "tuple[list[dict], bool]"]


class EarlyNotifications:
    """Armed notices, each used by the first create of its object (for its customer, if named)."""

    def __init__(self, account: Account, invoices: InvoiceBackend, channels: ChannelBackend,
                 first_attempts: FirstAttempts | None = None):
        self.account = account
        self._invoices, self._channels = invoices, channels
        self.first_attempts: FirstAttempts = first_attempts or (lambda object_id, timeout: ([], False))
        self.reset()

    def reset(self) -> None:
        with self.account.lock:
            self._notices: list[dict] = []

    def arm(self, params: dict) -> dict:
        """{object: invoice|channel, customer_id?, pay?: {amount?, risk_level?, confirmed?}, hold_seconds?}; a
        channel's first notification is about a payment, so a channel's notice must say what is paid."""
        notice = _notice(params)
        with self.account.lock:
            self._notices.append(notice)
            return _shown(notice)

    def list(self) -> list[dict]:
        with self.account.lock:
            return [_shown(notice) for notice in self._notices]

    def after_create(self, kind: str, created: dict) -> None:
        """Called with what a create is about to answer: when a notice waits for it, pays the object if the notice
        says so and holds the answer until the merchant has answered the notifications raised so far."""
        with self.account.lock:
            notice = next((n for n in self._notices if n["used_by"] is None and n["object"] == kind
                           and n["customer_id"] in (None, created.get("customer_id"))), None)
            if notice is None:
                return
            notice["used_by"] = created["id"]
        try:
            notified = self._pay(notice, created)
        except ApiError as refused:  # the object exists: its create is answered whatever became of the payment
            with self.account.lock:
                notice.update(error_code=refused.code)
            return
        deliveries, in_time = self.first_attempts(notified, notice["hold_seconds"])
        with self.account.lock:
            notice.update(notified_id=notified, before_answer=in_time,
                          notifications=[_answered(delivery) for delivery in deliveries])

    def _pay(self, notice: dict, created: dict) -> str:
        """The id whose notifications go first: the invoice, or the payment made to the new channel's address."""
        pay = notice["pay"]
        if pay is None:
            return created["id"]
        if notice["object"] == "invoice":
            self._invoices.pay(amount=pay["amount"], invoice_id=created["id"], risk_level=pay["risk_level"],
                               confirmed=pay["confirmed"])
            return created["id"]
        payment = self._channels.pay(address=created["address"], amount=pay["amount"],
                                     risk_level=pay["risk_level"], confirmed=pay["confirmed"])
        return payment["id"]


def _notice(params: dict) -> dict:
    problems: list[dict] = []
    kind, customer_id = params.get("object"), params.get("customer_id")
    if kind not in OBJECTS:
        problems.append(detail("must_be_included_in", "object", "must be invoice or channel", list=list(OBJECTS)))
    if customer_id is not None and (not isinstance(customer_id, str) or not 0 < len(customer_id) <= 255):
        problems.append(detail("must_be_string", "customer_id", "must be a string of at most 255 characters"))
    hold = params.get("hold_seconds", HOLD_SECONDS)
    if isinstance(hold, bool) or not isinstance(hold, (int, float)) or not 0 < hold <= LONGEST_HOLD:
        problems.append(detail("must_be_between", "hold_seconds", f"must be a number above 0, at most "
                               f"{LONGEST_HOLD:g}", min=0, max=LONGEST_HOLD))
    pay = _payment(params.get("pay"), kind, problems)
    if problems:
        raise Invalid(details=problems)
    return {"id": str(uuid.uuid4()), "object": kind, "customer_id": customer_id, "pay": pay,
            "hold_seconds": float(hold), "used_by": None, "notified_id": None, "before_answer": None,
            "notifications": [], "error_code": None}


def _payment(raw: object, kind: object, problems: list[dict]) -> dict | None:
    if raw is None:
        if kind == "channel":
            problems.append(detail("must_be_present", "pay", "a channel's first notification is about a payment: "
                                   "say what is paid ({amount})"))
        return None
    if not isinstance(raw, dict):
        problems.append(detail("must_be_object", "pay", "must be an object: {amount, risk_level, confirmed}"))
        return None
    amount = money.parse_amount(raw["amount"]) if raw.get("amount") is not None else None
    if amount is None and (raw.get("amount") is not None or kind == "channel"):
        problems.append(detail("must_be_positive_decimal", "pay.amount", "must be a positive decimal string"))
    risk, confirmed = raw.get("risk_level", "low"), raw.get("confirmed", True)
    if risk not in RISK_SCORES:
        problems.append(detail("must_be_included_in", "pay.risk_level", "unknown risk level",
                               list=list(RISK_SCORES)))
    if not isinstance(confirmed, bool):
        problems.append(detail("must_be_boolean", "pay.confirmed", "must be true or false"))
    return {"amount": amount, "risk_level": risk, "confirmed": confirmed}


def _shown(notice: dict) -> dict:
    pay = notice["pay"]
    amount: Decimal | None = pay["amount"] if pay else None
    shown_pay = None if pay is None else {**pay, "amount": money.fmt(amount) if amount is not None else None}
    return {**notice, "pay": shown_pay, "notifications": list(notice["notifications"])}


def _answered(delivery: dict) -> dict:
    first = delivery["attempts"][0] if delivery["attempts"] else None
    return {"delivery_id": delivery["id"], "event": delivery["event"], "status": delivery["status"],
            "answered": first["status_code"] if first else None, "error": first["error"] if first else None}
