"""The payouts checklist's diagnosis rules (checklists/payouts.py): what Cryptopay charged and sent against the
declared amount field, and what the merchant debited and recorded against Cryptopay's payout."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from support.domain.payouts import charged_problem, received_problem
from support.evidence.diagnosis.core import DEFECT, Diagnosis, Facts, Rule, fails, status_differs
from support.evidence.words import money


def notes(lookup: Any) -> dict:
    """What the customer asked to withdraw and what the declared amount field means, where the scenario has them."""
    withdrawal = lookup("withdrawal")
    return {"meaning": lookup("declared_meaning"), "asked": getattr(withdrawal, "amount", None)}


def _field_fix(field: str) -> str:
    return (f"send the customer's amount in {field}, the field declared in PAYOUT_AMOUNT_FIELD, or declare the field "
            "the merchant sends")


def not_as_declared(facts: Facts) -> Diagnosis | None:
    """What Cryptopay charged, or sends, is not what the declared amount field means for the amount asked."""
    meaning, asked = facts.notes.get("meaning"), facts.notes.get("asked")
    if not meaning or asked is None:
        return None
    for payout in (p for p in facts.objects if p.found):
        problem = charged_problem(meaning, asked, payout.found) or received_problem(meaning, asked, payout.found)
        if problem:
            return Diagnosis(DEFECT, problem, _field_fix(meaning.field), fails(facts, "amount field"))
    return None


def debited_other_than_charged(facts: Facts) -> Diagnosis | None:
    """The merchant's record says it debited another amount than Cryptopay charged for the payout."""
    for payout in facts.objects:
        debited = (payout.recorded or {}).get("debited")
        if not payout.found or not debited:
            continue
        charged = (Decimal(payout.found["charged_amount"]), payout.found["charged_currency"])
        amount, currency = debited.split()
        if (Decimal(amount), currency) != charged:
            return Diagnosis(DEFECT, f"the merchant recorded debiting {money(amount, currency)} for payout "
                             f"{payout.object_id}, but Cryptopay charged {money(*charged)} (its charged_amount)",
                             "debit the customer the charged_amount of Cryptopay's answer to the withdrawal",
                             fails(facts, "amount"))
    return None


STEP_RULES: tuple[Rule, ...] = ()
RULES: tuple[Rule, ...] = (
    not_as_declared, debited_other_than_charged,
    status_differs("on every CoinWithdrawal notification, read the withdrawal with GET /api/coin_withdrawals/{id} "
                   "and record the status it returns (never the callback body's: it may be stale or forged)"),
)
