"""Every resource's backend on one shared account, the way moto keeps one backend per service. Knows nothing of HTTP."""
from __future__ import annotations

from datetime import datetime

from cryptopay_emulator.account import DEFAULT_BALANCES, Account, Notify
from cryptopay_emulator.channels import ChannelBackend
from cryptopay_emulator.clock import Clock
from cryptopay_emulator.customers import CustomerBackend
from cryptopay_emulator.early import EarlyNotifications, FirstAttempts
from cryptopay_emulator.faults import InFlight, ReadFaults
from cryptopay_emulator.invoices import CANCEL_AFTER, RESCORES, InvoiceBackend, next_score
from cryptopay_emulator.ledger import LedgerBackend
from cryptopay_emulator.market import MarketBackend
from cryptopay_emulator.resolutions import ResolutionBackend
from cryptopay_emulator.withdrawals import STEP_SECONDS, WithdrawalBackend

# Older importers (the suite's broken-merchant variants) read these here.
__all__ = ["Backends", "CANCEL_AFTER", "DEFAULT_BALANCES", "RESCORES", "next_score"]


class Backends:
    """The account and one backend per resource; a new resource is a new attribute, not growth of a hub class."""

    def __init__(self, clock: Clock, notify: Notify, *, hosted_base_url: str = "http://localhost/hosted",
                 rates: dict[str, dict[str, str]] | None = None, balances: dict[str, str] | None = None,
                 unresolved_policy: dict[str, str] | None = None, withdrawal_step_seconds: float = STEP_SECONDS,
                 driven_time: bool = False):
        self.account = Account(clock, notify, hosted_base_url=hosted_base_url, rates=rates, balances=balances,
                               unresolved_policy=unresolved_policy, driven_time=driven_time)
        self.invoices = InvoiceBackend(self.account)
        self.resolutions = ResolutionBackend(self.account, self.invoices)
        self.customers = CustomerBackend(self.account)
        self.channels = ChannelBackend(self.account, self.customers)
        self.withdrawals = WithdrawalBackend(self.account, self.invoices, withdrawal_step_seconds, self.channels)
        self.ledger = LedgerBackend(self.account)
        self.market = MarketBackend(self.account)
        # Sandbox control over what the merchant meets: notifications before a create's answer, failing reads.
        self.early = EarlyNotifications(self.account, self.invoices, self.channels)
        self.faults = ReadFaults(self.account)

    def watch_deliveries(self, in_flight: InFlight, first_attempts: FirstAttempts) -> None:
        """What the deliverer tells the backends that act on notifications: which one awaits the merchant's
        answer now, and the wait for an object's first attempts (wired once the deliverer exists)."""
        self.faults.in_flight = in_flight
        self.early.first_attempts = first_attempts

    @property
    def clock(self) -> Clock:
        return self.account.clock

    def reset(self) -> None:
        """Back to the state the emulator started in: no objects, starting balances, rates and settings."""
        with self.account.lock:
            self.account.reset()
            for backend in (self.invoices, self.resolutions, self.withdrawals, self.ledger, self.customers,
                            self.channels, self.early, self.faults):
                backend.reset()

    def _holding(self, object_id: str):  # noqa: ANN202 - a Store of any record type
        for backend in (self.invoices, self.withdrawals, self.channels):
            for store in backend.stores():
                if store.find(object_id) is not None:
                    return store
        return None

    def knows(self, object_id: str) -> bool:
        """Whether an invoice, coin withdrawal, channel or channel payment has this id."""
        with self.account.lock:
            return self._holding(object_id) is not None

    def rewrite(self, object_id: str, **fields: object) -> object | None:
        """Sets an invoice's, coin withdrawal's, channel's or channel payment's fields as they are (status,
        status_context, created_at), bypassing every rule: what Cryptopay might show later than a run, for the
        tests of the suite's evidence verification. None when there is no such object."""
        with self.account.lock:
            store = self._holding(object_id)
            if store is None:
                return None
            record = store.find(object_id)
            for name, value in fields.items():
                setattr(record, name, value)
            return record

    def forget(self, object_id: str) -> bool:
        """Removes the object as if it had never been made; False when there is none."""
        with self.account.lock:
            store = self._holding(object_id)
            return store is not None and store.forget(object_id)

    def tick(self) -> None:
        self.account.tick()

    def next_deadline(self) -> datetime | None:
        return self.account.next_deadline()
