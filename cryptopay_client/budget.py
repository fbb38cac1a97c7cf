"""Request budgets: how many API calls a client may make per minute, shared across threads and processes."""
from __future__ import annotations

from pathlib import Path
from typing import Protocol

from pyrate_limiter import Duration, Limiter, Rate, SQLiteBucket

from cryptopay_client.errors import TransportError


class RequestBudget(Protocol):
    per_minute: int | None

    def acquire(self, timeout: float) -> None: ...

    def close(self) -> None: ...


class Unlimited:
    """No budget: the embedded emulator is private to one worker and allows far more than any run sends."""

    per_minute = None

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
    requests in any 60 seconds, nor more than a twelfth of them in any 5."""

    def __init__(self, path: Path, per_minute: int):
        if per_minute < 1:
            raise ValueError("a request budget needs at least one request a minute")
        self.path, self.per_minute = Path(path), per_minute
        # Rounded up: pyrate-limiter wants the shorter window at least as dense as the longer one.
        rates = [Rate(-(-per_minute * SLICE_MS // MINUTE_MS), SLICE_MS), Rate(per_minute, WINDOW_MS)]
        self._bucket = SQLiteBucket.init_from_file(rates, table="cryptopay_requests", db_path=str(self.path),
                                                   use_file_lock=True)
        self._limiter = Limiter(self._bucket, buffer_ms=50)

    def __repr__(self) -> str:
        return f"SharedBudget({self.per_minute}/min at {self.path})"

    def acquire(self, timeout: float) -> None:
        """Blocks until one more request fits in the window; BudgetExhausted after `timeout` seconds."""
        if not self._limiter.try_acquire("cryptopay", blocking=True, timeout=timeout):
            raise BudgetExhausted(f"the shared budget of {self.per_minute} requests a minute stayed full for "
                                  f"{timeout:g} s")

    def close(self) -> None:
        """Stops the limiter's leak thread and closes the bucket file (the file itself is the run's to delete)."""
        self._limiter.close()
