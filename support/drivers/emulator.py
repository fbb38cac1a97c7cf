"""The emulator's sandbox-only control API (/_emulator): clock, payments, channels, payouts, deliveries, monitoring."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from urllib.parse import quote, urlencode

from cryptopay_client.client import decimal_text
from cryptopay_client.http import GuardedSession, RefusedAnswer
from support.drivers.callbacks import Answer

# The most one control answer may take, whole, and weigh: a delivery log of many retries is a few MB at most.
CONTROL_ANSWER_SECONDS = 30.0
CONTROL_ANSWER_BYTES = 16 * 1024 * 1024


class ControlError(AssertionError):
    pass


@dataclass(frozen=True)
class Attempt:
    """One try at delivering a notification, and what the merchant answered."""
    number: int  # 0 for the first try, then each retry
    at: str
    status_code: int | None
    error: str | None  # why there was no answer (refused, timed out)
    duration_ms: int

    @property
    def answer(self) -> Answer:
        """The merchant's answer as the suite judges it: the HTTP status, or why there was none."""
        return self.status_code if self.status_code is not None else self.error or "no answer"


@dataclass(frozen=True)
class Delivery:
    """One notification in Cryptopay's delivery log (emulator), its answers decoded once, here."""
    id: str
    type: str  # Invoice, ChannelPayment, CoinWithdrawal
    event: str
    object_id: str
    status: str | None  # the object's status in the body the merchant was sent, whatever the log calls it
    state: str  # pending (a retry is due), delivered (answered 200) or failed (given up)
    body: str
    attempts: tuple[Attempt, ...]
    next_attempt_at: str | None = None
    resend_of: str | None = None

    @classmethod
    def from_log(cls, row: dict) -> "Delivery":
        attempts = tuple(Attempt(a["number"], a["at"], a["status_code"], a["error"], a["duration_ms"])
                         for a in row["attempts"])
        carried = json.loads(row["body"])["data"].get("status")
        return cls(row["id"], row["type"], row["event"], row["object_id"], carried, row["state"], row["body"],
                   attempts, row.get("next_attempt_at"), row.get("resend_of"))

    @property
    def answers(self) -> tuple[Answer, ...]:
        return tuple(attempt.answer for attempt in self.attempts)

    @property
    def attempted(self) -> bool:
        """The merchant has answered it at least once (or the try failed): an attempt is logged once it is over."""
        return bool(self.attempts)

    def evidence(self) -> dict:
        """The delivery as a reviewer reads it in the evidence."""
        return {"event": self.event, "status": self.status, "state": self.state, "answers": list(self.answers),
                **({"resend_of": self.resend_of} if self.resend_of else {})}


