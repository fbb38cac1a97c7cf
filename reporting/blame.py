"""What a failed scenario blames, read from its message: a product defect (and the item it names), or what kept the
scenario from proving anything (the environment, the run's configuration)."""
from __future__ import annotations

import re
from dataclasses import dataclass

DEFECT, ENVIRONMENT, CONFIGURATION = "product defect", "environment", "configuration"
# A failure that proves nothing about the merchant: the verdict says "not proven", never FAIL.
NOT_PROVING = (ENVIRONMENT, CONFIGURATION)

# support/evidence/diagnosis/ puts "Why (<category>[, <product> item(s) <n>, ...]): ..." first in a failure's message,
# after the exception's class at most: a "Why (" further on is quoted text (a merchant's answer), never a diagnosis.
_WHY = re.compile(r"^(?:[\w.]+: )?(?P<why>Why \((?P<category>product defect|environment|configuration)"
                  r"(?P<items>(?:[,;] (?:invoices|channels|payouts) items? \d+(?:, \d+)*)*)\): )")
_NAMED = re.compile(r"(invoices|channels|payouts) items? (\d+(?:, \d+)*)")
# An undiagnosed failure that only says a target could not be reached (a fixture's connection error, a wait that
# never read anything): the environment. Anchored on the exception's class, which a merchant's words cannot forge.
_UNREACHED = re.compile(r"^(?:[\w.]+\.)?(?:ConnectionError|ConnectTimeout|ReadTimeout|TransportError|"
                        r"ConnectionRefusedError|MaxRetryError|NewConnectionError)\b|"
                        r"^(?:[\w.]+\.)?MerchantError: merchant probe unreachable|last seen: <nothing read yet>$")


@dataclass(frozen=True)
class Blame:
    category: str                              # product defect | environment | configuration
    items: tuple[tuple[str, int], ...] = ()    # (product, number) of the items the failure names; () for none
    reason: str = ""                           # the failure's first line, from "Why (" on when it has one

    @property
    def proves_nothing(self) -> bool:
        """Environment or the run's own configuration, naming no item: nothing about the merchant was shown."""
        return self.category in NOT_PROVING and not self.items


def blame_of(message: str, status: str = "failed") -> Blame:
    """The category and named items of a failure. Without a diagnosis, a connection-shaped message is the
    environment; anything else is a product defect of the failed step's items (never waved through)."""
    first = message.strip().splitlines()[0] if message.strip() else status
    found = _WHY.search(first)
    if found:
        items = tuple((product, int(n)) for product, numbers in _NAMED.findall(found.group("items"))
                      for n in numbers.split(", "))
        return Blame(found.group("category"), items, first[found.start("why"):])
    if _UNREACHED.search(first):
        return Blame(ENVIRONMENT, (), first)
    return Blame(DEFECT, (), first)
