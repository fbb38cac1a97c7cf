"""The payouts checklist's diagnosis rules (checklists/payouts.py): what Cryptopay charged and sent against the
declared amount field, and what the merchant debited and recorded against Cryptopay's payout."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from support.domain.payouts import charged_problem, received_problem
from support.evidence.diagnosis.core import DEFECT, Diagnosis, Facts, Rule, fails, status_differs
from support.evidence.words import money


def notes(lookup: Any) -> dict:
    """What the customer asked to withdraw, what the declared amount field means, the balance the customer was
    given before (a BalanceMark) and the statuses Cryptopay notified of the payout (its delivery log, where visible),
    where the scenario has them."""
    withdrawal = lookup("withdrawal")
    return {"meaning": lookup("declared_meaning"), "asked": getattr(withdrawal, "amount", None),
            "funded": lookup("funded"), "notified": _notified(lookup("control"), withdrawal)}


def _notified(control: Any, withdrawal: Any) -> tuple[str, ...] | None:
    try:
        return tuple(d.status for d in control.deliveries(withdrawal.payout.coin_withdrawal_id))
    except Exception:  # noqa: BLE001 - no control, no payout, or an unreadable log: nothing known
        return None


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


# Why the amount goes back only at cancelled: neither on hold nor failed is where a payout ends (facts §14).
ONLY_AT_CANCELLED = ("give the customer the amount back only when Cryptopay reports the payout cancelled: on hold and "
                     "failed are not final (a held payout can be released, a failed one can complete after all)")


def given_back_completed(facts: Facts) -> Diagnosis | None:
    """The merchant gave back what it debited for a payout Cryptopay completed: the customer has both. Given back
    on a hold that ended well, the debit is wrong (item 5); at a failure completed after all, the merchant took
    failed for cancelled (item 6)."""
    for payout in facts.objects:
        if (payout.found or {}).get("status") != "completed" or not (payout.recorded or {}).get("refunded"):
            continue
        notified = facts.notes.get("notified") or ()
        held = "on_hold" in notified and "failed" not in notified
        when = (" when Cryptopay held it" if held else " when it failed" if "failed" in notified else "")
        return Diagnosis(DEFECT, f"the merchant gave the customer back what it debited for payout "
                         f"{payout.object_id}{when}, and Cryptopay completed it: the customer has both the payout "
                         "and the money back", ONLY_AT_CANCELLED, fails(facts, "amount" if held else "given back"))
    return None


def given_back_more_than_once(facts: Facts) -> Diagnosis | None:
    """The customer holds more than they were given before a payout that ended cancelled: given back twice or more."""
    funded = facts.notes.get("funded")
    for payout in facts.objects:
        debited = (payout.recorded or {}).get("debited")
        if not funded or not debited or (payout.found or {}).get("status") != "cancelled":
            continue
        amount, currency = debited.split()
        have = (facts.balances or {}).get(currency)
        if currency != funded.currency or have is None or have <= funded.amount:
            continue
        times = (have - funded.amount + Decimal(amount)) / Decimal(amount)
        return Diagnosis(DEFECT, f"the merchant gave back the {money(amount, currency)} debited for payout "
                         f"{payout.object_id}, which Cryptopay cancelled, {times.normalize():f} times: the customer "
                         f"holds {money(have, currency)}, given {money(funded.amount, currency)} before",
                         "give the amount back under a uniqueness rule the database enforces (a unique key on the "
                         "payout's refund), so copies of the cancelled notification arriving together give it back "
                         "once; a check 'not given back yet?' before a separate write lets every copy through",
                         fails(facts, "given back"))
    return None


def asked_again(facts: Facts) -> Diagnosis | None:
    """A payout Cryptopay refused as high-risk was asked for again (the step names every request it received)."""
    if not facts.step.startswith("Cryptopay was asked for the customer's payout once"):
        return None
    return Diagnosis(DEFECT, "the merchant asked Cryptopay again for a payout it had refused as high-risk: "
                     + facts.message.split("\n")[0].rstrip("."),
                     "answer a high_risk_address refusal by telling the customer at once, and never send the payout "
                     "again, under the same custom_id or a new one: Cryptopay refuses the address every time",
                     fails(facts, "retry"))


STEP_RULES: tuple[Rule, ...] = (asked_again,)
RULES: tuple[Rule, ...] = (
    not_as_declared, debited_other_than_charged, given_back_completed, given_back_more_than_once,
    status_differs("on every CoinWithdrawal notification, read the withdrawal with GET /api/coin_withdrawals/{id} "
                   "and record the status it returns (never the callback body's: it may be stale or forged)"),
)
