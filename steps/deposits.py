"""Steps about deposits: the merchant's checkout creating invoices, and the status Cryptopay and the merchant show."""
from __future__ import annotations

from decimal import Decimal

import parse
from pytest_bdd import given, parsers, then

from steps.customers import Customer, wait_for_balance
from steps.parameters import TYPES
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.merchant import Deposit, MerchantAdapter, deposit_description
from support.drivers.payers import Payer
from support.evidence import Evidence
from support.settings import Settings
from support.waiting import wait_until

# "paid in crypto": the coin is the run's PAYMENT_COIN, so the wording stays true whichever coin pays.
RUN_COIN = "crypto"


@parse.with_pattern(r"crypto|[A-Z]{3,5}")
def parse_coin(text: str) -> str:
    return text


COIN_TYPES = {**TYPES, "Coin": parse_coin}


def split_status(text: str) -> tuple[str, str | None]:
    """'unresolved (underpaid)' -> ('unresolved', 'underpaid'); 'completed' -> ('completed', None)."""
    status, _, context = text.partition(" ")
    return status, context.strip("()") or None


def request_deposit(merchant: MerchantAdapter, cryptopay: CryptopayDriver, evidence: Evidence,
                    deposits: list[Deposit], customer: Customer, amount: Decimal, currency: str,
                    coin: str) -> Deposit:
    # Every deposit carries the awkward description, so every callback body has characters encoders disagree on.
    deposit = merchant.create_deposit(customer.id, amount, currency, coin, deposit_description(customer.id))
    deposits.append(deposit)
    evidence.attach_json("Payment coin", {"pay_currency": coin, "invoice_id": deposit.invoice_id})
    evidence.attach_json("Invoice as Cryptopay reports it (created)", cryptopay.invoice(deposit.invoice_id))
    return deposit


def wait_merchant_status(merchant: MerchantAdapter, deposit: Deposit, status: str, context: str | None,
                         timeout: float) -> dict:
    want = f"{status}/{context}" if context else status
    return wait_until(lambda: merchant.recorded_invoice(deposit.invoice_id),
                      lambda rec: bool(rec) and rec["status"] == status and rec.get("status_context") == context,
                      timeout=timeout, expected=f"the merchant to record invoice {deposit.invoice_id} as {want}")


def pay_coin(coin: str, settings: Settings) -> str:
    return settings.payment_coin if coin == RUN_COIN else coin


@given(parsers.cfparse("the customer has asked to deposit {amount:Amount} {currency:Currency}, paid in {coin:Coin}",
                       extra_types=COIN_TYPES), target_fixture="deposit")
def asked_to_deposit(merchant: MerchantAdapter, cryptopay: CryptopayDriver, evidence: Evidence,
                     scenario_deposits: list[Deposit], customer: Customer, settings: Settings, amount: Decimal,
                     currency: str, coin: str) -> Deposit:
    return request_deposit(merchant, cryptopay, evidence, scenario_deposits, customer, amount, currency,
                           pay_coin(coin, settings))


@given(parsers.cfparse("the customer's {amount:Amount} {currency:Currency} deposit, paid in {coin:Coin}, "
                       "has been completed and credited", extra_types=COIN_TYPES), target_fixture="deposit")
def completed_and_credited(merchant: MerchantAdapter, cryptopay: CryptopayDriver, evidence: Evidence,
                           scenario_deposits: list[Deposit], customer: Customer, payer: Payer, settings: Settings,
                           amount: Decimal, currency: str, coin: str, wait_timeout: float) -> Deposit:
    deposit = request_deposit(merchant, cryptopay, evidence, scenario_deposits, customer, amount, currency,
                              pay_coin(coin, settings))
    invoice = cryptopay.invoice(deposit.invoice_id)
    payer.pay(invoice, Decimal(invoice["pay_amount"]))
    cryptopay.wait_for_status(deposit.invoice_id, "completed", None, wait_timeout)
    wait_merchant_status(merchant, deposit, "completed", None, wait_timeout)
    balances = wait_for_balance(merchant, customer, amount, currency, wait_timeout)
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
def merchant_records(merchant: MerchantAdapter, deposit: Deposit, status: str, evidence: Evidence,
                     wait_timeout: float) -> None:
    state, context = split_status(status)
    recorded = wait_merchant_status(merchant, deposit, state, context, wait_timeout)
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
