"""Deliberately broken merchants, one defect each, to prove the go-live checklist catches what it claims to.

Each variant is the reference merchant with one decision overridden the way real integrations get it wrong: in the
callback envelope (envelope_cls), the invoice handler (invoice_processor_cls), the deposit desk (deposit_desk_cls)
or the ledger (ledger_cls). VARIANTS maps a name to the keyword arguments for reference_merchant.create_app. Never
copy these.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, delete, insert, select, update
from sqlalchemy.engine import Engine

from reference_merchant.callbacks import CallbackEnvelope
from reference_merchant.db import deposits
from reference_merchant.deposits import DepositDesk
from reference_merchant.invoice_callbacks import InvoiceProcessor
from reference_merchant.ledger import Ledger
from tests.race_window import RaceWindow

# The broken ledgers keep their credits in a table WITHOUT the UNIQUE(invoice_id) constraint.
_loose = MetaData()
loose_credits = Table(
    "loose_credits", _loose,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("invoice_id", String(64), nullable=False),
    Column("customer_id", String(128), nullable=False),
    Column("amount", String(64), nullable=False),
    Column("currency", String(16), nullable=False),
    Column("credited_at", DateTime(timezone=True), nullable=False),
)


class _LooseLedger(Ledger):
    def __init__(self, engine: Engine):
        super().__init__(engine)
        _loose.create_all(engine)

    def _insert(self, invoice_id: str, customer_id: str, amount: Decimal, currency: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(loose_credits).values(invoice_id=invoice_id, customer_id=customer_id,
                                                      amount=str(amount), currency=currency,
                                                      credited_at=datetime.now(timezone.utc)))

    def balances(self, customer_id: str) -> dict[str, str]:
        return self.balances_from(loose_credits, customer_id)


class CreditsOnResend(_LooseLedger):
    """Violates item 13 (a resent completed callback never credits twice): no uniqueness at all, every
    completed callback credits again."""

    def credit(self, invoice_id: str, customer_id: str, amount: Decimal, currency: str) -> bool:
        self._insert(invoice_id, customer_id, amount, currency)
        return True


class CheckThenInsert(_LooseLedger):
    """Violates item 13 under concurrency, the textbook way: "if not already credited: credit", with no
    constraint behind it. Sequential duplicates are caught; simultaneous first deliveries all pass the check."""

    def __init__(self, engine: Engine):
        super().__init__(engine)
        self._window = RaceWindow()

    def credit(self, invoice_id: str, customer_id: str, amount: Decimal, currency: str) -> bool:
        with self.engine.connect() as conn:
            if conn.execute(select(loose_credits.c.id).where(loose_credits.c.invoice_id == invoice_id)).first():
                return False
        self._window.hold(invoice_id)  # the defect being modelled: the window between the check and the insert
        self._insert(invoice_id, customer_id, amount, currency)
        return True


class RacingLedger(_LooseLedger):
    """The ledger half of races_on_duplicates (item 13): credits are "replaced" with Cryptopay's final amount by deleting
    the rows seen at check time and inserting a fresh one, with no constraint behind it."""

    def seen(self, invoice_id: str) -> list[int]:
        with self.engine.connect() as conn:
            return [row.id for row in conn.execute(select(loose_credits.c.id)
                                                   .where(loose_credits.c.invoice_id == invoice_id))]

    def replace(self, seen: list[int], invoice_id: str, customer_id: str, amount: Decimal, currency: str) -> None:
        if seen:
            with self.engine.begin() as conn:
                conn.execute(delete(loose_credits).where(loose_credits.c.id.in_(seen)))
        time.sleep(0.01)  # the defect being modelled: the window between the check and the insert, widened
        self._insert(invoice_id, customer_id, amount, currency)

    def credit(self, invoice_id: str, customer_id: str, amount: Decimal, currency: str) -> bool:
        seen = self.seen(invoice_id)
        self.replace(seen, invoice_id, customer_id, amount, currency)
        return not seen


class RacesOnDuplicates(InvoiceProcessor):
    """Violates item 13 under concurrency: check-then-insert without a constraint. It checks the ledger first,
    then confirms with Cryptopay, then replaces whatever credit it saw with one for the final amount. One copy at
    a time always ends with one credit; simultaneous copies all act on the same stale check and each inserts
    its own credit. Use with RacingLedger."""

    _checked = threading.local()

    def confirmed_invoice(self, invoice_id: str, callback_data: dict) -> dict:
        self._checked.seen = self.ledger.seen(invoice_id)  # the check, before the slow call: the window
        return super().confirmed_invoice(invoice_id, callback_data)

    def apply(self, deposit: dict, event: str, invoice: dict) -> str:
        self.deposits.record_status(deposit["invoice_id"], invoice["status"], invoice.get("status_context"))
        if not self.should_credit(event, invoice):
            return f"recorded {invoice['status']}"
        amount, currency = self.credit_amount(deposit, invoice)
        seen = self._checked.seen
        self.ledger.replace(seen, deposit["invoice_id"], deposit["customer_id"], amount, currency)
        return "credit replaced" if seen else f"credited {amount} {currency}"


class CreditsOnUnresolved(InvoiceProcessor):
    """Violates items 12 and 14 (credit only on completed; holds are never credited): credits unresolved too."""

    def should_credit(self, event: str, invoice: dict) -> bool:
        return invoice["status"] in ("completed", "unresolved")


class CreditsOriginalAmount(InvoiceProcessor):
    """Violates item 12 (credit the final amount): credits what the deposit asked for, not the completed
    invoice's price_amount, which differs after a recalculation."""

    def credit_amount(self, deposit: dict, invoice: dict) -> tuple[Decimal, str]:
        return Decimal(deposit["price_amount"]), deposit["price_currency"]


