"""Resolutions of unresolved invoices: recalculations, refunds, and the account's automatic policy per context."""
from __future__ import annotations

import uuid
from datetime import timedelta

from cryptopay_emulator import money
from cryptopay_emulator.account import Account
from cryptopay_emulator.addresses import new_txid, payment_uri
from cryptopay_emulator.errors import Invalid, NotFound, NotRecalculatable, NotRefundable, RecalculationExpired, detail
from cryptopay_emulator.invoices import RISK_SCORES, InvoiceBackend
from cryptopay_emulator.models import RESOLVABLE_CONTEXTS, ExchangeRate, Invoice, Recalculation, Refund, Risk

RECALCULATION_WINDOW = timedelta(seconds=30)
REFUND_BROADCAST_AFTER = timedelta(seconds=10)  # txid and risk appear later, as in create vs list refunds


class ResolutionBackend:
    """/api/invoices/{id}/recalculations and /refunds, and what the account settings do on their own."""

    def __init__(self, account: Account, invoices: InvoiceBackend):
        self.account = account
        self._invoices = invoices
        invoices.on_unresolved = self.apply_policy
        account.timeline.on_shift(self._shift)  # an invoice moved in time takes its resolutions with it
        self.reset()

    def _shift(self, invoice_id: str, delta: timedelta) -> None:
        for recalculation in self._recalculations.values():
            if recalculation.invoice_id == invoice_id:
                recalculation.created_at -= delta
        for refund in self._refunds.get(invoice_id, ()):
            refund.created_at -= delta

    def reset(self) -> None:
        with self.account.lock:
            self._recalculations: dict[str, Recalculation] = {}
            self._refunds: dict[str, list[Refund]] = {}

    def apply_policy(self, invoice: Invoice, context: str) -> None:
        """The account setting for the context: do nothing, refund, or recalculate (docs/cryptopay-api-facts.md §3)."""
        policy = self.account.settings.unresolved.get(context, "do_nothing")
        if policy == "refund":
            self._refund(invoice, None)
        elif policy == "recalculate":
            self._apply_recalculation(invoice, self._new_recalculation(invoice))

    # -- recalculations ------------------------------------------------------------------------------
    def create_recalculation(self, invoice_id: str, force_commit: bool = False) -> dict:
        with self.account.lock:
            self.account.tick()
            invoice = self._invoices.find(invoice_id)
            _check_resolvable(invoice, NotRecalculatable)
            recalculation = self._new_recalculation(invoice)
            self._recalculations[recalculation.id] = recalculation
            if force_commit:
                self._apply_recalculation(invoice, recalculation)
            return recalculation.to_json()

    def commit_recalculation(self, invoice_id: str, recalculation_id: str) -> dict:
        with self.account.lock:
            self.account.tick()
            invoice = self._invoices.find(invoice_id)
            recalculation = self._recalculations.get(recalculation_id)
            if recalculation is None or recalculation.invoice_id != invoice_id:
                raise NotFound()
            if recalculation.committed:
                return recalculation.to_json()
            if self.account.clock.now() > recalculation.created_at + RECALCULATION_WINDOW:
                raise RecalculationExpired()
            _check_resolvable(invoice, NotRecalculatable)
            self._apply_recalculation(invoice, recalculation)
            return recalculation.to_json()

    def _new_recalculation(self, invoice: Invoice) -> Recalculation:
        paid, cur = invoice.paid_amount, invoice.price_currency
        if invoice.exchange is None:
            new_price, exchange = paid, None
        else:
            rate = self.account.rate(invoice.pay_currency, cur)
            new_price = money.floor_to(paid * rate, money.price_precision(cur))
            exchange = ExchangeRate(invoice.exchange.pair, rate, cur)
        return Recalculation(
            id=str(uuid.uuid4()), invoice_id=invoice.id, pay_amount=paid, pay_currency=invoice.pay_currency,
            price_amount=new_price, price_currency=cur, fee=money.fee_for(new_price, cur),
            previous_pay_amount=invoice.pay_amount, previous_price_amount=invoice.price_amount,
            previous_exchange_rate=invoice.exchange.rate if invoice.exchange else None, exchange=exchange,
            created_at=self.account.clock.now())

    def _apply_recalculation(self, invoice: Invoice, recalculation: Recalculation) -> None:
        recalculation.committed = True
        invoice.pay_amount = recalculation.pay_amount
        invoice.price_amount = recalculation.price_amount
        invoice.fee = recalculation.fee
        invoice.exchange = recalculation.exchange
        invoice.uri = payment_uri(invoice.network, invoice.address, invoice.pay_amount, invoice.pay_currency)
        self._invoices.emit("recalculated", invoice)
        self._invoices.set_status(invoice, "completed")

    # -- refunds -------------------------------------------------------------------------------------
    def create_refund(self, invoice_id: str, address: str | None = None) -> dict:
        with self.account.lock:
            self.account.tick()
            invoice = self._invoices.find(invoice_id)
            _check_resolvable(invoice, NotRefundable)
            if address is not None and (not isinstance(address, str) or not address.strip()):
                raise Invalid(details=[detail("invalid_coin_address", "address",
                                              f"must be a valid {invoice.pay_currency} address",
                                              currency=invoice.pay_currency)])
            return self._refund(invoice, address).to_json()

    def list_refunds(self, invoice_id: str) -> list[dict]:
        with self.account.lock:
            self.account.tick()
            invoice = self._invoices.find(invoice_id)
            refunds = self._refunds.get(invoice_id, [])
            for refund in refunds:
                if refund.txid is None and self.account.now_of(invoice_id) >= refund.created_at + REFUND_BROADCAST_AFTER:
                    refund.txid, refund.risk = new_txid(invoice.network), Risk(RISK_SCORES["low"], "low")
            return [r.to_json() for r in refunds]

    def _refund(self, invoice: Invoice, address: str | None) -> Refund:
        overpaid = invoice.status_context == "overpaid"
        amount = invoice.paid_amount - invoice.pay_amount if overpaid else invoice.paid_amount
        refund = Refund(id=str(uuid.uuid4()), invoice_id=invoice.id, custom_id=invoice.custom_id, amount=amount,
                        amount_currency=invoice.pay_currency,
                        fee=money.ceil_to(amount * money.FEE_RATE, money.NETWORK_PRECISION[invoice.pay_currency]),
                        address=address, network=invoice.network, created_at=self.account.now_of(invoice.id))
        self._refunds.setdefault(invoice.id, []).append(refund)
        if address is None:  # no address: back to the merchant's own crypto account
            self.account.move(refund.amount_currency, refund.amount - refund.fee, reference_type="InvoiceRefund",
                              reference_id=refund.id, fee=refund.fee, fee_currency=refund.amount_currency,
                              custom_id=invoice.custom_id, customer_id=invoice.customer_id)
        self._invoices.emit("refunded", invoice)
        self._invoices.set_status(invoice, "completed" if overpaid else "refunded")
        return refund


def _check_resolvable(invoice: Invoice, error: type) -> None:
    if invoice.status != "unresolved" or invoice.status_context not in RESOLVABLE_CONTEXTS:
        raise error()
