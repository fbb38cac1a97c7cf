"""Money as a person reads it, in every message and attachment: "50.05 EUR", never Decimal('50.05')."""
from __future__ import annotations

from decimal import Decimal
from typing import Any


def money(amount: Any, currency: str, like: Decimal | None = None) -> str:
    """"50.05 EUR"; with `like`, as many decimals as the requested amount shows."""
    try:
        value = Decimal(str(amount))
        if like is not None and value == value.quantize(like):
            value = value.quantize(like)
        return f"{value:f} {currency}"
    except (ArithmeticError, ValueError):
        return f"{amount} {currency}"


def balances_text(balances: dict[str, Any]) -> str:
    """"100.00 EUR, 0.001 BTC", or "nothing" for no balance at all."""
    return ", ".join(money(amount, currency) for currency, amount in balances.items()) or "nothing"
