"""Customers' personal deposit addresses (Cryptopay channels): opened through the merchant, paid, read back from
Cryptopay, the declared credited amount, and the payments' adapter for the shared concepts (PAYMENTS)."""
from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Callable

import parse

from support.domain.callbacks import all_answered
from support.domain.concepts import Lookup, Notification, ProductAdapter, reported
from support.domain.customers import Customer, show_balance
from support.domain.parameters import TYPES, Status
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.drivers.merchant import Channel, MerchantAdapter
from support.drivers.payers import ChannelPayer
from support.drivers.waiting import wait_until
from support.evidence.attachments import Evidence
from support.targets.settings import Settings

FINAL_PAYMENT = frozenset({"completed", "refunded", "cancelled"})  # a channel payment's final statuses (§4)

# "deposit crypto": the run's PAYMENT_COIN; "credited in the same crypto": the channel credits the coin it is paid in.
RUN_COIN, SAME_COIN = "crypto", "the same crypto"


@dataclass(frozen=True)
class ChannelPayment:
    """A payment the customer sent to their deposit address, as Cryptopay first reported it; once the merchant
    credited it, the customer's balances right after."""
    channel: Channel
    payment_id: str
    sent: Decimal  # in the channel's pay currency
    credited: dict[str, Decimal] | None = None
    earlier: tuple["ChannelPayment", ...] = ()  # the customer's earlier payments to the same address, in order


# -- currencies and statuses in the features' words -------------------------------------------------------------------
def pay_coin(words: str, settings: Settings) -> str:
    return settings.payment_coin if words == RUN_COIN else words


def receive_currency(words: str, coin: str) -> str:
    return coin if words == SAME_COIN else words


@parse.with_pattern(r"crypto|[A-Z]{3,5}")
def parse_coin(text: str) -> str:
    return text


@parse.with_pattern(r"the same crypto|[A-Z]{3,5}")
def parse_receive(text: str) -> str:
    return text


@parse.with_pattern(r"created|on hold")
def parse_earlier(text: str) -> str:
    """A payment's notification that a later one overtakes: its "created", its "on hold"."""
    return text


# The steps' parse types: the pay coin ("crypto" = PAYMENT_COIN), the credited currency, an earlier notification.
CHANNEL_TYPES = {**TYPES, "Coin": parse_coin, "Receive": parse_receive, "Earlier": parse_earlier}


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


def send_again(channel_payer: ChannelPayer, payment: ChannelPayment, evidence: Evidence) -> ChannelPayment:
    """Another payment of the same amount to the same address; it remembers the earlier ones."""
    again = send_payment(channel_payer, payment.channel, evidence)
    return replace(again, earlier=(*payment.earlier, payment))


def read_payment(cryptopay: CryptopayDriver, payment: ChannelPayment) -> dict:
    return cryptopay.client.channel_payment(payment.channel.channel_id, payment.payment_id)


# -- balances ---------------------------------------------------------------------------------------------------------
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
    """The balances once the customer holds exactly the declared amount of the payment; a failure's Why names the
    mistake the balance shows (support/evidence/diagnosis/channels.py)."""
    owed, currency, _ = credit_owed(cryptopay, payment, rule, declared, evidence)
    return wait_for_credit(merchant, customer, owed, currency, timeout, all_answered([payment.payment_id], control))


def wait_for_declared_credits(merchant: MerchantAdapter, cryptopay: CryptopayDriver, payments: list[ChannelPayment],
                              customer: Customer, rule: CreditRule, declared: str, evidence: Evidence,
                              timeout: float, control: EmulatorControl | None = None) -> dict[str, Decimal]:
    """The balances once the customer holds exactly the declared amounts of all these payments (to one address, so
    in one currency) added up, each payment credited on its own."""
    owed = [credit_owed(cryptopay, payment, rule, declared, evidence)[:2] for payment in payments]
    currencies = {currency for _, currency in owed}
    assert len(currencies) == 1, f"the payments were credited by Cryptopay in several currencies: {currencies}"
    total = sum((amount for amount, _ in owed), Decimal("0"))
    return wait_for_credit(merchant, customer, total, currencies.pop(), timeout,
                           all_answered([payment.payment_id for payment in payments], control))


