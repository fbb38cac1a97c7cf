"""Parse types shared by the steps: money as Decimal straight from the text, never through float; coins; statuses."""
from __future__ import annotations

from decimal import Decimal

import parse


@parse.with_pattern(r"\d+(?:\.\d+)?")
def parse_amount(text: str) -> Decimal:
    return Decimal(text)


@parse.with_pattern(r"[A-Z]{3,5}")
def parse_currency(text: str) -> str:
    return text


TYPES = {"Amount": parse_amount, "Currency": parse_currency}


@parse.with_pattern(r"crypto|[A-Z]{3,5}")
def parse_coin(text: str) -> str:
    return text


COIN_TYPES = {**TYPES, "Coin": parse_coin}


def split_status(text: str) -> tuple[str, str | None]:
    """'unresolved (underpaid)' -> ('unresolved', 'underpaid'); 'completed' -> ('completed', None)."""
    status, _, context = text.partition(" ")
    return status, context.strip("()") or None
