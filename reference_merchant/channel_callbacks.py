"""Handles one verified ChannelPayment callback: confirm with Cryptopay's GET, credit once, record the status."""
from __future__ import annotations

from decimal import Decimal

from cryptopay_client import CryptopayError, TransportError
from reference_merchant.channels import FINAL, ChannelPayments, Channels
from reference_merchant.confirmations import Confirmations, confirm_or_503
from reference_merchant.ledger import Ledger
from reference_merchant.outcome import Outcome, is_id

CREDITED_AMOUNTS = ("net", "gross")  # the merchant's declared setting, mirroring the suite's CHANNEL_CREDITED_AMOUNT


class ChannelPaymentProcessor:
    """Subclass points are the decisions merchants get wrong; the suite's broken variants override them."""

    def __init__(self, channels: Channels, payments: ChannelPayments, ledger: Ledger, credited_amount: str = "net"):
        if credited_amount not in CREDITED_AMOUNTS:
            raise ValueError(f"credited_amount must be one of {', '.join(CREDITED_AMOUNTS)}")
        self.channels = channels
        self.payments = payments
        self.ledger = ledger
        self.cryptopay = channels.cryptopay
        self.credited_amount = credited_amount
        self.confirmations = Confirmations(final=FINAL)

    def process(self, event: str, data: dict) -> Outcome:
        payment_id, channel_id = data.get("id"), data.get("channel_id")
        try:
            channel = self.find_channel(channel_id, data) if is_id(channel_id) else None
        except (CryptopayError, TransportError) as exc:
            return Outcome(503, f"retry: could not read the channel at Cryptopay ({type(exc).__name__})")
        if channel is None:
            return Outcome(200, "ignored: channel not opened by this merchant")
        settled = self.settled(payment_id)
        if settled:
            return Outcome(200, settled)
        payment = confirm_or_503("payment", lambda: self.confirmed_payment(channel_id, payment_id, data))
        if isinstance(payment, Outcome):
            return payment
        if payment.get("id") != payment_id or payment.get("channel_id") != channel_id:
            return Outcome(200, "ignored: Cryptopay's payment does not match this merchant's channel")
        return Outcome(200, self.apply(channel, event, payment))

    def apply(self, channel: dict, event: str, payment: dict) -> str:
        status, context = payment["status"], payment.get("status_context")
        state = f"{status}/{context}" if context else status
        credited = None
        if self.should_credit(event, payment):
            # The credit comes before the status: whoever reads `completed` sees the money, and a crash in between
            # leaves the payment not final, so the next notification records it (the credit is once).
            amount, currency = self.credit_amount(payment)
            credited = self.ledger.credit_channel_payment(self.credit_key(payment), channel["customer_id"], amount,
                                                          currency)
        moved = self.payments.record(payment["id"], channel["channel_id"], channel["customer_id"], status, context)
        if credited is None:
            return f"recorded {state}" if moved else f"kept the recorded status (callback said {state})"
        return f"credited {amount} {currency}" if credited else "already credited: no change"

    # -- decisions ------------------------------------------------------------------------------------
    def find_channel(self, channel_id: str, callback_data: dict) -> dict | None:
        """Our channel this payment was made to: by Cryptopay's channel id or, when the payment's notification comes
        before we have Cryptopay's answer to our create call (or that call never answered), by our own custom_id,
        checked at Cryptopay. Ignoring it would lose the payment. May raise CryptopayError or TransportError."""
        channel = self.channels.by_channel_id(channel_id)
        if channel is None and is_id(callback_data.get("custom_id"), 128):
            channel = self.channels.claim(channel_id, callback_data["custom_id"])
        return channel

    def credit_key(self, payment: dict) -> str:
        """What a credit is once for: the payment. A channel is the customer's static address, paid again and again
        (the same amount too): credits keyed by the channel would credit its first payment only."""
        return payment["id"]

    def confirmed_payment(self, channel_id: str, payment_id: str, callback_data: dict) -> dict:
        """Money never moves on the callback body alone: Cryptopay's GET is the truth."""
        return self.confirmations.confirm(payment_id, lambda: self.cryptopay.channel_payment(channel_id, payment_id))

    def settled(self, payment_id: str) -> str | None:
        """A final payment (credited when completed) needs no GET: a resend is answered from our records."""
        recorded = self.payments.get(payment_id)
        if recorded is None or recorded["status"] not in FINAL:
            return None
        if recorded["status"] == "completed":
            return "already credited: no change" if self.ledger.moved("channel_credit", payment_id) else None
        return f"already final ({recorded['status']}): no change"

    def should_credit(self, event: str, payment: dict) -> bool:
        # Never while pending or on_hold: only a completed payment has reached the merchant's balance.
        return payment["status"] == "completed"

    def credit_amount(self, payment: dict) -> tuple[Decimal, str]:
        """The declared amount in received_currency: net is received_amount (after Cryptopay's fee), gross adds
        the fee back (the paid value in received_currency: paid_amount == received_amount + fee)."""
        net = Decimal(payment["received_amount"])
        amount = net if self.credited_amount == "net" else net + Decimal(payment["fee"])
        return amount, payment["received_currency"]
