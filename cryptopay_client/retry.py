"""How long to wait after a 429: Retry-After when Cryptopay sends one, else exponential back-off with jitter."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Callable


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` retries at most, each wait at most `cap` seconds and all of them at most `total` seconds.
    Cryptopay's limit is per minute, so the defaults can outlast one full window."""

    attempts: int = 6
    base: float = 2.0
    cap: float = 30.0
    total: float = 90.0
    random: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    @classmethod
    def never(cls) -> "RetryPolicy":
        """For callers that must answer quickly themselves (a merchant inside Cryptopay's 10-second limit)."""
        return cls(attempts=0)

    def delay(self, attempt: int, retry_after: str | None) -> float | None:
        """Seconds to wait before retry number `attempt` (from 0), or None when no retry is left."""
        if attempt >= self.attempts:
            return None
        spent = sum(self._backoff(n) for n in range(attempt))  # an upper bound of what earlier waits took
        told = parse_retry_after(retry_after)
        # Jitter spreads the workers that were refused together, so they do not all come back at the same moment.
        # Half the back-off is fixed: the limit is a 60-second window, so coming straight back is never useful.
        backoff = self._backoff(attempt)
        wait = told + self.random() * min(1.0, self.base) if told is not None else \
            backoff / 2 + self.random() * backoff / 2
        wait = min(wait, self.cap)
        return None if spent + wait > self.total else wait

    def _backoff(self, attempt: int) -> float:
        return min(self.cap, self.base * 2 ** attempt)


def parse_retry_after(value: str | None,
                      now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> float | None:
    """Retry-After as seconds: a delta in digits or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, (moment - now()).total_seconds())
