"""Cryptopay's three go-live checklists; an item is named by product and number ("invoices 12", tag invoices_12)."""
from __future__ import annotations

from types import ModuleType
from typing import Iterable, NamedTuple

from checklists import channels, invoices, payouts

# The products in the order the evidence shows them; each feature carries its product's tag.
CHECKLISTS: dict[str, ModuleType] = {"invoices": invoices, "channels": channels, "payouts": payouts}
PRODUCTS: tuple[str, ...] = tuple(CHECKLISTS)


class Item(NamedTuple):
    """One item of one product's checklist; sorts in the evidence's order (product, then number)."""
    product: str
    number: int

    def __str__(self) -> str:
        return f"{self.product} {self.number}"

    @property
    def tag(self) -> str:
        return f"{self.product}_{self.number}"

    @property
    def title(self) -> str:
        return f"{product_title(self.product)} item {self.number:02d}: {CHECKLISTS[self.product].ITEMS[self.number]}"

    @property
    def cryptopay_words(self) -> str:
        """The item as Cryptopay's own checklist words it."""
        return CHECKLISTS[self.product].CRYPTOPAY_WORDS[self.number]

    def sort_key(self) -> tuple[int, int]:
        return PRODUCTS.index(self.product), self.number


def product_title(product: str) -> str:
    return CHECKLISTS[product].TITLE


def docs(product: str) -> str:
    return CHECKLISTS[product].DOCS


def all_items(product: str | None = None) -> list[Item]:
    """Every item of one product, or of all three, in the evidence's order."""
    chosen = [product] if product else PRODUCTS
    return [Item(p, n) for p in chosen for n in sorted(CHECKLISTS[p].ITEMS)]


def parse_item(text: str) -> Item | None:
    """"invoices 12" or the tag "invoices_12" -> the item; None for anything that names no item."""
    product, _, number = text.strip().replace("_", " ", 1).rpartition(" ")
    if product in CHECKLISTS and number.isdigit() and int(number) in CHECKLISTS[product].ITEMS:
        return Item(product, int(number))
    return None


def items_of(tag_names: Iterable[str]) -> list[Item]:
    """The checklist items a scenario's tags name (invoices_12, channels_5, ...), in the evidence's order."""
    found = {item for tag in tag_names if "_" in tag and (item := parse_item(tag)) is not None}
    return sorted(found, key=Item.sort_key)


def product_of(tag_names: Iterable[str]) -> str | None:
    """The product a scenario belongs to: its product tag, else the product of its items."""
    tags = set(tag_names)
    named = [p for p in PRODUCTS if p in tags] or [item.product for item in items_of(tags)]
    return named[0] if named else None


def proven_items(step_type: str, text: str, scenario_items: Iterable[Item]) -> set[Item]:
    """The items a Then-step proves in a scenario tagged with scenario_items; empty for Given and When. Each
    product's PROOF_KINDS decide for that product's items: a matching kind proves its candidates the scenario
    carries, or all of the scenario's items of that product when it carries none of them."""
    if step_type.lower() != "then":
        return set()
    proven: set[Item] = set()
    for product in {item.product for item in scenario_items}:
        own = {item.number for item in scenario_items if item.product == product}
        proven |= {Item(product, n) for n in _proven_numbers(CHECKLISTS[product].PROOF_KINDS, text, own)}
    return proven


def _proven_numbers(kinds, text: str, numbers: set[int]) -> set[int]:
    for _kind, pattern, candidates in kinds:
        if pattern.match(text):
            return (set(candidates) & numbers) or numbers
    return numbers


# What a failure can break, wherever it is seen: support/evidence/diagnosis/ names the property, each product's
# PROPERTIES the item that owns it ("the amount credited" is invoices item 12 in any scenario, never the scenario's item 10).
PROPERTY_WORDS: dict[str, str] = {
    "notifications": "a notification not verified or not followed",
    "status": "the merchant's record differs from Cryptopay's GET",
    "credit": "a credit before the payment completed, or none after",
    "amount": "a wrong amount or currency credited or debited",
    "amount field": "what Cryptopay charged and sent is not what the declared amount field means",
    "second credit": "a second credit (or debit) for one payment",
    "given back": "a payout's amount given back other than once, or for a payout that did not end cancelled",
    "retry": "a request Cryptopay refused for good asked again",
    "held credit": "a credit while the payment is held",
    "policy": "the unresolved-invoice policy differs from the declared one",
    "sign-off": "the teams' sign-off",
    "customer": "the customer's invoices cannot be found",
}


def item_for(product: str | None, prop: str) -> Item | None:
    """The item of `product`'s checklist that owns a property (PROPERTY_WORDS), or None where it has none."""
    number = getattr(CHECKLISTS.get(product or ""), "PROPERTIES", {}).get(prop)
    return Item(product, number) if product and number else None


def items_words(items: Iterable[Item]) -> str:
    """"invoices items 1, 12" or "channels item 5; invoices item 12": compact, grouped by product."""
    by_product: dict[str, list[int]] = {}
    for item in sorted(items, key=Item.sort_key):
        by_product.setdefault(item.product, []).append(item.number)
    return "; ".join(f"{p} {'item' if len(ns) == 1 else 'items'} {', '.join(map(str, ns))}"
                     for p, ns in by_product.items())
