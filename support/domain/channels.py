"""Customers' personal deposit addresses (Cryptopay channels): opened through the merchant, paid, read back from
Cryptopay and the merchant, the declared credited amount, and their notifications resent or forged."""
from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

import parse

from checklists import item_for
from cryptopay_client.rails_json import rails_json
from support.domain.callbacks import all_answered, send_badly_signed
from support.domain.customers import Customer, show_balance
from support.domain.parameters import TYPES
from support.domain.resend import ResendResult, Resent, resend_twice, send_copies
from support.drivers.callbacks import Answer, CallbackSender
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl, carried_status
from support.drivers.merchant import Channel, MerchantAdapter
from support.drivers.payers import ChannelPayer
from support.drivers.waiting import WaitTimeout, answered_but_not, either, final_elsewhere, wait_until
from support.evidence.attachments import Evidence
from support.evidence.diagnosis import DEFECT, Diagnosis
from support.evidence.words import balances_text
from support.targets.settings import Settings

FINAL_PAYMENT = frozenset({"completed", "refunded", "cancelled"})  # a channel payment's final statuses (§4)

# "deposit crypto": the run's PAYMENT_COIN; "credited in the same crypto": the channel credits the coin it is paid in.
RUN_COIN, SAME_COIN = "crypto", "the same crypto"


@dataclass(frozen=True)
class ChannelPayment:
    """A payment the customer sent to their deposit address, as Cryptopay first reported it."""
    channel: Channel
    payment_id: str
    sent: Decimal  # in the channel's pay currency


@dataclass(frozen=True)
class CreditedPayment:
    """A completed payment the merchant has credited, and the customer's balances right after."""
    payment: ChannelPayment
    balances: dict[str, Decimal]


# -- currencies and statuses in the features' words -------------------------------------------------------------------
def pay_coin(words: str, settings: Settings) -> str:
    return settings.payment_coin if words == RUN_COIN else words


def receive_currency(words: str, coin: str) -> str:
    return coin if words == SAME_COIN else words


_STATUS = re.compile(r"^(?P<status>[a-z ]+?)(?: \((?P<context>[a-z ]+)\))?$")


def split_status(words: str) -> tuple[str, str | None]:
    """'on hold (illicit resource)' -> ('on_hold', 'illicit_resource'); 'completed' -> ('completed', None)."""
    found = _STATUS.match(words)
    if found is None:
        raise ValueError(f"not a channel payment status: {words!r}")
    context = found["context"]
    return found["status"].replace(" ", "_"), context.replace(" ", "_") if context else None


@parse.with_pattern(r"crypto|[A-Z]{3,5}")
def parse_coin(text: str) -> str:
    return text


@parse.with_pattern(r"the same crypto|[A-Z]{3,5}")
def parse_receive(text: str) -> str:
    return text


@parse.with_pattern(r"[a-z ]+?(?: \([a-z ]+\))?")
def parse_status(text: str) -> tuple[str, str | None]:
    return split_status(text)


# The steps' parse types: the pay coin ("crypto" = PAYMENT_COIN), the credited currency, a payment's status.
CHANNEL_TYPES = {**TYPES, "Coin": parse_coin, "Receive": parse_receive, "Status": parse_status}


# -- the declared credited amount -------------------------------------------------------------------------------------
# What each way of crediting adds up, in the words the feature's table uses (before its colon).
AMOUNT_WORDS: dict[str, tuple[str, ...]] = {
    "the received amount": ("received_amount",),
    "the received amount plus Cryptopay's fee": ("received_amount", "fee"),
}


