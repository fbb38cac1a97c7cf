"""Deliberately broken channel merchants, one defect each, to prove the Channels checklist catches what it claims to.

Each is the reference merchant with one channel decision overridden the way real integrations get it wrong.
CHANNEL_VARIANTS maps a name to the keyword arguments for reference_merchant.create_app; tests/broken_merchants.py
adds them to VARIANTS. Never copy these. The merchant declares CHANNEL_CREDITED_AMOUNT=net (the default) unless
a variant says otherwise.

| variant | defect | item it must fail |
| --- | --- | --- |
| credits_pending_channel_payment | credits what was paid as soon as the payment is seen (pending) | channels_5 |
| credits_held_channel_payment | credits a payment on hold (illicit_resource) with what was paid | channels_8 (and 5) |
| credits_gross_when_declared_net | declares net but credits received_amount + fee | channels_6 (every check of a credited amount) |
| recredits_resent_channel_completion | no uniqueness: each completed notification credits again | channels_7 |
| ignores_channel_payment_callbacks | acknowledges every ChannelPayment notification and does nothing | channels_3, 4 (and no credit: 5-8) |
| never_records_channel_payment_status | credits correctly but never records the payment's status | channels_4 |
| keys_channel_credits_by_channel | one credit per channel, not per payment: only a channel's first payment is credited | channels_5, 6 (a channel paid twice) |
| check_then_insert_channel_credit | "if not credited: credit", no unique key deciding | channels_7 (the FIRST completed delivery, 50 at once) |
| follows_channel_callback_body | no GET: writes the body's status as is | channels_3, 4 (a stale `on_hold` after the decision) |
| treats_channel_hold_as_final | a payment on hold is taken as final: its later completion is never credited | channels_5, 8 (a hold that ends well) |
| ignores_unrecorded_channel | ignores a payment's notification for a channel it has not attached yet | channels_3, 5 (notified before the create answer) |

Notes for the teeth tests: credits_pending_channel_payment differs from the reference merchant only when the
merchant is asked while Cryptopay still says `pending` (an unconfirmed payment); a payment confirmed at once is
read as completed by the confirming GET even for its `created` notification. credits_held_channel_payment credits
the held payment's paid_amount in its paid_currency (BTC), since a held payment has received_amount 0.0.
The issue 23 variants need the emulator's control API where the sandbox cannot drive them: ignores_unrecorded_channel
a payment notified before the channel's create answer (POST /_emulator/early_notifications), the others a second
payment, a storm of the first completed delivery (deliveries paused, the body posted 50 times at once), a stale
notification resent (POST /_emulator/deliveries/<id>/resend) or a monitoring decision.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from reference_merchant.channel_callbacks import ChannelPaymentProcessor
from reference_merchant.db import channel_payments
from reference_merchant.ledger import Ledger
from reference_merchant.outcome import Outcome
from tests.race_window import RaceWindow

# The broken ledger keeps channel credits in a table WITHOUT the UNIQUE(kind, reference) constraint.
_loose = MetaData()
loose_channel_credits = Table(
    "loose_channel_credits", _loose,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("payment_id", Text, nullable=False),
    Column("customer_id", String(128), nullable=False),
    Column("amount", String(64), nullable=False),
    Column("currency", String(16), nullable=False),
    Column("credited_at", DateTime(timezone=True), nullable=False),
)


def _what_was_paid(payment: dict) -> tuple[Decimal, str]:
    return Decimal(payment["paid_amount"]), payment["paid_currency"]


class CreditsPendingChannelPayment(ChannelPaymentProcessor):
    """Violates channels item 5 (credit only when completed): credits what was paid (paid_amount in
    paid_currency) the moment the payment is seen, while it is still pending; the completed credit is then
    refused as a duplicate."""

    def should_credit(self, event: str, payment: dict) -> bool:
        return payment["status"] in ("pending", "completed")

    def credit_amount(self, payment: dict) -> tuple[Decimal, str]:
        return _what_was_paid(payment) if payment["status"] == "pending" else super().credit_amount(payment)


class CreditsHeldChannelPayment(ChannelPaymentProcessor):
    """Violates channels item 8 (on_hold with illicit_resource is never credited while held), and item 5: credits
    a payment on hold with what was paid (its received_amount is 0.0 while held)."""

    def should_credit(self, event: str, payment: dict) -> bool:
        return payment["status"] in ("on_hold", "completed")

    def credit_amount(self, payment: dict) -> tuple[Decimal, str]:
        return _what_was_paid(payment) if payment["status"] == "on_hold" else super().credit_amount(payment)


class CreditsGrossWhenDeclaredNet(ChannelPaymentProcessor):
    """Violates channels item 6 (credit the declared amount): declares net (received_amount) but credits the
    gross, received_amount + fee, so the customer gets Cryptopay's fee too."""

    def credit_amount(self, payment: dict) -> tuple[Decimal, str]:
        return Decimal(payment["received_amount"]) + Decimal(payment["fee"]), payment["received_currency"]


