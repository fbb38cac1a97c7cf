"""The one emulated account every resource shares: clock, lock, balances, rates, settings, timers, notifications."""
from __future__ import annotations

import itertools
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Callable

from cryptopay_emulator import money
from cryptopay_emulator.clock import Clock
from cryptopay_emulator.errors import Invalid, detail
from cryptopay_emulator.models import RESOLVABLE_CONTEXTS, Balances, LedgerRow
from cryptopay_emulator.store import Store
from cryptopay_emulator.timeline import Action, Moved, Timeline

POLICIES = ("do_nothing", "refund", "recalculate")
DEFAULT_BALANCES = {"BTC": "10.0", "ETH": "100.0", "LTC": "1000.0", "XRP": "100000.0", "XLM": "100000.0",
                    "USDT": "100000.0", "USDC": "100000.0", "BCH": "100.0", "ADA": "100000.0", "BNB": "100.0",
                    "SOL": "1000.0", "DOGE": "1000000.0", "TRX": "1000000.0", "SHIB": "1000000000.0",
                    "EUR": "0.0", "USD": "0.0", "GBP": "0.0", "UAH": "0.0"}
# Flat network fees in the received coin ("average" level); the real ones float with the network
# (docs/cryptopay-channels-payouts-facts.md §16). Settable through the control API.
NETWORK_FEES = {"BTC": Decimal("0.00001"), "ETH": Decimal("0.00021"), "LTC": Decimal("0.0001"),
                "BCH": Decimal("0.00001"), "XRP": Decimal("0.01"), "XLM": Decimal("0.01"), "USDT": Decimal("1.0"),
                "USDC": Decimal("1.0"), "ADA": Decimal("0.2"), "BNB": Decimal("0.0005"), "SOL": Decimal("0.00001"),
                "DOGE": Decimal("1.0"), "TRX": Decimal("1.0"), "SHIB": Decimal("50000")}
# Per-level fees (§16): BTC is listed fast/average/slow, every other coin `average` only. PHP-cas 2023 BTC levels are
# about 1.6× and 0.8× the average one (0.00002582 / 0.00001602 / 0.00001296); the emulator scales its average so.
LEVEL_FACTORS = {"BTC": {"fast": Decimal("1.6"), "average": Decimal(1), "slow": Decimal("0.8")}}
PROJECT_ID = "cfc93c44-0000-4000-8000-000000000001"  # the one emulated merchant project

