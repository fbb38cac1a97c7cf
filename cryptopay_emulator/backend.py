"""The emulator's rules and state: invoices, payments, expiry, resolutions, account settings. Knows nothing of HTTP."""
from __future__ import annotations

import heapq
import threading
import uuid
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Callable

from cryptopay_emulator import money
from cryptopay_emulator.addresses import new_address, new_txid, payment_uri
from cryptopay_emulator.clock import Clock
from cryptopay_emulator.errors import (DuplicateCustomId, Invalid, NotFound, NotRecalculatable, NotRefundable,
                                       RecalculationExpired, detail)
from cryptopay_emulator.models import (RESOLVABLE_CONTEXTS, Balances, ExchangeRate, Invoice, Recalculation, Refund,
                                       Risk, Transaction)
from cryptopay_emulator.validation import invoice_params

PAGE_SIZE = 50
FIAT_EXPIRY = timedelta(minutes=10)
CRYPTO_EXPIRY = timedelta(hours=2)
CANCEL_AFTER = timedelta(days=14)
RECALCULATION_WINDOW = timedelta(seconds=30)
REFUND_BROADCAST_AFTER = timedelta(seconds=10)  # txid and risk appear later, as in create vs list refunds
POLICIES = ("do_nothing", "refund", "recalculate")
RISK_SCORES = {"low": Decimal("2.1"), "medium": Decimal("5.4"), "high": Decimal("9.3")}
# Later reads of the same transaction: the sandbox re-scores on every read while the level stays (API_FACTS §3,
# recorded); a fixed cycle per level keeps the emulator reproducible.
RESCORES = {"low": ("2.1", "1.7", "3.2"), "medium": ("5.4", "4.9", "6.1"), "high": ("9.3", "8.8", "9.6")}
DEFAULT_BALANCES = {"BTC": "10.0", "ETH": "100.0", "LTC": "1000.0", "XRP": "100000.0", "XLM": "100000.0",
                    "USDT": "100000.0", "USDC": "100000.0", "BCH": "100.0", "ADA": "100000.0", "BNB": "100.0",
                    "SOL": "1000.0", "DOGE": "1000000.0", "TRX": "1000000.0", "SHIB": "1000000000.0",
                    "EUR": "0.0", "USD": "0.0", "GBP": "0.0", "UAH": "0.0"}

# Listener signature: (event, invoice JSON snapshot).
Notify = Callable[[str, dict], None]


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


