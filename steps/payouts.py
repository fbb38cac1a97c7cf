"""Steps about payouts: a customer asks to withdraw, what Cryptopay charges and sends, what the customer is told and
debited (the payout's statuses and notifications are shared steps: concepts.py)."""
from __future__ import annotations

from decimal import Decimal

import parse
from pytest_bdd import given, parsers, then, when

from support.domain.callbacks import all_answered, wait_until_settled
from support.domain.concepts import notification_body, reported
from support.domain.customers import Customer, show_balance, wait_for_balance
from support.domain.deposits import pay_coin
from support.domain.parameters import COIN_TYPES, TYPES, Status
from support.domain.payouts import (PAYOUTS, BalanceMark, Destination, FieldMeaning, Withdrawal,
                                    arrived_at_destination, charged_by_cryptopay, charged_problem,
                                    fail_or_hold_at_cryptopay, fresh_custom_id, fund_customer, own_address,
                                    read_amount_fields, received_problem, record_json, request_withdrawal,
                                    top_up_account, until_payout_ended)
from support.domain.resend import ResendResult
from support.domain.timetravel import until_cryptopay
from support.drivers.callbacks import CallbackSender
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.drivers.merchant import MerchantAdapter, PayoutRefusal
from support.drivers.waiting import wait_until
from support.evidence.attachments import Evidence
from support.targets.settings import Settings


# -- Givens: the scene ------------------------------------------------------------------------------------------------
@given("the merchant sends the amount a customer asks for in the one field it uses, and the fields mean:",
       target_fixture="declared_meaning")
def declared_field(datatable: list[list[str]], settings: Settings, evidence: Evidence) -> FieldMeaning:
    meaning = read_amount_fields(datatable).meaning(settings.declared.payout_amount_field)
    evidence.attach_json("Declared amount field (PAYOUT_AMOUNT_FIELD)", meaning.__dict__)
    evidence.name_choice("the merchant's field", meaning.field)
    return meaning


@given(parsers.cfparse("the merchant's Cryptopay account holds {amount:Amount} {currency:Currency} to pay "
                       "customers out", extra_types=TYPES))
def account_holds(control: EmulatorControl | None, amount: Decimal, currency: str, evidence: Evidence) -> None:
    if control is None:  # on the sandbox the account's own balance pays, and only its owner can fill it
        evidence.attach_text("Account balance", f"the sandbox account's own {currency} balance pays the payouts; "
                                                f"keep at least {amount} {currency} there")
        return
    evidence.attach_json("Account balances (emulator)", top_up_account(control, currency, amount))


@given(parsers.cfparse("the customer has a balance of {amount:Amount} {currency:Currency}", extra_types=TYPES),
       target_fixture="funded")
def customer_has(merchant: MerchantAdapter, customer: Customer, amount: Decimal, currency: str,
                 evidence: Evidence, wait_timeout: float) -> BalanceMark:
    funded = fund_customer(merchant, customer, amount, currency, wait_timeout)
    show_balance(evidence, customer, merchant.balances(customer.id), "Balance given by the back office")
    return funded


@given(parsers.cfparse("Cryptopay screens the customer's address in {coin:Coin} as high-risk", extra_types=COIN_TYPES),
       target_fixture="high_risk_destination")
def address_high_risk(emulator: EmulatorControl, cryptopay: CryptopayDriver, settings: Settings, coin: str,
                      evidence: Evidence) -> Destination:
    # A fresh address of the account's own, so no other scenario's payouts go to the address marked high-risk.
    fresh = own_address(cryptopay, pay_coin(coin, settings), fresh_custom_id("certify-high-risk"))
    emulator.add_high_risk_address(fresh.address)
    evidence.attach_json("Address Cryptopay screens as high-risk", {"address": fresh.address, "coin": fresh.coin})
    return fresh


@given(parsers.cfparse("the customer has asked to withdraw {amount:Amount} {currency:Currency}, sent in "
                       "{coin:Coin}", extra_types=COIN_TYPES), target_fixture="withdrawal")