@dataclass(frozen=True)
class CreditRule:
    """Which of the payment's amounts the customer is credited under each declared setting (net, gross)."""
    meanings: dict[str, tuple[str, ...]]

    def parts(self, declared: str) -> tuple[str, ...]:
        if declared not in self.meanings:
            raise AssertionError(f"the declared CHANNEL_CREDITED_AMOUNT={declared} has no meaning on the page; "
                                 f"it states {sorted(self.meanings)}")
        return self.meanings[declared]

    def amount(self, declared: str, payment: dict) -> Decimal:
        """The amount owed to the customer, in the payment's received_currency (fee_currency is the same)."""
        if "fee" in self.parts(declared) and payment["fee_currency"] != payment["received_currency"]:
            raise AssertionError(f"payment {payment['id']} charges its fee in {payment['fee_currency']}, not in "
                                 f"{payment['received_currency']}: the gross amount cannot be added up")
        return sum((Decimal(payment[part]) for part in self.parts(declared)), Decimal("0"))


DEFAULT_CREDIT_RULE = CreditRule({"net": AMOUNT_WORDS["the received amount"],
                                  "gross": AMOUNT_WORDS["the received amount plus Cryptopay's fee"]})


def read_credit_rule(datatable: list[list[str]]) -> CreditRule:
    """The page's table: | declared | the customer is credited |, each meaning in AMOUNT_WORDS before a colon."""
    meanings = {}
    for declared, meaning in (row[:2] for row in datatable[1:]):
        words = meaning.split(":")[0].strip()
        if words not in AMOUNT_WORDS:
            raise ValueError(f"the table says '{declared}' credits '{words}', which the suite cannot add up; "
                             f"say one of: {', '.join(AMOUNT_WORDS)}")
        meanings[declared.strip()] = AMOUNT_WORDS[words]
    return CreditRule(meanings)


# -- opening and reading channels -------------------------------------------------------------------------------------
def open_channel(merchant: MerchantAdapter, cryptopay: CryptopayDriver, customer: Customer, coin: str,
                 receive: str, evidence: Evidence) -> Channel:
    channel = merchant.open_channel(customer.id, coin, receive)
    evidence.attach_json("Personal deposit address the merchant gave", channel.__dict__)
    evidence.attach_json("Channel as Cryptopay reports it", cryptopay.client.channel(channel.channel_id))
    return channel


def channel_problems(found: dict, channel: Channel, customer: Customer, coin: str, receive: str) -> list[str]:
    """How Cryptopay's channel differs from what the customer asked for and the merchant said it opened."""
    expected = {"id": channel.channel_id, "address": channel.address, "customer_id": customer.id,
                "pay_currency": coin, "receiver_currency": receive, "status": "enabled"}
    return [f"{key} is {found.get(key)!r}, expected {value!r}" for key, value in expected.items()
            if found.get(key) != value]


# -- payments to a channel --------------------------------------------------------------------------------------------
# What a customer sends in one payment, per coin: a modest deposit (about 100 EUR at 2025 prices), above every
# documented minimum. Nothing is checked against it but itself: the amounts owed are read from Cryptopay.
DEPOSIT_SIZES: dict[str, Decimal] = {coin: Decimal(amount) for coin, amount in {
    "BTC": "0.0015", "LTC": "1.2", "BCH": "0.25", "DOGE": "600", "ETH": "0.04", "XRP": "60", "XLM": "400",
    "TRX": "450", "SOL": "0.6", "ADA": "150", "BNB": "0.17", "USDT": "100", "USDC": "100", "DAI": "100"}.items()}


def send_payment(channel_payer: ChannelPayer, channel: Channel, evidence: Evidence, risk_level: str = "low",
                 confirmed: bool = True) -> ChannelPayment:
    sent = DEPOSIT_SIZES[channel.pay_currency]
    payment = channel_payer.pay_channel(channel.channel_id, channel.address, channel.network, sent, risk_level,
                                        confirmed)
    evidence.attach_json(f"Payment sent to the deposit address ({risk_level} risk"
                         f"{'' if confirmed else ', not yet confirmed'})", {
                             "sent": f"{sent} {channel.pay_currency}", "address": channel.address,
                             "network": channel.network, "payment": payment})
    return ChannelPayment(channel, payment["id"], sent)


