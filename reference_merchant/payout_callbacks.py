"""CoinWithdrawal callbacks and payout reconciliation: confirm with Cryptopay's GET, refund once, record the status."""
from __future__ import annotations

from datetime import datetime, timedelta

from reference_merchant.confirmations import Confirmations, confirm_or_503
from reference_merchant.db import utc
from reference_merchant.ledger import Ledger
from reference_merchant.outcome import Outcome, is_id
from reference_merchant.payouts import FINAL, Payouts

# Cryptopay's 30-second commit window (facts §14), counted from our payout row, written before the quote was asked,
# plus as long again: by then the request that placed the payout has had its commit answered or timed out
# (cryptopay_timeout), and Cryptopay would refuse the commit anyway.
NEVER_COMMITTED_AFTER = timedelta(seconds=60)
NOT_COMMITTED_MESSAGE = ("Your withdrawal could not be completed and nothing was sent; the amount is back in your "
                         "balance.")


class CoinWithdrawalProcessor:
    """Subclass points are the decisions merchants get wrong; the suite's broken variants override them."""

    def __init__(self, payouts_: Payouts, ledger: Ledger, cryptopay):
        self.payouts = payouts_
        self.ledger = ledger
        self.cryptopay = cryptopay
        self.confirmations = Confirmations(final=FINAL)

    def process(self, event: str, data: dict) -> Outcome:
        withdrawal_id = data["id"]
        payout = self.payouts.by_withdrawal(withdrawal_id)
        if payout is None and is_id(data.get("custom_id"), 128):
            # Our payout whose create call has not answered yet: found by our own custom_id (the payout id).
            payout = self.payouts.get(data["custom_id"])
            payout = payout if payout is not None and payout["coin_withdrawal_id"] is None else None
        if payout is None:
            return Outcome(200, "ignored: withdrawal not created by this merchant")
        settled = self.settled(payout)
        if settled:
            return Outcome(200, settled)
        withdrawal = confirm_or_503("withdrawal", lambda: self.confirmed_withdrawal(withdrawal_id, data))
        if isinstance(withdrawal, Outcome):
            return withdrawal
        if withdrawal.get("id") != withdrawal_id or withdrawal.get("custom_id") != payout["payout_id"]:
            return Outcome(200, "ignored: Cryptopay's withdrawal does not match this merchant's payout")
        if payout["coin_withdrawal_id"] is None:
            self.payouts.attach(payout["payout_id"], withdrawal_id, withdrawal["status"])
        return Outcome(200, self.apply(payout, event, withdrawal))

    def reconcile(self, payout: dict, now: datetime) -> str:
        """Settles a debited payout that is not final from Cryptopay's record of its withdrawal, without waiting for
        a notification: after a crash between the debit and the commit, or when notifications never came. May raise
        Busy, CryptopayError or TransportError: then nothing changed, and the next pass asks again."""
        withdrawal_id = payout["coin_withdrawal_id"]
        withdrawal = self.confirmed_withdrawal(withdrawal_id, {})
        if withdrawal.get("id") != withdrawal_id or withdrawal.get("custom_id") != payout["payout_id"]:
            return "left alone: Cryptopay's withdrawal does not match this payout"
        if withdrawal["status"] != "new":
            return self.apply(payout, "reconciled", withdrawal)
        # `new`: quoted and never committed. Cryptopay sends nothing it was not asked to commit, and refuses a commit
        # 30 seconds after the quote (facts §14), so once that is surely past, the money is the customer's again.
        # Before then the request placing it may still be on its way to the commit: it is left alone.
        if now - utc(payout["created_at"]) < NEVER_COMMITTED_AFTER:
            return "left alone: quoted recently, the commit may still come"
        returned = self.ledger.refund(payout["payout_id"])  # money first, as in apply(): a crash after it is harmless
        self.payouts.refuse(payout["payout_id"], "not_committed", NOT_COMMITTED_MESSAGE)
        return "never committed: debit returned to the customer" if returned else "never committed: nothing to return"

    def apply(self, payout: dict, event: str, withdrawal: dict) -> str:
        status = withdrawal["status"]
        returned = None
        if status == "cancelled" and self.should_refund(withdrawal):
            # Cryptopay returned the charged amount to the merchant's account; the customer gets back their debit.
            # The refund comes before the status: whoever reads `cancelled` sees the money back, and a crash in
            # between leaves the payout not final, so the next notification records it (the refund is once).
            returned = self.ledger.refund(payout["payout_id"])
        moved = self.payouts.record_status(payout["payout_id"], status)
        if returned is not None:
            return "cancelled: debit returned to the customer" if returned else "cancelled: nothing (more) to return"
        return f"recorded {status}" if moved else f"kept the recorded status (callback said {status})"

    # -- decisions ------------------------------------------------------------------------------------
    def confirmed_withdrawal(self, withdrawal_id: str, callback_data: dict) -> dict:
        """Money never moves on the callback body alone: Cryptopay's GET is the truth."""
        return self.confirmations.confirm(withdrawal_id,
                                          lambda: self.cryptopay.retrieve_coin_withdrawal(withdrawal_id))

    def settled(self, payout: dict) -> str | None:
        """Completed, or cancelled with nothing left to return: a resend is answered from our records."""
        if payout["status"] not in FINAL:
            return None
        if payout["status"] == "cancelled" and self.ledger.debited(payout["payout_id"]) \
                and not self.ledger.refunded(payout["payout_id"]):
            return None  # cancelled but not returned yet (a crash in between): the GET and the refund still run
        return f"already final ({payout['status']}): no change"

    def should_refund(self, withdrawal: dict) -> bool:
        return True
