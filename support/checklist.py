"""Cryptopay's 14-item invoice go-live checklist, in our words; tags checklist_N point here."""
from __future__ import annotations

DOCS = "https://developers.cryptopay.me/guides/testing/invoices"

ITEMS: dict[int, str] = {
    1: "Knows how to resolve underpaid invoices (recalculation, refund)",
    2: "Knows how to resolve overpaid invoices (recalculation, refund)",
    3: "Knows how to resolve paid_late invoices (recalculation, refund)",
    4: "Has chosen how unresolved invoices are handled, and it behaves as declared",
    5: "Creates several invoices and finds each by id, by custom_id and in the list",
    6: "Reproduces an underpaid invoice by paying too little",
    7: "Reproduces an overpaid invoice by paying too much",
    8: "Reproduces a paid_late invoice by paying after expiry",
    9: "Brings underpaid, overpaid and paid_late invoices to a final status",
    10: "Receives callbacks and processes each of them correctly",
    11: "Cryptopay's status (GET) matches the merchant's recorded status",
    12: "Credits the customer when, and only when, the invoice is completed, with the final amount",
    13: "A resent 'completed' callback never credits twice, once or many at the same time",
    14: "Risky payments are held (illicit_resource), never credited while held; teams have signed off",
}


def item_numbers(tag_names: list[str] | set[str]) -> list[int]:
    numbers = []
    for tag in tag_names:
        if tag.startswith("checklist_") and tag[len("checklist_"):].isdigit():
            number = int(tag[len("checklist_"):])
            if number in ITEMS:
                numbers.append(number)
    return sorted(numbers)


def item_title(number: int) -> str:
    return f"Item {number:02d}: {ITEMS[number]}"