@when(parsers.cfparse("the customer asks to withdraw {amount:Amount} {currency:Currency}, sent in {coin:Coin}",
                      extra_types=COIN_TYPES), target_fixture="withdrawal")
def asks_to_withdraw(merchant: MerchantAdapter, cryptopay: CryptopayDriver, customer: Customer, settings: Settings,
                     high_risk_destination: Destination | None, amount: Decimal, currency: str, coin: str,
                     evidence: Evidence) -> Withdrawal:
    destination = high_risk_destination or own_address(cryptopay, pay_coin(coin, settings))
    return request_withdrawal(merchant, customer, amount, currency, destination, evidence)


@given(parsers.cfparse("the customer's {amount:Amount} {currency:Currency} payout, sent in {coin:Coin}, "
                       "has completed", extra_types=COIN_TYPES), target_fixture="withdrawal")
def withdrawal_completed(merchant: MerchantAdapter, cryptopay: CryptopayDriver, control: EmulatorControl | None,
                         customer: Customer, settings: Settings, amount: Decimal, currency: str, coin: str,
                         evidence: Evidence, wait_timeout: float) -> Withdrawal:
    withdrawal = request_withdrawal(merchant, customer, amount, currency,
                                    own_address(cryptopay, pay_coin(coin, settings)), evidence)
    until_payout_ended(cryptopay, control, merchant, withdrawal.payout, "completed", wait_timeout)
    evidence.attach_json("Payout as the merchant records it",
                         record_json(merchant.recorded_payout(withdrawal.payout.payout_id)))
    return withdrawal


@given(parsers.cfparse("the customer's {amount:Amount} {currency:Currency} payout, sent in {coin:Coin}, "
                       "has failed and ended cancelled", extra_types=COIN_TYPES), target_fixture="withdrawal")
def withdrawal_cancelled(merchant: MerchantAdapter, cryptopay: CryptopayDriver, emulator: EmulatorControl,
                         customer: Customer, settings: Settings, amount: Decimal, currency: str, coin: str,
                         evidence: Evidence, wait_timeout: float) -> Withdrawal:
    withdrawal = request_withdrawal(merchant, customer, amount, currency,
                                    own_address(cryptopay, pay_coin(coin, settings)), evidence)
    evidence.attach_json("Cryptopay's payout made to fail (emulator)",
                         fail_or_hold_at_cryptopay(emulator, "fail", withdrawal))
    until_payout_ended(cryptopay, emulator, merchant, withdrawal.payout, "cancelled", wait_timeout)
    evidence.attach_json("Payout as the merchant records it",
                         record_json(merchant.recorded_payout(withdrawal.payout.payout_id)))
    return withdrawal


@given("Cryptopay has held the payout")
def payout_has_been_held(emulator: EmulatorControl, withdrawal: Withdrawal, evidence: Evidence,
                         wait_timeout: float) -> None:
    evidence.attach_json("Cryptopay's payout put on hold (emulator)",
                         fail_or_hold_at_cryptopay(emulator, "hold", withdrawal))
    # The merchant has heard of the hold before the hold ends: whatever it does at "on hold" is done.
    wait_until_settled(emulator, [withdrawal.payout.coin_withdrawal_id], wait_timeout)


# -- Whens: what Cryptopay does -------------------------------------------------------------------------------------
@given("the payout has failed at Cryptopay")
@when("the payout fails at Cryptopay")
def payout_fails(emulator: EmulatorControl, withdrawal: Withdrawal, evidence: Evidence) -> None:
    evidence.attach_json("Cryptopay's payout made to fail (emulator)",
                         fail_or_hold_at_cryptopay(emulator, "fail", withdrawal))


@when("the payout fails at Cryptopay and then completes after all")
def payout_fails_then_completes(emulator: EmulatorControl, withdrawal: Withdrawal, evidence: Evidence,
                                wait_timeout: float) -> None:
    evidence.attach_json("Cryptopay's payout made to fail, then to complete after all (emulator)",
                         fail_or_hold_at_cryptopay(emulator, "fail", withdrawal, then="completed"))
    # The merchant hears of the failure while it is one (the payout's time stands still until a step moves it):
    # whatever it does at "failed" is done before the payout completes.
    wait_until_settled(emulator, [withdrawal.payout.coin_withdrawal_id], wait_timeout)