class Backend:
    def __init__(self, clock: Clock, notify: Notify, *, hosted_base_url: str = "http://localhost/hosted",
                 rates: dict[str, dict[str, str]] | None = None, balances: dict[str, str] | None = None,
                 unresolved_policy: dict[str, str] | None = None):
        self.clock = clock
        self._notify = notify
        self.hosted_base_url = hosted_base_url.rstrip("/")
        self.lock = threading.RLock()  # shared with the withdrawals desk: one account, one lock
        self._lock = self.lock
        self._starting_rates = {coin: {fiat: Decimal(r) for fiat, r in row.items()}
                                for coin, row in (rates or money.DEFAULT_RATES).items()}
        self._starting_balances = {c: Decimal(v) for c, v in (balances or DEFAULT_BALANCES).items()}
        self._starting_policy = dict(unresolved_policy or {})
        self.reset()

    def reset(self) -> None:
        """Back to the state the emulator started in: no invoices, starting balances, rates and settings."""
        with self._lock:
            self._invoices: dict[str, Invoice] = {}
            self._by_custom_id: dict[str, str] = {}
            self._by_address: dict[str, str] = {}
            self._by_txid: dict[str, str] = {}
            # Creation order doubles as created_at order (the clock never goes back), so lists need no sort.
            self._order: list[str] = []
            self._position: dict[str, int] = {}
            self._by_customer: dict[str, list[int]] = {}
            self._deadlines: list[tuple] = []  # heap of (when, seq, invoice_id): tick() costs O(due), not O(all)
            self._recalculations: dict[str, Recalculation] = {}
            self._refunds: dict[str, list[Refund]] = {}
            self._seq = 0
            self.settings = AccountSettings()
            for context, policy in self._starting_policy.items():
                self.settings.set_policy(context, policy)
            self.balances = Balances(dict(self._starting_balances))
            self._rates = {coin: dict(row) for coin, row in self._starting_rates.items()}

    def set_balances(self, amounts: dict[str, Decimal]) -> None:
        with self._lock:
            self.balances.amounts.update(amounts)

    def owns_address(self, address: str) -> str | None:
        return self._by_address.get(address)

    # -- rates --------------------------------------------------------------------------------------
    def rate(self, pay: str, price: str) -> Decimal:
        """Price of one `pay` coin in `price` currency, crossing through EUR for crypto/crypto pairs."""
        if money.is_fiat(price):
            return self._rates[pay][price]
        cross = self._rates[pay]["EUR"] / self._rates[price]["EUR"]
        return money.floor_to(cross, 8) if cross >= 1 else money.significant(cross, 8)

    def set_rate(self, pay: str, price: str, rate: Decimal) -> None:
        with self._lock:
            if pay not in self._rates or not money.is_fiat(price) or not money.MIN_RATE <= rate <= money.MAX_RATE:
                raise Invalid(details=[detail("invalid", "pair", "pair must be a coin and a fiat currency")])
            self._rates[pay][price] = rate

    # -- invoices -----------------------------------------------------------------------------------
    def create_invoice(self, params: dict) -> dict:
        with self._lock:
            self.tick()
            fields = invoice_params(params)
            custom_id = fields.get("custom_id")
            if custom_id is not None and custom_id in self._by_custom_id:
                raise DuplicateCustomId()
            invoice = self._new_invoice(fields)
            self._invoices[invoice.id] = invoice
            self._by_address[invoice.address] = invoice.id
            self._position[invoice.id] = len(self._order)
            if invoice.customer_id is not None:
                self._by_customer.setdefault(invoice.customer_id, []).append(len(self._order))
            self._order.append(invoice.id)
            heapq.heappush(self._deadlines, (invoice.expires_at, invoice.seq, invoice.id))
            heapq.heappush(self._deadlines, (invoice.created_at + CANCEL_AFTER, invoice.seq, invoice.id))
            if custom_id is not None:
                self._by_custom_id[custom_id] = invoice.id
            return self._emit("created", invoice)  # the same snapshot answers the request: rendered once

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
            uri=payment_uri(network, address, pay_amount, pay_cur), price_amount=price, price_currency=price_cur,
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
            positions = self._by_customer.get(customer_id, []) if customer_id is not None else None
            total = end = len(self._order) if positions is None else len(positions)
            if starting_after is not None:
                cursor = self._position.get(starting_after.lower())
                if cursor is None:
                    raise NotFound()
                end = cursor if positions is None else bisect_left(positions, cursor)
            start = max(0, end - PAGE_SIZE)
            window = range(start, end) if positions is None else positions[start:end]
            page = [self._invoices[self._order[i]].to_json() for i in reversed(window)]
            return {"data": page, "meta": {"total": total, "has_more": start > 0}}

    def _invoice(self, invoice_id: str) -> Invoice:
        invoice = self._invoices.get(invoice_id)
        if invoice is None:
            raise NotFound()
        return invoice

    def current_state(self, invoice_id: str) -> dict:
        """The invoice as a read now shows it (what a dashboard resend carries): each transaction re-scored at
        its same risk level, the new score kept so the API's GET agrees with what was sent."""
        with self._lock:
            self.tick()
            invoice = self._invoice(invoice_id)
            for tx in invoice.transactions:
                tx.risk.score = next_score(tx.risk.level, tx.risk.score)
            return invoice.to_json()

    # -- payments (sandbox control: plays the payer's wallet and the blockchain) ---------------------
    def pay(self, *, amount: Decimal, invoice_id: str | None = None, address: str | None = None,
            risk_level: str = "low", confirmed: bool = True) -> dict:
        with self._lock:
            self.tick()
            if invoice_id is None and isinstance(address, str):
                invoice_id = self._by_address.get(address)
            invoice = self._invoice(invoice_id if isinstance(invoice_id, str) else "")
            if not isinstance(risk_level, str) or risk_level not in RISK_SCORES:
                raise Invalid(details=[detail("must_be_included_in", "risk_level", "unknown risk level",
                                              list=list(RISK_SCORES))])
            tx = Transaction(new_txid(invoice.network), amount, Risk(RISK_SCORES[risk_level], risk_level),
                             broadcast_at=self.clock.now())
            invoice.transactions.append(tx)
            self._by_txid[tx.txid] = invoice.id
            invoice.paid_amount += amount
            self._emit("transaction_created", invoice)
            if confirmed:
                self._confirm(invoice, tx)
            return {"txid": tx.txid, "invoice_id": invoice.id, "amount": money.fmt(amount),
                    "currency": invoice.pay_currency, "confirmed": tx.confirmed}

    def confirm_transaction(self, txid: str) -> dict:
        with self._lock:
            self.tick()
            invoice = self._invoices.get(self._by_txid.get(txid, ""))
            for tx in invoice.transactions if invoice else ():
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
        else:
            # underpaid is only decided at expiry: a top-up before then can still complete the invoice
            self._apply_time(invoice, self.clock.now())

    # -- time ----------------------------------------------------------------------------------------
    def next_deadline(self) -> datetime | None:
        with self._lock:
            return self._deadlines[0][0] if self._deadlines else None

    def tick(self) -> None:
        """Applies what time decides for every deadline that has passed: underpaid at expiry, cancelled at 14 days."""
        with self._lock:
            now = self.clock.now()
            while self._deadlines and self._deadlines[0][0] <= now:
                _, _, invoice_id = heapq.heappop(self._deadlines)
                invoice = self._invoices.get(invoice_id)
                if invoice is not None:
                    self._apply_time(invoice, now)

    def _apply_time(self, invoice: Invoice, now: datetime) -> None:
        if invoice.status != "new":
            return
        if now >= invoice.created_at + CANCEL_AFTER:
            # never paid, or a broadcast payment never confirmed (double spend): both end cancelled
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
        invoice.uri = payment_uri(invoice.network, invoice.address, invoice.pay_amount, invoice.pay_currency)
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
        if address is None:  # no address: back to the merchant's own crypto account
            self.balances.credit(refund.amount_currency, refund.amount - refund.fee)
        self._emit("refunded", invoice)
        self._set_status(invoice, "completed" if overpaid else "refunded")
        return refund

    def list_refunds(self, invoice_id: str) -> list[dict]:
        with self._lock:
            self.tick()
            invoice = self._invoice(invoice_id)
            refunds = self._refunds.get(invoice_id, [])
            for refund in refunds:
                if refund.txid is None and self.clock.now() >= refund.created_at + REFUND_BROADCAST_AFTER:
                    refund.txid, refund.risk = new_txid(invoice.network), Risk(RISK_SCORES["low"], "low")
            return [r.to_json() for r in refunds]

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
        if status == "completed":  # settled: the price, less the fee, lands in the price currency's account
            self.balances.credit(invoice.price_currency, invoice.price_amount - invoice.fee)
        self._emit("status_changed", invoice)

    def _emit(self, event: str, invoice: Invoice) -> dict:
        snapshot = invoice.to_json()
        self._notify(event, snapshot)
        return snapshot


def next_score(level: str, score: Decimal) -> Decimal:
    """The next score in the level's cycle: always a different number, never a different level."""
    cycle = [Decimal(s) for s in RESCORES[level]]
    position = cycle.index(score) if score in cycle else -1
    return cycle[(position + 1) % len(cycle)]


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except (ValueError, AttributeError, TypeError):
        return False