def read_payment(cryptopay: CryptopayDriver, payment: ChannelPayment) -> dict:
    return cryptopay.client.channel_payment(payment.channel.channel_id, payment.payment_id)


def wait_for_payment_status(cryptopay: CryptopayDriver, payment: ChannelPayment, status: str, context: str | None,
                            timeout: float) -> dict:
    want = f"{status}/{context}" if context else status
    return wait_until(lambda: read_payment(cryptopay, payment),
                      lambda p: p["status"] == status and p.get("status_context") == context, timeout=timeout,
                      expected=f"Cryptopay to report channel payment {payment.payment_id} as {want}",
                      pace=cryptopay.run_budget.poll_pace(2.0))


def wait_for_recorded_status(merchant: MerchantAdapter, payment: ChannelPayment, status: str, context: str | None,
                             timeout: float, cryptopay: CryptopayDriver | None = None,
                             settled: Callable[[], bool] | None = None) -> dict:
    """The merchant's record once it shows the status; on a timeout, with Cryptopay at hand, the failure says how
    the record and Cryptopay's GET differ."""
    want = f"{status}/{context}" if context else status
    try:
        return wait_until(lambda: merchant.recorded_channel_payment(payment.payment_id),
                          lambda rec: bool(rec) and rec["status"] == status and rec.get("status_context") == context,
                          timeout=timeout,
                          expected=f"the merchant to record channel payment {payment.payment_id} as {want}",
                          decided=either(final_elsewhere(status, FINAL_PAYMENT, _status),
                                         answered_but_not(status, settled, _status)))
    except WaitTimeout as exc:
        found = read_payment(cryptopay, payment) if cryptopay is not None else None
        if found is None or (found["status"], found.get("status_context")) != (status, context):
            raise  # Cryptopay itself is elsewhere: not the merchant's record to blame
        diagnosis = record_diagnosis(found, merchant.recorded_channel_payment(payment.payment_id))
        raise AssertionError(f"{diagnosis.text()}\nSeen: {exc}") from None


def _status(record: dict | None) -> str | None:
    return record["status"] if record else None


# The channels item each kind of failure below breaks, wherever it is seen (checklists/channels.py).
_ITEM = {prop: item_for("channels", prop) for prop in ("status", "credit", "amount", "second credit", "held credit")}


def record_diagnosis(found: dict, recorded: dict | None) -> Diagnosis:
    """How the merchant's record of a channel payment differs from Cryptopay's GET."""
    state = found["status"] + (f"/{found['status_context']}" if found.get("status_context") else "")
    fix = ("on every ChannelPayment notification, confirm the payment with Cryptopay's GET and record the status it "
           "returns for the channel's customer")
    if recorded is None:
        return Diagnosis(DEFECT, f"the merchant has no record of channel payment {found['id']}, which Cryptopay "
                                 f"reports as {state}", fix, _ITEM["status"])
    kept = recorded["status"] + (f"/{recorded['status_context']}" if recorded.get("status_context") else "")
    return Diagnosis(DEFECT, f"the merchant records channel payment {found['id']} as {kept}, Cryptopay reports "
                             f"{state}", fix, _ITEM["status"])


def statuses(cryptopay: CryptopayDriver, merchant: MerchantAdapter, payment: ChannelPayment) -> dict:
    found = read_payment(cryptopay, payment)
    recorded = merchant.recorded_channel_payment(payment.payment_id) or {}
    return {"cryptopay": {"status": found["status"], "status_context": found.get("status_context")},
            "merchant": {"status": recorded.get("status"), "status_context": recorded.get("status_context")}}


