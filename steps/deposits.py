"""Steps about deposits: the merchant's checkout creating invoices, and what Cryptopay and the merchant record."""
from __future__ import annotations

from decimal import Decimal

from pytest_bdd import given, parsers, then

from steps.customers import Customer
from steps.parameters import TYPES
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.merchant import Deposit, MerchantAdapter
from support.drivers.payers import Payer
from support.evidence import Evidence
from support.waiting import wait_until


def request_deposit(merchant: MerchantAdapter, cryptopay: CryptopayDriver, evidence: Evidence, customer: Customer,
                    amount: Decimal, currency: str, coin: str) -> Deposit:
    deposit = merchant.create_deposit(customer.id, amount, currency, coin)
    evidence.attach_json("Invoice as Cryptopay reports it (created)", cryptopay.invoice(deposit.invoice_id))
    return deposit


def wait_merchant_status(merchant: MerchantAdapter, deposit: Deposit, status: str, context: str | None,
                         timeout: float) -> dict:
    want = f"{status}/{context}" if context else status
    return wait_until(lambda: merchant.recorded_invoice(deposit.invoice_id),
                      lambda rec: bool(rec) and rec["status"] == status and rec.get("status_context") == context,
                      timeout=timeout, expected=f"the merchant to record invoice {deposit.invoice_id} as {want}")


@given(parsers.cfparse("the customer has asked to deposit {amount:Amount} {currency:Currency}, paid in {coin:Currency}",
                       extra_types=TYPES), target_fixture="deposit")
def asked_to_deposit(merchant: MerchantAdapter, cryptopay: CryptopayDriver, evidence: Evidence, customer: Customer,
                     amount: Decimal, currency: str, coin: str) -> Deposit:
    return request_deposit(merchant, cryptopay, evidence, customer, amount, currency, coin)


@given(parsers.cfparse("the customer's {amount:Amount} {currency:Currency} deposit, paid in {coin:Currency}, "
                       "has been completed and credited", extra_types=TYPES), target_fixture="deposit")
def completed_and_credited(merchant: MerchantAdapter, cryptopay: CryptopayDriver, evidence: Evidence,
                           customer: Customer, payer: Payer, amount: Decimal, currency: str, coin: str,
                           wait_timeout: float) -> Deposit:
    deposit = request_deposit(merchant, cryptopay, evidence, customer, amount, currency, coin)
    invoice = cryptopay.invoice(deposit.invoice_id)
    payer.pay(invoice, Decimal(invoice["pay_amount"]))
    cryptopay.wait_for_status(deposit.invoice_id, "completed", None, wait_timeout)
    balances = wait_until(lambda: merchant.balances(customer.id), lambda b: b.get(currency) == amount,
                          timeout=wait_timeout, expected=f"customer {customer.id} to be credited {amount} {currency}")
    evidence.attach_json("Balance before", {"customer_id": customer.id, "balances": balances})
    return deposit


@then(parsers.cfparse("Cryptopay reports the deposit as {status}"))
def cryptopay_reports(cryptopay: CryptopayDriver, deposit: Deposit, status: str, evidence: Evidence,
                      wait_timeout: float) -> None:
    state, _, context = status.partition(" ")
    invoice = cryptopay.wait_for_status(deposit.invoice_id, state, context.strip("()") or None, wait_timeout)
    evidence.attach_json(f"Invoice as Cryptopay reports it ({status})", invoice)


@then(parsers.cfparse("the merchant records the deposit as {status}"))
def merchant_records(merchant: MerchantAdapter, deposit: Deposit, status: str, evidence: Evidence,
                     wait_timeout: float) -> None:
    state, _, context = status.partition(" ")
    recorded = wait_merchant_status(merchant, deposit, state, context.strip("()") or None, wait_timeout)
    evidence.attach_json("Invoice as the merchant records it", recorded)
