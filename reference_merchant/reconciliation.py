"""Payouts a crash left half-way: on start and every so often, each one debited and not final is settled from
Cryptopay's own record of its withdrawal, and a debit Cryptopay will never send is returned exactly once."""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timezone
from typing import Callable

from cryptopay_client import CryptopayError, TransportError
from reference_merchant.confirmations import Busy
from reference_merchant.ledger import Ledger
from reference_merchant.payout_callbacks import CoinWithdrawalProcessor
from reference_merchant.payouts import Payouts

log = logging.getLogger("reference_merchant.reconciliation")

RECONCILE_SECONDS = 60
# Each pass asks Cryptopay about at most this many payouts, and about each at most once per interval (a payout held
# by Cryptopay stays unsettled for months): the API's 200 requests a minute are shared with everything else.
PER_PASS = 20


class PayoutReconciler:
    """Why: the debit is made before Cryptopay's commit (money the customer does not have is never sent). A process
    killed between the two leaves the customer debited with the withdrawal quoted and never committed, and no
    notification ever comes for it; a notification can also be lost for good. Cryptopay's GET says what is true:
    `cancelled` returns the debit, a withdrawal still `new` well past the commit window was never sent and returns
    it too, anything else is recorded. The ledger's UNIQUE(kind, reference) makes each refund happen once, whoever
    gets there first (this pass, a notification, another process)."""

    def __init__(self, payouts: Payouts, ledger: Ledger, processor: CoinWithdrawalProcessor,
                 every: float = RECONCILE_SECONDS, now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.payouts, self.ledger, self.processor = payouts, ledger, processor
        self.every, self._now = every, now
        self._asked: dict[str, float] = {}  # payout id -> when this process last asked Cryptopay (monotonic)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, everything: bool = False) -> dict[str, str]:
        """One pass; what was decided per payout id. `everything`: every unsettled payout, however recently asked
        about (on start, nothing this process knows is recent)."""
        decided = {}
        for payout in self._due(everything):
            payout_id = payout["payout_id"]
            self._asked[payout_id] = time.monotonic()
            try:
                decided[payout_id] = self.processor.reconcile(payout, self._now())
            except Busy:
                decided[payout_id] = "left for the next pass: a notification for it is being confirmed"
            except (CryptopayError, TransportError) as exc:
                decided[payout_id] = f"left for the next pass: Cryptopay could not be asked ({type(exc).__name__})"
            log.info("reconciled payout %s: %s", payout_id, decided[payout_id])
        return decided

    def _due(self, everything: bool) -> list[dict]:
        unsettled = self.payouts.unsettled(self.ledger)
        ids = {payout["payout_id"] for payout in unsettled}
        self._asked = {key: at for key, at in self._asked.items() if key in ids}  # forget the settled
        if not everything:
            recent = time.monotonic() - self.every
            unsettled = [p for p in unsettled if self._asked.get(p["payout_id"], float("-inf")) <= recent]
            unsettled.sort(key=lambda p: self._asked.get(p["payout_id"], float("-inf")))  # longest unasked first
        return unsettled[:PER_PASS] if not everything else unsettled

    # -- in the background --------------------------------------------------------------------------------
    def start(self) -> "PayoutReconciler":
        """A pass at once (what a previous process left), then one every `every` seconds."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="payout-reconciler", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)

    def _run(self) -> None:
        everything = True
        while not self._stop.is_set():
            try:
                self.run_once(everything)
                everything = False
            except Exception:  # noqa: BLE001 - a database hiccup must not end reconciliation for good
                log.exception("payout reconciliation pass failed; trying again in %s s", self.every)
            self._stop.wait(self.every)
