"""One confirming GET per invoice at a time, its answer reused by the copies of a callback queued behind it.

A copy reuses an answer that is final or was asked after the copy arrived, so a storm of duplicates costs one GET.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

from reference_merchant.deposits import FINAL


class Busy(Exception):
    """Another copy held this invoice's confirmation for longer than a callback may wait."""


@dataclass
class _Slot:
    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0
    answer: dict | None = None
    asked_at: float = float("-inf")


class Confirmations:
    """`remember` final answers are kept after their copies are gone (a final status is true for ever), so a copy
    that arrives just after the others left still needs no GET."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, remember: int = 1024):
        self._clock, self._remember = clock, remember
        self._guard = threading.Lock()
        self._slots: dict[str, _Slot] = {}
        self._final: OrderedDict[str, dict] = OrderedDict()

    def confirm(self, invoice_id: str, ask: Callable[[], dict], wait: float) -> dict:
        """Cryptopay's invoice, asked by `ask` unless a usable answer is at hand; Busy after `wait` seconds."""
        arrived = self._clock()
        with self._guard:
            if invoice_id in self._final:
                return self._final[invoice_id]
        slot = self._enter(invoice_id)
        try:
            if not slot.lock.acquire(timeout=wait):
                raise Busy(invoice_id)
            try:
                answer = self._answer(slot, arrived, ask)
            finally:
                slot.lock.release()
            self._keep_if_final(invoice_id, answer)
            return answer
        finally:
            self._leave(invoice_id, slot)

    def knows_final(self, invoice_id: str) -> bool:
        with self._guard:
            return invoice_id in self._final

    def _answer(self, slot: _Slot, arrived: float, ask: Callable[[], dict]) -> dict:
        # A final status never changes, so any answer showing one is still true; any other answer is only
        # good for copies that arrived before it was asked (a newer callback may report a newer status).
        if slot.answer is not None and (slot.answer.get("status") in FINAL or slot.asked_at >= arrived):
            return slot.answer
        asked_at = self._clock()
        slot.answer, slot.asked_at = ask(), asked_at
        return slot.answer

    def _keep_if_final(self, invoice_id: str, answer: dict) -> None:
        if answer.get("status") not in FINAL:
            return
        with self._guard:
            self._final[invoice_id] = answer
            while len(self._final) > self._remember:
                self._final.popitem(last=False)

    def _enter(self, invoice_id: str) -> _Slot:
        with self._guard:
            slot = self._slots.setdefault(invoice_id, _Slot())
            slot.users += 1
            return slot

    def _leave(self, invoice_id: str, slot: _Slot) -> None:
        with self._guard:  # the last copy out forgets the invoice: memory stays bounded by callbacks in flight
            slot.users -= 1
            if slot.users == 0:
                self._slots.pop(invoice_id, None)
