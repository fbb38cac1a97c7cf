"""Cryptopay's 14-item Invoices go-live checklist in our words, and what each kind of Then-step proves of it."""
from __future__ import annotations

import re

TITLE = "Invoices"
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

# Cryptopay's own wording of each item (DOCS), for the product owner's page (docs/checklists.md) and each feature's
# description; ITEMS above says the same in our words.
CRYPTOPAY_WORDS: dict[int, str] = {
    1: "Make sure that you know how to update underpaid payment statuses",
    2: "Make sure that you know how to update overpaid payment statuses",
    3: "Make sure that you know how to update paid_late payment statuses",
    4: "Make sure that you use the settings that suit you in the Settings section > API > How to handle unresolved "
       "invoices to process unresolved status",
    5: "Create multiple invoices",
    6: "Reproduce the underpaid scenario by sending cryptocurrency to the invoice address",
    7: "Reproduce the overpaid scenario by sending cryptocurrency to the invoice address",
    8: "Reproduce the paid_late scenario by sending cryptocurrency to the invoice address",
    9: "Update payment statuses in the above three scenarios to one of the final statuses completed or refunded",
    10: "Make sure that you have received the callbacks and processed them correctly on your side",
    11: "Check the payment status using the GET request",
    12: "Make sure that you credit funds to the customer balance when the payment status is completed",
    13: "Make sure that resending callbacks with the completed status does not result in the recharging of funds to the "
        "customer's balance on your side",
    14: "Make sure that the relevant teams on your side (Support Team, Finance Team, Fraud Team, Transaction Monitoring "
        "Team) are aware of how Cryptopay payment risk scoring works and that incoming payments can be put on hold "
        "with the unresolved status and the context Illicit Resource",
}

# What each kind of Then-step proves. A step proves the candidates that the scenario is tagged with; a step whose
# candidates the scenario does not carry proves all of the scenario's items (e.g. a balance check in a policy
# scenario proves item 4). Given and When steps prove nothing by themselves: they set the scene.
PROOF_KINDS: tuple[tuple[str, re.Pattern[str], frozenset[int]], ...] = (
    ("the customer's balance", re.compile(r"^the customer('s balance| has been credited)"),
     frozenset({12, 13, 14})),
    ("the merchant's record", re.compile(r"^the merchant('s recorded status| records| still records| has recorded"
                                         r"| has no record)"), frozenset({11})),
    ("the notifications", re.compile(r"^(the merchant (acknowledged|refused)|Cryptopay sent the merchant|"
                                     r"Cryptopay's delivery log)"), frozenset({10, 13})),
    ("Cryptopay's status", re.compile(r"^Cryptopay (reports|does not report|handles)"),
     frozenset({1, 2, 3, 4, 6, 7, 8, 9, 14})),
    ("the invoices found", re.compile(r"^(each deposit has its own invoice|Cryptopay's invoice list)"),
     frozenset({5})),
    ("the sign-off", re.compile(r"^Support, Finance, Fraud and Transaction Monitoring"), frozenset({14})),
)

# The item a failure of each property (checklists/__init__.py, PROPERTY_WORDS) fails, wherever it is seen.
PROPERTIES: dict[str, int] = {"notifications": 10, "status": 11, "credit": 12, "amount": 12, "second credit": 13,
              "held credit": 14, "policy": 4, "sign-off": 14, "customer": 5}
