"""Why a scenario failed and what to fix, read from the evidence already there (API, delivery and callback logs): one
mechanism for the three products. The rules are functions over the failure's facts; core.py holds the vocabulary and
the rules every product shares, and each product's own rules sit in a module named after its checklist
(checklists/<product>.py beside support/evidence/diagnosis/<product>.py)."""
from __future__ import annotations

from types import ModuleType

from support.evidence.diagnosis import channels, invoices, payouts
from support.evidence.diagnosis.core import (CONFIGURATION, DEFECT, DELIVERIES, ENVIRONMENT, FIRST, STEP, Diagnosis,
                                             Facts, ObjectFacts, Rule, annotate, final_answers, first_of, read_object,
                                             readable)

PRODUCT_RULES: dict[str, ModuleType] = {"invoices": invoices, "channels": channels, "payouts": payouts}

__all__ = ["CONFIGURATION", "DEFECT", "ENVIRONMENT", "Diagnosis", "Facts", "ObjectFacts", "annotate", "diagnose",
           "final_answers", "readable", "read_object", "rules_for", "PRODUCT_RULES"]


def rules_for(product: str) -> tuple[Rule, ...]:
    """Most specific first, the first that recognises the evidence explains the failure: what kept anything from
    being proven, the failed step's own words, where the notifications went and how they were answered, then what
    the product's objects and the customer's balance show."""
    own = PRODUCT_RULES.get(product, invoices)
    return FIRST + own.STEP_RULES + STEP + DELIVERIES + own.RULES


def diagnose(facts: Facts) -> Diagnosis | None:
    return first_of(rules_for(facts.product), facts)