class SkipsSignatureCheck(CallbackEnvelope):
    """Violates item 10 (callbacks verified): accepts any signature, or none, so anyone can post a callback."""

    def signature_ok(self, raw: bytes, signature: str | None) -> bool:
        return True


class CreditsOnTransactionConfirmed(InvoiceProcessor):
    """Violates item 12 (credit only on completed): credits as soon as a payment is confirmed, with the paid
    data, even when the invoice never completes (underpaid, overpaid, late)."""

    def should_credit(self, event: str, invoice: dict) -> bool:
        return event == "transaction_confirmed" or invoice["status"] == "completed"


class TrustsCallbackBody(InvoiceProcessor):
    """Violates item 11 (status checked with GET /api/invoices/{id}): takes the callback body as the truth and
    writes whatever status it carries, so a stale or crafted body moves money and state."""

    def confirmed_invoice(self, invoice_id: str, callback_data: dict) -> dict:
        return callback_data

    def apply(self, deposit: dict, event: str, invoice: dict) -> str:
        with self.deposits.engine.begin() as conn:  # the body's status, written as is: no forward-only guard
            conn.execute(update(deposits).where(deposits.c.invoice_id == deposit["invoice_id"])
                         .values(status=invoice["status"], status_context=invoice.get("status_context"),
                                 updated_at=datetime.now(timezone.utc)))
        if not self.should_credit(event, invoice):
            return f"recorded {invoice['status']} from the body"
        amount, currency = self.credit_amount(deposit, invoice)
        credited = self.ledger.credit(deposit["invoice_id"], deposit["customer_id"], amount, currency)
        return f"credited {amount} {currency}" if credited else "already credited: no change"


class LosesCustomerId(DepositDesk):
    """Violates item 5 (several invoices, each found again): its checkout creates invoices without the customer,
    so Cryptopay's list cannot find a customer's invoices."""

    def invoice_params(self, *args, **kwargs) -> dict:
        params = super().invoice_params(*args, **kwargs)
        params.pop("customer_id", None)
        return params


