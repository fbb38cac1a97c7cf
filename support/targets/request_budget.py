"""The run's request budget: one shared bucket for every worker, and how fast waits may poll Cryptopay within it."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cryptopay_client import RequestBudget, SharedBudget, Unlimited
from support.drivers.waiting import Pace, backoff, proportional
from support.targets.settings import Settings

# The suite spends this share of the key's limit; the rest is the merchant's own calls with the same key (a create
# per deposit and a confirming GET per notification). Measured at 60 %, suite and merchant together peaked at 193 of
# 200 in a minute (benchmarks/bench_rate_limit.py): half leaves the merchant room for its bursts.
SUITE_SHARE_PERCENT = 50
BUCKET_FILE = "cryptopay-requests.sqlite"
# Polling may take at most 1/POLL_SHARE_DIVISOR of the budget (see RunBudget.poll_pace).
POLL_SHARE_DIVISOR = 2


@dataclass(frozen=True)
class CryptopayPace:
    """How fast Cryptopay's clock runs against ours and how many requests a minute of it allows: the budget is
    spent per Cryptopay minute, which on a time-scaled emulator lasts a fraction of a real one."""
    per_minute: int | None  # None: no limit (an emulator started without one)
    scale: float = 1.0
    source: str = "settings"  # how it was learnt: settings, the emulator's control API, Cryptopay's Date header

    def to_json(self) -> dict:
        return {"per_minute": self.per_minute, "scale": self.scale, "source": self.source}

    @classmethod
    def from_json(cls, data: dict) -> "CryptopayPace":
        return cls(data["per_minute"], float(data["scale"]), data["source"])


class RunBudget:
    """What this process draws on: the shared bucket (or none for the embedded emulator) and the worker count."""

    def __init__(self, budget: RequestBudget, workers: int = 1):
        self.budget, self.workers = budget, max(workers, 1)

    def poll_pace(self, most: float) -> Pace:
        """Unlimited: quick back-off as before. Budgeted: each worker polls no faster than half its fair share of
        the budget, so even with every worker waiting at once half the budget is left for the requests that make
        progress (creates, payments, first reads), which would otherwise queue behind polls until an invoice
        expires; then waits slow in proportion to the time waited."""
        if self.budget.per_minute is None:
            return backoff(0.05, most)
        return proportional(floor=POLL_SHARE_DIVISOR * self.fair_share_seconds(), most=max(most, 60.0))

    def fair_share_seconds(self) -> float:
        """Seconds between requests when every worker sends at the same pace and together they spend the budget."""
        if not self.budget.per_minute:
            return 0.0
        return self.budget.minute_seconds * self.workers / self.budget.per_minute


_run = RunBudget(Unlimited())


def suite_per_minute(settings: Settings, pace: CryptopayPace | None = None) -> int | None:
    """The suite's share of the key's limit, per minute of Cryptopay's clock (which is where the limit holds)."""
    pace = pace or CryptopayPace(settings.requests_per_minute)
    if pace.per_minute is None:
        return None
    return max(1, pace.per_minute * SUITE_SHARE_PERCENT // 100)


def open_run_budget(settings: Settings, directory: Path, workers: int,
                    pace: CryptopayPace | None = None) -> RunBudget:
    """Installs this process's budget: shared through `directory` for an external Cryptopay, none when embedded
    (each worker's private emulator allows far more than a run sends) or when the emulator has no limit."""
    global _run
    _run.budget.close()  # one budget per process: never two leak threads on one file
    per_minute = None if settings.embedded_emulator else suite_per_minute(settings, pace)
    minute_seconds = 60.0 / (pace.scale if pace else 1.0)
    budget = Unlimited() if per_minute is None else SharedBudget(directory / BUCKET_FILE, per_minute, minute_seconds)
    _run = RunBudget(budget, workers)
    return _run


def current() -> RunBudget:
    return _run


def close_run_budget() -> None:
    global _run
    _run.budget.close()
    _run = RunBudget(Unlimited())
