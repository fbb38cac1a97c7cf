"""Steps about customers' personal deposit addresses (channels): opening them, paying them, what Cryptopay and the
merchant report, what the customer is credited, and the payments' notifications."""
from __future__ import annotations

from decimal import Decimal

import pytest
from pytest_bdd import given, parsers, then, when

from support.domain.callbacks import all_answered
from support.domain.channels import (CHANNEL_TYPES, ChannelPayment, CreditedPayment, CreditRule, acknowledged,
                                     channel_problems, complete_and_credit, delivered, invented_completion,
                                     open_channel, pay_coin, read_credit_rule, read_payment, receive_currency,
                                     recredit_diagnosis, resend_concurrently, resend_once, send_bad_callback,
                                     send_payment, statuses, uncredited_diagnosis, wait_for_acknowledgement,
                                     wait_for_declared_credit, wait_for_payment_status, wait_for_recorded_status,
                                     wait_until_settled)
from support.domain.customers import Customer, show_balance
from support.domain.resend import ResendResult, resent_evidence
from support.drivers.callbacks import CallbackSender
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.drivers.merchant import Channel, MerchantAdapter
from support.drivers.payers import ChannelPayer
from support.drivers.waiting import wait_until
from support.evidence.attachments import Evidence
from support.evidence.resends import attach_storm, warn_about_retries
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
@when(f"the customer sends {SENT}", target_fixture="channel_payment")
def sends(channel_payer: ChannelPayer, channel: Channel, evidence: Evidence) -> ChannelPayment:
    return send_payment(channel_payer, channel, evidence)


@when(f"the customer sends {SENT} that the network has not yet confirmed", target_fixture="channel_payment")
def sends_unconfirmed(channel_payer: ChannelPayer, channel: Channel, evidence: Evidence) -> ChannelPayment:
    return send_payment(channel_payer, channel, evidence, confirmed=False)


@given(f"the customer has sent {SENT} from a high-risk source", target_fixture="channel_payment")
@when(f"the customer sends {SENT} from a high-risk source", target_fixture="channel_payment")
def sends_risky(channel_payer: ChannelPayer, channel: Channel, evidence: Evidence) -> ChannelPayment:
    return send_payment(channel_payer, channel, evidence, risk_level="high")


@given("the customer's payment to that address has been completed and credited", target_fixture="credited_payment")
def completed_and_credited(channel_payer: ChannelPayer, cryptopay: CryptopayDriver, control: EmulatorControl | None,
                           merchant: MerchantAdapter, channel: Channel, customer: Customer, credit_rule: CreditRule,
                           settings: Settings, evidence: Evidence, wait_timeout: float) -> CreditedPayment:
    payment = send_payment(channel_payer, channel, evidence)
    return complete_and_credit(merchant, cryptopay, payment, customer, credit_rule,
                               settings.declared.channel_credited_amount, evidence, wait_timeout, control)


@given("the merchant has acknowledged Cryptopay's notification of the hold")
def hold_acknowledged(emulator: EmulatorControl, channel_payment: ChannelPayment, evidence: Evidence,
                      wait_timeout: float) -> None:
    rows = wait_for_acknowledgement(emulator, channel_payment.payment_id, "on_hold", wait_timeout)
    evidence.attach_json("Notifications of the payment, from Cryptopay's delivery log", rows)


@when(_step("Cryptopay's monitoring team decides the held payment is {decision}"))
def monitoring_decides(emulator: EmulatorControl, channel_payment: ChannelPayment, decision: str,
                       evidence: Evidence) -> None:
    outcome = {"legitimate": "completed", "illicit": "refunded"}[decision]
    evidence.attach_json("Monitoring team's decision",
                         emulator.channel_monitoring_decision(channel_payment.payment_id, outcome))


# -- what Cryptopay and the merchant report (items 2, 4, 8) -----------------------------------------------------------
@then(_step("Cryptopay reports the payment as {status:Status}"))
def cryptopay_reports(cryptopay: CryptopayDriver, channel_payment: ChannelPayment, status: tuple[str, str | None],
                      evidence: Evidence, wait_timeout: float) -> None:
    found = wait_for_payment_status(cryptopay, channel_payment, *status, wait_timeout)
    evidence.attach_json(f"Channel payment as Cryptopay reports it ({found['status']})", found)


@then("Cryptopay reports the payment as completed, to the customer's channel, for the amount sent")
def cryptopay_saw_it(cryptopay: CryptopayDriver, channel_payment: ChannelPayment, customer: Customer,
                     evidence: Evidence, wait_timeout: float) -> None:
    found = wait_for_payment_status(cryptopay, channel_payment, "completed", None, wait_timeout)
    listed = [p["id"] for p in cryptopay.client.channel_payments(channel_payment.channel.channel_id)["data"]]
    evidence.attach_json("Channel payment as Cryptopay reports it", {"payment": found, "channel_lists": listed})
    seen = {"channel_id": found["channel_id"], "customer_id": found.get("customer_id"),
            "paid": (Decimal(found["paid_amount"]), found["paid_currency"])}
    expected = {"channel_id": channel_payment.channel.channel_id, "customer_id": customer.id,
                "paid": (channel_payment.sent, channel_payment.channel.pay_currency)}
    assert seen == expected, f"Cryptopay saw {seen}, the customer sent {expected}"
    assert channel_payment.payment_id in listed, f"the channel's payments {listed} do not list the payment"