VARIANTS: dict[str, dict] = {
    "credits_on_resend": {"ledger_cls": CreditsOnResend},
    "races_on_duplicates": {"invoice_processor_cls": RacesOnDuplicates, "ledger_cls": RacingLedger},
    "check_then_insert": {"ledger_cls": CheckThenInsert},
    "loses_customer_id": {"deposit_desk_cls": LosesCustomerId},
    "credits_on_unresolved": {"invoice_processor_cls": CreditsOnUnresolved},
    "credits_original_amount": {"invoice_processor_cls": CreditsOriginalAmount},
    "skips_signature_check": {"envelope_cls": SkipsSignatureCheck},
    "credits_on_transaction_confirmed": {"invoice_processor_cls": CreditsOnTransactionConfirmed},
    "trusts_callback_body": {"invoice_processor_cls": TrustsCallbackBody},
}


class BooksEverythingInEur(InvoiceProcessor):
    """Violates item 12 (credit the final price, in its currency): credits the right amount but always books it
    in EUR, so a deposit priced in dollars or in bitcoin lands in the customer's euro balance."""

    def credit_amount(self, deposit: dict, invoice: dict) -> tuple[Decimal, str]:
        return Decimal(invoice["price_amount"]), "EUR"


VARIANTS["books_everything_in_eur"] = {"invoice_processor_cls": BooksEverythingInEur}


class CreditsPriceLessFee(InvoiceProcessor):
    """Violates item 12 (credit the final price) and nothing else: credits price_amount less Cryptopay's fee, the
    merchant's net receipt, as an outside shop did. Every scenario that checks a balance sees it (items 10, 13 and
    14's too), and each of them must still fail item 12 alone: the same wrong amount is one defect."""

    def credit_amount(self, deposit: dict, invoice: dict) -> tuple[Decimal, str]:
        return Decimal(invoice["price_amount"]) - Decimal(invoice["fee"]), invoice["price_currency"]


VARIANTS["credits_price_less_fee"] = {"invoice_processor_cls": CreditsPriceLessFee}


# -- raw bytes and body hashes (issue 10, parts 3 and 6); imports kept with the variants that need them ----------
import hashlib  # noqa: E402
import json  # noqa: E402

from sqlalchemy.exc import IntegrityError  # noqa: E402

from cryptopay_client import verify_callback  # noqa: E402
from reference_merchant.outcome import Outcome  # noqa: E402


class ReserialisesBeforeVerifying(CallbackEnvelope):
    """Violates item 10 (callbacks verified over the raw body): parses the body and checks the HMAC over its own
    compact re-serialisation, which matches Cryptopay's bytes only when they happen to be compact ASCII JSON."""

    def signature_ok(self, raw: bytes, signature: str | None) -> bool:
        try:
            again = json.dumps(json.loads(raw), separators=(",", ":")).encode()
        except ValueError:
            return False
        return verify_callback(self._secret, again, signature)


seen_bodies = Table(
    "seen_bodies", _loose,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("body_sha256", String(64), nullable=False, unique=True),  # unique per body, NOT per invoice
)


class BodyHashLedger(_LooseLedger):
    """The ledger half of dedupes_by_body_hash (item 13): credits have no uniqueness of their own."""

    def credit(self, invoice_id: str, customer_id: str, amount: Decimal, currency: str) -> bool:
        self._insert(invoice_id, customer_id, amount, currency)
        return True


