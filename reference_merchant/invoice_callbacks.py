"""Handles one verified Invoice callback: confirm with Cryptopay's GET, credit the deposit once, record the status."""
from __future__ import annotations

from decimal import Decimal

from cryptopay_client import CryptopayClient
from reference_merchant.confirmations import Confirmations, confirm_or_503
from reference_merchant.deposits import FINAL, Deposits
from reference_merchant.ledger import Ledger
from reference_merchant.outcome import Outcome, is_id

# The invoice events this merchant acts on; any other is acknowledged and ignored.
EVENTS = {"created", "transaction_created", "transaction_confirmed", "status_changed", "recalculated", "refunded"}


class InvoiceProcessor:
    """Subclass points are the decisions merchants get wrong; the suite's broken variants override them."""

    def __init__(self, deposits: Deposits, ledger: Ledger, cryptopay: CryptopayClient):
        self.deposits = deposits
        self.ledger = ledger
        self.cryptopay = cryptopay
        self.confirmations = Confirmations(final=FINAL)

    def process(self, event: str, data: dict) -> Outcome:
        invoice_id = data["id"]
        if event not in EVENTS:
            # Acknowledged (200) so Cryptopay does not retry something this merchant will never act on.
            return Outcome(200, f"ignored: Invoice/{event[:40]}")
        deposit = self.find_deposit(invoice_id, data)
        if deposit is None:
            return Outcome(200, "ignored: invoice not created by this merchant")
        # A final answer still at hand is applied as usual (without a GET); only without one do our records answer.
        settled = None if self.confirmations.knows_final(invoice_id) else self.settled(deposit)
        if settled:
            return Outcome(200, settled)
        invoice = confirm_or_503("invoice", lambda: self.confirmed_invoice(invoice_id, data))
        if isinstance(invoice, Outcome):
            return invoice
        if invoice.get("id") != invoice_id or invoice.get("custom_id") != deposit["custom_id"]:
            # Cryptopay's own record says this invoice is not the one we asked for: not ours to act on.
            return Outcome(200, "ignored: Cryptopay's invoice does not match this merchant's deposit")
        if deposit["invoice_id"] is None:
            self.deposits.attach(deposit["custom_id"], invoice_id)
            deposit["invoice_id"] = invoice_id
        return Outcome(200, self.apply(deposit, event, invoice))

    def apply(self, deposit: dict, event: str, invoice: dict) -> str:
        status, context = invoice["status"], invoice.get("status_context")
        state = f"{status}/{context}" if context else status
        credited = None
        if self.should_credit(event, invoice):
            # The credit comes before the status: whoever reads `completed` sees the money, and a crash in between
            # leaves the deposit not final, so the next notification records it (the credit is once).
            amount, currency = self.credit_amount(deposit, invoice)
            credited = self.ledger.credit(deposit["invoice_id"], deposit["customer_id"], amount, currency)
        moved = self.deposits.record_status(deposit["invoice_id"], status, context)
        if credited is None:
            return f"recorded {state}" if moved else f"kept {deposit['status']} (callback said {state})"
        return f"credited {amount} {currency}" if credited else "already credited: no change"

    # -- decisions ------------------------------------------------------------------------------------
    def find_deposit(self, invoice_id: str, callback_data: dict) -> dict | None:
        """Our deposit this notification is about: by Cryptopay's invoice id or, when the notification comes before
        we have Cryptopay's answer to our create call (or that call timed out), by our own custom_id. Ignoring
        such a notification would lose it: it may be the one that completes the invoice."""
        deposit = self.deposits.get(invoice_id)
        if deposit is None and is_id(callback_data.get("custom_id"), 128):
            deposit = self.deposits.unattached(callback_data["custom_id"])
        return deposit

    def confirmed_invoice(self, invoice_id: str, callback_data: dict) -> dict:
        """Money never moves on the callback body alone: Cryptopay's GET is the truth (one GET per invoice at a
        time, shared by the copies queued behind it)."""
        return self.confirmations.confirm(invoice_id, lambda: self.cryptopay.retrieve_invoice(invoice_id))

    def settled(self, deposit: dict) -> str | None:
        """Why nothing needs asking: the deposit is final (and, when completed, credited). Final statuses never
        change, so a duplicate or resent callback for it is answered from our own records, without a GET."""
        status, invoice_id = deposit["status"], deposit["invoice_id"]
        if invoice_id is None or status not in FINAL:
            return None
        if status == "completed" and not self.ledger.credited(invoice_id):
            # Recorded completed without its credit (a database written before credits came first): the GET and
            # the credit still run.
            return None
        # Worded as apply() words a duplicate credit: the same answer whether or not Cryptopay was asked.
        return "already credited: no change" if status == "completed" else f"already final ({status}): no change"

    def should_credit(self, event: str, invoice: dict) -> bool:
        return invoice["status"] == "completed"

    def credit_amount(self, deposit: dict, invoice: dict) -> tuple[Decimal, str]:
        # After a recalculation the final price_amount differs from what the deposit asked for.
        return Decimal(invoice["price_amount"]), invoice["price_currency"]
