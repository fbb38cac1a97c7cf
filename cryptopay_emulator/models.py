"""Plain records the backend keeps, and their JSON shapes exactly as the real API renders them."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from cryptopay_emulator.clock import iso, iso_z
from cryptopay_emulator.money import fmt

FINAL_STATUSES = ("completed", "refunded", "cancelled")
RESOLVABLE_CONTEXTS = ("underpaid", "overpaid", "paid_late")


@dataclass
class Risk:
    score: Decimal
    level: str
    resource_name: str = "default"
    resource_category: str = "unknown"

    def to_json(self) -> dict:
        return {"score": float(self.score), "level": self.level, "resource_name": self.resource_name,
                "resource_category": self.resource_category}


@dataclass
class Transaction:
    txid: str
    amount: Decimal
    risk: Risk
    broadcast_at: datetime
    confirmed: bool = False

    def to_json(self) -> dict:
        # Scored once confirmed: until then `risk` is null, as on real 2023 invoices (risk appears later).
        return {"txid": self.txid, "risk": self.risk.to_json() if self.confirmed else None}


@dataclass
class ExchangeRate:
    pair: str
    rate: Decimal
    fee_currency: str

    def to_json(self) -> dict:
        return {"pair": self.pair, "rate": fmt(self.rate), "fee": "0.0", "fee_currency": self.fee_currency}


@dataclass
class Invoice:
    id: str
    seq: int
    address: str
    network: str
    uri: str
    price_amount: Decimal
    price_currency: str
    pay_amount: Decimal
    pay_currency: str
    fee: Decimal
    exchange: ExchangeRate | None
    hosted_page_url: str
    created_at: datetime
    expires_at: datetime
    custom_id: str | None = None
    customer_id: str | None = None
    name: str | None = None
    description: str | None = None
    metadata: dict | None = None
    success_redirect_url: str | None = None
    unsuccess_redirect_url: str | None = None
    payer_email: str | None = None
    status: str = "new"
    status_context: str | None = None
    paid_amount: Decimal = Decimal("0")
    transactions: list[Transaction] = field(default_factory=list)

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    def to_json(self) -> dict:
        body = {
            "id": self.id, "custom_id": self.custom_id, "customer_id": self.customer_id,
            "subscription_id": None,  # 2023+ answers carry it (null outside subscriptions); 2021 ones lack it
            "status": self.status, "status_context": self.status_context,
            "address": self.address, "network": self.network, "uri": self.uri,
            "price_amount": fmt(self.price_amount), "price_currency": self.price_currency,
            "pay_amount": fmt(self.pay_amount), "pay_currency": self.pay_currency,
            "fee": fmt(self.fee), "fee_currency": self.price_currency,
            "paid_amount": fmt(self.paid_amount),
        }
        if self.exchange is not None:  # the real API omits the key for same-currency invoices
            body["exchange"] = self.exchange.to_json()
        body.update({
            "transactions": [tx.to_json() for tx in self.transactions],
            "name": self.name, "description": self.description, "metadata": self.metadata,
            "success_redirect_url": self.success_redirect_url,
            "unsuccess_redirect_url": self.unsuccess_redirect_url,
            "hosted_page_url": self.hosted_page_url,
            "created_at": iso(self.created_at), "expires_at": iso(self.expires_at),
        })
        return body


@dataclass
class Recalculation:
    id: str
    invoice_id: str
    pay_amount: Decimal
    pay_currency: str
    price_amount: Decimal
    price_currency: str
    fee: Decimal
    previous_pay_amount: Decimal
    previous_price_amount: Decimal
    previous_exchange_rate: Decimal | None
    exchange: ExchangeRate | None
    created_at: datetime
    committed: bool = False

    def to_json(self) -> dict:
        return {
            "id": self.id, "invoice_id": self.invoice_id,
            "pay_amount": fmt(self.pay_amount), "pay_currency": self.pay_currency,
            "price_amount": fmt(self.price_amount), "price_currency": self.price_currency,
            "fee": fmt(self.fee), "fee_currency": self.price_currency,
            "previous_pay_amount": fmt(self.previous_pay_amount),
            "previous_price_amount": fmt(self.previous_price_amount),
            "previous_exchange_rate": fmt(self.previous_exchange_rate) if self.previous_exchange_rate else None,
            "exchange": self.exchange.to_json() if self.exchange else None,
            # `…Z` until committed, `+00:00` after (commit_recalculation.yml; a forced one is committed at once)
            "created_at": iso(self.created_at) if self.committed else iso_z(self.created_at),
        }


@dataclass
class Refund:
    id: str
    invoice_id: str
    custom_id: str | None
    amount: Decimal
    amount_currency: str
    fee: Decimal
    address: str | None
    network: str
    created_at: datetime
    txid: str | None = None  # null until the refund is broadcast, as recorded
    risk: Risk | None = None

    def to_json(self) -> dict:
        return {
            "id": self.id, "custom_id": self.custom_id, "invoice_id": self.invoice_id,
            "amount": fmt(self.amount), "amount_currency": self.amount_currency,
            "fee": fmt(self.fee), "fee_currency": self.amount_currency,
            "address": self.address, "network": self.network, "txid": self.txid,
            "risk": self.risk.to_json() if self.risk else None, "created_at": iso(self.created_at),
        }


@dataclass
class Balances:
    """The account's own currency accounts: invoices settle into them, refunds and withdrawals move them."""
    amounts: dict[str, Decimal] = field(default_factory=dict)

    def available(self, currency: str) -> Decimal:
        return self.amounts.get(currency, Decimal("0"))

    def credit(self, currency: str, amount: Decimal) -> None:
        self.amounts[currency] = self.available(currency) + amount

    def debit(self, currency: str, amount: Decimal) -> None:
        self.amounts[currency] = self.available(currency) - amount

    def to_json(self) -> dict:
        return {currency: fmt(amount) for currency, amount in sorted(self.amounts.items())}


