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
| check_then_insert_payout_refund | "if not refunded: refund", no unique key deciding | payouts_6 (the FIRST cancelled delivery, 50 at once) |
| follows_payout_callback_body | no GET: writes the body's status as is | payouts_3, 4 (a stale `processing` after `completed`) |
| refunds_held_payout | takes `on_hold` for a failure and returns the debit | payouts_5, 6 (a hold that ends completed: paid twice) |
| refunds_failed_payout | returns the debit at `failed`, which is not final | payouts_6 (a failed payout that completes: paid twice) |
| retries_high_risk_with_new_custom_id | tries a high_risk_address refusal again under a new custom_id | payouts_7 (the creates Cryptopay received) |

Notes for the teeth tests: debits_requested_amount is indistinguishable from the reference merchant under
PAYOUT_AMOUNT_FIELD=charged_amount (Cryptopay then charges exactly the amount asked); it fails when the merchant
and the suite declare charged_amount_to_send (start it with merchant_kwargs payout_amount_field=
"charged_amount_to_send"), where the fees come on top. debits_twice_on_duplicated_callbacks debits nothing at the
request and once per `created` notification, so one clean delivery debits the right amount once. The issue 23
variants need the emulator's control API: refunds_held_payout a held payout released (POST
/_emulator/coin_withdrawals/<id>/release), refunds_failed_payout one failed that completes (fail {"outcome":
"completed"}), retries_high_risk_with_new_custom_id the creates Cryptopay received (GET
/_emulator/coin_withdrawal_attempts): its answer to the customer is the right 422 either way.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, insert, select, update
from sqlalchemy.engine import Engine

from cryptopay_client import CryptopayError
from reference_merchant.db import payouts
from reference_merchant.ledger import Ledger
from reference_merchant.outcome import Outcome
from reference_merchant.payout_callbacks import CoinWithdrawalProcessor
from reference_merchant.payouts import AMOUNT_FIELDS, PayoutDesk, Placed
from tests.race_window import RaceWindow

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


loose_payout_refunds = Table(
    "loose_payout_refunds", _loose,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("payout_id", String(128), nullable=False),
    Column("customer_id", String(128), nullable=False),
    Column("amount", String(64), nullable=False),
    Column("currency", String(16), nullable=False),
    Column("refunded_at", DateTime(timezone=True), nullable=False),
)


class CheckThenInsertRefundLedger(Ledger):
    """Violates payouts item 6 (a cancelled payout's amount returns to the customer, once), the textbook way: "if
    not refunded yet: refund", with no unique key behind it. Copies one at a time are caught; copies of the very
    first cancelled notification arriving together all pass the check."""

    def __init__(self, engine: Engine):
        super().__init__(engine)
        _loose.create_all(engine)
        self._window = RaceWindow()

    def refund(self, payout_id: str) -> bool:
        debit = self.moved("payout_debit", payout_id)
        if debit is None or self.refunded(payout_id):
            return False
        self._window.hold(payout_id)  # the defect being modelled: the window between the check and the insert
        amount, currency, customer_id = debit
        with self.engine.begin() as conn:
            conn.execute(insert(loose_payout_refunds).values(
                payout_id=payout_id, customer_id=customer_id, amount=str(-Decimal(amount)), currency=currency,
                refunded_at=datetime.now(timezone.utc)))
        return True

    def refunded(self, payout_id: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(loose_payout_refunds.c.id)
                                .where(loose_payout_refunds.c.payout_id == payout_id)).first() is not None

    def balance_tables(self) -> tuple[Table, ...]:
        return (*super().balance_tables(), loose_payout_refunds)


