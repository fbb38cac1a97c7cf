"""Steps about deposits: the merchant's checkout creating invoices, and the status Cryptopay and the merchant show."""
from __future__ import annotations

from decimal import Decimal

from pytest_bdd import given, parsers, then

from support.domain.callbacks import all_answered
from support.domain.customers import Customer, wait_for_balance
from support.domain.deposits import pay_coin, request_deposit, wait_for_status
from support.domain.parameters import COIN_TYPES, split_status
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.drivers.merchant import Deposit, MerchantAdapter
from support.drivers.payers import Payer
from support.drivers.waiting import wait_until
from support.evidence.attachments import Evidence
from support.targets.settings import Settings


@given(parsers.cfparse("the customer has asked to deposit {amount:Amount} {currency:Currency}, paid in {coin:Coin}",
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
    cryptopay.wait_for_status(deposit.invoice_id, "completed", None, wait_timeout)
    wait_for_status(merchant, deposit.invoice_id, "completed", None, wait_timeout,
                    all_answered([deposit.invoice_id], control))
    balances = wait_for_balance(merchant, customer, amount, currency, wait_timeout,
                                all_answered([deposit.invoice_id], control))
    evidence.attach_json("Balance before", {"customer_id": customer.id, "balances": balances})
    return deposit


@given(parsers.cfparse("Cryptopay has reported the deposit as {status}"))
@then(parsers.cfparse("Cryptopay reports the deposit as {status}"))
def cryptopay_reports(cryptopay: CryptopayDriver, deposit: Deposit, status: str, evidence: Evidence,
                      wait_timeout: float) -> None:
    state, context = split_status(status)
    invoice = cryptopay.wait_for_status(deposit.invoice_id, state, context, wait_timeout)
    evidence.attach_json(f"Invoice as Cryptopay reports it ({status})", invoice)


@given(parsers.cfparse("the merchant has recorded the deposit as {status}"))
@then(parsers.cfparse("the merchant records the deposit as {status}"))
def merchant_records(merchant: MerchantAdapter, control: EmulatorControl | None, deposit: Deposit, status: str,
                     evidence: Evidence, wait_timeout: float) -> None:
    state, context = split_status(status)
    recorded = wait_for_status(merchant, deposit.invoice_id, state, context, wait_timeout,
                               all_answered([deposit.invoice_id], control))
    evidence.attach_json("Invoice as the merchant records it", recorded)


@then(parsers.cfparse("the merchant still records the deposit as {status}"))
def merchant_still_records(merchant: MerchantAdapter, deposit: Deposit, status: str, evidence: Evidence) -> None:
    state, context = split_status(status)
    recorded = merchant.recorded_invoice(deposit.invoice_id)
    evidence.attach_json("Invoice as the merchant records it", recorded)
    assert recorded and (recorded["status"], recorded.get("status_context")) == (state, context), (
        f"the merchant should still record {status}, it records {recorded}")


@then("Cryptopay does not report the deposit as completed")
def cryptopay_not_completed(cryptopay: CryptopayDriver, deposit: Deposit, evidence: Evidence) -> None:
    invoice = cryptopay.invoice(deposit.invoice_id)
    evidence.attach_json("Invoice as Cryptopay reports it", invoice)
    assert invoice["status"] != "completed", f"a partly paid invoice must not be completed: {invoice['status']}"


@then("the merchant's recorded status matches Cryptopay's")
def statuses_match(merchant: MerchantAdapter, cryptopay: CryptopayDriver, deposit: Deposit, evidence: Evidence,
                   wait_timeout: float) -> None:
    def both() -> dict:
        invoice = cryptopay.invoice(deposit.invoice_id)  # re-read each time: Cryptopay's status may move on
        recorded = merchant.recorded_invoice(deposit.invoice_id) or {}
        return {"cryptopay": {"status": invoice["status"], "status_context": invoice.get("status_context")},
                "merchant": {"status": recorded.get("status"), "status_context": recorded.get("status_context")}}

    seen = wait_until(both, lambda pair: pair["cryptopay"] == pair["merchant"], timeout=wait_timeout,
                      expected=f"the merchant's record of invoice {deposit.invoice_id} to match Cryptopay's")
    evidence.attach_json("Cryptopay's status and the merchant's", seen)