class LooseChannelLedger(Ledger):
    """The ledger half of recredits_resent_channel_completion (channels item 7): channel credits without any
    uniqueness."""

    def __init__(self, engine: Engine):
        super().__init__(engine)
        _loose.create_all(engine)

    def credit_channel_payment(self, payment_id: str, customer_id: str, amount: Decimal, currency: str) -> bool:
        with self.engine.begin() as conn:
            conn.execute(insert(loose_channel_credits).values(
                payment_id=payment_id, customer_id=customer_id, amount=str(amount), currency=currency,
                credited_at=datetime.now(timezone.utc)))
        return True

    def balance_tables(self) -> tuple[Table, ...]:
        return (*super().balance_tables(), loose_channel_credits)


class RecreditsResentChannelCompletion(ChannelPaymentProcessor):
    """Violates channels item 7 (a resent completed callback never credits again): remembers nothing, so every
    completed notification, resent or duplicated, credits the customer again. Use with LooseChannelLedger."""

    def settled(self, payment_id: str) -> str | None:
        return None


class IgnoresChannelPaymentCallbacks(ChannelPaymentProcessor):
    """Violates channels items 3 and 4 (callbacks processed; status by GET matches the record): acknowledges every
    ChannelPayment notification with 200 and does nothing with it, so nothing is recorded or credited."""

    def process(self, event: str, data: dict) -> Outcome:
        return Outcome(200, "acknowledged, not processed")


class NeverRecordsChannelPaymentStatus(ChannelPaymentProcessor):
    """Violates channels item 4 (the payment status by GET matches the merchant's record): credits completed
    payments correctly but never records any payment's status."""

    def apply(self, channel: dict, event: str, payment: dict) -> str:
        if not self.should_credit(event, payment):
            return "not recorded"
        amount, currency = self.credit_amount(payment)
        credited = self.ledger.credit_channel_payment(payment["id"], channel["customer_id"], amount, currency)
        return f"credited {amount} {currency}" if credited else "already credited: no change"


class KeysChannelCreditsByChannel(ChannelPaymentProcessor):
    """Violates channels items 5 and 6 (each completed payment credited, with its amount): keys each credit by the
    channel instead of the payment, so a customer paying the same deposit address again is never credited again."""

    def credit_key(self, payment: dict) -> str:
        return payment["channel_id"]


class CheckThenInsertChannelLedger(LooseChannelLedger):
    """Violates channels item 7 (a completed notification never credits twice, 50 at once included), the textbook
    way: "if not credited yet: credit", with no unique key behind it. Duplicates one at a time are caught; copies of
    the very first completed notification arriving together all pass the check."""

    def __init__(self, engine: Engine):
        super().__init__(engine)
        self._window = RaceWindow()

    def credit_channel_payment(self, payment_id: str, customer_id: str, amount: Decimal, currency: str) -> bool:
        with self.engine.connect() as conn:
            if conn.execute(select(loose_channel_credits.c.id)
                            .where(loose_channel_credits.c.payment_id == payment_id)).first():
                return False
        # The defect being modelled: the window between the check and the insert, held open for a second copy.
        self._window.hold(payment_id)
        return super().credit_channel_payment(payment_id, customer_id, amount, currency)


