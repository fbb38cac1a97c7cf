"""Steps about deposits: the merchant's checkout creating invoices, notified before Cryptopay's answer for them or
not (their statuses are shared steps: concepts.py)."""
from __future__ import annotations

from decimal import Decimal

from pytest_bdd import given, parsers, then, when

from support.domain.callbacks import all_answered
from support.domain.concepts import recorded_as, reported
from support.domain.customers import Customer, wait_for_balance
from support.domain.deposits import DEPOSITS, pay_coin, request_deposit
from support.domain.hiccups import early_notice_used
from support.domain.parameters import COIN_TYPES, Status
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.drivers.merchant import Deposit, MerchantAdapter
from support.drivers.payers import Payer
from support.evidence.attachments import Evidence
from support.targets.settings import Settings


@given(parsers.cfparse("the customer has asked to deposit {amount:Amount} {currency:Currency}, paid in {coin:Coin}",
                       extra_types=COIN_TYPES), target_fixture="deposit")
@when(parsers.cfparse("the customer asks to deposit {amount:Amount} {currency:Currency}, paid in {coin:Coin}",
                      extra_types=COIN_TYPES), target_fixture="deposit")
def asked_to_deposit(merchant: MerchantAdapter, cryptopay: CryptopayDriver, evidence: Evidence,
                     scenario_deposits: list[Deposit], customer: Customer, settings: Settings, amount: Decimal,
                     currency: str, coin: str) -> Deposit:
    return request_deposit(merchant, cryptopay, evidence, scenario_deposits, customer, amount, currency,
                           pay_coin(coin, settings))


@given(parsers.cfparse("the customer's {amount:Amount} {currency:Currency} deposit, paid in {coin:Coin}, "
                       "has been completed and credited", extra_types=COIN_TYPES), target_fixture="deposit")
def completed_and_credited(merchant: MerchantAdapter, cryptopay: CryptopayDriver, control: EmulatorControl | None,
                           evidence: Evidence, scenario_deposits: list[Deposit], customer: Customer, payer: Payer,
                           settings: Settings, amount: Decimal, currency: str, coin: str,
                           wait_timeout: float) -> Deposit:
    deposit = request_deposit(merchant, cryptopay, evidence, scenario_deposits, customer, amount, currency,
                              pay_coin(coin, settings))
    invoice = cryptopay.invoice(deposit.invoice_id)
    payer.pay(invoice, Decimal(invoice["pay_amount"]))
    reported(DEPOSITS, cryptopay, control, deposit, Status("completed"), wait_timeout)
    recorded_as(DEPOSITS, merchant, deposit, Status("completed"), wait_timeout,
                all_answered([deposit.invoice_id], control))
    balances = wait_for_balance(merchant, customer, amount, currency, wait_timeout,
                                all_answered([deposit.invoice_id], control))
    evidence.attach_json("Balance before", {"customer_id": customer.id, "balances": balances})
    return deposit


@given("Cryptopay will notify the merchant of the customer's next deposit, paid in full, before answering for it",
       target_fixture="early_notice")
def deposit_notified_before_answer_will_be(emulator: EmulatorControl, customer: Customer, evidence: Evidence) -> dict:
    notice = emulator.notify_before_create_answer("invoice", customer.id)  # paid in full the moment it exists
    evidence.attach_json("Notice: the next deposit is notified before Cryptopay answers for it", notice)
    return notice


@then("Cryptopay sent the merchant the notifications of the deposit before its answer for it")
def deposit_notified_before_answer(emulator: EmulatorControl, early_notice: dict, deposit: Deposit,
                                   evidence: Evidence) -> None:
    notice = early_notice_used(emulator, early_notice, deposit.invoice_id, f"invoice {deposit.invoice_id}")
    evidence.attach_json("Notifications sent before Cryptopay's answer for the deposit (emulator)", notice)


@then("Cryptopay does not report the deposit as completed")
def cryptopay_not_completed(cryptopay: CryptopayDriver, deposit: Deposit, evidence: Evidence) -> None:
    invoice = cryptopay.invoice(deposit.invoice_id)
    evidence.attach_json("Invoice as Cryptopay reports it", invoice)
    assert invoice["status"] != "completed", f"a partly paid invoice must not be completed: {invoice['status']}"
