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

# Cryptopay's own wording of each item (DOCS; docs/cryptopay-channels-payouts-facts.md §0), for the product owner's page
# (docs/checklists.md) and each feature's description; ITEMS above says the same in our words.
CRYPTOPAY_WORDS: dict[int, str] = {
    1: "Make sure that you understand the difference between the charged_amount and charged_amount_to_send fields in "
       "the use scenarios to specify the amount to be paid",
    2: "Create a payment",
    3: "Make sure that you have received the callbacks and processed them correctly on your side",
    4: "Check the payment status using the GET request",
    5: "Make sure that you have charged the correct amount from the customer's balance on your side",
    6: "Make sure that you know that the failed payment status will eventually be updated to the cancelled status and "
       "the funds charged from the merchant balance will be refunded to the balance",
    7: "Make sure that you process the high_risk_address error correctly and understand that Cryptopay will not be able "
       "to process a withdrawal request when the transaction destination address is associated with an illegal/darknet "
       "resource and marked as a high-risk",
}

# What each kind of Then-step proves; the same rules as the invoice checklist (checklists/__init__.py).
PROOF_KINDS: tuple[tuple[str, re.Pattern[str], frozenset[int]], ...] = (
    ("what the customer was told", re.compile(r"^the merchant told the customer"), frozenset({7})),
    ("the customer's balance", re.compile(r"^the customer('s balance| has been (debited|charged))"),
     frozenset({1, 5, 6, 7})),
    ("the merchant's record", re.compile(r"^the merchant('s recorded status| records| still records| has recorded"
                                         r"| has no record)"), frozenset({4})),
    ("the notifications", re.compile(r"^(the merchant (acknowledged|refused)|Cryptopay sent the merchant|"
                                     r"Cryptopay's delivery log)"), frozenset({3})),
    ("Cryptopay's status", re.compile(r"^Cryptopay (reports|does not report)"), frozenset({2, 6, 7})),
    ("the payouts Cryptopay was asked for", re.compile(r"^Cryptopay was asked"), frozenset({7})),
    ("what arrives", re.compile(r"^the recipient receives"), frozenset({1})),
)

# The item a failure of each property (checklists/__init__.py, PROPERTY_WORDS) fails, wherever it is seen.
PROPERTIES: dict[str, int] = {"amount field": 1, "notifications": 3, "status": 4, "amount": 5, "second credit": 5,
                              "given back": 6, "retry": 7}
