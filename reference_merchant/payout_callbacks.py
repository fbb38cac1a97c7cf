"""Handles one verified CoinWithdrawal callback: confirm with Cryptopay's GET, record the status, refund a cancel once."""
from __future__ import annotations

from cryptopay_client import CryptopayError, TransportError
from reference_merchant.confirmations import Busy, Confirmations
from reference_merchant.ledger import Ledger
from reference_merchant.outcome import Outcome, is_id
from reference_merchant.payouts import FINAL, Payouts

CONFIRMATION_WAIT_SECONDS = 4.0  # as for invoices: inside Cryptopay's 10 seconds, or 503 and a retry


class CoinWithdrawalProcessor:
    """Subclass points are the decisions merchants get wrong; the suite's broken variants override them."""

    def __init__(self, payouts_: Payouts, ledger: Ledger, cryptopay):
        self.payouts = payouts_
        self.ledger = ledger
        self.cryptopay = cryptopay
        self.confirmations = Confirmations()

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
        try:
            withdrawal = self.confirmed_withdrawal(withdrawal_id, data)
        except Busy:
            return Outcome(503, "retry: busy confirming another notification for this withdrawal")
        except (CryptopayError, TransportError) as exc:
            return Outcome(503, f"retry: could not confirm with Cryptopay ({type(exc).__name__})")
        if withdrawal.get("id") != withdrawal_id or withdrawal.get("custom_id") != payout["payout_id"]:
            return Outcome(200, "ignored: Cryptopay's withdrawal does not match this merchant's payout")
        if payout["coin_withdrawal_id"] is None:
            self.payouts.attach(payout["payout_id"], withdrawal_id, withdrawal["status"])
        return Outcome(200, self.apply(payout, event, withdrawal))

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
        return self.confirmations.confirm(f"CoinWithdrawal:{withdrawal_id}",
                                          lambda: self.cryptopay.retrieve_coin_withdrawal(withdrawal_id),
                                          CONFIRMATION_WAIT_SECONDS)

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
