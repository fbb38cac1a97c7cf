"""Customers of the merchant under test and the balances it shows for them."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from support.drivers.merchant import MerchantAdapter
from support.evidence import Evidence
from support.waiting import wait_until


@dataclass(frozen=True)
class Customer:
    id: str


def fresh_customer() -> Customer:
    """Unique per scenario, so scenarios never share balances, even across parallel workers."""
    return Customer(f"cust-{uuid.uuid4().hex[:16]}")


def show_balance(evidence: Evidence, customer: Customer, balances: dict, name: str = "Balance after") -> None:
    evidence.attach_json(name, {"customer_id": customer.id, "balances": balances})


def wait_for_balance(merchant: MerchantAdapter, customer: Customer, amount: Decimal, currency: str,
                     timeout: float) -> dict:
    return wait_until(lambda: merchant.balances(customer.id),
                      lambda b: b.get(currency, Decimal("0")) == amount, timeout=timeout,
                      expected=f"customer {customer.id} to have {amount} {currency}")