# -- balances ---------------------------------------------------------------------------------------------------------
def wait_until_settled(control: EmulatorControl | None, payment_ids: list[str], timeout: float) -> None:
    """Where Cryptopay's delivery log is visible, waits until the merchant has answered every notification of these
    payments, so "nothing was credited" is not concluded while the merchant is still acting on one."""
    if control is None:
        return
    for payment_id in payment_ids:
        wait_until(lambda: control.deliveries_for(payment_id), lambda rows: all(d["attempts"] for d in rows),
                   timeout=timeout, expected=f"every notification of channel payment {payment_id} to reach the "
                                             "merchant")


def wait_for_credit(merchant: MerchantAdapter, customer: Customer, amount: Decimal, currency: str,
                    timeout: float, settled: Callable[[], bool] | None = None) -> dict[str, Decimal]:
    """The balances once the customer holds exactly `amount` `currency` and nothing in any other currency. More
    than that never comes down (credits only add); once `settled` (every notification answered), any other
    balance is the merchant's last word: either fails at once."""
    def hopeless(balances: dict[str, Decimal]) -> str | None:
        have = balances.get(currency, Decimal("0"))
        if have > amount:
            return f"the customer already has more ({have} {currency}), and credits only add"
        if settled is not None and settled():
            return "the merchant has answered every notification of the payment"
        return None

    return wait_until(lambda: merchant.balances(customer.id),
                      lambda b: b.get(currency, Decimal("0")) == amount
                      and all(v == 0 for c, v in b.items() if c != currency), timeout=timeout,
                      expected=f"customer {customer.id} to be credited exactly {amount} {currency}",
                      decided=hopeless)


def credit_owed(cryptopay: CryptopayDriver, payment: ChannelPayment, rule: CreditRule, declared: str,
                evidence: Evidence) -> tuple[Decimal, str, dict]:
    """The amount owed under the declared setting, its currency, and the payment as Cryptopay reports it now."""
    found = read_payment(cryptopay, payment)
    owed = rule.amount(declared, found)
    evidence.attach_json("Amount owed to the customer", {
        "declared": declared, "adds_up": list(rule.parts(declared)), "owed": f"{owed} {found['received_currency']}",
        "paid": f"{found['paid_amount']} {found['paid_currency']}", "received_amount": found["received_amount"],
        "fee": f"{found['fee']} {found['fee_currency']}", "exchange": found.get("exchange")})
    return owed, found["received_currency"], found


def wait_for_declared_credit(merchant: MerchantAdapter, cryptopay: CryptopayDriver, payment: ChannelPayment,
                             customer: Customer, rule: CreditRule, declared: str, evidence: Evidence,
                             timeout: float, control: EmulatorControl | None = None) -> dict[str, Decimal]:
    """The balances once the customer holds exactly the declared amount of the payment; on a timeout (or as soon as
    the outcome is decided) the failure says which mistake the balance shows (nothing, twice, the other amount,
    what was paid)."""
    owed, currency, found = credit_owed(cryptopay, payment, rule, declared, evidence)
    try:
        return wait_for_credit(merchant, customer, owed, currency, timeout,
                               all_answered([payment.payment_id], control))
    except WaitTimeout as exc:
        diagnosis = credit_diagnosis(found, declared, owed, merchant.balances(customer.id))
        if diagnosis is None:
            raise
        raise AssertionError(f"{diagnosis.text()}\nSeen: {exc}") from None


