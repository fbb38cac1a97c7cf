"""Cryptopay's 8-item Channels go-live checklist in our words, and what each kind of Then-step proves of it."""
from __future__ import annotations

import re

TITLE = "Channels"
DOCS = "https://developers.cryptopay.me/guides/testing/channels"

# The published list (docs/cryptopay-channels-payouts-facts.md §0), item by item in our words.
ITEMS: dict[int, str] = {
    1: "Creates a channel for a customer",
    2: "A payment sent to the channel's address is seen",
    3: "Receives the channel payment callbacks and processes each of them correctly",
    4: "Cryptopay's payment status (GET) matches the merchant's recorded status",
    5: "Credits the customer when the payment is completed, never while it is pending or on hold",
    6: "Credits the correct amount: paid_amount = received_amount + fee, as the merchant declared (net or gross)",
    7: "A resent 'completed' callback never credits the customer again",
    8: "Payments held as illicit_resource are never credited while held; teams know risk scoring and signed off",
}

# Cryptopay's own wording of each item (DOCS; docs/cryptopay-channels-payouts-facts.md §0), for the product owner's page
# (docs/checklists.md) and each feature's description; ITEMS above says the same in our words.
CRYPTOPAY_WORDS: dict[int, str] = {
    1: "Create a channel",
    2: "Send cryptocurrency to the channel address",
    3: "Make sure you have received the callbacks and processed them correctly on your side",
    4: "Check the payment status using the GET request",
    5: "Make sure that you credit the funds to the customer's balance when the payment status is updated to completed",
    6: "Make sure that you credit the correct amount to the customer's balance. Remember that paid_amount == "
       "received_amount + fee, where received_amount is the amount credited to the Cryptopay merchant balance and fee "
       "is the amount of processing fee charged by Cryptopay for processing the payment",
    7: "Make sure that resending callbacks with the completed status does not result in the recharging of funds to the "
       "customer's balance on your side",
    8: "Make sure that all the relevant teams on your side (Support Team, Finance Team, Fraud Team, Transaction "
       "Monitoring Team) are aware of how Cryptopay payment risk scoring works and that incoming payments can be "
       "assigned with the On Hold status and the Illicit Resources context in cases where they were sent from wallets "
       "connected to criminal activity",
}

# What each kind of Then-step proves; the same rules as the invoice checklist (checklists/__init__.py).
PROOF_KINDS: tuple[tuple[str, re.Pattern[str], frozenset[int]], ...] = (
    ("the customer's balance", re.compile(r"^the customer('s balance| has been credited)"),
     frozenset({5, 6, 7, 8})),
    ("the merchant's record", re.compile(r"^the merchant('s recorded status| records| still records| has recorded"
                                         r"| has no record)"), frozenset({4})),
    ("the notifications", re.compile(r"^(the merchant (acknowledged|refused)|Cryptopay sent the merchant|"
                                     r"Cryptopay's delivery log)"), frozenset({3, 7})),
    ("Cryptopay's status", re.compile(r"^Cryptopay (reports|does not report)"), frozenset({2, 8})),
    ("the customer's channel", re.compile(r"^the customer has a channel"), frozenset({1})),
    ("the sign-off", re.compile(r"^Support, Finance, Fraud and Transaction Monitoring"), frozenset({8})),
)

# The item a failure of each property (checklists/__init__.py, PROPERTY_WORDS) fails, wherever it is seen.
PROPERTIES: dict[str, int] = {"notifications": 3, "status": 4, "credit": 5, "amount": 6, "second credit": 7,
              "held credit": 8, "sign-off": 8}
