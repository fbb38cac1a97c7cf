"""What the callback endpoint answers Cryptopay, and the one check of an object id every callback handler shares."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Outcome:
    http_status: int
    message: str


def is_id(value: object, longest: int = 64) -> bool:
    return isinstance(value, str) and 0 < len(value) <= longest
