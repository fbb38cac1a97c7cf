"""The channels checklist's diagnosis rules (checklists/channels.py): what a payment to a deposit address, the
customer's balance and the declared credited amount say about the merchant's crediting, most specific first."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from support.evidence.diagnosis.core import DEFECT, ZERO, Diagnosis, Facts, ObjectFacts, Rule, fails, status_differs
from support.evidence.diagnosis.core import status_words
from support.evidence.words import balances_text


def notes(lookup: Any) -> dict:
    """The declared credited amount and what it adds up (the page's table, or the default), and the balances right
    after a payment was first credited, where the scenario has them."""
    settings, payment = lookup("settings"), lookup("channel_payment")
    return {"declared": settings.declared.channel_credited_amount if settings is not None else None,
            "credit_rule": lookup("credit_rule"), "credited_before": getattr(payment, "credited", None)}


def _holds_money(facts: Facts) -> bool:
    return any((facts.balances or {}).values())


def credited_while_not_completed(facts: Facts) -> Diagnosis | None:
    """The customer holds money for a payment Cryptopay has not completed (pending, on hold, refunded)."""
    for payment in facts.objects:
        if not payment.found or payment.found["status"] == "completed" or not _holds_money(facts):
            continue
        return Diagnosis(DEFECT, f"the merchant credited channel payment {payment.object_id}, which Cryptopay "
                         f"reports as {status_words(payment.found)}: the customer holds {balances_text(facts.balances)}",
                         "credit only when Cryptopay's GET of the payment says completed; never while pending or on "
                         "hold, and never a refunded one",
                         fails(facts, "held credit" if payment.found["status"] == "on_hold" else "credit"))
    return None


def credited_again(facts: Facts) -> Diagnosis | None:
    """The balance moved after the payment was first credited (a resent 'completed' notification credited again)."""
    before = facts.notes.get("credited_before")
    if before is None or facts.balances is None or facts.balances == before or not facts.objects:
        return None
    return Diagnosis(DEFECT, f"the merchant credited channel payment {facts.objects[0].object_id} again on a resent "
                     f"'completed' notification: {balances_text(before)} before, {balances_text(facts.balances)} after",
                     "make the credit idempotent per channel payment id (a unique constraint), not per notification",
                     fails(facts, "second credit"))


def credit_differs(facts: Facts) -> Diagnosis | None:
    """Why the customer does not hold the declared amount of a completed payment, when the balance shows it."""
    declared, rule = facts.notes.get("declared"), facts.notes.get("credit_rule")
    for payment in facts.objects:
        if declared and rule and payment.found and payment.found["status"] == "completed":
            found = _mistake(facts, payment, declared, rule.amount(declared, payment.found))
            if found is not None:
                return found
    return None


def _mistake(facts: Facts, payment: ObjectFacts, declared: str, owed: Decimal) -> Diagnosis | None:
    found, balances = payment.found, facts.balances or {}
    currency, paid_currency = found["received_currency"], found["paid_currency"]
    held, paid = balances.get(currency, ZERO), Decimal(found["paid_amount"])
    net = Decimal(found["received_amount"])
    gross = net + Decimal(found["fee"])
    subject = f"channel payment {payment.object_id} ({found['status']} at Cryptopay)"
    if not any(balances.values()):
        if (payment.recorded or {}).get("status") != "completed":
            return None  # nothing credited and nothing recorded: the record's rules tell
        return Diagnosis(DEFECT, f"the merchant credited nothing for {subject}",
                         "credit the customer when a ChannelPayment notification's confirming GET says completed",
                         fails(facts, "credit"))
    if held > owed > 0 and held % owed == 0:
        times = "twice" if held == 2 * owed else f"{(held / owed).normalize():f} times"
        return Diagnosis(DEFECT, f"the merchant credited {subject} {times} ({held} {currency})",
                         "credit each channel payment once, enforced by a unique constraint on its id",
                         fails(facts, "second credit"))
    if currency != paid_currency and balances.get(paid_currency) == paid:
        return Diagnosis(DEFECT, f"the merchant credited what was paid, {paid} {paid_currency}, instead of the "
                                 f"{declared} amount {owed} {currency}",
                         "credit in the payment's received_currency, from Cryptopay's GET once it is completed",
                         fails(facts, "amount"))
    if held == (gross if declared == "net" else net) and gross != net:
        other = "gross" if declared == "net" else "net"
        return Diagnosis(DEFECT, f"the merchant credited the {other} amount {held} {currency} of {subject}, but "
                                 f"declared {declared} ({owed} {currency})",
                         f"credit the {declared} amount, or declare CHANNEL_CREDITED_AMOUNT={other} if the "
                         f"{other} amount is what the customer is promised", fails(facts, "amount"))
    return None


def credited_fewer_payments(facts: Facts) -> Diagnosis | None:
    """Several completed payments to one deposit address, and the customer holds less than they add up to."""
    declared, rule = facts.notes.get("declared"), facts.notes.get("credit_rule")
    paid = [p.found for p in facts.objects if p.found and p.found["status"] == "completed"]
    if len(paid) < 2 or not declared or not rule or len({p["received_currency"] for p in paid}) != 1:
        return None
    currency = paid[0]["received_currency"]
    owed = sum((rule.amount(declared, p) for p in paid), ZERO)
    held = (facts.balances or {}).get(currency, ZERO)
    if not ZERO < held < owed:
        return None
    return Diagnosis(DEFECT, f"the customer paid the same deposit address {len(paid)} times and Cryptopay completed "
                     f"each payment, worth {owed} {currency} together, but the merchant credited {held} {currency}: it "
                     "takes a payment like an earlier one to the same address for that one again",
                     "credit each channel payment by its own id (unique per payment id, never per channel, customer "
                     "or amount)", fails(facts, "credit"))


def hold_taken_as_final(facts: Facts) -> Diagnosis | None:
    """A payment released from its hold (completed at Cryptopay) still recorded on hold, and nothing credited."""
    for payment in facts.objects:
        if (payment.found and payment.found["status"] == "completed" and payment.recorded
                and payment.recorded.get("status") == "on_hold" and not _holds_money(facts)):
            return Diagnosis(DEFECT, f"the merchant took the hold of channel payment {payment.object_id} for its end: "
                             "Cryptopay's monitoring team released it and it is completed, but the merchant still "
                             "records it on hold and credited nothing",
                             "a hold is not final: on the notification that follows it, confirm the payment with "
                             "Cryptopay's GET and credit it once it is completed", fails(facts, "credit"))
    return None


def no_record(facts: Facts) -> Diagnosis | None:
    for payment in facts.objects:
        if payment.found and payment.recorded is None:
            return Diagnosis(DEFECT, f"the merchant has no record of channel payment {payment.object_id}, which "
                             f"Cryptopay reports as {status_words(payment.found)}", _FOLLOW, fails(facts, "status"))
    return None


_FOLLOW = ("on every ChannelPayment notification, confirm the payment with Cryptopay's GET and record the status it "
           "returns for the channel's customer")

STEP_RULES: tuple[Rule, ...] = ()
RULES: tuple[Rule, ...] = (credited_while_not_completed, credited_again, credited_fewer_payments, credit_differs,
                           hold_taken_as_final, status_differs(_FOLLOW), no_record)
