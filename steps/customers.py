"""Steps about customers and what the merchant shows for them: balances."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from pytest_bdd import given, parsers, then

from steps.parameters import TYPES
from support.drivers.merchant import MerchantAdapter
from support.evidence import Evidence
from support.waiting import wait_until


@dataclass(frozen=True)
class Customer:
    id: str


@given("a new customer", target_fixture="customer")
def new_customer() -> Customer:
    # Unique per scenario, so scenarios never share balances, even across parallel workers.
    return Customer(f"cust-{uuid.uuid4().hex[:16]}")


def read_balance(merchant: MerchantAdapter, customer: Customer, currency: str) -> Decimal:
    return merchant.balances(customer.id).get(currency, Decimal("0"))


@then(parsers.cfparse("the customer's balance shows {amount:Amount} {currency:Currency}", extra_types=TYPES))
def balance_shows(merchant: MerchantAdapter, customer: Customer, amount: Decimal, currency: str,
                  evidence: Evidence, wait_timeout: float) -> None:
    balances = wait_until(lambda: merchant.balances(customer.id),
                          lambda b: b.get(currency, Decimal("0")) == amount, timeout=wait_timeout,
                          expected=f"customer {customer.id} to have {amount} {currency}")
    evidence.attach_json("Balance after", {"customer_id": customer.id, "balances": balances})


@then(parsers.cfparse("the customer's balance still shows {amount:Amount} {currency:Currency}", extra_types=TYPES))
def balance_still_shows(merchant: MerchantAdapter, customer: Customer, amount: Decimal, currency: str,
                        evidence: Evidence) -> None:
    balances = merchant.balances(customer.id)
    evidence.attach_json("Balance after", {"customer_id": customer.id, "balances": balances})
    assert balances.get(currency, Decimal("0")) == amount, (
        f"customer {customer.id} should still have {amount} {currency}, merchant shows {balances}")
