"""The one emulated account every resource shares: clock, lock, balances, rates, settings, timers, notifications."""
from __future__ import annotations

import heapq
import itertools
import threading
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Callable

from cryptopay_emulator import money
from cryptopay_emulator.clock import Clock
from cryptopay_emulator.errors import Invalid, detail
from cryptopay_emulator.models import RESOLVABLE_CONTEXTS, Balances

POLICIES = ("do_nothing", "refund", "recalculate")
DEFAULT_BALANCES = {"BTC": "10.0", "ETH": "100.0", "LTC": "1000.0", "XRP": "100000.0", "XLM": "100000.0",
                    "USDT": "100000.0", "USDC": "100000.0", "BCH": "100.0", "ADA": "100000.0", "BNB": "100.0",
                    "SOL": "1000.0", "DOGE": "1000000.0", "TRX": "1000000.0", "SHIB": "1000000000.0",
                    "EUR": "0.0", "USD": "0.0", "GBP": "0.0", "UAH": "0.0"}

# Listener signature: (callback type such as "Invoice", event, JSON snapshot of the object).
Notify = Callable[[str, str, dict], None]
# A timer's action gets the emulator's "now" when it runs.
Action = Callable[[datetime], None]


@dataclass
class AccountSettings:
    """Integration → API → "How to handle unresolved invoices", one choice per context."""
    unresolved: dict[str, str] = field(default_factory=lambda: {c: "do_nothing" for c in RESOLVABLE_CONTEXTS})

    def set_policy(self, context: str, policy: str) -> None:
        self.set_policies({context: policy})

    def set_policies(self, policies: dict) -> None:
        """All or nothing: one unknown context or policy and no setting changes."""
        for context, policy in policies.items():
            if context not in RESOLVABLE_CONTEXTS:
                raise Invalid(details=[detail("must_be_included_in", "context", "unknown context",
                                              list=list(RESOLVABLE_CONTEXTS))])
            if not isinstance(policy, str) or policy not in POLICIES:
                raise Invalid(details=[detail("must_be_included_in", "policy", "unknown policy",
                                              list=list(POLICIES))])
        self.unresolved.update(policies)


class Account:
    """What every resource backend shares. Resources hold their own records; the account holds the money."""

    def __init__(self, clock: Clock, notify: Notify, *, hosted_base_url: str = "http://localhost/hosted",
                 rates: dict[str, dict[str, str]] | None = None, balances: dict[str, str] | None = None,
                 unresolved_policy: dict[str, str] | None = None):
        self.clock = clock
        self._notify = notify
        self.hosted_base_url = hosted_base_url.rstrip("/")
        self.lock = threading.RLock()  # one account, one lock: a request sees every resource consistent
        self._starting_rates = {coin: {fiat: Decimal(r) for fiat, r in row.items()}
                                for coin, row in (rates or money.DEFAULT_RATES).items()}
        self._starting_balances = {c: Decimal(v) for c, v in (balances or DEFAULT_BALANCES).items()}
        self._starting_policy = dict(unresolved_policy or {})
        self.reset()

    def reset(self) -> None:
        """Starting balances, rates and settings; no pending timers."""
        with self.lock:
            self._timers: list[tuple] = []  # heap of (when, seq, action): tick() costs O(due), not O(all)
            self._seq = itertools.count()
            self.settings = AccountSettings()
            for context, policy in self._starting_policy.items():
                self.settings.set_policy(context, policy)
            self.balances = Balances(dict(self._starting_balances))
            self._rates = {coin: dict(row) for coin, row in self._starting_rates.items()}

    def hosted_url(self, kind: str, object_id: str) -> str:
        return f"{self.hosted_base_url}/{kind}/{object_id}"

    def notify(self, kind: str, event: str, data: dict) -> None:
        self._notify(kind, event, data)

    def set_balances(self, amounts: dict[str, Decimal]) -> None:
        with self.lock:
            self.balances.amounts.update(amounts)

    # -- rates ------------------------------------------------------------------------------------------
    def rate(self, pay: str, price: str) -> Decimal:
        """Price of one `pay` coin in `price` currency, crossing through EUR for crypto/crypto pairs."""
        if money.is_fiat(price):
            return self._rates[pay][price]
        cross = self._rates[pay]["EUR"] / self._rates[price]["EUR"]
        return money.floor_to(cross, 8) if cross >= 1 else money.significant(cross, 8)

    def set_rate(self, pay: str, price: str, rate: Decimal) -> None:
        with self.lock:
            if pay not in self._rates or not money.is_fiat(price) or not money.MIN_RATE <= rate <= money.MAX_RATE:
                raise Invalid(details=[detail("invalid", "pair", "pair must be a coin and a fiat currency")])
            self._rates[pay][price] = rate

    # -- time -------------------------------------------------------------------------------------------
    def at(self, when: datetime, action: Action) -> None:
        """Runs `action` once the emulator clock reaches `when` (at the next tick after it)."""
        with self.lock:
            heapq.heappush(self._timers, (when, next(self._seq), action))

    def next_deadline(self) -> datetime | None:
        with self.lock:
            return self._timers[0][0] if self._timers else None

    def tick(self) -> None:
        """Applies whatever time has decided since the last tick, in deadline order."""
        with self.lock:
            now = self.clock.now()
            while self._timers and self._timers[0][0] <= now:
                _, _, action = heapq.heappop(self._timers)
                action(now)