@when("Cryptopay cancels the failed payout")
def payout_cancelled(emulator: EmulatorControl, withdrawal: Withdrawal, evidence: Evidence,
                     wait_timeout: float) -> None:
    # Moved on by Cryptopay's delivery log, never by reading the payout: a read while the merchant handles the
    # "cancelled" notification could meet a failure meant for the merchant's status check.
    withdrawal_id = withdrawal.payout.coin_withdrawal_id
    cancelled = until_cryptopay(lambda: emulator.delivery(withdrawal_id, "status_changed", "cancelled"),
                                lambda delivery: delivery is not None, control=emulator, object_id=withdrawal_id,
                                timeout=wait_timeout, expected="Cryptopay to cancel the failed payout")
    evidence.attach_json("Cryptopay's notification that it cancelled the payout (emulator)", cancelled.evidence())


# The notifications a payout is sent on its way to completed, before it completes.
EARLIER = parse.with_pattern("created|processing|sent")(lambda text: text)


@when(parsers.cfparse('an earlier "{name:Earlier}" notification of the payout arrives late',
                      extra_types={"Earlier": EARLIER}), target_fixture="resend")
def earlier_arrives_late(withdrawal: Withdrawal, name: str, control: EmulatorControl | None,
                         cryptopay: CryptopayDriver, callback_sender: CallbackSender,
                         evidence: Evidence) -> ResendResult:
    # Its exact bytes where Cryptopay's delivery log shows them, else the payout as it read then, signed here.
    body, _ = notification_body(PAYOUTS, name, withdrawal.payout, control, cryptopay)
    answer = callback_sender.post_signed(body)
    evidence.attach_json(f"Late '{name}' notification", {"body": body.decode(), "merchant_answer": answer})
    return ResendResult(f"a late '{name}' notification re-posted", [answer])


@when("Cryptopay releases the held payout")
def payout_released(emulator: EmulatorControl, withdrawal: Withdrawal, evidence: Evidence) -> None:
    evidence.attach_json("Cryptopay's held payout released (emulator)",
                         emulator.release_withdrawal(withdrawal.payout.coin_withdrawal_id))


@when("Cryptopay holds the payout")
def payout_held(emulator: EmulatorControl, withdrawal: Withdrawal, evidence: Evidence) -> None:
    evidence.attach_json("Cryptopay's payout put on hold (emulator)",
                         fail_or_hold_at_cryptopay(emulator, "hold", withdrawal))


# -- Thens: Cryptopay -------------------------------------------------------------------------------------------------
@then("Cryptopay reports a payout for the customer, of what they asked, to the address they gave")
def cryptopay_has_it(cryptopay: CryptopayDriver, withdrawal: Withdrawal, evidence: Evidence) -> None:
    made = cryptopay.client.retrieve_coin_withdrawal(withdrawal.payout.coin_withdrawal_id)
    evidence.attach_json("Payout as Cryptopay reports it", made)
    wanted = {"customer_id": withdrawal.customer.id, "address": withdrawal.destination.address,
              "charged_currency": withdrawal.currency, "received_currency": withdrawal.coin}
    found = {key: made.get(key) for key in wanted}
    assert found == wanted, (f"the merchant's payout {withdrawal.payout.payout_id} is, at Cryptopay, {found}; the "
                             f"customer asked for {wanted}")
    assert made["status"] != "new", ("the withdrawal was created but never committed: a two-step withdrawal "
                                     "(force_commit false) must be committed within 30 seconds or it expires")


