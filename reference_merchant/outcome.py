"""What the merchant answers: a callback's outcome, a probe request's result, and the id check every handler shares."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Outcome:
    """What the callback endpoint answers Cryptopay."""
    http_status: int
    message: str


@dataclass
class Placed:
    """What a desk answers a customer's request (a deposit, a payout): the object (201) or the merchant's refusal."""
    http_status: int
    body: dict


def refusal(status: int, code: str, message: str) -> Placed:
    return Placed(status, {"error": {"code": code, "message": message}})


def is_id(value: object, longest: int = 64) -> bool:
    return isinstance(value, str) and 0 < len(value) <= longest