@dataclass
class CoinWithdrawal:
    id: str
    address: str
    network: str
    charged_amount: Decimal
    charged_currency: str
    received_amount: Decimal
    received_currency: str
    network_fee: Decimal
    rate: Decimal | None  # charged currency per received coin; None when both are the same currency
    created_at: datetime
    exchange_fee: Decimal = Decimal("0")  # the processing fee on a conversion, in the charged currency
    custom_id: str | None = None
    customer_id: str | None = None
    status: str = "new"
    txid: str | None = None
    risk: Risk | None = None
    network_fee_level: str = "average"
    amount_field: str = "charged_amount"  # the amount parameter the request used, named by its errors

    def to_json(self) -> dict:
        # Field set of docs/cryptopay-channels-payouts-facts.md §11 and recordings/callbacks/coin_withdrawal.json.
        return {
            "id": self.id, "custom_id": self.custom_id, "customer_id": self.customer_id,
            "address": self.address, "network": self.network, "txid": self.txid, "status": self.status,
            "charged_amount": fmt(self.charged_amount), "charged_currency": self.charged_currency,
            "received_amount": fmt(self.received_amount), "received_currency": self.received_currency,
            "network_fee": fmt(self.network_fee), "network_fee_level": self.network_fee_level,
            "fee": "0.0", "fee_currency": self.received_currency,
            "exchange": ({"pair": self.received_currency + self.charged_currency, "rate": fmt(self.rate),
                          "fee": fmt(self.exchange_fee), "fee_currency": self.charged_currency}
                         if self.rate is not None else None),
            "description": None, "risk": self.risk.to_json() if self.risk else None,
            # `…Z` while `new` (uncommitted), `+00:00` from the commit on (§11, RB-cas/PHP-cas commit.yml)
            "created_at": iso_z(self.created_at) if self.status == "new" else iso(self.created_at),
        }