class DedupesByBodyHash(CallbackEnvelope):
    """Violates item 13 (a resent completed callback never credits twice): de-duplicates notifications by a hash
    of the raw body instead of by invoice, and credits on each completed status_changed it has not seen, so the
    same notification carrying the invoice as re-read later (a new risk score) credits again. Use with
    CreditsEachCompletedStatusChange and BodyHashLedger."""

    def __init__(self, engine: Engine, *args, **kwargs):
        super().__init__(engine, *args, **kwargs)
        _loose.create_all(engine)

    def first_sight(self, raw: bytes) -> bool:
        """Claims the body atomically (the UNIQUE hash), so identical copies at once still pass only one."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(seen_bodies).values(body_sha256=hashlib.sha256(raw).hexdigest()))
            return True
        except IntegrityError:
            return False

    def handle(self, raw: bytes, signature: str | None) -> Outcome:
        if self.signature_ok(raw, signature) and not self.first_sight(raw):
            return Outcome(200, "already processed this body: no change")
        return super().handle(raw, signature)


class CreditsEachCompletedStatusChange(InvoiceProcessor):
    """The invoice half of dedupes_by_body_hash (item 13): credits on every completed status_changed notification
    the envelope lets through."""

    def should_credit(self, event: str, invoice: dict) -> bool:
        return event == "status_changed" and invoice["status"] == "completed"


VARIANTS["reserialises_before_verifying"] = {"envelope_cls": ReserialisesBeforeVerifying}
VARIANTS["dedupes_by_body_hash"] = {"envelope_cls": DedupesByBodyHash,
                                    "invoice_processor_cls": CreditsEachCompletedStatusChange,
                                    "ledger_cls": BodyHashLedger}


# -- issue 23: mistakes real merchants make (a deposit repeated, a notification before the answer, one lost) ------
from reference_merchant.db import credits  # noqa: E402
from reference_merchant.money import storable  # noqa: E402


class DedupesCreditsByCustomerAmount(Ledger):
    """Violates item 12 (credit when, and only when, completed): takes a credit of the same amount in the same
    currency for the same customer as a duplicate, so a customer's second deposit of that amount is never
    credited (de-duplicating by customer + amount + currency instead of by invoice)."""

    def credit(self, invoice_id: str, customer_id: str, amount: Decimal, currency: str) -> bool:
        with self.engine.connect() as conn:
            if conn.execute(select(credits.c.id).where(credits.c.customer_id == customer_id,
                                                       credits.c.amount == storable(amount),
                                                       credits.c.currency == currency)).first():
                return False
        return super().credit(invoice_id, customer_id, amount, currency)


class IgnoresUnrecordedInvoice(InvoiceProcessor):
    """Violates items 10 and 12 (callbacks followed; credit when completed): acknowledges and ignores a notification
    about an invoice it has not linked to a deposit yet, so what Cryptopay says before its answer to the create call
    has reached the merchant is lost, the completion included."""

    def find_deposit(self, invoice_id: str, callback_data: dict) -> dict | None:
        return self.deposits.get(invoice_id)


class _AcknowledgedFirst:
    """A callback handler whose 200 has already been sent when it runs: whatever it then fails at is lost."""

    def __init__(self, handler):
        self._handler = handler

    def process(self, event: str, data: dict) -> Outcome:
        try:
            outcome = self._handler.process(event, data)
        except Exception as exc:  # noqa: BLE001 - the defect: the failure no longer reaches Cryptopay
            return Outcome(200, f"acknowledged first; processing failed ({type(exc).__name__})")
        if outcome.http_status >= 500:
            return Outcome(200, f"acknowledged first; {outcome.message}")
        return outcome


class AcknowledgesBeforeProcessing(CallbackEnvelope):
    """Violates items 10 and 12 (callbacks followed; credit when completed), for every product: answers 200 as
    soon as the signature checks out and processes afterwards, so when its confirming GET fails the notification
    is lost (Cryptopay never sends an acknowledged one again) and the customer is never credited."""

    def __init__(self, engine: Engine, callback_secret: str, handlers: dict):
        super().__init__(engine, callback_secret, {kind: _AcknowledgedFirst(handler)
                                                   for kind, handler in handlers.items()})


VARIANTS["dedupes_credits_by_customer_amount"] = {"ledger_cls": DedupesCreditsByCustomerAmount}
VARIANTS["ignores_unrecorded_invoice"] = {"invoice_processor_cls": IgnoresUnrecordedInvoice}
VARIANTS["acknowledges_before_processing"] = {"envelope_cls": AcknowledgesBeforeProcessing}


# -- issue 15: the Channels and Payouts checklists' broken merchants, kept in their own modules ----------------
from tests.broken_channel_merchants import CHANNEL_VARIANTS  # noqa: E402
from tests.broken_payout_merchants import PAYOUT_VARIANTS  # noqa: E402

VARIANTS.update(CHANNEL_VARIANTS)
VARIANTS.update(PAYOUT_VARIANTS)
