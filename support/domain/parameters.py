"""Parse types shared by the steps: money as Decimal straight from the text, never through float; coins; statuses."""
from __future__ import annotations

import re
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
    """'unresolved (underpaid)' -> ('unresolved', 'underpaid'); 'unresolved (paid late)' -> ('unresolved',
    'paid_late'); 'completed' -> ('completed', None)."""
    status, _, context = text.partition(" ")
    return status, context.strip("()").replace(" ", "_") or None


# Cryptopay's notifications by the names the features give them, and the event each one is in the delivery log.
NOTIFICATION_EVENTS = {"payment seen": "transaction_created", "payment confirmed": "transaction_confirmed",
                       "completed": "status_changed"}
_NAME = "|".join(NOTIFICATION_EVENTS)


@parse.with_pattern(rf'"(?:{_NAME})"(?:(?:, | and )"(?:{_NAME})")*')
def parse_notifications(text: str) -> tuple[str, ...]:
    """'"payment seen", "payment confirmed" and "completed"' -> the events, in the order named."""
    return tuple(NOTIFICATION_EVENTS[name] for name in re.findall(r'"([^"]+)"', text))


NOTIFICATION_TYPES = {"Notifications": parse_notifications}
