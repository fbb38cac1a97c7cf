"""Payouts: a customer asks to withdraw, the merchant pays out through Cryptopay; what Cryptopay charged and sent, and
the payouts' adapter for the shared concepts (PAYOUTS)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from cryptopay_client import CryptopayError
from support.domain.callbacks import wait_until_settled
from support.domain.concepts import Lookup, Notification, ProductAdapter, recorded_as, reported
from support.domain.customers import Customer
from support.domain.parameters import Status
from support.domain.timetravel import until_cryptopay
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import ControlError, EmulatorControl
from support.drivers.merchant import MerchantAdapter, Payout, PayoutRefusal, RecordedPayout
from support.drivers.waiting import wait_until
from support.evidence.attachments import Evidence

# A payout ends completed or cancelled (failed is on the way to cancelled, facts §14).
FINAL_PAYOUT = frozenset({"completed", "cancelled"})

# -- the two amount fields, as the feature's table states them -------------------------------------------------------
FIELDS = ("charged_amount", "charged_amount_to_send")
# What each cell of the table may say, as (amount asked) + sign x (all fees), in the charged currency.
AMOUNT_WORDS = {"the amount": 0, "the amount plus the fees": 1, "the amount less the fees": -1}


@dataclass(frozen=True)
class FieldMeaning:
    """One row of the table: what Cryptopay charges and what reaches the recipient when the amount is sent in
    `field`, each as the amount asked plus (+1), less (-1) or without (0) the fees."""
    field: str
    charged: int
    received: int


@dataclass(frozen=True)
class AmountFields:
    meanings: dict[str, FieldMeaning]

    def meaning(self, field: str) -> FieldMeaning:
        return self.meanings[field]


def read_amount_fields(rows: list[list[str]]) -> AmountFields:
    """A header (field | fees | Cryptopay charges the merchant | the recipient receives), then one row per field;
    the fees column must agree with the two amounts (deducted: charged as asked; added: received as asked)."""
    header, *body = rows
    if [cell.strip() for cell in header] != ["field", "fees", "Cryptopay charges the merchant",
                                             "the recipient receives"]:
        raise ValueError(f"the amount-field table has the columns {header}")
    meanings = {}
    for field, fees, charged, received in body:
        meaning = FieldMeaning(field.strip(), AMOUNT_WORDS[charged.strip()], AMOUNT_WORDS[received.strip()])
        deducted = fees.strip().startswith("deducted")
        if (meaning.charged, meaning.received) != ((0, -1) if deducted else (1, 0)):
            raise ValueError(f"the row for {field.strip()} says fees are '{fees.strip()}' but charges "
                             f"'{charged.strip()}' and sends '{received.strip()}'")
        meanings[meaning.field] = meaning
    missing = [f for f in FIELDS if f not in meanings]
    if missing:
        raise ValueError(f"the amount-field table does not say what {', '.join(missing)} means")
    return AmountFields(meanings)


# Decimal places of what arrives, per coin (facts §12: BTC 8, ETH 8, XRP 6, USDT 6, XLM 7); fiat has 2.
COIN_PLACES = {"BTC": 8, "ETH": 8, "LTC": 8, "BCH": 8, "DOGE": 8, "BNB": 8, "XRP": 6, "USDT": 6, "USDC": 6,
               "TRX": 6, "ADA": 6, "XLM": 7, "SOL": 8}
FIAT = ("EUR", "USD", "GBP", "UAH")


def places(currency: str) -> int:
    return 2 if currency in FIAT else COIN_PLACES.get(currency, 6)


@dataclass(frozen=True)
class Costs:
    """What Cryptopay reports for a withdrawal, in numbers: the rate (charged currency per coin, 1 without a
    conversion) and every fee expressed in the charged currency."""
    charged: Decimal
    received: Decimal
    rate: Decimal
    fees: Decimal


def costs(withdrawal: dict) -> Costs:
    exchange = withdrawal.get("exchange") or {}
    rate = Decimal(exchange["rate"]) if exchange.get("rate") else Decimal(1)
    exchange_fee = Decimal(exchange.get("fee") or "0")  # in the charged currency (facts §11)
    fee = Decimal(withdrawal.get("fee") or "0")
    fee_in_charged = fee if withdrawal.get("fee_currency") == withdrawal["charged_currency"] else fee * rate
    fees = exchange_fee + fee_in_charged + Decimal(withdrawal["network_fee"]) * rate
    return Costs(Decimal(withdrawal["charged_amount"]), Decimal(withdrawal["received_amount"]), rate, fees)


def charged_problem(meaning: FieldMeaning, asked: Decimal, withdrawal: dict) -> str | None:
    """Why Cryptopay's charge is not what the declared field means; None when it is (to its last place)."""
    c, currency = costs(withdrawal), withdrawal["charged_currency"]
    ideal = asked + meaning.charged * c.fees
    if abs(c.charged - ideal) < unit(currency):
        return None
    return (f"the merchant declared PAYOUT_AMOUNT_FIELD={meaning.field}, so Cryptopay should charge "
            f"{_spelled(asked, meaning.charged, c.fees, currency)}, but it charged {c.charged} {currency}; the "
            "merchant sends the customer's amount in another field than the one it declared")


