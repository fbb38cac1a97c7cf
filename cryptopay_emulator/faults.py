"""Cryptopay's GET failing on purpose while the merchant handles a notification: armed per object, logged when fired."""
from __future__ import annotations

import uuid
from typing import Callable

from cryptopay_emulator.account import Account
from cryptopay_emulator.clock import iso
from cryptopay_emulator.errors import ApiError, InternalError, Invalid, ServiceUnavailable, detail

# The answers a read may fail with, in Cryptopay's error envelope: 500 and 503 ("maintenance") are documented
# (docs/cryptopay-api-facts.md §6); their codes are not.
FAILURES: dict[int, type[ApiError]] = {500: InternalError, 503: ServiceUnavailable}
MOST_AT_ONCE = 100

# What the deliverer tells: the event of the notification about an object awaiting the merchant's answer, or None.
InFlight = Callable[[str], "str | None"]


class ReadFaults:
    """The next `count` GETs of an object that arrive while a notification about it awaits the merchant's answer
    fail with `status`: what a merchant's confirming GET meets when Cryptopay has a bad moment. Reads made at any
    other time (the suite's own checks) are answered as usual. Knows nothing of HTTP: a read names the ids in its
    path, a failure is a typed error."""

    def __init__(self, account: Account, in_flight: InFlight | None = None):
        self.account = account
        self.in_flight: InFlight = in_flight or (lambda object_id: None)
        self.reset()

    def reset(self) -> None:
        with self.account.lock:
            self._armed: list[dict] = []

    def arm(self, object_id: str, params: dict) -> dict:
        """`count` (1-100, default 1) and `status` (500 or 503, default 503)."""
        count, status = params.get("count", 1), params.get("status", 503)
        problems = []
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MOST_AT_ONCE:
            problems.append(detail("must_be_between", "count", f"must be a whole number from 1 to {MOST_AT_ONCE}",
                                   min=1, max=MOST_AT_ONCE))
        if status not in FAILURES or isinstance(status, bool):
            problems.append(detail("must_be_included_in", "status", "must be 500 or 503", list=sorted(FAILURES)))
        if problems:
            raise Invalid(details=problems)
        with self.account.lock:
            fault = {"id": str(uuid.uuid4()), "object_id": object_id, "status": status, "count": count,
                     "remaining": count, "failed": []}
            self._armed.append(fault)
            return dict(fault)

    def check(self, ids: list[str], path: str) -> None:
        """Raises the armed failure when this read names an armed object and a notification about one of the ids
        it names is in flight (a channel's id arms the reads of its payments: the merchant confirms a payment by
        GET /channels/<id>/payments/<payment id>)."""
        events = [event for event in map(self.in_flight, ids) if event is not None]
        if not events:
            return
        with self.account.lock:
            fault = next((f for f in self._armed if f["remaining"] > 0 and f["object_id"] in ids), None)
            if fault is None:
                return
            fault["remaining"] -= 1
            fault["failed"].append({"at": iso(self.account.clock.now()), "path": path, "event": events[0]})
        raise FAILURES[fault["status"]]()

    def list(self, object_id: str | None = None) -> list[dict]:
        with self.account.lock:
            return [{**f, "failed": list(f["failed"])} for f in self._armed
                    if object_id is None or f["object_id"] == object_id]
