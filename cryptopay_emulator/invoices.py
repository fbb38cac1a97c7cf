"""Invoices: create, read, list, payments and confirmations, expiry and cancellation, monitoring decisions."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Callable

from cryptopay_emulator import money
from cryptopay_emulator.account import Account
from cryptopay_emulator.addresses import new_address, new_txid, payment_uri
from cryptopay_emulator.errors import DuplicateCustomId, Invalid, NotFound, detail
from cryptopay_emulator.models import ExchangeRate, Invoice, Risk, Transaction
from cryptopay_emulator.store import Store
from cryptopay_emulator.validation import invoice_params

FIAT_EXPIRY = timedelta(minutes=10)
CRYPTO_EXPIRY = timedelta(hours=2)
CANCEL_AFTER = timedelta(days=14)
RISK_SCORES = {"low": Decimal("2.1"), "medium": Decimal("5.4"), "high": Decimal("9.3")}
# Later reads of the same transaction: the sandbox re-scores on every read while the level stays
# (docs/cryptopay-api-facts.md §5, recorded); a fixed cycle per level keeps the emulator reproducible.
RESCORES = {"low": ("2.1", "1.7", "3.2"), "medium": ("5.4", "4.9", "6.1"), "high": ("9.3", "8.8", "9.6")}
OPTIONAL_FIELDS = ("custom_id", "customer_id", "name", "description", "metadata", "success_redirect_url",
                   "unsuccess_redirect_url", "payer_email")


class InvoiceBackend:
    """State and rules of /api/invoices. Resolutions hook in through `on_unresolved`."""

    def __init__(self, account: Account):
        self.account = account
        self.on_unresolved: Callable[[Invoice, str], None] = lambda invoice, context: None
        account.timeline.on_shift(self._shift)
        self.reset()

    def stores(self) -> list[Store]:
        """Every store of this backend's records, for the control API's rewrite and forget."""
        return [self._store]

    def reset(self) -> None:
        with self.account.lock:
            self._store: Store[Invoice] = Store()
            self._by_address: dict[str, str] = {}
            self._by_txid: dict[str, str] = {}
            self._seq = 0

    # -- reads --------------------------------------------------------------------------------------
    def create(self, params: dict) -> dict:
        with self.account.lock:
            self.account.tick()
            fields = invoice_params(params)
            if self._store.has_custom_id(fields.get("custom_id")):
                raise DuplicateCustomId()
            invoice = self._new_invoice(fields)
            self._store.add(invoice.id, invoice, invoice.custom_id, invoice.customer_id)
            self._by_address[invoice.address] = invoice.id
            # A ledger row from the start, moving nothing until completed: the amount it will bring, its status
            self.account.expect(invoice.id, invoice.created_at, lambda: waiting_row(invoice))
            # Deadlines measured from the invoice as it reads when they fall due: moving the invoice moves them.
            self.account.at(invoice.expires_at, lambda now: self._apply_time(invoice, now), owner=invoice.id)
            self.account.at(invoice.created_at + CANCEL_AFTER, lambda now: self._apply_time(invoice, now),
                            owner=invoice.id)
            return self.emit("created", invoice)  # the same snapshot answers the request: rendered once

    def get(self, invoice_id: str) -> dict:
        with self.account.lock:
            self.account.tick()
            return self._store.get(invoice_id).to_json()

    def expiry(self, invoice_id: str) -> datetime:
        """When the invoice expires, exactly (its JSON shows whole seconds), as the invoice shows its times now."""
        with self.account.lock:
            return self._store.get(invoice_id).expires_at

    def get_by_custom_id(self, custom_id: str) -> dict:
        with self.account.lock:
            self.account.tick()
            return self._store.by_custom_id(custom_id).to_json()

    def list(self, customer_id: str | None = None, starting_after: str | None = None) -> dict:
        with self.account.lock:
            self.account.tick()
            page, meta = self._store.page(customer_id, starting_after)
            return {"data": [invoice.to_json() for invoice in page], "meta": meta}

    def current_state(self, invoice_id: str) -> dict:
        """The invoice as a read now shows it (what a dashboard resend carries): each transaction re-scored at
        its same risk level, the new score kept so the API's GET agrees with what was sent."""
        with self.account.lock:
            self.account.tick()
            invoice = self._store.get(invoice_id)
            for tx in invoice.transactions:
                if tx.confirmed:  # an unscored transaction shows no risk to re-score
                    tx.risk.score = next_score(tx.risk.level, tx.risk.score)
            return invoice.to_json()

    def find(self, invoice_id: str) -> Invoice:
        """The record itself, for the resources that act on invoices (resolutions, withdrawals)."""
        return self._store.get(invoice_id)

    def owns_address(self, address: str) -> str | None:
        return self._by_address.get(address)

    # -- payments (sandbox control: plays the payer's wallet and the blockchain) ---------------------
    def pay(self, *, amount: Decimal | None, invoice_id: str | None = None, address: str | None = None,
            risk_level: str = "low", confirmed: bool = True) -> dict:
        """A payment to the invoice (by id or address); without an amount, exactly what is still due."""
        with self.account.lock:
            self.account.tick()
            if invoice_id is None and isinstance(address, str):
                invoice_id = self._by_address.get(address)
            invoice = self._store.get(invoice_id)
            amount = amount if amount is not None else invoice.pay_amount - invoice.paid_amount
            if amount <= 0:
                raise Invalid(details=[detail("must_be_positive_decimal", "amount",
                                              "nothing is due on this invoice: give the amount to pay")])
            # Seen at the invoice's own now: a driven invoice has not expired until it is moved past its expiry.
            tx = Transaction(new_txid(invoice.network), amount, Risk(risk_score(risk_level), risk_level),
                             broadcast_at=self.account.now_of(invoice.id))
            invoice.transactions.append(tx)
            self._by_txid[tx.txid] = invoice.id
            invoice.paid_amount += amount
            self.emit("transaction_created", invoice)
            if confirmed:
                self._confirm(invoice, tx)
            return {"txid": tx.txid, "invoice_id": invoice.id, "amount": money.fmt(amount),
                    "currency": invoice.pay_currency, "confirmed": tx.confirmed}

    def confirm_transaction(self, txid: str) -> dict:
        with self.account.lock:
            self.account.tick()
            invoice = self._store.find(self._by_txid.get(txid, ""))
            for tx in invoice.transactions if invoice else ():
                if tx.txid == txid and not tx.confirmed:
                    self._confirm(invoice, tx)
                    return invoice.to_json()
            raise NotFound()

    def resolve_illicit(self, invoice_id: str, outcome: str) -> dict:
        """Plays Cryptopay's transaction monitoring team, the only party that can release an illicit hold."""
        with self.account.lock:
            invoice = self._store.get(invoice_id)
            if invoice.status != "unresolved" or invoice.status_context != "illicit_resource":
                raise Invalid(details=[detail("invalid", "invoice", "invoice is not held as illicit_resource")])
            if outcome not in ("completed", "refunded"):
                raise Invalid(details=[detail("must_be_included_in", "outcome", "must be completed or refunded",
                                              list=["completed", "refunded"])])
            self.set_status(invoice, outcome)
            return invoice.to_json()

    # -- status -------------------------------------------------------------------------------------
    def set_status(self, invoice: Invoice, status: str, context: str | None = None) -> None:
        invoice.status, invoice.status_context = status, context
        if status == "completed":  # settled: the price, less the fee, lands in the price currency's account
            self.account.move(invoice.price_currency, invoice.price_amount - invoice.fee, reference_type="Invoice",
                              reference_id=invoice.id, fee=invoice.fee, fee_currency=invoice.price_currency,
                              status="completed", custom_id=invoice.custom_id, customer_id=invoice.customer_id)
        self.emit("status_changed", invoice)

    def emit(self, event: str, invoice: Invoice) -> dict:
        snapshot = invoice.to_json()
        self.account.notify("Invoice", event, snapshot)
        return snapshot

    # -- internals -----------------------------------------------------------------------------------
    def _new_invoice(self, f: dict) -> Invoice:
        now = self.account.clock.now()
        price, price_cur, pay_cur = f["price_amount"], f["price_currency"], f["pay_currency"]
        network = f.get("network") or money.DEFAULT_NETWORK[pay_cur]
        if price_cur == pay_cur:
            pay_amount, exchange = price, None
        else:
            rate = self.account.rate(pay_cur, price_cur)
            pay_amount = money.ceil_to(price / rate, money.PAY_PRECISION[pay_cur])
            exchange = ExchangeRate(pay_cur + price_cur, rate, price_cur)
        address, invoice_id = new_address(network), str(uuid.uuid4())
        self._seq += 1
        return Invoice(
            id=invoice_id, seq=self._seq, address=address, network=network,
            uri=payment_uri(network, address, pay_amount, pay_cur), price_amount=price, price_currency=price_cur,
            pay_amount=pay_amount, pay_currency=pay_cur, fee=money.fee_for(price, price_cur), exchange=exchange,
            hosted_page_url=self.account.hosted_url("invoices", invoice_id), created_at=now,
            expires_at=now + (FIAT_EXPIRY if money.is_fiat(price_cur) else CRYPTO_EXPIRY),
            **{k: f.get(k) for k in OPTIONAL_FIELDS})

    def _confirm(self, invoice: Invoice, tx: Transaction) -> None:
        tx.confirmed = True
        self.emit("transaction_confirmed", invoice)
        if invoice.status != "new":
            return  # a payment to an invoice that has already left "new" changes money, not status
        if tx.risk.level == "high":
            self.set_status(invoice, "unresolved", "illicit_resource")
        elif tx.broadcast_at > invoice.expires_at:
            self._unresolve(invoice, "paid_late")
        elif any(not t.confirmed for t in invoice.transactions):
            return
        elif invoice.paid_amount == invoice.pay_amount:
            self.set_status(invoice, "completed")
        elif invoice.paid_amount > invoice.pay_amount:
            self._unresolve(invoice, "overpaid")
        else:
            # underpaid is only decided at expiry: a top-up before then can still complete the invoice
            self._apply_time(invoice, self.account.now_of(invoice.id))

    def _apply_time(self, invoice: Invoice, now: datetime) -> None:
        if invoice.status != "new":
            return
        if now >= invoice.created_at + CANCEL_AFTER:
            # never paid, or a broadcast payment never confirmed (double spend): both end cancelled
            self.set_status(invoice, "cancelled")
        elif (now >= invoice.expires_at and 0 < invoice.paid_amount < invoice.pay_amount
              and all(t.confirmed for t in invoice.transactions)):
            self._unresolve(invoice, "underpaid")

    def _shift(self, owner: str, delta: timedelta) -> None:
        invoice = self._store.find(owner)
        if invoice is None:
            return
        invoice.created_at -= delta
        invoice.expires_at -= delta
        for tx in invoice.transactions:
            tx.broadcast_at -= delta

    def _unresolve(self, invoice: Invoice, context: str) -> None:
        self.set_status(invoice, "unresolved", context)
        self.on_unresolved(invoice, context)


def waiting_row(invoice: Invoice) -> dict:
    """The ledger fields of an invoice that has not brought money (yet): new, cancelled, unresolved, refunded."""
    return {"amount": invoice.price_amount - invoice.fee, "currency": invoice.price_currency,
            "reference_type": "Invoice", "fee": invoice.fee, "fee_currency": invoice.price_currency,
            "status": invoice.status, "status_context": invoice.status_context, "custom_id": invoice.custom_id,
            "customer_id": invoice.customer_id}


def risk_score(level: object) -> Decimal:
    if not isinstance(level, str) or level not in RISK_SCORES:
        raise Invalid(details=[detail("must_be_included_in", "risk_level", "unknown risk level",
                                      list=list(RISK_SCORES))])
    return RISK_SCORES[level]


def next_score(level: str, score: Decimal) -> Decimal:
    """The next score in the level's cycle: always a different number, never a different level."""
    cycle = [Decimal(s) for s in RESCORES[level]]
    position = cycle.index(score) if score in cycle else -1
    return cycle[(position + 1) % len(cycle)]