@then("Cryptopay reports charging what the table says for the merchant's field")
def charged_as_declared(cryptopay: CryptopayDriver, withdrawal: Withdrawal, declared_meaning: FieldMeaning,
                        evidence: Evidence) -> None:
    made = cryptopay.client.retrieve_coin_withdrawal(withdrawal.payout.coin_withdrawal_id)
    evidence.attach_json("Payout as Cryptopay reports it", made)
    # Why it differs, and what to fix, is the diagnosis's (support/evidence/diagnosis/payouts.py).
    assert charged_problem(declared_meaning, withdrawal.amount, made) is None, (
        f"Cryptopay charged {made['charged_amount']} {made['charged_currency']} for the {withdrawal.amount} "
        f"{withdrawal.currency} asked: not what PAYOUT_AMOUNT_FIELD={declared_meaning.field} means")


@then("the recipient receives what the table says for the merchant's field")
def recipient_receives(cryptopay: CryptopayDriver, control: EmulatorControl | None, withdrawal: Withdrawal,
                       declared_meaning: FieldMeaning, evidence: Evidence, wait_timeout: float) -> None:
    withdrawal_id = withdrawal.payout.coin_withdrawal_id
    sent = reported(PAYOUTS, cryptopay, control, withdrawal.payout, Status("completed"), wait_timeout)
    assert received_problem(declared_meaning, withdrawal.amount, sent) is None, (
        f"Cryptopay sends {sent['received_amount']} {sent['received_currency']} for the {withdrawal.amount} "
        f"{withdrawal.currency} asked: not what PAYOUT_AMOUNT_FIELD={declared_meaning.field} means")
    # What reached the address: the destination is the account's own channel, so its payment shows the amount.
    destination = withdrawal.destination
    arrived = arrived_at_destination(cryptopay, control, withdrawal_id, destination, sent["txid"], wait_timeout)
    evidence.attach_json("What arrived at the destination", {"sent": f"{sent['received_amount']} "
                                                                     f"{sent['received_currency']}",
                                                             "arrived": arrived})
    assert Decimal(arrived["paid_amount"]) == Decimal(sent["received_amount"]), (
        f"Cryptopay sent {sent['received_amount']} {sent['received_currency']} but {arrived['paid_amount']} "
        f"arrived at {destination.address}")


@then("Cryptopay was asked for the customer's payout once, and refused it as high-risk")
def asked_once(emulator: EmulatorControl, withdrawal: Withdrawal, evidence: Evidence) -> None:
    # Every payout create Cryptopay received for the address, accepted or refused: the address is the scenario's
    # own, so a retry under another custom id (or without the customer's id) shows here as well.
    asked = emulator.withdrawal_attempts(address=withdrawal.destination.address)
    evidence.attach_json("Payouts Cryptopay was asked for, to the high-risk address (emulator)", asked)
    refusals = [attempt.get("error_code") for attempt in asked]
    # Why it matters and what to do is the diagnosis's (support/evidence/diagnosis/payouts.py).
    assert refusals == ["high_risk_address"], (
        f"Cryptopay was asked {len(asked)} times for a payout to {withdrawal.destination.address} (custom ids "
        f"{', '.join(str(attempt.get('custom_id')) for attempt in asked)}; answers "
        f"{', '.join(str(code) for code in refusals)})")


# -- Thens: the merchant (its record of the payout is a shared step: concepts.py) ------------------------------------
@then("the merchant told the customer the address was refused as high-risk")
def told_high_risk(withdrawal: Withdrawal, evidence: Evidence) -> None:
    answer = withdrawal.answer
    evidence.attach_json("What the merchant told the customer", answer.__dict__)
    assert isinstance(answer, PayoutRefusal), (
        f"the merchant accepted the withdrawal (payout {answer.payout_id}, status {answer.status}) although Cryptopay "
        "refuses the address as high-risk: refuse it to the customer at once, and do not queue it for retries")
    assert answer.high_risk_address, (
        f"the merchant answered {answer.http_status} {answer.code}: {answer.message}; a destination Cryptopay "
        "refused with high_risk_address must be answered 422 with the code high_risk_address")
    assert "address" in answer.message.lower(), (
        f"the customer was told {answer.message!r}: the message must tell them their destination address was refused")