def _write_as_is(payments, payment_id: str, channel: dict, status: str, context: str | None) -> None:
    """The naive record: whatever status was last heard, no forward-only rule."""
    now = datetime.now(timezone.utc)
    try:
        with payments.engine.begin() as conn:
            conn.execute(insert(channel_payments).values(
                channel_payment_id=payment_id, channel_id=channel["channel_id"], customer_id=channel["customer_id"],
                status=status, status_context=context, updated_at=now))
    except IntegrityError:
        with payments.engine.begin() as conn:
            conn.execute(update(channel_payments).where(channel_payments.c.channel_payment_id == payment_id)
                         .values(status=status, status_context=context, updated_at=now))


class FollowsChannelCallbackBody(ChannelPaymentProcessor):
    """Violates channels items 3 and 4 (notifications followed through Cryptopay's GET; the record matches it):
    takes the callback body as the truth and writes the status it carries as is, so a stale `on_hold` arriving
    after the monitoring team's decision moves a completed payment back to on_hold."""

    def confirmed_payment(self, channel_id: str, payment_id: str, callback_data: dict) -> dict:
        return callback_data

    def settled(self, payment_id: str) -> str | None:
        return None

    def apply(self, channel: dict, event: str, payment: dict) -> str:
        if self.should_credit(event, payment):
            amount, currency = self.credit_amount(payment)
            self.ledger.credit_channel_payment(payment["id"], channel["customer_id"], amount, currency)
        _write_as_is(self.payments, payment["id"], channel, payment["status"], payment.get("status_context"))
        return f"recorded {payment['status']} from the body"


class TreatsChannelHoldAsFinal(ChannelPaymentProcessor):
    """Violates channels items 5 and 8 (credit when completed; a hold is not the end): takes a payment on hold as
    final, so when Cryptopay's monitoring team releases it (`completed`) the customer is never credited."""

    def settled(self, payment_id: str) -> str | None:
        recorded = self.payments.get(payment_id)
        if recorded is not None and recorded["status"] == "on_hold":
            return "already final (on_hold): no change"
        return super().settled(payment_id)


class IgnoresUnrecordedChannel(ChannelPaymentProcessor):
    """Violates channels items 3 and 5 (notifications followed; credit when completed): acknowledges and ignores a
    payment's notification for a channel it has not linked to Cryptopay's channel id yet, so a payment notified
    before the answer to the channel's create call reached the merchant is never credited."""

    def find_channel(self, channel_id: str, callback_data: dict) -> dict | None:
        return self.channels.by_channel_id(channel_id)


CHANNEL_VARIANTS: dict[str, dict] = {
    "credits_pending_channel_payment": {"channel_processor_cls": CreditsPendingChannelPayment},
    "credits_held_channel_payment": {"channel_processor_cls": CreditsHeldChannelPayment},
    "credits_gross_when_declared_net": {"channel_processor_cls": CreditsGrossWhenDeclaredNet},
    "recredits_resent_channel_completion": {"channel_processor_cls": RecreditsResentChannelCompletion,
                                            "ledger_cls": LooseChannelLedger},
    "ignores_channel_payment_callbacks": {"channel_processor_cls": IgnoresChannelPaymentCallbacks},
    "never_records_channel_payment_status": {"channel_processor_cls": NeverRecordsChannelPaymentStatus},
    "keys_channel_credits_by_channel": {"channel_processor_cls": KeysChannelCreditsByChannel},
    "check_then_insert_channel_credit": {"ledger_cls": CheckThenInsertChannelLedger},
    "follows_channel_callback_body": {"channel_processor_cls": FollowsChannelCallbackBody},
    "treats_channel_hold_as_final": {"channel_processor_cls": TreatsChannelHoldAsFinal},
    "ignores_unrecorded_channel": {"channel_processor_cls": IgnoresUnrecordedChannel},
}
