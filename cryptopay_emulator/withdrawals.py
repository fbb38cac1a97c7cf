"""Coin withdrawals with the real lifecycle and fees; one sent to an account's invoice address pays that invoice."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from cryptopay_emulator import money
from cryptopay_emulator.account import Account
from cryptopay_emulator.addresses import new_txid
from cryptopay_emulator.channels import ChannelBackend
from cryptopay_emulator.clock import iso
from cryptopay_emulator.errors import (ApiError, DuplicateCustomId, HighRiskAddress, Invalid, NotFound,
                                       WithdrawalExpired, detail)
from cryptopay_emulator.invoices import RISK_SCORES, InvoiceBackend
from cryptopay_emulator.models import CoinWithdrawal, LedgerRow, Risk
from cryptopay_emulator.store import Store
from cryptopay_emulator.validation import WITHDRAWAL_AMOUNTS, withdrawal_params

# A two-step withdrawal must be committed within 30 seconds. The window is the client's deadline, so under a scaled
# clock it lasts 30 real seconds (x60 would leave half a second); clock advances still expire it.
COMMIT_WINDOW = timedelta(seconds=30)
# pending → processing → sent → completed, one step at a time (docs/cryptopay-channels-payouts-facts.md §14):
# "processing ... a couple of seconds"; `sent` is the broadcast, `completed` its first confirmation.
NEXT_STATUS = {"pending": "processing", "processing": "sent", "sent": "completed"}
STEP_SECONDS = 0.0  # see EmulatorConfig.withdrawal_step_seconds
# The standalone server is quick by default, like stripe-mock: a payment by coin withdrawal confirms in 3 steps
# (sent, completed), a channel's in 5 (detected one step after sent, confirmed one later): under a second of real
# time. --realistic-delays takes the sandbox's own pace.
QUICK_STEP_SECONDS = 0.2
REALISTIC_STEP_SECONDS = 10.0
# "less than 5 EUR" is the one documented minimum (§17); it is applied to every fiat charged currency.
FIAT_MINIMUM = Decimal("5.0")
# What a failed withdrawal becomes one step later: "either COMPLETED or CANCELLED soon" (§14); cancelled by default.
AFTER_FAILED = ("cancelled", "completed")
# What a create attempt's log entry keeps of the request, as sent (any JSON the body held under these keys).
ATTEMPT_FIELDS = ("custom_id", "customer_id", "address", "network", "charged_currency", "received_currency",
                  *WITHDRAWAL_AMOUNTS, "force_commit")


class WithdrawalBackend:
    """State and rules of /api/coin_withdrawals."""

    def __init__(self, account: Account, invoices: InvoiceBackend, step_seconds: float = STEP_SECONDS,
                 channels: ChannelBackend | None = None):
        self.account = account
        self._invoices = invoices
        self._channels = channels
        self._step = timedelta(seconds=step_seconds)
        account.timeline.on_shift(self._shift)
        self.reset()

    def stores(self) -> list[Store]:
        """Every store of this backend's records, for the control API's rewrite and forget."""
        return [self._store]

    def reset(self) -> None:
        with self.account.lock:
            self._store: Store[CoinWithdrawal] = Store()
            self._rows: dict[str, LedgerRow] = {}  # the debit's ledger row mirrors the withdrawal's status
            self._attempts: list[dict] = []  # every create received, accepted or refused, oldest first

    # -- API ----------------------------------------------------------------------------------------
    def create(self, params: object) -> dict:
        """A coin withdrawal quoted (and committed with force_commit), or a typed refusal; either way the attempt
        is logged, so the control API can tell how many creates a payout request cost (a retry nobody sees)."""
        with self.account.lock:
            attempt = self._attempt(params)
            try:
                created = self._create(params)
            except ApiError as refused:
                attempt.update(outcome="refused", error_code=refused.code)
                raise
            attempt.update(outcome="created", coin_withdrawal_id=created["id"], status=created["status"])
            return created

    def attempts(self, **wanted: str | None) -> list[dict]:
        """Every create received, oldest first, keeping those whose fields equal each filter given (custom_id,
        customer_id, address)."""
        with self.account.lock:
            return [dict(a) for a in self._attempts
                    if all(value is None or a.get(key) == value for key, value in wanted.items())]

    def _attempt(self, params: object) -> dict:
        sent = params if isinstance(params, dict) else {}
        attempt = {"at": iso(self.account.clock.now()), **{key: sent.get(key) for key in ATTEMPT_FIELDS},
                   "outcome": None, "error_code": None, "coin_withdrawal_id": None, "status": None}
        self._attempts.append(attempt)
        return attempt

    def _create(self, params: object) -> dict:
        self.account.tick()
        fields = withdrawal_params(params)
        if self._store.has_custom_id(fields["custom_id"]):
            raise DuplicateCustomId()
        if fields["address"] in self.account.high_risk_addresses:
            raise HighRiskAddress()  # screened before anything else is decided (§17)
        withdrawal = self._quote(fields)
        self._require_funds(withdrawal)  # a doomed quote is refused at once
        self._store.add(withdrawal.id, withdrawal, withdrawal.custom_id, withdrawal.customer_id)
        self.account.timeline.born(withdrawal.id)
        if fields["force_commit"]:
            self._commit(withdrawal)
        return withdrawal.to_json()

    def commit(self, withdrawal_id: str) -> dict:
        with self.account.lock:
            withdrawal = self._get(withdrawal_id)
            if withdrawal.status == "cancelled" and withdrawal.id not in self._rows:
                raise WithdrawalExpired()
            if withdrawal.status == "new":
                self._commit(withdrawal)
            return withdrawal.to_json()

    def get(self, withdrawal_id: str) -> dict:
        with self.account.lock:
            return self._get(withdrawal_id).to_json()

    def get_by_custom_id(self, custom_id: str) -> dict:
        with self.account.lock:
            self.account.tick()
            withdrawal = self._store.by_custom_id(custom_id)
            self._expire(withdrawal)
            return withdrawal.to_json()

    def list(self, customer_id: str | None = None, starting_after: str | None = None) -> dict:
        with self.account.lock:
            self.account.tick()
            for withdrawal in self._store:
                self._expire(withdrawal)
            page, meta = self._store.page(customer_id, starting_after)
            return {"data": [w.to_json() for w in page], "meta": meta}

    # -- sandbox control: what the payout team and the network decide --------------------------------
    def fail(self, withdrawal_id: str, outcome: object = "cancelled") -> dict:
        """`failed` now, then `outcome` one step later: `cancelled` with the charged amount back on the balance, or
        `completed` after all ("failed is not the final one", §14)."""
        with self.account.lock:
            if not isinstance(outcome, str) or outcome not in AFTER_FAILED:
                raise Invalid(details=[detail("must_be_included_in", "outcome", "must be cancelled or completed",
                                              list=list(AFTER_FAILED))])
            withdrawal = self._before_broadcast(withdrawal_id)
            self._set_status(withdrawal, "failed")
            after = self._cancel if outcome == "cancelled" else self._complete_failed
            self.account.after(withdrawal.id, self._step, lambda now: after(withdrawal, now))
            return withdrawal.to_json()

    def release(self, withdrawal_id: str) -> dict:
        """A held withdrawal let go by Cryptopay's team: `processing` now, then sent and completed step by step, its
        debit kept (the sandbox's recorded holds never ended and no API releases one, §14: INFERRED)."""
        with self.account.lock:
            withdrawal = self._get(withdrawal_id)
            if withdrawal.status != "on_hold":
                raise Invalid(details=[detail("invalid", "status", "only a withdrawal on hold can be released",
                                              status=withdrawal.status)])
            self._set_status(withdrawal, "processing")
            self._schedule(withdrawal)
            return withdrawal.to_json()

    def hold(self, withdrawal_id: str) -> dict:
        """`on_hold`, where it stays until `release`: the debit is kept and the API has no way out of it (§14)."""
        with self.account.lock:
            withdrawal = self._before_broadcast(withdrawal_id)
            self._set_status(withdrawal, "on_hold")
            return withdrawal.to_json()

    # -- lifecycle ----------------------------------------------------------------------------------
    def _commit(self, withdrawal: CoinWithdrawal) -> None:
        self._require_funds(withdrawal)
        # Debited at commit, on_hold included, not at completion (§14 "Ledger").
        self._rows[withdrawal.id] = self.account.move(
            withdrawal.charged_currency, -withdrawal.charged_amount, reference_type="CoinWithdrawal",
            reference_id=withdrawal.id, fee=withdrawal.exchange_fee, fee_currency=withdrawal.charged_currency,
            status="pending", custom_id=withdrawal.custom_id, customer_id=withdrawal.customer_id)
        withdrawal.status = "pending"
        self._emit("created", withdrawal)  # every recorded `created` callback carries `pending` (§15)
        self._schedule(withdrawal)

    def _schedule(self, withdrawal: CoinWithdrawal, after: datetime | None = None) -> None:
        """The next step, one step after the last one was due: a clock advanced past several runs them all."""
        expected, due = withdrawal.status, (after or self.account.now_of(withdrawal.id)) + self._step
        self.account.at(due, lambda now: self._advance(withdrawal, expected, now), owner=withdrawal.id)

    def _advance(self, withdrawal: CoinWithdrawal, expected: str, due: datetime) -> None:
        if withdrawal.status != expected:
            return  # failed or held by the control API in the meantime
        following = NEXT_STATUS[expected]
        if following == "sent":
            self._broadcast(withdrawal, due)
        elif following == "completed":
            self._confirm(withdrawal)
        self._set_status(withdrawal, following)
        if following in NEXT_STATUS:
            self._schedule(withdrawal, after=due)

    def _broadcast(self, withdrawal: CoinWithdrawal, due: datetime) -> None:
        invoice_id = self._invoices.owns_address(withdrawal.address)
        invoice = self._invoices.find(invoice_id) if invoice_id else None
        if invoice is not None and invoice.pay_currency == withdrawal.received_currency:
            # How the real sandbox is paid: the account sends coins to its own invoice's address; the invoice
            # sees the transaction at the broadcast and its confirmation when the withdrawal completes.
            paid = self._invoices.pay(amount=withdrawal.received_amount, invoice_id=invoice_id, risk_level="low",
                                      confirmed=False)
            withdrawal.txid = paid["txid"]
        else:
            withdrawal.txid = new_txid(withdrawal.network)
            self._reach_channel(withdrawal, due)

    def _reach_channel(self, withdrawal: CoinWithdrawal, sent_at: datetime) -> None:
        """Sent to one of the account's own channel addresses in that channel's coin: the sandbox detects it as a
        channel payment 18 s to minutes later (facts §8), the emulator one step later, confirmed one step after."""
        channel = self._channels.owns_address(withdrawal.address) if self._channels else None
        if channel is None or channel.pay_currency != withdrawal.received_currency:
            return
        # Both belong to the withdrawal's time: moving the withdrawal on brings its arrival with it.
        detected = sent_at + self._step

        def detect(now: datetime) -> None:
            self._channels.pay(address=withdrawal.address, amount=withdrawal.received_amount, risk_level="low",
                               confirmed=False, txid=withdrawal.txid)
            self.account.at(detected + self._step, lambda later: self._channels.confirm_detected(withdrawal.txid),
                            owner=withdrawal.id)

        self.account.at(detected, detect, owner=withdrawal.id)

    def _confirm(self, withdrawal: CoinWithdrawal) -> None:
        withdrawal.risk = Risk(RISK_SCORES["low"], "low")  # null until then, filled later (§11)
        try:
            self._invoices.confirm_transaction(withdrawal.txid or "")
        except NotFound:
            pass  # not an invoice payment (or confirmed through the control API already)

    def _complete_failed(self, withdrawal: CoinWithdrawal, due: datetime) -> None:
        """A failed withdrawal that went through after all: broadcast and confirmed at once, its debit kept."""
        if withdrawal.status != "failed":
            return
        self._broadcast(withdrawal, due)
        self._confirm(withdrawal)
        self._set_status(withdrawal, "completed")

    def _cancel(self, withdrawal: CoinWithdrawal, due: datetime | None = None) -> None:
        if withdrawal.status != "failed":
            return
        self.account.move(withdrawal.charged_currency, withdrawal.charged_amount, reference_type="CoinWithdrawal",
                          reference_id=withdrawal.id, status="cancelled", custom_id=withdrawal.custom_id,
                          customer_id=withdrawal.customer_id, description="failed payout refunded")
        self._set_status(withdrawal, "cancelled")

    def _set_status(self, withdrawal: CoinWithdrawal, status: str) -> None:
        withdrawal.status = status
        if withdrawal.id in self._rows:
            self._rows[withdrawal.id].status = status
        self._emit("status_changed", withdrawal)

    def _emit(self, event: str, withdrawal: CoinWithdrawal) -> None:
        self.account.notify("CoinWithdrawal", event, withdrawal.to_json())

    # -- internals -----------------------------------------------------------------------------------
    def _shift(self, owner: str, delta: timedelta) -> None:
        withdrawal = self._store.find(owner)
        if withdrawal is not None:
            withdrawal.created_at -= delta

    def _get(self, withdrawal_id: str) -> CoinWithdrawal:
        self.account.tick()
        withdrawal = self._store.get(withdrawal_id)
        self._expire(withdrawal)
        return withdrawal

    def _before_broadcast(self, withdrawal_id: str) -> CoinWithdrawal:
        withdrawal = self._get(withdrawal_id)
        if withdrawal.status not in ("pending", "processing"):
            raise Invalid(details=[detail("invalid", "status", "only a pending or processing withdrawal can "
                                          "fail or be held", status=withdrawal.status)])
        return withdrawal

    def _expire(self, withdrawal: CoinWithdrawal) -> None:
        window = COMMIT_WINDOW * max(1.0, self.account.clock.scale)
        if withdrawal.status == "new" and self.account.clock.now() > withdrawal.created_at + window:
            withdrawal.status = "cancelled"  # never committed: nothing was debited, so nothing comes back
            self._emit("status_changed", withdrawal)

    def _quote(self, f: dict) -> CoinWithdrawal:
        charged, received = f["charged_currency"], f["received_currency"]
        rate = None if charged == received else self.account.rate(received, charged)
        fee = self.account.network_fee(received, f["network_fee_level"])
        got, cost, exchange_fee = quote(f["amount_field"], f["amount"], rate, fee,
                                        money.NETWORK_PRECISION[received], money.price_precision(charged))
        if got <= 0:
            raise Invalid(details=[detail("must_be_greater_than", f["amount_field"], "must be more than the fees",
                                          value=money.fmt(fee))])
        self._require_minimum(f["amount_field"], cost, charged, rate)
        return CoinWithdrawal(
            id=str(uuid.uuid4()), address=f["address"], network=f["network"] or money.DEFAULT_NETWORK[received],
            charged_amount=cost, charged_currency=charged, received_amount=got, received_currency=received,
            network_fee=fee, rate=rate, exchange_fee=exchange_fee, created_at=self.account.clock.now(),
            custom_id=f["custom_id"], customer_id=f["customer_id"], amount_field=f["amount_field"],
            network_fee_level=f["network_fee_level"])

    def _require_minimum(self, field: str, cost: Decimal, charged: str, rate: Decimal | None) -> None:
        if not money.is_fiat(charged) or cost >= FIAT_MINIMUM:
            return
        value = FIAT_MINIMUM if field != "received_amount" else FIAT_MINIMUM / (rate or Decimal(1))
        shown = money.fmt(money.ceil_to(value, 2 if field != "received_amount" else 8))
        raise Invalid(details=[detail("must_be_greater_than_or_equal", field,
                                      f"must be greater than or equal to {shown}", value=shown)])

    def _require_funds(self, withdrawal: CoinWithdrawal) -> None:
        """The documented body (§17): the field sent, with the most the balance allows in it."""
        field = withdrawal.amount_field
        available = self.account.balances.available(withdrawal.charged_currency)
        if available >= withdrawal.charged_amount:
            return
        ceiling = max(Decimal(0), most_for(field, available, withdrawal))
        raise Invalid(details=[detail("must_be_less_than_or_equal", field,
                                      f"must be less than or equal to {money.fmt(ceiling)}",
                                      value=money.fmt(ceiling))])


def quote(field: str, amount: Decimal, rate: Decimal | None, network_fee: Decimal, p_received: int,
          p_charged: int) -> tuple[Decimal, Decimal, Decimal]:
    """(received, charged, processing fee) as every recorded withdrawal has them (§12 formulas): on a conversion
    the processing fee is ceil(1% of charged_amount) in the charged currency; none in the same currency."""
    r = rate or Decimal(1)
    if field == "charged_amount":  # fees come out of it
        fee = processing_fee(amount, p_charged) if rate else Decimal(0)
        return money.floor_to((amount - fee) / r - network_fee, p_received), amount, fee
    if field == "charged_amount_to_send":  # exactly this is converted and sent; fees on top
        charged, fee = gross_up(amount + network_fee * r, p_charged, converted=rate is not None)
        return money.floor_to(amount / r, p_received), charged, fee
    charged, fee = gross_up((amount + network_fee) * r, p_charged, converted=rate is not None)  # received_amount
    return amount, charged, fee


def processing_fee(charged: Decimal, places: int) -> Decimal:
    return money.ceil_to(charged * money.FEE_RATE, places)


def gross_up(base: Decimal, places: int, converted: bool) -> tuple[Decimal, Decimal]:
    """The charged amount whose own 1% fee, added to `base`, it covers: the fee is taken on the final charge
    (§12 example 7: 112.1541 + 1.14 → 113.30, and 1% of 113.30 is 1.14). The sequence only grows, so it settles."""
    charged = money.ceil_to(base, places)
    if not converted:
        return charged, Decimal(0)
    while True:
        fee = processing_fee(charged, places)
        following = money.ceil_to(base + fee, places)
        if following == charged:
            return charged, fee
        charged = following


def most_for(field: str, available: Decimal, withdrawal: CoinWithdrawal) -> Decimal:
    """The largest value of `field` the available balance pays for (the fees scale the same way)."""
    if field == "charged_amount":
        return available
    share = available / withdrawal.charged_amount
    if field == "charged_amount_to_send":
        sent = withdrawal.received_amount * (withdrawal.rate or Decimal(1))
        return money.floor_to(sent * share, money.price_precision(withdrawal.charged_currency))
    return money.floor_to(withdrawal.received_amount * share, money.NETWORK_PRECISION[withdrawal.received_currency])