def received_problem(meaning: FieldMeaning, asked: Decimal, withdrawal: dict) -> str | None:
    """Why what Cryptopay sends is not what the declared field means; None when it is (to the coin's last place)."""
    c, coin = costs(withdrawal), withdrawal["received_currency"]
    ideal = (asked + meaning.received * c.fees) / c.rate
    if abs(c.received - ideal) < unit(coin):
        return None
    return (f"the merchant declared PAYOUT_AMOUNT_FIELD={meaning.field}, so the recipient should receive "
            f"{_spelled(asked, meaning.received, c.fees, withdrawal['charged_currency'])} at {c.rate}, that is "
            f"{ideal.quantize(unit(coin))} {coin}, but Cryptopay sends {c.received} {coin}")


def unit(currency: str) -> Decimal:
    """One unit of the currency's last decimal place: how close two amounts must be to count as the same."""
    return Decimal(1).scaleb(-places(currency))


def _spelled(asked: Decimal, sign: int, fees: Decimal, currency: str) -> str:
    shown = fees.quantize(unit(currency))
    if sign == 0:
        return f"the amount asked, {asked} {currency}"
    return (f"the amount asked {'plus' if sign > 0 else 'less'} the fees, {asked} {'+' if sign > 0 else '-'} "
            f"{shown} = {(asked + sign * fees).quantize(unit(currency))} {currency}")


# -- a customer's withdrawal ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Destination:
    """Where a withdrawal is sent: an address of the account's own (a channel), so no coin leaves it."""
    address: str
    coin: str
    channel_id: str | None


@dataclass(frozen=True)
class Withdrawal:
    """A customer's request to withdraw, and what the merchant answered: a payout, or its refusal."""
    customer: Customer
    amount: Decimal
    currency: str
    destination: Destination
    answer: Payout | PayoutRefusal

    @property
    def coin(self) -> str:
        return self.destination.coin

    @property
    def payout(self) -> Payout:
        """The payout the merchant made; an assertion error naming the merchant's refusal when it made none."""
        if isinstance(self.answer, PayoutRefusal):
            raise AssertionError(f"the merchant refused the customer's withdrawal of {self.amount} {self.currency} "
                                 f"in {self.coin}: {self.answer.http_status} {self.answer.code}: "
                                 f"{self.answer.message}")
        return self.answer


@dataclass(frozen=True)
class BalanceMark:
    """The customer's balance in one currency at a known moment, so a later step can say it did not move."""
    currency: str
    amount: Decimal


def own_address(cryptopay: CryptopayDriver, coin: str, custom_id: str | None = None) -> Destination:
    """A deposit address of the merchant's own Cryptopay account in `coin`: a channel the suite keeps (one per
    coin, found again by its custom id on later runs). A withdrawal to it comes back to the account as a channel
    payment (facts §8), so certifying payouts on the sandbox sends no testnet coin away."""
    custom_id = custom_id or f"certify-payouts-{coin}"
    channel = _channel_by_custom_id(cryptopay, custom_id)
    if channel is None:
        try:
            channel = cryptopay.client.create_channel(
                name=f"Go-live certification: payouts in {coin}", pay_currency=coin, receiver_currency=coin,
                custom_id=custom_id, description="Receives the certification's own test payouts")
        except CryptopayError as exc:
            # Another worker opened it between our read and our create: use that one.
            if exc.status != 409 or (channel := _channel_by_custom_id(cryptopay, custom_id)) is None:
                raise
    return Destination(channel["address"], coin, channel["id"])


def _channel_by_custom_id(cryptopay: CryptopayDriver, custom_id: str) -> dict | None:
    try:
        return cryptopay.client.channel_by_custom_id(custom_id)
    except CryptopayError as exc:
        if exc.status != 404:
            raise
        return None