@then(_step("the merchant records the payment as {status:Status}"))
def merchant_records(merchant: MerchantAdapter, cryptopay: CryptopayDriver, control: EmulatorControl | None,
                     channel_payment: ChannelPayment, customer: Customer, status: tuple[str, str | None],
                     evidence: Evidence, wait_timeout: float) -> None:
    recorded = wait_for_recorded_status(merchant, channel_payment, *status, wait_timeout, cryptopay,
                                        all_answered([channel_payment.payment_id], control))
    evidence.attach_json("Channel payment as the merchant records it", recorded)
    assert (recorded["customer_id"], recorded["channel_id"]) == (customer.id, channel_payment.channel.channel_id), (
        f"the merchant recorded the payment for customer {recorded['customer_id']} on channel "
        f"{recorded['channel_id']}, not for {customer.id} on {channel_payment.channel.channel_id}")


@then("the merchant's recorded status of the payment matches Cryptopay's")
def statuses_match(merchant: MerchantAdapter, cryptopay: CryptopayDriver, channel_payment: ChannelPayment,
                   evidence: Evidence, wait_timeout: float) -> None:
    seen = wait_until(lambda: statuses(cryptopay, merchant, channel_payment),
                      lambda pair: pair["cryptopay"] == pair["merchant"], timeout=wait_timeout,
                      expected=f"the merchant's record of channel payment {channel_payment.payment_id} to match "
                               "Cryptopay's GET")
    evidence.attach_json("Cryptopay's status and the merchant's", seen)


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


@then("the customer has been credited nothing")
def credited_nothing(merchant: MerchantAdapter, cryptopay: CryptopayDriver, customer: Customer,
                     control: EmulatorControl | None, request: pytest.FixtureRequest, evidence: Evidence,
                     wait_timeout: float) -> None:
    payment = _optional(request, "channel_payment")
    wait_until_settled(control, [payment.payment_id] if payment else [], wait_timeout)
    balances = merchant.balances(customer.id)
    show_balance(evidence, customer, balances)
    if payment is not None and (diagnosis := uncredited_diagnosis(read_payment(cryptopay, payment), balances)):
        raise AssertionError(diagnosis.text())
    assert all(v == 0 for v in balances.values()), (
        f"customer {customer.id} must not be credited, but the merchant shows {balances}")


@then("the customer's balance still shows what the payment credited")
def balance_unchanged(merchant: MerchantAdapter, customer: Customer, credited_payment: CreditedPayment,
                      control: EmulatorControl | None, evidence: Evidence, wait_timeout: float) -> None:
    wait_until_settled(control, [credited_payment.payment.payment_id], wait_timeout)
    balances = merchant.balances(customer.id)
    show_balance(evidence, customer, balances)
    diagnosis = recredit_diagnosis(credited_payment.payment, credited_payment.balances, balances)
    assert diagnosis is None, diagnosis.text()


def _optional(request: pytest.FixtureRequest, name: str) -> ChannelPayment | None:
    """A scenario about a notification that no real payment stands behind has no payment to wait for."""
    try:
        return request.getfixturevalue(name)
    except pytest.FixtureLookupError:
        return None


# -- notifications (items 3, 7) ---------------------------------------------------------------------------------------
@then(_step('Cryptopay notified the merchant that the payment was "{first}" and "{second}", and each was '
            'acknowledged'))
def notified(control: EmulatorControl | None, channel_payment: ChannelPayment, first: str, second: str,
             evidence: Evidence, wait_timeout: float) -> None:
    # Which notifications reached the merchant, and what it answered, shows only in the emulator's delivery log: the
    # scenario is emulator_only, so it is not run (with the standard reason) where there is no control API.
    assert control is not None, "this step needs the emulator's delivery log: tag its scenario @emulator_only"
    rows = wait_until(lambda: delivered(control, channel_payment.payment_id),
                      lambda found: acknowledged(found, (first, second)), timeout=wait_timeout,
                      expected=f"the '{first}' and '{second}' notifications delivered and answered 200")
    evidence.attach_json("Notifications of the payment, from Cryptopay's delivery log", rows)


@when(_step("someone sends the merchant a {kind} notification that a {amount:Amount} {currency:Currency} payment to "
            "the address completed"), target_fixture="resend")
def bad_notification(channel: Channel, cryptopay: CryptopayDriver, callback_sender: CallbackSender, kind: str,
                     amount: Decimal, currency: str, evidence: Evidence) -> ResendResult:
    invented = invented_completion(channel, amount, currency, cryptopay.server_now().isoformat(timespec="seconds"))
    answer = send_bad_callback(kind, invented, callback_sender)
    evidence.attach_json(f"A {kind} notification", {"claimed": invented, "merchant_answer": answer})
    return ResendResult(kind, [answer])


@when('Cryptopay sends the "completed" notification for that payment again', target_fixture="resend")
def resend_completed(credited_payment: CreditedPayment, control: EmulatorControl | None, cryptopay: CryptopayDriver,
                     callback_sender: CallbackSender, evidence: Evidence, wait_timeout: float) -> ResendResult:
    result = resend_once(credited_payment.payment, control, cryptopay, callback_sender, wait_timeout)
    evidence.attach_json("Resent 'completed' notification", resent_evidence(result))
    warn_about_retries(result, evidence)
    return result


@when(_step('Cryptopay sends the "completed" notification for that payment {times:d} times at once'),
      target_fixture="resend")
def resend_storm(credited_payment: CreditedPayment, times: int, control: EmulatorControl | None,
                 cryptopay: CryptopayDriver, callback_sender: CallbackSender, evidence: Evidence,
                 wait_timeout: float) -> ResendResult:
    result = resend_concurrently(credited_payment.payment, times, control, cryptopay, callback_sender, wait_timeout)
    attach_storm(result, "Concurrent 'completed' notifications", evidence)
    return result
