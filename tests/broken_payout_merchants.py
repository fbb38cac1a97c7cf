"""Deliberately broken payout merchants, one defect each, to prove the Payouts checklist catches what it claims to.

Each is the reference merchant with one payout decision overridden the way real integrations get it wrong.
PAYOUT_VARIANTS maps a name to the keyword arguments for reference_merchant.create_app; tests/broken_merchants.py
adds them to VARIANTS. Never copy these. The merchant declares PAYOUT_AMOUNT_FIELD=charged_amount (the default)
unless the scenario's stack sets `payout_amount_field`.

| variant | defect | item it must fail |
| --- | --- | --- |
| debits_twice_on_duplicated_callbacks | debits on each `created` notification, no uniqueness | payouts_5 (duplicated or resent `created`) |
| never_refunds_cancelled_payout | a cancelled payout's debit is never returned | payouts_6 |
| debits_on_high_risk_address | debits the requested amount, then Cryptopay refuses the address: never reversed | payouts_7 |
| debits_requested_amount | debits the amount asked, not Cryptopay's charged_amount | payouts_1, 5 with PAYOUT_AMOUNT_FIELD=charged_amount_to_send |
| sends_amount_in_undeclared_field | sends the requested amount in the other field than the declared one | payouts_1 |
| ignores_coin_withdrawal_callbacks | acknowledges every CoinWithdrawal notification and does nothing | payouts_3, 4 (and 6: no refund) |
| payouts_without_customer_id | places the withdrawal without the customer's id | payouts_2 |

Notes for the teeth tests: debits_requested_amount is indistinguishable from the reference merchant under
PAYOUT_AMOUNT_FIELD=charged_amount (Cryptopay then charges exactly the amount asked); it fails when the merchant
and the suite declare charged_amount_to_send (start it with merchant_kwargs payout_amount_field=
"charged_amount_to_send"), where the fees come on top. debits_twice_on_duplicated_callbacks debits nothing at the
request and once per `created` notification, so one clean delivery debits the right amount once.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, insert, select
from sqlalchemy.engine import Engine

from cryptopay_client import CryptopayError
from reference_merchant.ledger import Ledger
from reference_merchant.outcome import Outcome
from reference_merchant.payout_callbacks import CoinWithdrawalProcessor
from reference_merchant.payouts import AMOUNT_FIELDS, PayoutDesk, Placed

# The broken ledger keeps payout debits in a table WITHOUT the UNIQUE(kind, reference) constraint.
_loose = MetaData()
loose_payout_debits = Table(
    "loose_payout_debits", _loose,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("payout_id", String(128), nullable=False),
    Column("customer_id", String(128), nullable=False),
    Column("amount", String(64), nullable=False),  # negative, as the reference merchant's debits
    Column("currency", String(16), nullable=False),
    Column("debited_at", DateTime(timezone=True), nullable=False),
)


class LoosePayoutLedger(Ledger):
    """The ledger half of debits_twice_on_duplicated_callbacks (payouts item 5): payout debits without any
    uniqueness; the first one is what a refund would return."""

    def __init__(self, engine: Engine):
        super().__init__(engine)
        _loose.create_all(engine)

    def loose_debit(self, payout_id: str, customer_id: str, amount: Decimal, currency: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(loose_payout_debits).values(
                payout_id=payout_id, customer_id=customer_id, amount=str(-amount), currency=currency,
                debited_at=datetime.now(timezone.utc)))

    def debited(self, payout_id: str) -> tuple[Decimal, str] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(loose_payout_debits.c.amount, loose_payout_debits.c.currency)
                               .where(loose_payout_debits.c.payout_id == payout_id)
                               .order_by(loose_payout_debits.c.id)).first()
        return (-Decimal(row.amount), row.currency) if row else None

    def refund(self, payout_id: str) -> bool:
        debit = self.debited(payout_id)
        with self.engine.connect() as conn:
            customer = conn.execute(select(loose_payout_debits.c.customer_id)
                                    .where(loose_payout_debits.c.payout_id == payout_id)).scalar()
        return bool(debit) and self.move("payout_refund", payout_id, customer, debit[0], debit[1])

    def balance_tables(self) -> tuple[Table, ...]:
        return (*super().balance_tables(), loose_payout_debits)


class DebitsLater(PayoutDesk):
    """The request half of debits_twice_on_duplicated_callbacks (payouts item 5): takes nothing when the payout is
    placed."""

    def take(self, payout_id: str, customer_id: str, amount: Decimal, currency: str) -> str:
        return "debited"  # deferred to the `created` notification


class DebitsTwiceOnDuplicatedCallbacks(CoinWithdrawalProcessor):
    """Violates payouts item 5 (debited exactly once, also under duplicated callbacks): debits the customer the
    withdrawal's charged_amount on every `created` notification, so a duplicated or resent one debits again.
    Use with DebitsLater and LoosePayoutLedger."""

    def settled(self, payout: dict) -> str | None:
        return None

    def apply(self, payout: dict, event: str, withdrawal: dict) -> str:
        if event == "created":
            self.ledger.loose_debit(payout["payout_id"], payout["customer_id"],
                                    Decimal(withdrawal["charged_amount"]), withdrawal["charged_currency"])
        return super().apply(payout, event, withdrawal)


class NeverRefundsCancelledPayout(CoinWithdrawalProcessor):
    """Violates payouts item 6 (a failed payout ends cancelled and the amount is returned, once): records the
    cancellation but never gives the customer the debited amount back."""

    def should_refund(self, withdrawal: dict) -> bool:
        return False


class DebitsOnHighRiskAddress(PayoutDesk):
    """Violates payouts item 7 (high_risk_address debits nothing, or reverses at once): takes the requested amount
    before asking Cryptopay and, when Cryptopay refuses the address, tells the customer but keeps the money."""

    def refused_by_cryptopay(self, payout_id: str, customer_id: str, amount: Decimal, currency: str,
                             exc: CryptopayError) -> Placed:
        if exc.code == "high_risk_address":
            self.ledger.debit(payout_id, customer_id, amount, currency)
        return super().refused_by_cryptopay(payout_id, customer_id, amount, currency, exc)


class DebitsRequestedAmount(PayoutDesk):
    """Violates payouts items 1 and 5 (the customer is charged Cryptopay's charged_amount): debits the amount the
    customer asked for, which under charged_amount_to_send leaves the fees on the merchant."""

    def debit_amount(self, amount: Decimal, currency: str, quoted: dict) -> tuple[Decimal, str]:
        return amount, currency


class SendsAmountInUndeclaredField(PayoutDesk):
    """Violates payouts item 1 (the declared field, charged_amount or charged_amount_to_send, is the one used):
    sends the requested amount in the other field, so the customer is charged and sent other amounts than the
    declaration says."""

    def withdrawal_params(self, *args, **kwargs) -> dict:
        params = super().withdrawal_params(*args, **kwargs)
        other = next(field for field in AMOUNT_FIELDS if field != self.amount_field)
        params[other] = params.pop(self.amount_field)
        return params


class IgnoresCoinWithdrawalCallbacks(CoinWithdrawalProcessor):
    """Violates payouts items 3 and 4 (callbacks processed; status by GET matches the record): acknowledges every
    CoinWithdrawal notification with 200 and does nothing with it, so a cancelled payout is never returned
    either."""

    def process(self, event: str, data: dict) -> Outcome:
        return Outcome(200, "acknowledged, not processed")


class PayoutsWithoutCustomerId(PayoutDesk):
    """Violates payouts item 2 (a payout is created for the customer's withdrawal request): places the coin
    withdrawal without the customer's id, so Cryptopay cannot say whose payout it is."""

    def withdrawal_params(self, *args, **kwargs) -> dict:
        params = super().withdrawal_params(*args, **kwargs)
        params.pop("customer_id", None)
        return params


PAYOUT_VARIANTS: dict[str, dict] = {
    "debits_twice_on_duplicated_callbacks": {"payout_desk_cls": DebitsLater, "ledger_cls": LoosePayoutLedger,
                                             "payout_processor_cls": DebitsTwiceOnDuplicatedCallbacks},
    "never_refunds_cancelled_payout": {"payout_processor_cls": NeverRefundsCancelledPayout},
    "debits_on_high_risk_address": {"payout_desk_cls": DebitsOnHighRiskAddress},
    "debits_requested_amount": {"payout_desk_cls": DebitsRequestedAmount},
    "sends_amount_in_undeclared_field": {"payout_desk_cls": SendsAmountInUndeclaredField},
    "ignores_coin_withdrawal_callbacks": {"payout_processor_cls": IgnoresCoinWithdrawalCallbacks},
    "payouts_without_customer_id": {"payout_desk_cls": PayoutsWithoutCustomerId},
}