class EmulatorControl:
    def __init__(self, control_url: str, timeout: float = CONTROL_ANSWER_SECONDS):
        self.url = control_url.rstrip("/")
        # No redirect followed: control calls go to the emulator EMULATOR_CONTROL_URL names, or nowhere.
        self._session = GuardedSession("EMULATOR_CONTROL_URL", seconds=timeout, max_bytes=CONTROL_ANSWER_BYTES)

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        try:
            response = self._session.request(method, self.url + path, json=body)
        except RefusedAnswer as exc:
            raise ControlError(str(exc)) from None
        if response.status_code >= 400:
            raise ControlError(f"emulator control {method} {path} -> {response.status_code} {response.text[:300]}")
        try:
            return json.loads(response.content)
        except (ValueError, RecursionError):
            raise ControlError(f"emulator control {method} {path} answered {response.status_code} with a body "
                               "that is not JSON") from None

    def settings(self) -> dict:
        """The emulator's settings: callback URL, unresolved policy, time, rate limit per minute, whether payouts
        are notified (coin_withdrawal_callbacks; absent from an older emulator)."""
        return self._call("GET", "/settings")

    def balances(self) -> dict:
        return self._call("GET", "/balances")["data"]

    def set_balances(self, balances: dict[str, Decimal]) -> dict:
        amounts = {currency: decimal_text(Decimal(str(amount))) for currency, amount in balances.items()}
        return self._call("PUT", "/balances", amounts)["data"]

    def pay(self, invoice_id: str, amount: Decimal, risk_level: str = "low", confirmed: bool = True) -> dict:
        return self._call("POST", "/payments", {"invoice_id": invoice_id, "amount": decimal_text(amount),
                                                "risk_level": risk_level, "confirmed": confirmed})["data"]

    def confirm(self, txid: str) -> dict:
        return self._call("POST", f"/transactions/{txid}/confirm")["data"]

    def clock(self) -> dict:
        return self._call("GET", "/clock")

    def advance_clock(self, seconds: float) -> dict:
        """The whole account's clock (every object's time): only for an emulator private to this process."""
        return self._call("POST", "/clock/advance", {"seconds": seconds})

    def advance(self, object_id: str, seconds: float | None = None, until: datetime | None = None) -> dict:
        """One object's time moved on (an invoice, a coin withdrawal, a channel payment, with their notifications'
        retries): `seconds`, `until` a moment of its own timeline, or to its next deadline. What it lived through
        moves into the past, so nothing it shows is later than now."""
        body: dict = {}
        if seconds is not None:
            body["seconds"] = seconds
        if until is not None:
            body["until"] = until.isoformat()
        return self._call("POST", f"/objects/{quote(object_id, safe='')}/advance", body)["data"]

    def drive_time(self) -> dict:
        """Objects born from now on stand still until the suite moves them: no scenario races the wall clock."""
        return self._call("PUT", "/settings", {"time": "driven"})

    def set_unresolved_policy(self, policy: dict[str, str]) -> dict:
        return self._call("PUT", "/settings", {"unresolved": policy})

    def callback_url(self) -> str | None:
        return self.settings()["callback_url"]

    def set_callback_url(self, url: str | None) -> dict:
        return self._call("PUT", "/settings", {"callback_url": url})

    def pause_deliveries(self) -> dict:
        return self._call("POST", "/deliveries/pause")

    def resume_deliveries(self) -> dict:
        return self._call("POST", "/deliveries/resume")

    def monitoring_decision(self, invoice_id: str, outcome: str) -> dict:
        return self._call("POST", f"/invoices/{invoice_id}/monitoring_decision", {"outcome": outcome})["data"]

    def deliveries(self, object_id: str) -> list[Delivery]:
        """Cryptopay's log of the notifications about one object (an invoice, a channel payment, a coin withdrawal),
        oldest first: the one reader of the delivery log."""
        rows = self._call("GET", f"/deliveries?object_id={quote(object_id, safe='')}")["data"]
        return [Delivery.from_log(row) for row in rows]

    def delivery(self, object_id: str, event: str | None = None, status: str | None = None,
                 delivery_id: str | None = None) -> Delivery | None:
        """The object's first delivery with this event, this status carried in its body and this id (each if
        given)."""
        return next((d for d in self.deliveries(object_id)
                     if (event is None or d.event == event) and (status is None or d.status == status)
                     and (delivery_id is None or d.id == delivery_id)), None)

    def resend(self, delivery_id: str) -> dict:
        return self._call("POST", f"/deliveries/{delivery_id}/resend")["data"]

    # -- channels: payments to a channel address and the monitoring team's decision on a held one ----------------
    def pay_channel(self, address: str, amount: Decimal, risk_level: str = "low", confirmed: bool = True) -> dict:
        """A payment of `amount` (in the channel's pay currency) to a channel address; the ChannelPayment."""
        return self._call("POST", "/payments", {"address": address, "amount": decimal_text(amount),
                                                "risk_level": risk_level, "confirmed": confirmed})["data"]

    def channel_monitoring_decision(self, channel_payment_id: str, outcome: str) -> dict:
        return self._call("POST", f"/channel_payments/{channel_payment_id}/monitoring_decision",
                          {"outcome": outcome})["data"]

    # -- payouts: what the sandbox does on its own, forced ---------------------------------------------------------
    def fail_withdrawal(self, withdrawal_id: str, outcome: str = "cancelled") -> dict:
        """`failed` now, then `outcome` one step later: cancelled (the charge returned) or completed after all."""
        return self._call("POST", f"/coin_withdrawals/{withdrawal_id}/fail", {"outcome": outcome})["data"]

    def hold_withdrawal(self, withdrawal_id: str) -> dict:
        return self._call("POST", f"/coin_withdrawals/{withdrawal_id}/hold")["data"]

    def release_withdrawal(self, withdrawal_id: str) -> dict:
        """A held withdrawal let go: `processing`, then sent and completed step by step (a hold that ends well)."""
        return self._call("POST", f"/coin_withdrawals/{withdrawal_id}/release")["data"]

    def add_high_risk_address(self, address: str) -> list[str]:
        return self._call("POST", "/high_risk_addresses", {"address": address})["data"]

    def withdrawal_attempts(self, customer_id: str | None = None, address: str | None = None,
                            custom_id: str | None = None) -> list[dict]:
        """Every coin-withdrawal create Cryptopay received, accepted or refused, oldest first, with these fields:
        a retry nobody sees (a new custom_id after a high_risk_address refusal) shows here."""
        wanted = {"customer_id": customer_id, "address": address, "custom_id": custom_id}
        query = urlencode({key: value for key, value in wanted.items() if value is not None})
        return self._call("GET", "/coin_withdrawal_attempts" + (f"?{query}" if query else ""))["data"]

    # -- a merchant's bad day on purpose: notifications before a create's answer, a GET that fails ---------------
    def notify_before_create_answer(self, kind: str, customer_id: str | None = None, *, pay: bool = True,
                                    amount: Decimal | None = None, risk_level: str = "low", confirmed: bool = True,
                                    hold_seconds: float | None = None) -> dict:
        """The next `kind` (invoice or channel) created for `customer_id` (any, if None) has its notifications
        answered by the merchant before its create answer leaves: an invoice's own (paid at once, in full or
        `amount`, if `pay`), a channel's those of a payment of `amount` to its address. The notice, whose
        `before_answer` later says whether they all were."""
        body: dict = {"object": kind, "customer_id": customer_id}
        if pay:
            body["pay"] = {"risk_level": risk_level, "confirmed": confirmed}
            if amount is not None:
                body["pay"]["amount"] = decimal_text(amount)
        if hold_seconds is not None:
            body["hold_seconds"] = hold_seconds
        return self._call("POST", "/early_notifications", body)["data"]

    def early_notifications(self) -> list[dict]:
        """Every notice armed, with the object that used it, the notifications sent first and their answers."""
        return self._call("GET", "/early_notifications")["data"]

    def fail_reads(self, object_id: str, count: int = 1, status: int = 503) -> dict:
        """The next `count` GETs of the object (a channel's: of its payments too) made while a notification about it
        awaits the merchant's answer fail with `status` (500 or 503) in Cryptopay's envelope."""
        return self._call("POST", f"/objects/{quote(object_id, safe='')}/read_failures",
                          {"count": count, "status": status})["data"]

    def read_failures(self, object_id: str | None = None) -> list[dict]:
        """The armed read failures, each with `remaining` and the reads it `failed` (at, path, event in flight)."""
        query = f"?{urlencode({'object_id': object_id})}" if object_id else ""
        return self._call("GET", "/read_failures" + query)["data"]