class FollowsPayoutCallbackBody(CoinWithdrawalProcessor):
    """Violates payouts items 3 and 4 (notifications followed through Cryptopay's GET; the record matches it):
    takes the callback body as the truth and writes the status it carries as is, so a stale `processing` arriving
    after `completed` moves the payout back to processing."""

    def confirmed_withdrawal(self, withdrawal_id: str, callback_data: dict) -> dict:
        return callback_data

    def settled(self, payout: dict) -> str | None:
        return None

    def apply(self, payout: dict, event: str, withdrawal: dict) -> str:
        if withdrawal["status"] == "cancelled":
            self.ledger.refund(payout["payout_id"])
        with self.payouts.engine.begin() as conn:  # whatever status was last heard, no forward-only rule
            conn.execute(update(payouts).where(payouts.c.payout_id == payout["payout_id"])
                         .values(status=withdrawal["status"], updated_at=datetime.now(timezone.utc)))
        return f"recorded {withdrawal['status']} from the body"


class RefundsHeldPayout(CoinWithdrawalProcessor):
    """Violates payouts items 5 and 6 (debited once by what Cryptopay charged; only a cancelled payout gives the
    money back): takes `on_hold` for a failure and returns the debit, so when the hold ends well and the payout
    completes, the customer has both the money sent and the money back."""

    def apply(self, payout: dict, event: str, withdrawal: dict) -> str:
        if withdrawal["status"] == "on_hold":
            self.ledger.refund(payout["payout_id"])
        return super().apply(payout, event, withdrawal)


class RefundsFailedPayout(CoinWithdrawalProcessor):
    """Violates payouts item 6 (a failed payout ends cancelled, and only then is the amount returned): returns the
    debit at `failed`, which is not final, so a failed payout that completes after all pays the customer twice."""

    def apply(self, payout: dict, event: str, withdrawal: dict) -> str:
        if withdrawal["status"] == "failed":
            self.ledger.refund(payout["payout_id"])
        return super().apply(payout, event, withdrawal)


class _RetriesHighRiskCreates:
    """A Cryptopay client that answers a high_risk_address refusal by trying again under a new custom_id."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name: str):
        return getattr(self._client, name)

    def create_coin_withdrawal(self, **params):
        try:
            return self._client.create_coin_withdrawal(**params)
        except CryptopayError as exc:
            if exc.code != "high_risk_address":
                raise
            return self._client.create_coin_withdrawal(**{**params, "custom_id": f"{params['custom_id']}-retry"})


class RetriesHighRiskWithNewCustomId(PayoutDesk):
    """Violates payouts item 7 (a high_risk_address refusal is not retried): sends the refused withdrawal again
    under a new custom_id before telling the customer; Cryptopay refuses it again, so the customer's answer is the
    right one and only the creates Cryptopay received show the retry."""

    def __init__(self, payouts_, ledger: Ledger, cryptopay, amount_field: str = "charged_amount"):
        super().__init__(payouts_, ledger, _RetriesHighRiskCreates(cryptopay), amount_field)


PAYOUT_VARIANTS: dict[str, dict] = {
    "debits_twice_on_duplicated_callbacks": {"payout_desk_cls": DebitsLater, "ledger_cls": LoosePayoutLedger,
                                             "payout_processor_cls": DebitsTwiceOnDuplicatedCallbacks},
    "never_refunds_cancelled_payout": {"payout_processor_cls": NeverRefundsCancelledPayout},
    "debits_on_high_risk_address": {"payout_desk_cls": DebitsOnHighRiskAddress},
    "debits_requested_amount": {"payout_desk_cls": DebitsRequestedAmount},
    "sends_amount_in_undeclared_field": {"payout_desk_cls": SendsAmountInUndeclaredField},
    "ignores_coin_withdrawal_callbacks": {"payout_processor_cls": IgnoresCoinWithdrawalCallbacks},
    "payouts_without_customer_id": {"payout_desk_cls": PayoutsWithoutCustomerId},
    "check_then_insert_payout_refund": {"ledger_cls": CheckThenInsertRefundLedger},
    "follows_payout_callback_body": {"payout_processor_cls": FollowsPayoutCallbackBody},
    "refunds_held_payout": {"payout_processor_cls": RefundsHeldPayout},
    "refunds_failed_payout": {"payout_processor_cls": RefundsFailedPayout},
    "retries_high_risk_with_new_custom_id": {"payout_desk_cls": RetriesHighRiskWithNewCustomId},
}
