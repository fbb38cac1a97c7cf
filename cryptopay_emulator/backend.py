"""The emulator's rules and state: invoices, payments, expiry, resolutions, account settings. Knows nothing of HTTP."""
from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Callable

from cryptopay_emulator import money
from cryptopay_emulator.addresses import new_address, new_txid, payment_uri
from cryptopay_emulator.clock import Clock
from cryptopay_emulator.errors import (DuplicateCustomId, Invalid, NotFound, NotRecalculatable, NotRefundable,
                                       RecalculationExpired, detail)
from cryptopay_emulator.models import (RESOLVABLE_CONTEXTS, ExchangeRate, Invoice, Recalculation, Refund, Risk,
                                       Transaction)

PAGE_SIZE = 50
FIAT_EXPIRY = timedelta(minutes=10)
CRYPTO_EXPIRY = timedelta(hours=2)
CANCEL_AFTER = timedelta(days=14)
RECALCULATION_WINDOW = timedelta(seconds=30)
POLICIES = ("do_nothing", "refund", "recalculate")
RISK_SCORES = {"low": Decimal("2.1"), "medium": Decimal("5.4"), "high": Decimal("9.3")}

# Listener signature: (event, invoice JSON snapshot).
Notify = Callable[[str, dict], None]


@dataclass
class AccountSettings:
    """Integration → API → "How to handle unresolved invoices", one choice per context."""
    unresolved: dict[str, str] = field(default_factory=lambda: {c: "do_nothing" for c in RESOLVABLE_CONTEXTS})

    def set_policy(self, context: str, policy: str) -> None:
        if context not in RESOLVABLE_CONTEXTS:
            raise Invalid(details=[detail("must_be_included_in", "context", "unknown context",
                                          list=list(RESOLVABLE_CONTEXTS))])
        if policy not in POLICIES:
            raise Invalid(details=[detail("must_be_included_in", "policy", "unknown policy", list=list(POLICIES))])
        self.unresolved[context] = policy


