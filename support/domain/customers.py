"""Customers of the merchant under test and the balances it shows for them."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable

from support.drivers.merchant import MerchantAdapter
from support.drivers.waiting import wait_until
from support.evidence.attachments import Evidence


@dataclass(frozen=True)
class Customer:
    id: str


def fresh_customer() -> Customer:
    """Unique per scenario, so scenarios never share balances, even across parallel workers."""
    return Customer(f"cust-{uuid.uuid4().hex[:16]}")


def show_balance(evidence: Evidence, customer: Customer, balances: dict, name: str = "Balance after") -> None:
    evidence.attach_json(name, {"customer_id": customer.id, "balances": balances})


def wait_for_balance(merchant: MerchantAdapter, customer: Customer, amount: Decimal, currency: str,
                     timeout: float, settled: Callable[[], bool] | None = None, only_credits: bool = True) -> dict:
    """The balances once the customer has `amount` in `currency`. Where nothing but credits happens (the default),
    more than `amount` can never come down: that fails at once. `settled` says the merchant has answered every
    notification it was sent: then any other amount is its last word and fails at once too."""
    def hopeless(balances: dict) -> str | None:
        have = balances.get(currency, Decimal("0"))
        if only_credits and have > amount:
            return f"the customer already has more ({have} {currency}), and credits only add"
        if settled is not None and settled():
            return f"the merchant has answered every notification and the customer has {have} {currency}"
        return None

    return wait_until(lambda: merchant.balances(customer.id),
                      lambda b: b.get(currency, Decimal("0")) == amount, timeout=timeout,
                      expected=f"customer {customer.id} to have {amount} {currency}", decided=hopeless)