@dataclass
class LedgerRow:
    """A row of GET /api/transactions: what moved an account's balance, and the balance after it (§18)."""
    id: str
    amount: Decimal  # signed: credits positive, debits negative
    currency: str
    balance: Decimal
    reference_id: str
    reference_type: str
    created_at: datetime
    fee: Decimal | None = None
    fee_currency: str | None = None
    status: str | None = None
    status_context: str | None = None
    custom_id: str | None = None
    customer_id: str | None = None
    description: str | None = None
    risk: Risk | None = None
    seq: int = 0  # the account-wide order rows were written in
    moves_money: bool = True  # False: an invoice row while it is new/cancelled, its balance the one before it

    def to_json(self) -> dict:
        return {
            "id": self.id, "custom_id": self.custom_id, "customer_id": self.customer_id,
            "amount": fmt(self.amount), "currency": self.currency, "balance": fmt(self.balance),
            "fee": fmt(self.fee) if self.fee is not None else None, "fee_currency": self.fee_currency,
            "reference_id": self.reference_id, "reference_type": self.reference_type,
            "description": self.description, "status": self.status, "status_context": self.status_context,
            "risk": self.risk.to_json() if self.risk else None, "created_at": iso(self.created_at),
        }


@dataclass
class Channel:
    """A customer's static deposit address (docs/cryptopay-channels-payouts-facts.md §2)."""
    id: str
    name: str
    pay_currency: str
    receiver_currency: str
    address: str
    network: str
    project_id: str
    uri: str
    hosted_page_url: str
    description: str | None = None
    custom_id: str | None = None
    customer_id: str | None = None
    status: str = "enabled"

    def to_json(self) -> dict:
        # Key order as recorded (RB-cas create.yml).
        return {"id": self.id, "status": self.status, "name": self.name, "description": self.description,
                "receiver_currency": self.receiver_currency, "pay_currency": self.pay_currency,
                "address": self.address, "network": self.network, "project_id": self.project_id,
                "custom_id": self.custom_id, "customer_id": self.customer_id, "uri": self.uri,
                "hosted_page_url": self.hosted_page_url}


@dataclass
class ChannelPayment:
    """One transaction to a channel address (§3): amounts stay "0.0" until it completes."""
    id: str
    channel_id: str
    txid: str
    paid_amount: Decimal
    paid_currency: str
    received_currency: str
    address: str
    network: str
    risk_level: str
    created_at: datetime
    custom_id: str | None = None
    customer_id: str | None = None
    status: str = "pending"
    status_context: str | None = None
    received_amount: Decimal = Decimal("0")
    fee: Decimal = Decimal("0")
    rate: Decimal | None = None  # set at completion, and only for a conversion
    risk: Risk | None = None  # null while pending (JV-fix `created`), scored at confirmation
    confirmed: bool = False
    refund_address: str | None = None

    def _exchange(self) -> dict | None:
        return None if self.rate is None else {"pair": self.paid_currency + self.received_currency,
                                               "rate": fmt(self.rate)}

    def _amounts(self) -> dict:
        return {"paid_amount": fmt(self.paid_amount), "paid_currency": self.paid_currency,
                "received_amount": fmt(self.received_amount), "received_currency": self.received_currency,
                "fee": fmt(self.fee), "fee_currency": self.received_currency}

    def to_json(self) -> dict:
        """The API shape, keys in the recorded order (RB-cas retrieve_payment.yml); `exchange` only when set."""
        body = {"id": self.id, **self._amounts(), "txid": self.txid}
        if self.rate is not None:
            body["exchange"] = {**self._exchange(), "fee": "0.0", "fee_currency": self.received_currency}
        body.update({"status": self.status, "status_context": self.status_context,
                     "refund_address": self.refund_address, "coin_withdrawal_id": None,
                     "custom_id": self.custom_id, "customer_id": self.customer_id, "channel_id": self.channel_id,
                     "address": self.address, "network": self.network,
                     "risk": self.risk.to_json() if self.risk else None, "created_at": iso(self.created_at)})
        return body

    def callback_json(self) -> dict:
        """The callback shape as recorded (JV-fix, RB-fix channel_payment.json): no address, network or
        customer_id, and `exchange` with only pair and rate."""
        body = {"id": self.id, "txid": self.txid, **self._amounts()}
        if self.rate is not None:
            body["exchange"] = self._exchange()
        body.update({"status": self.status, "status_context": self.status_context, "channel_id": self.channel_id,
                     "custom_id": self.custom_id, "risk": self.risk.to_json() if self.risk else None,
                     "refund_address": self.refund_address, "coin_withdrawal_id": None,
                     "created_at": iso(self.created_at)})
        return body