class Backend:
    def __init__(self, clock: Clock, notify: Notify, *, hosted_base_url: str = "http://localhost/hosted",
                 rates: dict[str, dict[str, str]] | None = None):
        self.clock = clock
        self._notify = notify
        self.hosted_base_url = hosted_base_url.rstrip("/")
        self._lock = threading.RLock()
        self._rates = {coin: {fiat: Decimal(r) for fiat, r in row.items()}
                       for coin, row in (rates or money.DEFAULT_RATES).items()}
        self.settings = AccountSettings()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._invoices: dict[str, Invoice] = {}
            self._by_custom_id: dict[str, str] = {}
            self._by_address: dict[str, str] = {}
            self._open: set[str] = set()
            self._recalculations: dict[str, Recalculation] = {}
            self._refunds: dict[str, list[Refund]] = {}
            self._seq = 0
            self.settings = AccountSettings()

    # -- rates --------------------------------------------------------------------------------------
    def rate(self, pay: str, price: str) -> Decimal:
        """Price of one `pay` coin in `price` currency, crossing through EUR for crypto/crypto pairs."""
        if money.is_fiat(price):
            return self._rates[pay][price]
        return money.floor_to(self._rates[pay]["EUR"] / self._rates[price]["EUR"], 8)

    def set_rate(self, pay: str, price: str, rate: Decimal) -> None:
        with self._lock:
            if pay not in self._rates or not money.is_fiat(price) or rate <= 0:
                raise Invalid(details=[detail("invalid", "pair", "pair must be a coin and a fiat currency")])
            self._rates[pay][price] = rate

    # -- invoices -----------------------------------------------------------------------------------
    def create_invoice(self, params: dict) -> dict:
        with self._lock:
            self.tick()
            fields = _validate_invoice(params)
            custom_id = fields.get("custom_id")
            if custom_id is not None and custom_id in self._by_custom_id:
                raise DuplicateCustomId()
            invoice = self._new_invoice(fields)
            self._invoices[invoice.id] = invoice
            self._by_address[invoice.address] = invoice.id
            self._open.add(invoice.id)
            if custom_id is not None:
                self._by_custom_id[custom_id] = invoice.id
            self._emit("created", invoice)
            return invoice.to_json()

    def _new_invoice(self, f: dict) -> Invoice:
        now = self.clock.now()
        price, price_cur, pay_cur = f["price_amount"], f["price_currency"], f["pay_currency"]
        network = f.get("network") or money.DEFAULT_NETWORK[pay_cur]
        if price_cur == pay_cur:
            pay_amount, exchange = price, None
        else:
            rate = self.rate(pay_cur, price_cur)
            pay_amount = money.ceil_to(price / rate, money.PAY_PRECISION[pay_cur])
            exchange = ExchangeRate(pay_cur + price_cur, rate, price_cur)
        address = new_address(network)
        invoice_id = str(uuid.uuid4())
        self._seq += 1
        return Invoice(
            id=invoice_id, seq=self._seq, address=address, network=network,
            uri=payment_uri(network, address, pay_amount), price_amount=price, price_currency=price_cur,
            pay_amount=pay_amount, pay_currency=pay_cur, fee=money.fee_for(price, price_cur), exchange=exchange,
            hosted_page_url=f"{self.hosted_base_url}/invoices/{invoice_id}", created_at=now,
            expires_at=now + (FIAT_EXPIRY if money.is_fiat(price_cur) else CRYPTO_EXPIRY),
            **{k: f.get(k) for k in ("custom_id", "customer_id", "name", "description", "metadata",
                                     "success_redirect_url", "unsuccess_redirect_url", "payer_email")})

    def get_invoice(self, invoice_id: str) -> dict:
        with self._lock:
            self.tick()
            return self._invoice(invoice_id).to_json()

    def get_invoice_by_custom_id(self, custom_id: str) -> dict:
        with self._lock:
            self.tick()
            invoice_id = self._by_custom_id.get(custom_id)
            if invoice_id is None:
                raise NotFound()
            return self._invoices[invoice_id].to_json()

    def list_invoices(self, customer_id: str | None = None, starting_after: str | None = None) -> dict:
        with self._lock:
            self.tick()
            if starting_after is not None and not _is_uuid(starting_after):
                raise Invalid(details=[detail("must_be_uuid", "starting_after", "must match uuid format")])
            rows = sorted(self._invoices.values(), key=lambda i: (i.created_at, i.seq), reverse=True)
            if customer_id is not None:
                rows = [i for i in rows if i.customer_id == customer_id]
            total = len(rows)
            if starting_after is not None:
                ids = [i.id for i in rows]
                if starting_after not in ids:
                    raise NotFound()
                rows = rows[ids.index(starting_after) + 1:]
            page = rows[:PAGE_SIZE]
            return {"data": [i.to_json() for i in page], "meta": {"total": total, "has_more": len(rows) > PAGE_SIZE}}

    def _invoice(self, invoice_id: str) -> Invoice:
        invoice = self._invoices.get(invoice_id)
        if invoice is None:
            raise NotFound()
        return invoice

    # -- payments (sandbox control: plays the payer's wallet and the blockchain) ---------------------
    def pay(self, *, amount: Decimal, invoice_id: str | None = None, address: str | None = None,
            risk_level: str = "low", confirmed: bool = True) -> dict:
        with self._lock:
            self.tick()
            if invoice_id is None:
                invoice_id = self._by_address.get(address or "")
            invoice = self._invoice(invoice_id or "")
            if risk_level not in RISK_SCORES:
                raise Invalid(details=[detail("must_be_included_in", "risk_level", "unknown risk level",
                                              list=list(RISK_SCORES))])
            tx = Transaction(new_txid(invoice.network), amount, Risk(RISK_SCORES[risk_level], risk_level),
                             broadcast_at=self.clock.now())
            invoice.transactions.append(tx)
            invoice.paid_amount += amount
            self._emit("transaction_created", invoice)
            if confirmed:
                self._confirm(invoice, tx)
            return {"txid": tx.txid, "invoice_id": invoice.id, "amount": money.fmt(amount),
                    "currency": invoice.pay_currency, "confirmed": tx.confirmed}

    def confirm_transaction(self, txid: str) -> dict:
        with self._lock:
            self.tick()
            for invoice in self._invoices.values():
                for tx in invoice.transactions:
                    if tx.txid == txid and not tx.confirmed:
                        self._confirm(invoice, tx)
                        return invoice.to_json()
            raise NotFound()

    def _confirm(self, invoice: Invoice, tx: Transaction) -> None:
        tx.confirmed = True
        self._emit("transaction_confirmed", invoice)
        if invoice.status != "new":
            return  # a payment to an invoice that has already left "new" changes money, not status
        if tx.risk.level == "high":
            self._set_status(invoice, "unresolved", "illicit_resource")
        elif tx.broadcast_at > invoice.expires_at:
            self._unresolve(invoice, "paid_late")
        elif any(not t.confirmed for t in invoice.transactions):
            return
        elif invoice.paid_amount == invoice.pay_amount:
            self._set_status(invoice, "completed")
        elif invoice.paid_amount > invoice.pay_amount:
            self._unresolve(invoice, "overpaid")
        # underpaid is only decided at expiry: a top-up before then can still complete the invoice

    # -- time ----------------------------------------------------------------------------------------
    def tick(self) -> None:
        """Applies what time decides: underpaid at expiry, cancelled after 14 days unpaid."""
        with self._lock:
            now = self.clock.now()
            for invoice_id in list(self._open):
                invoice = self._invoices[invoice_id]
                if invoice.status != "new":
                    self._open.discard(invoice_id)
                elif now >= invoice.created_at + CANCEL_AFTER and invoice.paid_amount == 0:
                    self._set_status(invoice, "cancelled")
                elif (now >= invoice.expires_at and 0 < invoice.paid_amount < invoice.pay_amount
                      and all(t.confirmed for t in invoice.transactions)):
                    self._unresolve(invoice, "underpaid")

    # -- resolutions ---------------------------------------------------------------------------------
    def _unresolve(self, invoice: Invoice, context: str) -> None:
        self._set_status(invoice, "unresolved", context)
        policy = self.settings.unresolved.get(context, "do_nothing")
        if policy == "refund":
            self._refund(invoice, None)
        elif policy == "recalculate":
            self._apply_recalculation(invoice, self._new_recalculation(invoice))

    def _check_resolvable(self, invoice: Invoice, error: type) -> None:
        if invoice.status != "unresolved" or invoice.status_context not in RESOLVABLE_CONTEXTS:
            raise error()

    def create_recalculation(self, invoice_id: str, force_commit: bool = False) -> dict:
        with self._lock:
            self.tick()
            invoice = self._invoice(invoice_id)
            self._check_resolvable(invoice, NotRecalculatable)
            recalculation = self._new_recalculation(invoice)
            self._recalculations[recalculation.id] = recalculation
            if force_commit:
                self._apply_recalculation(invoice, recalculation)
            return recalculation.to_json()

    def commit_recalculation(self, invoice_id: str, recalculation_id: str) -> dict:
        with self._lock:
            self.tick()
            invoice = self._invoice(invoice_id)
            recalculation = self._recalculations.get(recalculation_id)
            if recalculation is None or recalculation.invoice_id != invoice_id:
                raise NotFound()
            if recalculation.committed:
                return recalculation.to_json()
            if self.clock.now() > recalculation.created_at + RECALCULATION_WINDOW:
                raise RecalculationExpired()
            self._check_resolvable(invoice, NotRecalculatable)
            self._apply_recalculation(invoice, recalculation)
            return recalculation.to_json()

    def _new_recalculation(self, invoice: Invoice) -> Recalculation:
        paid, cur = invoice.paid_amount, invoice.price_currency
        if invoice.exchange is None:
            new_price, exchange = paid, None
        else:
            rate = self.rate(invoice.pay_currency, cur)
            new_price = money.floor_to(paid * rate, money.price_precision(cur))
            exchange = ExchangeRate(invoice.exchange.pair, rate, cur)
        return Recalculation(
            id=str(uuid.uuid4()), invoice_id=invoice.id, pay_amount=paid, pay_currency=invoice.pay_currency,
            price_amount=new_price, price_currency=cur, fee=money.fee_for(new_price, cur),
            previous_pay_amount=invoice.pay_amount, previous_price_amount=invoice.price_amount,
            previous_exchange_rate=invoice.exchange.rate if invoice.exchange else None, exchange=exchange,
            created_at=self.clock.now())

    def _apply_recalculation(self, invoice: Invoice, recalculation: Recalculation) -> None:
        recalculation.committed = True
        invoice.pay_amount = recalculation.pay_amount
        invoice.price_amount = recalculation.price_amount
        invoice.fee = recalculation.fee
        invoice.exchange = recalculation.exchange
        self._emit("recalculated", invoice)
        self._set_status(invoice, "completed")

    def create_refund(self, invoice_id: str, address: str | None = None) -> dict:
        with self._lock:
            self.tick()
            invoice = self._invoice(invoice_id)
            self._check_resolvable(invoice, NotRefundable)
            if address is not None and (not isinstance(address, str) or not address.strip()):
                raise Invalid(details=[detail("invalid_coin_address", "address",
                                              f"must be a valid {invoice.pay_currency} address",
                                              currency=invoice.pay_currency)])
            return self._refund(invoice, address).to_json()

    def _refund(self, invoice: Invoice, address: str | None) -> Refund:
        overpaid = invoice.status_context == "overpaid"
        amount = invoice.paid_amount - invoice.pay_amount if overpaid else invoice.paid_amount
        refund = Refund(id=str(uuid.uuid4()), invoice_id=invoice.id, custom_id=invoice.custom_id, amount=amount,
                        amount_currency=invoice.pay_currency,
                        fee=money.ceil_to(amount * money.FEE_RATE, money.NETWORK_PRECISION[invoice.pay_currency]),
                        address=address, network=invoice.network, created_at=self.clock.now())
        self._refunds.setdefault(invoice.id, []).append(refund)
        self._emit("refunded", invoice)
        self._set_status(invoice, "completed" if overpaid else "refunded")
        return refund

    def list_refunds(self, invoice_id: str) -> list[dict]:
        with self._lock:
            self._invoice(invoice_id)
            return [r.to_json() for r in self._refunds.get(invoice_id, [])]

    def resolve_illicit(self, invoice_id: str, outcome: str) -> dict:
        """Plays Cryptopay's transaction monitoring team, the only party that can release an illicit hold."""
        with self._lock:
            invoice = self._invoice(invoice_id)
            if invoice.status != "unresolved" or invoice.status_context != "illicit_resource":
                raise Invalid(details=[detail("invalid", "invoice", "invoice is not held as illicit_resource")])
            if outcome not in ("completed", "refunded"):
                raise Invalid(details=[detail("must_be_included_in", "outcome", "must be completed or refunded",
                                              list=["completed", "refunded"])])
            self._set_status(invoice, outcome)
            return invoice.to_json()

    # -- internals -----------------------------------------------------------------------------------
    def _set_status(self, invoice: Invoice, status: str, context: str | None = None) -> None:
        invoice.status, invoice.status_context = status, context
        self._emit("status_changed", invoice)

    def _emit(self, event: str, invoice: Invoice) -> None:
        self._notify(event, invoice.to_json())


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except (ValueError, AttributeError, TypeError):
        return False


