"""Request budgets: how many API calls a client may make per minute, shared across threads and processes."""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

from pyrate_limiter import Duration, Limiter, Rate, SQLiteBucket

from cryptopay_client.errors import TransportError


class RequestBudget(Protocol):
    per_minute: int | None
    minute_seconds: float  # how long one of Cryptopay's minutes lasts here (shorter on a time-scaled emulator)

    def acquire(self, timeout: float) -> None: ...

    def close(self) -> None: ...


class Unlimited:
    """No budget: the embedded emulator is private to one worker and allows far more than any run sends."""

    per_minute = None
    minute_seconds = 60.0

    def acquire(self, timeout: float) -> None:
        return None

    def close(self) -> None:
        return None


class BudgetExhausted(TransportError):
    """No request could be sent within the wait allowed: the shared budget stayed full."""


# The minute is also cut into 5-second slices, each allowed a twelfth of it: the budget is spent evenly, so a burst
# never fills the whole minute and then stalls every worker for most of it (long enough to expire an invoice).
SLICE_MS, MINUTE_MS = 5 * int(Duration.SECOND), int(Duration.MINUTE)
# The minute is counted over 61 s: a request is counted here when it leaves, at Cryptopay when it arrives, and one
# that took longer on the way than the next would otherwise land in the same minute there (measured: 101 of 100).
WINDOW_MS = MINUTE_MS + int(Duration.SECOND)


class SharedBudget:
    """A sliding 60-second window kept by pyrate-limiter in one SQLite file under a file lock, so every process
    that opens the same file (xdist workers, the payer) draws on one budget and never sends more than `per_minute`
    requests in any of Cryptopay's minutes (`minute_seconds` of ours: 60 at real speed), nor more than a twelfth of
    them in any twelfth of it."""

    def __init__(self, path: Path, per_minute: int, minute_seconds: float = 60.0):
        if per_minute < 1:
            raise ValueError("a request budget needs at least one request a minute")
        if minute_seconds <= 0:
            raise ValueError("a minute of Cryptopay's clock must last some time")
        self.path, self.per_minute, self.minute_seconds = Path(path), per_minute, minute_seconds
        scale = MINUTE_MS / (minute_seconds * 1000)
        slice_ms, window_ms = max(1, round(SLICE_MS / scale)), max(2, round(WINDOW_MS / scale))
        # Rounded up: pyrate-limiter wants the shorter window at least as dense as the longer one.
        rates = [Rate(-(-per_minute * SLICE_MS // MINUTE_MS), slice_ms), Rate(per_minute, window_ms)]
        self._bucket = SQLiteBucket.init_from_file(rates, table="cryptopay_requests", db_path=str(self.path),
                                                   use_file_lock=True)
        self._limiter = Limiter(self._bucket, buffer_ms=50)

    def __repr__(self) -> str:
        return f"SharedBudget({self.per_minute} per {self.minute_seconds:g} s at {self.path})"

    def acquire(self, timeout: float) -> None:
        """Blocks until one more request fits in the window; BudgetExhausted after `timeout` seconds."""
        if not self._limiter.try_acquire("cryptopay", blocking=True, timeout=timeout):
            scaled = "" if self.minute_seconds == 60 else f" (a minute of Cryptopay's clock: {self.minute_seconds:g} s)"
            raise BudgetExhausted(f"the shared budget of {self.per_minute} requests a minute{scaled} stayed full "
                                  f"for {timeout:g} s")

    def close(self) -> None:
        """Stops the limiter's leak thread and closes the bucket file (the file itself is the run's to delete)."""
        self._limiter.close()