# -- Thens: the customer's balance ------------------------------------------------------------------------------------
@then("the customer has been debited what Cryptopay charged for the payout, once")
def debited_once(merchant: MerchantAdapter, cryptopay: CryptopayDriver, control: EmulatorControl | None,
                 withdrawal: Withdrawal, funded: BalanceMark, evidence: Evidence, wait_timeout: float) -> None:
    payout = withdrawal.payout
    # Once the payout has ended and every notification is answered, a second debit would already show.
    until_payout_ended(cryptopay, control, merchant, payout, "completed", wait_timeout)
    record = wait_until(lambda: merchant.recorded_payout(payout.payout_id), lambda r: bool(r and r.debited),
                        timeout=wait_timeout, expected=f"the merchant to record what it debited for {payout.payout_id}")
    amount, currency = charged_by_cryptopay(cryptopay, withdrawal)
    evidence.attach_json("What Cryptopay charged and the merchant debited", {
        "cryptopay_charged": f"{amount} {currency}", "merchant": record_json(record)})
    assert record.debited == (amount, currency), (
        f"Cryptopay charged {amount} {currency} for the payout (its charged_amount); the merchant recorded debiting "
        f"{record_json(record)['debited']}")
    answered = all_answered([payout.coin_withdrawal_id], control)  # the payout has ended: its last word
    show_balance(evidence, withdrawal.customer, wait_for_balance(merchant, withdrawal.customer, funded.amount - amount,
                                                                 funded.currency, wait_timeout, answered,
                                                                 only_credits=False))


@then("the customer's balance still shows what is left after the payout")
def still_left(merchant: MerchantAdapter, cryptopay: CryptopayDriver, control: EmulatorControl | None,
               withdrawal: Withdrawal, funded: BalanceMark, evidence: Evidence, wait_timeout: float) -> None:
    wait_until_settled(control, [withdrawal.payout.coin_withdrawal_id], wait_timeout)
    amount, _ = charged_by_cryptopay(cryptopay, withdrawal)
    balances = merchant.balances(withdrawal.customer.id)
    show_balance(evidence, withdrawal.customer, balances)
    left = funded.amount - amount
    assert balances.get(funded.currency, Decimal(0)) == left, (
        f"customer {withdrawal.customer.id} should still have {left} {funded.currency} (the {funded.amount} given, "
        f"less the {amount} Cryptopay charged, once); the merchant shows {balances}")


@then("the customer's balance shows the whole amount again, given back once")
def given_back_once(merchant: MerchantAdapter, cryptopay: CryptopayDriver, control: EmulatorControl | None,
                    withdrawal: Withdrawal, funded: BalanceMark, evidence: Evidence, wait_timeout: float) -> None:
    payout = withdrawal.payout
    # A second return would already show once the payout has ended.
    until_payout_ended(cryptopay, control, merchant, payout, "cancelled", wait_timeout)
    show_balance(evidence, withdrawal.customer, wait_for_balance(merchant, withdrawal.customer, funded.amount,
                                                                 funded.currency, wait_timeout,
                                                                 all_answered([payout.coin_withdrawal_id], control),
                                                                 only_credits=False))
    record = merchant.recorded_payout(payout.payout_id)
    evidence.attach_json("Payout as the merchant records it", record_json(record))
    assert record is not None and record.refunded, (
        f"the customer has the amount back but the merchant's record says it was not refunded: {record_json(record)}")


@then("the customer's balance is untouched")
def untouched(merchant: MerchantAdapter, withdrawal: Withdrawal, funded: BalanceMark, evidence: Evidence) -> None:
    # Read at once, no waiting: a refused withdrawal debits nothing, or reverses before the customer is answered.
    balances = merchant.balances(withdrawal.customer.id)
    show_balance(evidence, withdrawal.customer, balances)
    assert balances.get(funded.currency, Decimal(0)) == funded.amount, (
        f"customer {withdrawal.customer.id} should still have the {funded.amount} {funded.currency} given, since "
        f"the withdrawal was refused; the merchant shows {balances}")