def _validate_invoice(params: object) -> dict:
    """Collects every problem at once, in the real API's detail format."""
    if not isinstance(params, dict):
        raise Invalid(details=[detail("must_be_object", "body", "must be a JSON object")])
    problems: list[dict] = []
    out: dict = {}
    amount = money.parse_amount(params.get("price_amount"))
    if amount is None:
        problems.append(detail("must_be_positive_decimal", "price_amount", "must be a positive decimal string"))
    out["price_amount"] = amount
    pay, price = params.get("pay_currency"), params.get("price_currency")
    if pay not in money.CRYPTO:
        problems.append(detail("must_be_included_in", "pay_currency", "must be one of: " + ", ".join(money.CRYPTO),
                               list=list(money.CRYPTO)))
    allowed_price = money.FIAT + money.CRYPTO
    if price not in allowed_price:
        problems.append(detail("must_be_included_in", "price_currency",
                               "must be one of: " + ", ".join(allowed_price), list=list(allowed_price)))
    out["pay_currency"], out["price_currency"] = pay, price
    network = params.get("network")
    if network is not None and pay in money.CRYPTO:
        allowed = money.NETWORKS.get(pay, (money.DEFAULT_NETWORK[pay],))
        if network not in allowed:
            problems.append(detail("must_be_included_in", "network", "must be one of: " + ", ".join(allowed),
                                   list=list(allowed)))
    out["network"] = network
    for key in ("custom_id", "customer_id", "name", "description", "success_redirect_url",
                "unsuccess_redirect_url", "payer_email", "subscription_id"):
        value = params.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > 255):
            problems.append(detail("must_be_string", key, "must be a string of at most 255 characters"))
        out[key] = value
    metadata = params.get("metadata")
    if metadata is not None and (not isinstance(metadata, dict)
                                 or not all(isinstance(v, str) for v in metadata.values())):
        problems.append(detail("must_be_string_map", "metadata", "must be an object of string values"))
    out["metadata"] = metadata
    if problems:
        raise Invalid(details=problems)
    return out
