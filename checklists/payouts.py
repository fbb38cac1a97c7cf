"""Cryptopay's 7-item Payouts go-live checklist in our words, and what each kind of Then-step proves of it."""
from __future__ import annotations

import re

TITLE = "Payouts"
DOCS = "https://developers.cryptopay.me/guides/testing/payouts"

# The published list (docs/cryptopay-channels-payouts-facts.md §0), item by item in our words.
ITEMS: dict[int, str] = {
    1: "Knows charged_amount from charged_amount_to_send: what the customer is charged and what arrives",
    2: "Creates a payout for a customer's withdrawal request",
    3: "Receives the coin withdrawal callbacks and processes each of them correctly",
    4: "Cryptopay's payout status (GET) matches the merchant's recorded status",
    5: "Debits the customer's balance the correct amount, exactly once",
    6: "A failed payout ends cancelled and the merchant returns the amount to the customer, once",
    7: "A high_risk_address refusal debits nothing, the customer is told, and it is not retried",
}

# What each kind of Then-step proves; the same rules as the invoice checklist (checklists/__init__.py).
PROOF_KINDS: tuple[tuple[str, re.Pattern[str], frozenset[int]], ...] = (
    ("what the customer was told", re.compile(r"^the merchant told the customer"), frozenset({7})),
    ("the customer's balance", re.compile(r"^the customer('s balance| has not been (debited|charged)"
                                          r"| has been (debited|charged))"), frozenset({1, 5, 6, 7})),
    ("the merchant's record", re.compile(r"^the merchant('s recorded status| records| still records| has recorded"
                                         r"| has no record)"), frozenset({4})),
    ("the notifications", re.compile(r"^(the merchant (acknowledged|rejected)|Cryptopay notified|"
                                     r"Cryptopay's delivery log)"), frozenset({3})),
    ("Cryptopay's status", re.compile(r"^Cryptopay (reports|does not report)"), frozenset({2, 6, 7})),
    ("what arrives", re.compile(r"^the recipient receives"), frozenset({1})),
)

# The item a failure of each property (checklists/__init__.py, PROPERTY_WORDS) fails, wherever it is seen.
PROPERTIES: dict[str, int] = {"notifications": 3, "status": 4, "amount": 5, "second credit": 5}