def request_withdrawal(merchant: MerchantAdapter, customer: Customer, amount: Decimal, currency: str,
                       destination: Destination, evidence: Evidence) -> Withdrawal:
    answer = merchant.request_payout(customer.id, amount, currency, destination.coin, destination.address)
    evidence.attach_json("Withdrawal request and the merchant's answer", {
        "customer_id": customer.id, "amount": f"{amount} {currency}", "sent_in": destination.coin,
        "address": destination.address, "answer": answer.__dict__})
    return Withdrawal(customer, amount, currency, destination, answer)


def fund_customer(merchant: MerchantAdapter, customer: Customer, amount: Decimal, currency: str,
                  timeout: float) -> BalanceMark:
    merchant.fund_customer(customer.id, amount, currency)
    wait_until(lambda: merchant.balances(customer.id), lambda b: b.get(currency) == amount, timeout=timeout,
               expected=f"customer {customer.id} to have the {amount} {currency} the merchant's back office gave")
    return BalanceMark(currency, amount)


def top_up_account(control: EmulatorControl, currency: str, at_least: Decimal) -> dict:
    """The emulated account's balance in `currency` raised to `at_least` (the emulator starts fiat at 0), through
    the control API's PUT /balances."""
    shown = control.balances()
    if Decimal(shown.get(currency, "0")) >= at_least:
        return shown
    return control.set_balances({currency: at_least})


# -- Cryptopay's side -------------------------------------------------------------------------------------------------
def charged_by_cryptopay(cryptopay: CryptopayDriver, withdrawal: Withdrawal) -> tuple[Decimal, str]:
    """What Cryptopay charged the merchant's account for the payout: its charged_amount, fixed at creation."""
    made = cryptopay.client.retrieve_coin_withdrawal(withdrawal.payout.coin_withdrawal_id)
    return Decimal(made["charged_amount"]), made["charged_currency"]


def fail_or_hold_at_cryptopay(emulator: EmulatorControl, what: str, withdrawal: Withdrawal,
                              then: str = "cancelled") -> dict:
    """Fails (to end `then`: cancelled, or completed after all) or holds the payout through the control API: only
    possible before Cryptopay broadcasts it. The emulator's time is driven by the suite, so the payout is still
    where the merchant left it."""
    withdrawal_id = withdrawal.payout.coin_withdrawal_id
    try:
        if what == "fail":
            return emulator.fail_withdrawal(withdrawal_id, outcome=then)
        return emulator.hold_withdrawal(withdrawal_id)
    except ControlError as exc:
        raise AssertionError(f"the emulator could not {what} the payout, because it was already sent: start the "
                             "emulator with driven time (--driven-time, or PUT /_emulator/settings time=driven, "
                             f"which the suite does itself) so its payouts wait for the scenario ({exc})") from None


# Why a wait for Cryptopay's withdrawal can time out without the control API, and what to change: Cryptopay's own
# pace, never the merchant's doing.
WITHDRAWAL_TOO_SLOW = (
    "without the emulator's control API the suite waits for Cryptopay's own steps (pending, processing, sent, "
    "completed), which took longer than WAIT_TIMEOUT_SECONDS",
    "raise WAIT_TIMEOUT_SECONDS (on a standalone emulator: at least 4 x its --withdrawal-step-seconds divided by its "
    "--time-scale), or give the suite the control API (EMULATOR_CONTROL_URL) so it moves time itself")


def arrived_at_destination(cryptopay: CryptopayDriver, control: EmulatorControl | None, withdrawal_id: str,
                           destination: Destination, txid: str, timeout: float) -> dict:
    """The payment the destination channel saw for the withdrawal's transaction: what actually arrived (its
    detection belongs to the withdrawal's time, which the control API moves on)."""
    def seen() -> dict | None:
        page = cryptopay.client.channel_payments(destination.channel_id)["data"]
        return next((p for p in page if p.get("txid") == txid), None)

    return until_cryptopay(seen, lambda p: p is not None, control=control, object_id=withdrawal_id, timeout=timeout,
                           expected=f"the transaction {txid} to arrive at the destination channel "
                                    f"{destination.channel_id}", pace=cryptopay.run_budget.poll_pace(10.0),
                           too_slow=WITHDRAWAL_TOO_SLOW)


# -- the merchant's side ----------------------------------------------------------------------------------------------
def record_json(record: RecordedPayout | None) -> dict | None:
    if record is None:
        return None
    return {"payout_id": record.payout_id, "coin_withdrawal_id": record.coin_withdrawal_id,
            "customer_id": record.customer_id, "status": record.status, "refunded": record.refunded,
            "debited": f"{record.debited[0]} {record.debited[1]}" if record.debited else None}