def complete_and_credit(merchant: MerchantAdapter, cryptopay: CryptopayDriver, payment: ChannelPayment,
                        customer: Customer, rule: CreditRule, declared: str, evidence: Evidence,
                        timeout: float, control: EmulatorControl | None = None) -> ChannelPayment:
    """The payment once completed at Cryptopay and credited by the merchant, with the balances right after; its
    record of the status is item 4's, not waited for."""
    reported(PAYMENTS, cryptopay, control, payment, Status("completed"), timeout)
    balances = wait_for_declared_credit(merchant, cryptopay, payment, customer, rule, declared, evidence, timeout,
                                        control)
    show_balance(evidence, customer, balances, "Balance after the payment was credited")
    return replace(payment, credited=balances)


# -- notifications and the adapter -------------------------------------------------------------------------------------
def invented_completion(channel: Channel, amount: Decimal, currency: str, when: str) -> dict:
    """What an attacker would send: a payment to the customer's real address that never happened, claimed
    completed with `amount` `currency` received, shaped like Cryptopay's ChannelPayment (facts §3)."""
    return {"id": str(uuid.uuid4()), "paid_amount": str(DEPOSIT_SIZES[channel.pay_currency]),
            "paid_currency": channel.pay_currency, "received_amount": str(amount), "received_currency": currency,
            "fee": "1.0", "fee_currency": currency, "txid": secrets.token_hex(32), "status": "completed",
            "status_context": None, "refund_address": None, "coin_withdrawal_id": None, "custom_id": channel.custom_id,
            "customer_id": channel.customer_id, "channel_id": channel.channel_id, "address": channel.address,
            "network": channel.network, "risk": None, "created_at": when}


# "a 100.00 EUR payment to the address": what a forged notification about a payment that never happened claims.
_INVENTED = re.compile(r"^a (?P<amount>\d+(?:\.\d+)?) (?P<currency>[A-Z]{3,5}) payment to the address$")


class ChannelPayments(ProductAdapter):
    """A payment the customer sent to their deposit address (a Cryptopay channel)."""
    product, noun, kind, fixture, callback_type = "channels", "payment", "channel payment", "channel_payment", \
        "ChannelPayment"
    final = FINAL_PAYMENT
    # Channels name each notification's event after the payment's new status (facts §4).
    notifications = {"created": Notification("created"), "completed": Notification("completed", "completed"),
                     "on hold": Notification("on_hold", "on_hold"), "refunded": Notification("refunded", "refunded"),
                     "cancelled": Notification("cancelled", "cancelled")}
    amount_field = "received_amount"
    # No real payment stands behind a forged notification: it claims one to the customer's address.
    subject = r"a \d+(?:\.\d+)? [A-Z]{3,5} payment to the address"

    def object_id(self, payment: ChannelPayment) -> str:
        return payment.payment_id

    def at_cryptopay(self, cryptopay: CryptopayDriver, payment: ChannelPayment) -> dict:
        return read_payment(cryptopay, payment)

    def recorded(self, merchant: MerchantAdapter, payment: ChannelPayment) -> dict | None:
        return merchant.recorded_channel_payment(payment.payment_id)

    def record_problem(self, record: dict, payment: ChannelPayment) -> str | None:
        ours = (payment.channel.customer_id, payment.channel.channel_id)
        if (record["customer_id"], record["channel_id"]) == ours:
            return None
        return (f"the merchant recorded the payment for customer {record['customer_id']} on channel "
                f"{record['channel_id']}, not for {ours[0]} on {ours[1]}")

    def scenario_things(self, lookup: Lookup) -> list[ChannelPayment]:
        """The scenario's payment and the customer's earlier payments to the same address, oldest first."""
        payment = lookup(self.fixture)
        return [] if payment is None else [*payment.earlier, payment]

    def decide_hold(self, control: EmulatorControl, payment: ChannelPayment, outcome: str) -> dict:
        return control.channel_monitoring_decision(payment.payment_id, outcome)

    def claimed(self, subject: str, name: str, lookup: Lookup, cryptopay: CryptopayDriver) -> tuple[dict, bytes, bytes]:
        """A payment that never happened, claimed completed; misdirected carries Cryptopay's genuine signature of
        that payment's earlier notification."""
        said = _INVENTED.match(subject)
        invented = invented_completion(lookup("channel"), Decimal(said["amount"]), said["currency"],
                                       cryptopay.server_now().isoformat(timespec="seconds"))
        earlier = dict(invented, status="pending", received_amount="0.0", fee="0.0")
        return invented, self.render(name, invented), self.render("created", earlier)


PAYMENTS = ChannelPayments()