# Listener signature: (callback type such as "Invoice", event, JSON snapshot of the object).
Notify = Callable[[str, str, dict], None]
__all__ = ["Account", "AccountSettings", "Action", "DEFAULT_BALANCES", "Notify"]


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
                 unresolved_policy: dict[str, str] | None = None, driven_time: bool = False):
        self.clock = clock
        self._driven_at_start = driven_time
        self._notify = notify
        self.hosted_base_url = hosted_base_url.rstrip("/")
        self.lock = threading.RLock()  # one account, one lock: a request sees every resource consistent
        self.timeline = Timeline(clock)
        self.timeline.on_shift(self._shift_ledger)
        self._starting_rates = {coin: {fiat: Decimal(r) for fiat, r in row.items()}
                                for coin, row in (rates or money.DEFAULT_RATES).items()}
        self._starting_balances = {c: Decimal(v) for c, v in (balances or DEFAULT_BALANCES).items()}
        self._starting_policy = dict(unresolved_policy or {})
        # One account per currency with a fixed id, as GET /api/accounts lists them (§18).
        self.account_ids = {currency: str(uuid.uuid4()) for currency in money.CRYPTO + money.FIAT}
        self.reset()

    def reset(self) -> None:
        """Starting balances, rates and settings; no pending deadlines."""
        with self.lock:
            self.timeline.reset()
            self.timeline.driven = self._driven_at_start
            self.settings = AccountSettings()
            for context, policy in self._starting_policy.items():
                self.settings.set_policy(context, policy)
            self.balances = Balances(dict(self._starting_balances))
            self._rates = {coin: dict(row) for coin, row in self._starting_rates.items()}
            self.network_fees = dict(NETWORK_FEES)
            self.high_risk_addresses: set[str] = set()  # screened destinations (§17 high_risk_address)
            self.ledger: Store[LedgerRow] = Store()
            self.ledgers: dict[str, Store[LedgerRow]] = {}
            # Rows that move no money (§18: an invoice while `new`, or `cancelled`), by reference id; merged into the
            # ledger when it is read, with the balance before them.
            self.expected: dict[str, tuple] = {}  # reference id → (seq, created_at, describe)
            self._waiting_ids: dict[str, str] = {}
            self._row_seq = itertools.count()

    # -- money ------------------------------------------------------------------------------------------
    def move(self, currency: str, amount: Decimal, *, reference_type: str, reference_id: str,
             **row: object) -> LedgerRow:
        """Credits (amount > 0) or debits the currency's account and writes the ledger row with the balance after."""
        with self.lock:
            self.balances.credit(currency, amount)
            entry = LedgerRow(id=str(uuid.uuid4()), amount=amount, currency=currency,
                              balance=self.balances.available(currency), reference_id=reference_id,
                              reference_type=reference_type, created_at=self.clock.now(), seq=next(self._row_seq),
                              **row)
            self.expected.pop(reference_id, None)  # the money row replaces the invoice's waiting row
            self.ledger.add(entry.id, entry)
            self.ledgers.setdefault(currency, Store()).add(entry.id, entry)
            return entry

    def expect(self, reference_id: str, created_at: datetime, describe: Callable[[], dict]) -> None:
        """A row that moves nothing yet (an invoice while `new`, §18), kept as a description of its object and only
        made into a row when the ledger is read: `describe()` gives its fields (amount = what it will bring, status
        as the object's is then). Cheap on the hot path, where invoices are created far more often than read."""
        with self.lock:
            self.expected[reference_id] = (next(self._row_seq), created_at, describe)

    def ledger_rows(self, currency: str | None = None) -> list[LedgerRow]:
        """Every row oldest first, money rows and waiting rows merged; a waiting row shows the balance before it."""
        with self.lock:
            money_rows = self.ledger if currency is None else self.ledgers.get(currency, ())
            waiting = [row for row in map(self._waiting_row, self.expected.items())
                       if currency is None or row.currency == currency]
            if not waiting:
                return list(money_rows)
            rows = sorted([*money_rows, *waiting], key=lambda r: r.seq)
            running = {c: self.balances.available(c) for c in {r.currency for r in rows}}
            for row in rows:
                if row.moves_money:
                    running[row.currency] -= row.amount  # back to each currency's balance before the first row
            for row in rows:
                if row.moves_money:
                    running[row.currency] = row.balance
                else:
                    row.balance = running[row.currency]
            return rows

    def fee_levels(self, currency: str) -> dict[str, Decimal]:
        """The network fee per level the coin is listed with: BTC three, the others `average` only."""
        average = self.network_fees.get(currency, Decimal(0))
        factors = LEVEL_FACTORS.get(currency, {"average": Decimal(1)})
        return {level: money.ceil_to(average * factor, money.NETWORK_PRECISION.get(currency, 8))
                for level, factor in factors.items()}

    def network_fee(self, currency: str, level: str) -> Decimal:
        """The fee quoted at `level`; a coin listed with `average` only charges that at any level."""
        levels = self.fee_levels(currency)
        return levels.get(level, levels["average"])

    def _waiting_row(self, item: tuple) -> LedgerRow:
        reference_id, (seq, created_at, describe) = item
        row_id = self._waiting_ids.setdefault(reference_id, str(uuid.uuid4()))  # one id for the row's lifetime
        return LedgerRow(id=row_id, balance=Decimal(0), reference_id=reference_id, created_at=created_at, seq=seq,
                         moves_money=False, **describe())

    def hosted_url(self, kind: str, object_id: str) -> str:
        return f"{self.hosted_base_url}/{kind}/{object_id}"

    def notify(self, kind: str, event: str, data: dict) -> None:
        self._notify(kind, event, data)

    def set_balances(self, amounts: dict[str, Decimal]) -> None:
        """The sandbox's manual balance change, a ledger row like any other."""
        with self.lock:
            for currency, amount in amounts.items():
                change = amount - self.balances.available(currency)
                if change:
                    self.move(currency, change, reference_type="ManualBalanceTransaction",
                              reference_id=str(uuid.uuid4()), description="set through the emulator's control API")

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
    def at(self, when: datetime, action: Action, owner: str | None = None) -> None:
        """Runs `action` once the clock reaches `when` (the owner's own clock, if it is driven)."""
        with self.lock:
            self.timeline.at(when, action, owner)

    def after(self, owner: str, delay: timedelta, action: Action) -> None:
        """Runs `action` `delay` after the owner's own now."""
        with self.lock:
            self.timeline.after(owner, delay, action)

    def now_of(self, owner: str | None) -> datetime:
        """What "now" is for this object: the clock, or its own stood-still time while its time is driven."""
        with self.lock:
            return self.timeline.now_of(owner)

    def next_deadline(self) -> datetime | None:
        with self.lock:
            return self.timeline.next_deadline()

    def tick(self) -> None:
        """Applies whatever time has decided since the last tick, in deadline order."""
        with self.lock:
            self.timeline.tick()

    def advance(self, owner: str, seconds: float | None = None, until: datetime | None = None) -> Moved:
        """Moves one object's time on (`seconds`, `until` a moment, or to its next deadline); see Timeline."""
        with self.lock:
            return self.timeline.advance(owner, seconds, until)

    def advance_all(self, seconds: float) -> None:
        """The clock itself was moved on: driven objects move with it, by as much."""
        with self.lock:
            self.timeline.advance_all(seconds)

    @property
    def driven_time(self) -> bool:
        return self.timeline.driven

    def set_driven_time(self, driven: bool) -> None:
        """Objects born from now on stand still until moved (driven), or follow the clock (running)."""
        with self.lock:
            self.timeline.driven = driven

    def _shift_ledger(self, owner: str, delta: timedelta) -> None:
        for row in self.ledger:
            if row.reference_id == owner:
                row.created_at -= delta
        if owner in self.expected:
            seq, created_at, describe = self.expected[owner]
            self.expected[owner] = (seq, created_at - delta, describe)
