"""The three products' adapters for the shared concepts (support/domain/concepts.py), by checklist name."""
from __future__ import annotations

from typing import Any

from support.domain.channels import PAYMENTS
from support.domain.concepts import Lookup, ProductAdapter
from support.domain.deposits import DEPOSITS
from support.domain.payouts import PAYOUTS

ADAPTERS: dict[str, ProductAdapter] = {adapter.product: adapter for adapter in (DEPOSITS, PAYMENTS, PAYOUTS)}


def scenario_objects(lookup: Lookup) -> list[tuple[ProductAdapter, Any]]:
    """Every object the scenario made, of whichever product, with its adapter."""
    return [(adapter, thing) for adapter in ADAPTERS.values() for thing in adapter.scenario_things(lookup)]