def credit_diagnosis(payment: dict, declared: str, owed: Decimal, balances: dict[str, Decimal]) -> Diagnosis | None:
    """Why the customer does not hold the `owed` amount of a completed payment, when the balance shows it."""
    currency, paid_currency = payment["received_currency"], payment["paid_currency"]
    held, paid = balances.get(currency, Decimal("0")), Decimal(payment["paid_amount"])
    net = Decimal(payment["received_amount"])
    gross = net + Decimal(payment["fee"])
    subject = f"channel payment {payment['id']} ({payment['status']} at Cryptopay)"
    if not any(balances.values()):
        return Diagnosis(DEFECT, f"the merchant credited nothing for {subject}",
                         "credit the customer when a ChannelPayment notification's confirming GET says completed",
                         _ITEM["credit"])
    if held == 2 * owed:
        return Diagnosis(DEFECT, f"the merchant credited {subject} twice ({held} {currency})",
                         "credit each channel payment once, enforced by a unique constraint on its id",
                         _ITEM["second credit"])
    if currency != paid_currency and balances.get(paid_currency) == paid:
        return Diagnosis(DEFECT, f"the merchant credited what was paid, {paid} {paid_currency}, instead of the "
                                 f"{declared} amount {owed} {currency}",
                         "credit in the payment's received_currency, from Cryptopay's GET once it is completed",
                         _ITEM["amount"])
    if held == (gross if declared == "net" else net) and gross != net:
        other = "gross" if declared == "net" else "net"
        return Diagnosis(DEFECT, f"the merchant credited the {other} amount {held} {currency} of {subject}, but "
                                 f"declared {declared} ({owed} {currency})",
                         f"credit the {declared} amount, or declare CHANNEL_CREDITED_AMOUNT={other} if the "
                         f"{other} amount is what the customer is promised", _ITEM["amount"])
    return None


def uncredited_diagnosis(payment: dict, balances: dict[str, Decimal]) -> Diagnosis | None:
    """Why a customer holds money for a payment Cryptopay has not completed (pending, on hold, refunded)."""
    if not any(balances.values()) or payment["status"] == "completed":
        return None
    state = payment["status"] + (f" ({payment['status_context']})" if payment.get("status_context") else "")
    return Diagnosis(DEFECT, f"the merchant credited channel payment {payment['id']}, which Cryptopay reports as "
                             f"{state}: the customer holds {balances_text(balances)}",
                     "credit only when Cryptopay's GET of the payment says completed; never while pending or on "
                     "hold, and never a refunded one",
                     _ITEM["held credit" if payment["status"] == "on_hold" else "credit"])


def recredit_diagnosis(payment: ChannelPayment, before: dict[str, Decimal],
                       after: dict[str, Decimal]) -> Diagnosis | None:
    if after == before:
        return None
    return Diagnosis(DEFECT, f"the merchant credited channel payment {payment.payment_id} again on a resent "
                             f"'completed' notification: {balances_text(before)} before, {balances_text(after)} after",
                     "make the credit idempotent per channel payment id (a unique constraint), not per notification",
                     _ITEM["second credit"])


def complete_and_credit(merchant: MerchantAdapter, cryptopay: CryptopayDriver, payment: ChannelPayment,
                        customer: Customer, rule: CreditRule, declared: str, evidence: Evidence,
                        timeout: float, control: EmulatorControl | None = None) -> CreditedPayment:
    # Completed at Cryptopay and credited by the merchant; its record of the status is item 4's, not waited for.
    wait_for_payment_status(cryptopay, payment, "completed", None, timeout)
    balances = wait_for_declared_credit(merchant, cryptopay, payment, customer, rule, declared, evidence, timeout,
                                        control)
    show_balance(evidence, customer, balances, "Balance after the payment was credited")
    return CreditedPayment(payment, balances)


# -- notifications ----------------------------------------------------------------------------------------------------
def channel_callback_body(event: str, payment: dict, indent: int | None = None) -> bytes:
    """A ChannelPayment notification as Cryptopay renders it (its Rails encoder); the event is the new status."""
    return rails_json({"type": "ChannelPayment", "event": event, "data": payment}, indent=indent)


def completed_body(control: EmulatorControl | None, cryptopay: CryptopayDriver,
                   payment: ChannelPayment) -> tuple[bytes, str | None]:
    """The exact bytes Cryptopay delivered for 'completed' if its log shows them; else rebuilt from its GET."""
    delivery = control.delivery_for(payment.payment_id, "completed", "completed") if control is not None else None
    if delivery is not None:
        return delivery["body"].encode(), delivery["id"]
    found = read_payment(cryptopay, payment)
    assert found["status"] == "completed", f"channel payment {payment.payment_id} is {found['status']}"
    return channel_callback_body("completed", found), None


