"""Channels and their payments: static addresses whose every transaction becomes a ChannelPayment (facts §1-§8)."""
from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from cryptopay_emulator import money
from cryptopay_emulator.account import PROJECT_ID, Account
from cryptopay_emulator.addresses import channel_uri, new_address, new_txid
from cryptopay_emulator.customers import CustomerBackend
from cryptopay_emulator.errors import DuplicateCustomId, Invalid, NotFound, detail
from cryptopay_emulator.invoices import RISK_SCORES, risk_score
from cryptopay_emulator.models import Channel, ChannelPayment, LedgerRow, Risk
from cryptopay_emulator.store import Store
from cryptopay_emulator.validation import channel_params, channel_update_params

# "The transaction hasn't been confirmed on the network within 14 days" → cancelled (§4).
CANCEL_AFTER = timedelta(days=14)
OUTCOMES = ("completed", "refunded")


class ChannelBackend:
    """State and rules of /api/channels and their payments; payments arrive through `pay` (the control API, or a
    coin withdrawal of this account to a channel address)."""

    def __init__(self, account: Account, customers: CustomerBackend):
        self.account = account
        self._customers = customers
        account.timeline.on_shift(self._shift)
        self.reset()

    def _shift(self, owner: str, delta: timedelta) -> None:
        payment = self._payment_by_id.get(owner)
        if payment is not None:
            payment.created_at -= delta

    def stores(self) -> list[Store]:
        """Every store of this backend's records, for the control API's rewrite and forget."""
        return [self._store, *self._payments.values()]

    def reset(self) -> None:
        with self.account.lock:
            self._store: Store[Channel] = Store()
            self._by_address: dict[str, str] = {}
            self._payments: dict[str, Store[ChannelPayment]] = {}  # per channel, for its list
            self._payment_by_id: dict[str, ChannelPayment] = {}
            self._by_txid: dict[str, str] = {}
            self._rows: dict[str, LedgerRow] = {}  # a held payment's ledger row mirrors its status

    # -- channels -----------------------------------------------------------------------------------
    def create(self, params: object) -> dict:
        with self.account.lock:
            fields = channel_params(params)
            if self._store.has_custom_id(fields["custom_id"]):
                raise DuplicateCustomId()  # INFERRED as for invoices (§2)
            network = fields["network"] or money.DEFAULT_NETWORK[fields["pay_currency"]]
            address, channel_id = new_address(network), str(uuid.uuid4())
            channel = Channel(
                id=channel_id, name=fields["name"], pay_currency=fields["pay_currency"],
                receiver_currency=fields["receiver_currency"], address=address, network=network,
                project_id=PROJECT_ID, uri=channel_uri(network, address, fields["pay_currency"]),
                hosted_page_url=self.account.hosted_url("channels", channel_id), description=fields["description"],
                custom_id=fields["custom_id"], customer_id=fields["customer_id"])
            self._store.add(channel.id, channel, channel.custom_id, channel.customer_id)
            self._by_address[address] = channel.id
            self._payments[channel.id] = Store()
            return channel.to_json()

    def get(self, channel_id: str) -> dict:
        with self.account.lock:
            return self._store.get(channel_id).to_json()

    def get_by_custom_id(self, custom_id: str) -> dict:
        with self.account.lock:
            return self._store.by_custom_id(custom_id).to_json()

    def list(self, customer_id: str | None = None, starting_after: str | None = None) -> dict:
        with self.account.lock:
            page, meta = self._store.page(customer_id, starting_after)
            return {"data": [channel.to_json() for channel in page], "meta": meta}

    def update(self, channel_id: str, params: object) -> dict:
        """Only what is given changes; the currencies, custom_id and address never do (INFERRED, §2)."""
        with self.account.lock:
            channel = self._store.get(channel_id)
            for key, value in channel_update_params(params).items():
                setattr(channel, key, value)
            return channel.to_json()

    def owns_address(self, address: object) -> Channel | None:
        with self.account.lock:
            return self._store.find(self._by_address.get(address)) if isinstance(address, str) else None

    # -- payments (reads) ---------------------------------------------------------------------------
    def payments(self, channel_id: str, starting_after: str | None = None) -> dict:
        with self.account.lock:
            self.account.tick()
            self._store.get(channel_id)
            page, meta = self._payments[channel_id].page(starting_after=starting_after)
            return {"data": [payment.to_json() for payment in page], "meta": meta}

    def payment(self, channel_id: str, payment_id: str) -> dict:
        with self.account.lock:
            self.account.tick()
            self._store.get(channel_id)
            return self._payments[channel_id].get(payment_id).to_json()

    # -- payments (sandbox control: the payer's wallet, the blockchain and the monitoring team) ------
    def pay(self, *, address: str, amount: Decimal, risk_level: str = "low", confirmed: bool = True,
            txid: str | None = None) -> dict:
        """A transaction to the channel address, seen now: a new `pending` payment (`created`), one per tx."""
        with self.account.lock:
            self.account.tick()
            risk_score(risk_level)  # an unknown level is refused before anything changes
            channel = self.owns_address(address)
            if channel is None:
                raise NotFound()
            payment = ChannelPayment(
                id=str(uuid.uuid4()), channel_id=channel.id, txid=txid or new_txid(channel.network),
                paid_amount=amount, paid_currency=channel.pay_currency, received_currency=channel.receiver_currency,
                address=channel.address, network=channel.network, risk_level=risk_level,
                created_at=self.account.clock.now(), custom_id=channel.custom_id, customer_id=channel.customer_id)
            self._payments[channel.id].add(payment.id, payment)
            self._payment_by_id[payment.id] = payment
            self._by_txid[payment.txid] = payment.id
            self.account.at(payment.created_at + CANCEL_AFTER, lambda now: self._cancel(payment), owner=payment.id)
            self._emit("created", payment)
            if confirmed:
                self._confirm(payment)
            return payment.to_json()

    def owns_txid(self, txid: str) -> bool:
        with self.account.lock:
            return txid in self._by_txid

    def confirm_transaction(self, txid: str) -> dict:
        with self.account.lock:
            self.account.tick()
            payment = self._payment_by_id.get(self._by_txid.get(txid, ""))
            if payment is None or payment.confirmed or payment.status != "pending":
                raise NotFound()  # no unconfirmed transaction by that id (a cancelled one never confirms)
            self._confirm(payment)
            return payment.to_json()

    def confirm_detected(self, txid: str) -> None:
        """The confirmation a detected withdrawal gets; nothing if the control API confirmed it already."""
        with self.account.lock:
            payment = self._payment_by_id.get(self._by_txid.get(txid, ""))
            if payment is not None and not payment.confirmed and payment.status == "pending":
                self._confirm(payment)

    def decide(self, payment_id: str, outcome: object) -> dict:
        """Cryptopay's monitoring team: a held payment is credited (`completed`) or sent back (`refunded`)."""
        with self.account.lock:
            self.account.tick()
            payment = self._payment_by_id.get(payment_id)
            if payment is None:
                raise NotFound()
            if payment.status != "on_hold":
                raise Invalid(details=[detail("invalid", "channel_payment", "channel payment is not on hold",
                                              status=payment.status)])
            if not isinstance(outcome, str) or outcome not in OUTCOMES:
                raise Invalid(details=[detail("must_be_included_in", "outcome", "must be completed or refunded",
                                              list=list(OUTCOMES))])
            if outcome == "completed":
                self._complete(payment)
            else:
                payment.refund_address = self._refund_address(payment)
                self._set_status(payment, "refunded")
            return payment.to_json()

    # -- lifecycle ----------------------------------------------------------------------------------
    def _confirm(self, payment: ChannelPayment) -> None:
        payment.confirmed = True
        channel = self._store.get(payment.channel_id)
        if channel.status == "disabled":  # PHP-cas: held with risk null
            self._hold(payment, "channel_disabled")
            return
        payment.risk = Risk(RISK_SCORES[payment.risk_level], payment.risk_level)
        if payment.risk_level == "high":
            self._hold(payment, "illicit_resource")
        else:
            self._complete(payment)

    def _hold(self, payment: ChannelPayment, context: str) -> None:
        """On hold: nothing credited, yet a ledger row with amount and fee "0.0" and the balance unchanged (§4)."""
        payment.status, payment.status_context = "on_hold", context
        self._rows[payment.id] = self.account.move(
            payment.received_currency, Decimal(0), reference_type="ChannelPayment", reference_id=payment.id,
            fee=Decimal(0), fee_currency=payment.received_currency, status="on_hold", status_context=context,
            custom_id=payment.custom_id, customer_id=payment.customer_id, risk=payment.risk)
        self._emit("on_hold", payment)

    def _complete(self, payment: ChannelPayment) -> None:
        """gross = floor(paid × rate), fee = ceil(1% of gross), received = gross − fee, all at the received
        currency's precision, at the rate of the moment (§5); the received amount is credited."""
        places = money.price_precision(payment.received_currency)
        rate = None
        if payment.paid_currency != payment.received_currency:
            rate = self.account.rate(payment.paid_currency, payment.received_currency)
        gross = money.floor_to(payment.paid_amount * (rate or Decimal(1)), places)
        payment.fee = money.ceil_to(gross * money.FEE_RATE, places)
        payment.received_amount, payment.rate = gross - payment.fee, rate
        payment.status, payment.status_context = "completed", None
        self.account.move(payment.received_currency, payment.received_amount, reference_type="ChannelPayment",
                          reference_id=payment.id, fee=payment.fee, fee_currency=payment.received_currency,
                          status="completed", custom_id=payment.custom_id, customer_id=payment.customer_id,
                          risk=payment.risk)
        if payment.id in self._rows:
            self._rows[payment.id].status, self._rows[payment.id].status_context = "completed", None
        self._emit("completed", payment)

    def _cancel(self, payment: ChannelPayment) -> None:
        if payment.status == "pending" and not payment.confirmed:  # broadcast, never confirmed in 14 days
            self._set_status(payment, "cancelled")

    def _set_status(self, payment: ChannelPayment, status: str) -> None:
        payment.status, payment.status_context = status, None
        if payment.id in self._rows:
            self._rows[payment.id].status, self._rows[payment.id].status_context = status, None
        self._emit(status, payment)

    def _refund_address(self, payment: ChannelPayment) -> str | None:
        """The customer's refund address in the paid coin, when the channel's customer has one (INFERRED, §6)."""
        if payment.customer_id is None:
            return None
        return self._customers.refund_address(payment.customer_id, payment.paid_currency)

    def _emit(self, event: str, payment: ChannelPayment) -> None:
        """Channels name the event after the new status: created, completed, on_hold, refunded, cancelled (§4)."""
        self.account.notify("ChannelPayment", event, payment.callback_json())
