"""The confirm-or-503 step every callback handler shares: Cryptopay's GET decides, one GET per object at a time.

A copy of a callback reuses an answer that is final (by its handler's own final statuses) or was asked after the
copy arrived, so a storm of duplicates costs one GET; a copy that cannot be confirmed in time answers 503.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

from cryptopay_client import CryptopayError, TransportError
from reference_merchant.outcome import Outcome

# How long a copy may queue behind another copy's confirming GET: with the GET's own 4 s and the database's bounded
# waits, the answer still leaves inside Cryptopay's 10-second limit; past it the copy answers 503 and is retried.
CONFIRMATION_WAIT_SECONDS = 4.0


class Busy(Exception):
    """Another copy held this object's confirmation for longer than a callback may wait."""


def confirm_or_503(what: str, confirm: Callable[[], dict]) -> dict | Outcome:
    """Cryptopay's own record of the object, or the 503 that asks Cryptopay to send the notification again later.
    Nothing has changed when the 503 is answered: money never moves on the callback body alone."""
    try:
        return confirm()
    except Busy:
        return Outcome(503, f"retry: busy confirming another notification for this {what}")
    except (CryptopayError, TransportError) as exc:
        return Outcome(503, f"retry: could not confirm with Cryptopay ({type(exc).__name__})")


@dataclass
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0
    answer: dict | None = None
    asked_at: float = float("-inf")


class Confirmations:
    """One handler's confirmations. `final` are the statuses that never change for its objects (each handler has its
    own); the latest `remember` final answers are kept after their copies are gone, so a copy that arrives just
    after the others left still needs no GET."""

    def __init__(self, final: tuple[str, ...], wait: float = CONFIRMATION_WAIT_SECONDS,
                 clock: Callable[[], float] = time.monotonic, remember: int = 1024):
        self.final, self.wait = final, wait
        self._clock, self._remember = clock, remember
        self._guard = threading.Lock()
        self._slots: dict[str, _Slot] = {}
        self._final: OrderedDict[str, dict] = OrderedDict()

    def confirm(self, key: str, ask: Callable[[], dict]) -> dict:
        """Cryptopay's object, asked by `ask` unless a usable answer is at hand; Busy after `wait` seconds."""
        arrived = self._clock()
        with self._guard:
            if key in self._final:
                return self._final[key]
        slot = self._enter(key)
        try:
            if not slot.lock.acquire(timeout=self.wait):
                raise Busy(key)
            try:
                answer = self._answer(slot, arrived, ask)
            finally:
                slot.lock.release()
            self._keep_if_final(key, answer)
            return answer
        finally:
            self._leave(key, slot)

    def knows_final(self, key: str) -> bool:
        with self._guard:
            return key in self._final

    def _answer(self, slot: _Slot, arrived: float, ask: Callable[[], dict]) -> dict:
        # A final status never changes, so any answer showing one is still true; any other answer is only
        # good for copies that arrived before it was asked (a newer callback may report a newer status).
        if slot.answer is not None and (slot.answer.get("status") in self.final or slot.asked_at >= arrived):
            return slot.answer
        asked_at = self._clock()
        slot.answer, slot.asked_at = ask(), asked_at
        return slot.answer

    def _keep_if_final(self, key: str, answer: dict) -> None:
        if answer.get("status") not in self.final:
            return
        with self._guard:
            self._final[key] = answer
            while len(self._final) > self._remember:
                self._final.popitem(last=False)

    def _enter(self, key: str) -> _Slot:
        with self._guard:
            slot = self._slots.setdefault(key, _Slot())
            slot.users += 1
            return slot

    def _leave(self, key: str, slot: _Slot) -> None:
        with self._guard:  # the last copy out forgets the object: memory stays bounded by callbacks in flight
            slot.users -= 1
            if slot.users == 0:
                self._slots.pop(key, None)
