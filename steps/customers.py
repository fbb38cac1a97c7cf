"""Steps about customers and what the merchant shows for them: balances."""
from __future__ import annotations

from decimal import Decimal

import pytest
from pytest_bdd import given, parsers, then

from support.domain.callbacks import all_answered, wait_until_settled
from support.domain.concepts import scenario_lookup
from support.domain.customers import Customer, fresh_customer, show_balance, wait_for_balance
from support.domain.parameters import TYPES
from support.domain.products import scenario_objects
from support.drivers.cryptopay import CryptopayDriver
from support.drivers.emulator import EmulatorControl
from support.drivers.merchant import Deposit, MerchantAdapter
from support.evidence.attachments import Evidence


@given("a new customer", target_fixture="customer")
def new_customer(merchant: MerchantAdapter, evidence: Evidence) -> Customer:
    customer = fresh_customer()
    show_balance(evidence, customer, merchant.balances(customer.id), "Balance before")
    return customer


@then(parsers.cfparse("the customer's balance shows {amount:Amount} {currency:Currency}", extra_types=TYPES))
def balance_shows(merchant: MerchantAdapter, customer: Customer, amount: Decimal, currency: str,
                  evidence: Evidence, scenario_deposits: list[Deposit], control: EmulatorControl | None,
                  wait_timeout: float) -> None:
    answered = all_answered([d.invoice_id for d in scenario_deposits], control)
    show_balance(evidence, customer, wait_for_balance(merchant, customer, amount, currency, wait_timeout, answered))


@then(parsers.cfparse("the customer's balance still shows {amount:Amount} {currency:Currency}", extra_types=TYPES))
def balance_still_shows(merchant: MerchantAdapter, customer: Customer, amount: Decimal, currency: str,
                        evidence: Evidence) -> None:
    balances = merchant.balances(customer.id)
    show_balance(evidence, customer, balances)
    assert balances.get(currency, Decimal("0")) == amount, (
        f"customer {customer.id} should still have {amount} {currency}; the merchant shows {balances}")


@then("the customer has been credited nothing")
def credited_nothing(merchant: MerchantAdapter, customer: Customer, evidence: Evidence, request: pytest.FixtureRequest,
                     control: EmulatorControl | None, wait_timeout: float) -> None:
    # "Nothing" is only final once the merchant has answered every notification about the scenario's objects, of
    # whichever product (none where a notification stands for no real object: a forged one).
    objects = scenario_objects(scenario_lookup(request))
    wait_until_settled(control, [adapter.object_id(thing) for adapter, thing in objects], wait_timeout)
    balances = merchant.balances(customer.id)
    show_balance(evidence, customer, balances)
    assert all(v == 0 for v in balances.values()), (
        f"customer {customer.id} must not be credited, but the merchant shows {balances}")


@then("the customer's balance shows the deposit's final price")
def balance_shows_final_price(merchant: MerchantAdapter, cryptopay: CryptopayDriver, control: EmulatorControl | None,
                              customer: Customer, deposit: Deposit, evidence: Evidence, wait_timeout: float) -> None:
    invoice = cryptopay.invoice(deposit.invoice_id)
    final = Decimal(invoice["price_amount"])
    evidence.attach_json("Final price as Cryptopay reports it", {
        "requested": f"{deposit.price_amount} {deposit.price_currency}",
        "final": f"{final} {invoice['price_currency']}"})
    show_balance(evidence, customer, wait_for_balance(merchant, customer, final, invoice["price_currency"],
                                                      wait_timeout, all_answered([deposit.invoice_id], control)))