def completed_payment(payment: ChannelPayment, control: EmulatorControl | None, cryptopay: CryptopayDriver) -> Resent:
    """The payment's 'completed' notification, to resend: delivered bytes, and the payment as Cryptopay reads it now."""
    body, delivery_id = completed_body(control, cryptopay, payment)

    def render_now(indent: int | None) -> bytes:
        return channel_callback_body("completed", read_payment(cryptopay, payment), indent=indent)
    return Resent("completed", "the payment", body, render_now, "completed", payment.payment_id, delivery_id)


def resend_once(payment: ChannelPayment, control: EmulatorControl | None, cryptopay: CryptopayDriver,
                sender: CallbackSender, timeout: float) -> ResendResult:
    """The 'completed' notification twice more: its exact bytes, then as the payment is now (Cryptopay's own
    resend where the emulator offers it); only a merchant that de-duplicates by payment credits neither."""
    return resend_twice(completed_payment(payment, control, cryptopay), control, sender, timeout)


def resend_concurrently(payment: ChannelPayment, times: int, control: EmulatorControl | None,
                        cryptopay: CryptopayDriver, sender: CallbackSender, timeout: float) -> ResendResult:
    return send_copies(completed_body(control, cryptopay, payment)[0], times, sender, timeout)


def invented_completion(channel: Channel, amount: Decimal, currency: str, when: str) -> dict:
    """What an attacker would send: a payment to the customer's real address that never happened, claimed
    completed with `amount` `currency` received, shaped like Cryptopay's ChannelPayment (facts §3)."""
    return {"id": str(uuid.uuid4()), "paid_amount": str(DEPOSIT_SIZES[channel.pay_currency]),
            "paid_currency": channel.pay_currency, "received_amount": str(amount), "received_currency": currency,
            "fee": "1.0", "fee_currency": currency, "txid": secrets.token_hex(32), "status": "completed",
            "status_context": None, "refund_address": None, "coin_withdrawal_id": None, "custom_id": channel.custom_id,
            "customer_id": channel.customer_id, "channel_id": channel.channel_id, "address": channel.address,
            "network": channel.network, "risk": None, "created_at": when}


def send_bad_callback(kind: str, payment: dict, sender: CallbackSender) -> Answer:
    """The payment's 'completed' notification, not signed by Cryptopay the way it signs; misdirected carries
    Cryptopay's genuine signature of the payment's earlier notification."""
    earlier = channel_callback_body("created", dict(payment, status="pending", received_amount="0.0", fee="0.0"))
    return send_badly_signed(kind, channel_callback_body("completed", payment), "received_amount", earlier, sender)


def delivered(control: EmulatorControl, payment_id: str) -> list[dict]:
    """Cryptopay's notifications of one payment: event, status carried, state and the merchant's answers."""
    return [{"event": d["event"], "status": carried_status(d), "state": d["state"],
             "answers": [a["status_code"] or a["error"] for a in d["attempts"]]}
            for d in control.deliveries_for(payment_id)]


def wait_for_acknowledgement(control: EmulatorControl, payment_id: str, event: str, timeout: float) -> list[dict]:
    """Cryptopay's log once the merchant has answered this payment's `event` notification with 200."""
    return wait_until(lambda: delivered(control, payment_id), lambda rows: acknowledged(rows, (event,)),
                      timeout=timeout, expected=f"the merchant to acknowledge the '{event}' notification of channel "
                                                f"payment {payment_id}")


def acknowledged(rows: list[dict], events: tuple[str, ...]) -> bool:
    done = {row["event"] for row in rows if 200 in row["answers"]}
    return all(event in done for event in events)