# -- notifications ----------------------------------------------------------------------------------------------------
# The features' names for a payout's notifications: (event, the status it carries). Cryptopay sends `created`
# with status pending and one `status_changed` per later status (facts §15).
NOTIFICATIONS = {"created": ("created", "pending"), "processing": ("status_changed", "processing"),
                 "sent": ("status_changed", "sent"), "completed": ("status_changed", "completed"),
                 "failed": ("status_changed", "failed"), "cancelled": ("status_changed", "cancelled"),
                 "on hold": ("status_changed", "on_hold")}


def as_status(withdrawal: dict, status: str) -> dict:
    """The withdrawal as it read when it had `status` (no txid and risk before it was sent)."""
    earlier = dict(withdrawal, status=status)
    if status in ("pending", "processing"):
        earlier.update(txid=None, risk=None)
    return earlier


def until_notifications_taken_in(control: EmulatorControl | None, merchant: MerchantAdapter, payout: Payout,
                                 status: str, timeout: float) -> None:
    """Until the merchant has taken in the payout's notifications so far: every one answered where Cryptopay's
    delivery log is visible; elsewhere (the sandbox) until its record shows `status`, the only sign it has."""
    if control is not None:
        wait_until_settled(control, [payout.coin_withdrawal_id], timeout)
    else:
        recorded_as(PAYOUTS, merchant, payout, Status(status), timeout)


def until_payout_ended(cryptopay: CryptopayDriver, control: EmulatorControl | None, merchant: MerchantAdapter,
                       payout: Payout, status: str, timeout: float) -> None:
    """Until Cryptopay reports the payout's withdrawal `status` and the merchant has taken in its notifications so
    far: a debit or refund judged afterwards is the merchant's last word, and a second one would already show."""
    reported(PAYOUTS, cryptopay, control, payout, Status(status), timeout)
    until_notifications_taken_in(control, merchant, payout, status, timeout)


def fresh_custom_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class Payouts(ProductAdapter):
    """A payout the merchant made for a customer's request to withdraw: a coin withdrawal at Cryptopay, the
    merchant's payout on its side. It moves on by Cryptopay's time (pending, processing, sent, completed)."""
    product, noun, kind, fixture, callback_type = "payouts", "payout", "payout", "withdrawal", "CoinWithdrawal"
    final = FINAL_PAYOUT
    notifications = {name: Notification(event, status) for name, (event, status) in NOTIFICATIONS.items()}
    amount_field = "charged_amount"
    subject = "the payout"
    moves_time = True
    too_slow = WITHDRAWAL_TOO_SLOW

    def thing(self, withdrawal: Withdrawal) -> Payout:
        return withdrawal.payout  # names the merchant's refusal when it made no payout

    def object_id(self, payout: Payout) -> str:
        return payout.coin_withdrawal_id

    def named(self, payout: Payout) -> str:
        return f"payout {payout.payout_id} (coin withdrawal {payout.coin_withdrawal_id})"

    def at_cryptopay(self, cryptopay: CryptopayDriver, payout: Payout) -> dict:
        return cryptopay.client.retrieve_coin_withdrawal(payout.coin_withdrawal_id)

    def status_of(self, found: dict) -> Status:
        return Status(found["status"])  # a coin withdrawal has no status context

    def recorded(self, merchant: MerchantAdapter, payout: Payout) -> dict | None:
        return record_json(merchant.recorded_payout(payout.payout_id))

    def as_notified(self, found: dict, status: str | None) -> dict:
        return as_status(found, status) if status else found

    def claimed(self, subject: str, name: str, lookup: Lookup, cryptopay: CryptopayDriver) -> tuple[dict, bytes, bytes]:
        """The payout claimed in the notification's status (cancelled would give the customer the amount back);
        misdirected carries the signature of its genuine "created"."""
        withdrawal = self.at_cryptopay(cryptopay, self.thing(lookup(self.fixture)))
        claim = as_status(withdrawal, self.notifications[name].status)
        return claim, self.render(name, claim), self.render("created", as_status(withdrawal, "pending"))

    def scenario_things(self, lookup: Lookup) -> list[Payout]:
        withdrawal = lookup(self.fixture)
        return [withdrawal.answer] if withdrawal is not None and isinstance(withdrawal.answer, Payout) else []


PAYOUTS = Payouts()
