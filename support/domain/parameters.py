"""Parse types shared by the steps: money as Decimal straight from the text, never through float; coins; statuses."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Callable, NamedTuple

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


class Status(NamedTuple):
    """A status as Cryptopay names it, with its context where it has one: ('unresolved', 'paid_late')."""
    status: str
    context: str | None = None

    def __str__(self) -> str:
        return f"{self.status}/{self.context}" if self.context else self.status

    @property
    def words(self) -> str:
        """As the features write it: 'unresolved (paid late)', 'on hold'."""
        words = self.status.replace("_", " ")
        return f"{words} ({self.context.replace('_', ' ')})" if self.context else words


_STATUS = re.compile(r"^(?P<status>[a-z ]+?)(?: \((?P<context>[a-z ]+)\))?$")


def split_status(words: str) -> Status:
    """'unresolved (paid late)' -> ('unresolved', 'paid_late'); 'on hold' -> ('on_hold', None)."""
    found = _STATUS.match(words.strip())
    if found is None:
        raise ValueError(f"not a status: {words!r} (write it like 'completed' or 'unresolved (paid late)')")
    context = found["context"]
    return Status(found["status"].replace(" ", "_"), context.replace(" ", "_") if context else None)


@parse.with_pattern(r"[a-z ]+?(?: \([a-z ]+\))?")
def parse_status(text: str) -> Status:
    return split_status(text)


def notification_list(names: tuple[str, ...]) -> Callable[[str], tuple[str, ...]]:
    """A parse type for quoted notification names in a list: '"created", "sent" and "completed"' -> the names."""
    one = "|".join(re.escape(name) for name in names)

    @parse.with_pattern(rf'"(?:{one})"(?:(?:, | and )"(?:{one})")*')
    def parse_names(text: str) -> tuple[str, ...]:
        return tuple(re.findall(r'"([^"]+)"', text))
    return parse_names
