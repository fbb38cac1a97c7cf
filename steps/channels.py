"""Steps about customers' personal deposit addresses (channels): opening them, paying them (again), what Cryptopay saw,
what the customer is credited, and the payments' notifications out of their order: late, or before Cryptopay's
answer for the address (the payments' statuses and notifications are shared steps: concepts.py)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from pytest_bdd import given, parsers, then, when

from support.domain.callbacks import wait_until_settled
from support.domain.channels import (CHANNEL_TYPES, DEPOSIT_SIZES, PAYMENTS, ChannelPayment, CreditRule,
                                     channel_problems, complete_and_credit, open_channel, pay_coin, read_credit_rule,
                                     read_payment, receive_currency, send_again, send_payment,
                                     wait_for_declared_credit, wait_for_declared_credits)
from support.domain.concepts import acknowledged, notification_body, notifications_seen, reported
from support.domain.customers import Customer, show_balance
from support.domain.hiccups import early_notice_used
from support.domain.parameters import Status
from support.domain.resend import ResendResult
from support.drivers.callbacks import CallbackSender
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.drivers.merchant import Channel, MerchantAdapter
from support.drivers.payers import ChannelPayer
from support.drivers.waiting import wait_until
from support.evidence.attachments import Evidence
from support.targets.settings import Settings


ADDRESS = "a personal address to deposit {coin:Coin}, credited in {receive:Receive}"
SENT = "a payment to their deposit address"


def _step(text: str) -> parsers.StepParser:
    return parsers.cfparse(text, extra_types=CHANNEL_TYPES)


# -- the personal deposit address (item 1) ----------------------------------------------------------------------------
@given(_step(f"the customer has {ADDRESS}"), target_fixture="channel")
def has_address(merchant: MerchantAdapter, cryptopay: CryptopayDriver, settings: Settings, customer: Customer,
                evidence: Evidence, coin: str, receive: str) -> Channel:
    paid_in = pay_coin(coin, settings)
    return open_channel(merchant, cryptopay, customer, paid_in, receive_currency(receive, paid_in), evidence)


@when(_step(f"the customer asks the merchant for {ADDRESS}"), target_fixture="channel_answer")
def asks_for_address(merchant: MerchantAdapter, cryptopay: CryptopayDriver, settings: Settings, customer: Customer,
                     evidence: Evidence, coin: str, receive: str) -> Channel:
    paid_in = pay_coin(coin, settings)
    return open_channel(merchant, cryptopay, customer, paid_in, receive_currency(receive, paid_in), evidence)


@then(_step("the customer has a channel at Cryptopay for {coin:Coin}, credited in {receive:Receive}, at the address "
            "the merchant gave"))
def has_channel(cryptopay: CryptopayDriver, settings: Settings, customer: Customer, channel_answer: Channel,
                evidence: Evidence, coin: str, receive: str) -> None:
    paid_in = pay_coin(coin, settings)
    found = cryptopay.client.channel(channel_answer.channel_id)
    listed = [c["id"] for c in cryptopay.client.channels(customer_id=customer.id)["data"]]
    evidence.attach_json("The customer's channels at Cryptopay", {"channel": found, "listed_for_customer": listed})
    problems = channel_problems(found, channel_answer, customer, paid_in, receive_currency(receive, paid_in))
    assert not problems, f"Cryptopay's channel {channel_answer.channel_id} is not the one asked for: {problems}"
    assert channel_answer.channel_id in listed, (
        f"Cryptopay does not list channel {channel_answer.channel_id} for customer {customer.id}: the merchant must "
        f"open it with customer_id; listed: {listed}")


@then("the customer has a channel at Cryptopay that is the one given before, at the same address")
def same_channel(cryptopay: CryptopayDriver, customer: Customer, channel: Channel, channel_answer: Channel,
                 evidence: Evidence) -> None:
    listed = [c["id"] for c in cryptopay.client.channels(customer_id=customer.id)["data"]]
    evidence.attach_json("The customer's channels at Cryptopay", {"before": channel.__dict__,
                                                                   "again": channel_answer.__dict__, "listed": listed})
    assert (channel_answer.channel_id, channel_answer.address) == (channel.channel_id, channel.address), (
        f"asked again, the merchant gave channel {channel_answer.channel_id} at {channel_answer.address}, not the "
        f"customer's channel {channel.channel_id} at {channel.address}")
    assert listed == [channel.channel_id], f"the customer should have one channel at Cryptopay, it has {listed}"


# -- paying the address (item 2) --------------------------------------------------------------------------------------
@given(f"the customer has sent {SENT}", target_fixture="channel_payment")
@when(f"the customer sends {SENT}", target_fixture="channel_payment")
def sends(channel_payer: ChannelPayer, channel: Channel, evidence: Evidence) -> ChannelPayment:
    return send_payment(channel_payer, channel, evidence)


@given(f"the customer has sent {SENT} that the network has not yet confirmed", target_fixture="channel_payment")
@when(f"the customer sends {SENT} that the network has not yet confirmed", target_fixture="channel_payment")
def sends_unconfirmed(channel_payer: ChannelPayer, channel: Channel, evidence: Evidence) -> ChannelPayment:
    return send_payment(channel_payer, channel, evidence, confirmed=False)


@given(f"the customer has sent {SENT} from a high-risk source", target_fixture="channel_payment")
@when(f"the customer sends {SENT} from a high-risk source", target_fixture="channel_payment")
def sends_risky(channel_payer: ChannelPayer, channel: Channel, evidence: Evidence) -> ChannelPayment:
    return send_payment(channel_payer, channel, evidence, risk_level="high")


@when("the customer sends another payment of the same amount to their deposit address",
      target_fixture="channel_payment")
def sends_again(channel_payer: ChannelPayer, channel_payment: ChannelPayment, evidence: Evidence) -> ChannelPayment:
    return send_again(channel_payer, channel_payment, evidence)


@given("the network has confirmed the payment")
def network_confirms(emulator: EmulatorControl, cryptopay: CryptopayDriver, channel_payment: ChannelPayment,
                     evidence: Evidence) -> None:
    evidence.attach_json("The network confirmed the payment (emulator)",
                         emulator.confirm(read_payment(cryptopay, channel_payment)["txid"]))


@given("the customer's payment to that address has been completed and credited", target_fixture="channel_payment")
def completed_and_credited(channel_payer: ChannelPayer, cryptopay: CryptopayDriver, control: EmulatorControl | None,
                           merchant: MerchantAdapter, channel: Channel, customer: Customer, credit_rule: CreditRule,
                           settings: Settings, evidence: Evidence, wait_timeout: float,
                           made: dict[str, Any]) -> ChannelPayment:
    payment = made["channel_payment"] = send_payment(channel_payer, channel, evidence)
    return complete_and_credit(merchant, cryptopay, payment, customer, credit_rule,
                               settings.declared.channel_credited_amount, evidence, wait_timeout, control)


@given("the merchant has acknowledged Cryptopay's notification of the hold")
def hold_acknowledged(emulator: EmulatorControl, merchant: MerchantAdapter, channel_payment: ChannelPayment,
                      evidence: Evidence, wait_timeout: float) -> None:
    hold = [PAYMENTS.notifications["on hold"]]
    rows = wait_until(lambda: notifications_seen(PAYMENTS, channel_payment, emulator, merchant)[1],
                      lambda found: acknowledged(found, hold), timeout=wait_timeout,
                      expected=f"the merchant to acknowledge the 'on hold' notification of channel payment "
                               f"{channel_payment.payment_id}")
    evidence.attach_json("Notifications of the payment, from Cryptopay's delivery log", rows)


# -- notifications out of their order (items 3, 4) ------------------------------------------------------------------
@when(_step('an earlier "{name:Earlier}" notification of the payment arrives late'), target_fixture="resend")
def earlier_arrives_late(emulator: EmulatorControl, cryptopay: CryptopayDriver, callback_sender: CallbackSender,
                         channel_payment: ChannelPayment, name: str, evidence: Evidence) -> ResendResult:
    body, _ = notification_body(PAYMENTS, name, channel_payment, emulator, cryptopay)
    answer = callback_sender.post_signed(body)
    evidence.attach_json(f"Late '{name}' notification, as Cryptopay delivered it first",
                         {"body": body.decode(), "merchant_answer": answer})
    return ResendResult(f"the '{name}' notification Cryptopay delivered earlier, re-posted late", [answer])


@given("Cryptopay will notify the merchant of a payment to the customer's next deposit address before answering for it",
       target_fixture="early_notice")
def notified_before_answer_will_be(emulator: EmulatorControl, customer: Customer, settings: Settings,
                                   evidence: Evidence) -> dict:
    notice = emulator.notify_before_create_answer("channel", customer.id,
                                                  amount=DEPOSIT_SIZES[settings.payment_coin])
    evidence.attach_json("Notice: the next deposit address's payment is notified before Cryptopay answers", notice)
    return notice


@then("Cryptopay sent the merchant the notifications of the payment before its answer for the address",
      target_fixture="channel_payment")
def notified_before_answer(emulator: EmulatorControl, early_notice: dict, channel_answer: Channel,
                           evidence: Evidence) -> ChannelPayment:
    notice = early_notice_used(emulator, early_notice, channel_answer.channel_id,
                               f"channel {channel_answer.channel_id}")
    evidence.attach_json("Notifications sent before Cryptopay's answer for the address (emulator)", notice)
    return ChannelPayment(channel_answer, notice["notified_id"], Decimal(notice["pay"]["amount"]))


# -- what Cryptopay reports (item 2; the statuses are shared steps: concepts.py) ----------------------------------
@then("Cryptopay reports the payment as completed, to the customer's channel, for the amount sent")
def cryptopay_saw_it(cryptopay: CryptopayDriver, control: EmulatorControl | None, channel_payment: ChannelPayment,
                     customer: Customer, evidence: Evidence, wait_timeout: float) -> None:
    found = reported(PAYMENTS, cryptopay, control, channel_payment, Status("completed"), wait_timeout)
    listed = [p["id"] for p in cryptopay.client.channel_payments(channel_payment.channel.channel_id)["data"]]
    evidence.attach_json("Channel payment as Cryptopay reports it", {"payment": found, "channel_lists": listed})
    seen = {"channel_id": found["channel_id"], "customer_id": found.get("customer_id"),
            "paid": (Decimal(found["paid_amount"]), found["paid_currency"])}
    expected = {"channel_id": channel_payment.channel.channel_id, "customer_id": customer.id,
                "paid": (channel_payment.sent, channel_payment.channel.pay_currency)}
    assert seen == expected, f"Cryptopay saw {seen}, the customer sent {expected}"
    assert channel_payment.payment_id in listed, f"the channel's payments {listed} do not list the payment"


# -- what the customer is credited (items 5, 6, 7, 8) -----------------------------------------------------------------
@given("the merchant credits its customers the amount it declared, which means:", target_fixture="credit_rule")
def declared_meaning(datatable: list[list[str]], settings: Settings, evidence: Evidence) -> CreditRule:
    rule = read_credit_rule(datatable)
    declared = settings.declared.channel_credited_amount
    evidence.attach_json("Declared credited amount", {"CHANNEL_CREDITED_AMOUNT": declared,
                                                      "adds_up": list(rule.parts(declared))})
    return rule


@then(_step("the customer's balance shows the declared amount of the payment, in {receive:Receive}"))
def balance_shows_declared(merchant: MerchantAdapter, cryptopay: CryptopayDriver, control: EmulatorControl | None,
                           customer: Customer, channel_payment: ChannelPayment, credit_rule: CreditRule,
                           settings: Settings, evidence: Evidence, receive: str, wait_timeout: float) -> None:
    expected = receive_currency(receive, channel_payment.channel.pay_currency)
    currency = read_payment(cryptopay, channel_payment)["received_currency"]
    assert currency == expected, f"Cryptopay credited the payment in {currency}, the channel credits {expected}"
    show_balance(evidence, customer, wait_for_declared_credit(
        merchant, cryptopay, channel_payment, customer, credit_rule, settings.declared.channel_credited_amount,
        evidence, wait_timeout, control))


@then("the customer has been credited the declared amount of the payment")
def credited_declared(merchant: MerchantAdapter, cryptopay: CryptopayDriver, control: EmulatorControl | None,
                      customer: Customer, channel_payment: ChannelPayment, credit_rule: CreditRule,
                      settings: Settings, evidence: Evidence, wait_timeout: float) -> None:
    show_balance(evidence, customer, wait_for_declared_credit(
        merchant, cryptopay, channel_payment, customer, credit_rule, settings.declared.channel_credited_amount,
        evidence, wait_timeout, control))


@then("the customer has been credited the declared amount of each payment")
def credited_each(merchant: MerchantAdapter, cryptopay: CryptopayDriver, control: EmulatorControl | None,
                  customer: Customer, channel_payment: ChannelPayment, credit_rule: CreditRule, settings: Settings,
                  evidence: Evidence, wait_timeout: float) -> None:
    show_balance(evidence, customer, wait_for_declared_credits(
        merchant, cryptopay, [*channel_payment.earlier, channel_payment], customer, credit_rule,
        settings.declared.channel_credited_amount, evidence, wait_timeout, control))


@then("the customer's balance still shows what the payment credited")
def balance_unchanged(merchant: MerchantAdapter, customer: Customer, channel_payment: ChannelPayment,
                      control: EmulatorControl | None, evidence: Evidence, wait_timeout: float) -> None:
    wait_until_settled(control, [channel_payment.payment_id], wait_timeout)
    balances = merchant.balances(customer.id)
    show_balance(evidence, customer, balances)
    assert balances == channel_payment.credited, (
        f"customer {customer.id} should still hold what payment {channel_payment.payment_id} credited, "
        f"{channel_payment.credited}; the merchant shows {balances}")
