"""The emulator's single source of time: real time, scaled, plus offsets that tests add by advancing it."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Callable


class Clock:
    def __init__(self, start: datetime | None = None, scale: float = 1.0,
                 monotonic: Callable[[], float] = time.monotonic):
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._base = (start or datetime.now(timezone.utc)).replace(microsecond=0)
        self._anchor = monotonic()
        self._scale = scale
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> datetime:
        with self._lock:
            return self._base + timedelta(seconds=(self._monotonic() - self._anchor) * self._scale)

    @property
    def scale(self) -> float:
        return self._scale

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._base += timedelta(seconds=seconds)
        self._notify()
        return self.now()

    def set_scale(self, scale: float) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        with self._lock:
            now = self._monotonic()
            self._base += timedelta(seconds=(now - self._anchor) * self._scale)
            self._anchor = now
            self._scale = scale
        self._notify()

    def real_seconds_until(self, moment: datetime) -> float:
        return max(0.0, (moment - self.now()).total_seconds() / self._scale)

    def on_change(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def iso_z(moment: datetime) -> str:
    """The `…Z` form the sandbox writes for objects not yet committed (a two-step recalculation or withdrawal)."""
    return iso(moment).replace("+00:00", "Z")
