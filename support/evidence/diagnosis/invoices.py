"""The invoices checklist's diagnosis rules (checklists/invoices.py): what a deposit's balance, status and invoice say
about the merchant's crediting, most specific first."""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from support.evidence.diagnosis.core import (CONFIGURATION, DEFECT, ZERO, Diagnosis, Facts, Rule, fails,
                                             status_differs, status_words)
from support.evidence.words import money


def _price(invoice: dict[str, Any] | None) -> tuple[Decimal, str] | None:
    if not invoice or invoice.get("price_amount") is None:
        return None
    return Decimal(str(invoice["price_amount"])), str(invoice.get("price_currency"))


def _final_prices(facts: Facts) -> dict[str, Decimal]:
    """What the customer should have, per currency: the final prices of the completed invoices."""
    owed: dict[str, Decimal] = {}
    for deposit in facts.objects:
        price = _price(deposit.found)
        if price and deposit.found and deposit.found.get("status") == "completed":
            owed[price[1]] = owed.get(price[1], ZERO) + price[0]
    return owed


def credited_twice(facts: Facts) -> Diagnosis | None:
    owed = _final_prices(facts)
    for currency, due in owed.items():
        have = (facts.balances or {}).get(currency, ZERO)
        if due > 0 and have > due and have % due == 0:
            worth = _like(due, have)  # 100.0 reads 100.00 beside 300.00
            return Diagnosis(DEFECT, f"the customer was credited {money(have, currency)} for completed invoices "
                             f"worth {money(worth, currency)}: {(have / due).normalize():f} credits for one invoice",
                             "credit each invoice once: a unique constraint on the invoice id in the credits table "
                             "(insert-or-ignore); a resent or concurrent copy, even with other bytes, is the same "
                             "invoice", fails(facts, "second credit"))
    return None


def credited_before_completed(facts: Facts) -> Diagnosis | None:
    owed = _final_prices(facts)
    credited = {c: v for c, v in (facts.balances or {}).items() if v > 0 and v > owed.get(c, ZERO)}
    open_ones = [d for d in facts.objects if d.found and d.found.get("status") != "completed"]
    if not credited or not open_ones:
        return None
    currency, have = next(iter(credited.items()))
    held = [d for d in open_ones if (d.found or {}).get("status_context") == "illicit_resource"]
    deposit = (held or open_ones)[0]
    return Diagnosis(DEFECT, f"the customer was credited {money(have, currency)} although Cryptopay reports invoice "
                     f"{deposit.object_id} as {status_words(deposit.found)}",
                     "credit only when the invoice, read with GET /api/invoices/{id}, is completed: never on "
                     "transaction_confirmed, on unresolved (underpaid, overpaid, paid_late) or on a held payment",
                     fails(facts, "held credit" if held else "credit"))


def wrong_currency(facts: Facts) -> Diagnosis | None:
    owed = _final_prices(facts)
    # A balance in a currency no completed invoice is priced in: even a 0.00 there (a crypto price booked in a
    # two-decimal fiat balance rounds away) shows where the credit went.
    extra = {c: v for c, v in (facts.balances or {}).items() if c not in owed}
    missing = [c for c, due in owed.items() if (facts.balances or {}).get(c, ZERO) < due]
    if not extra or not missing:
        return None
    currency, have = next(iter(extra.items()))
    return Diagnosis(DEFECT, f"the customer was credited in {currency} (balance {money(have, currency)}), but the "
                     f"invoice is priced in {missing[0]} ({money(owed[missing[0]], missing[0])})",
                     "credit in the completed invoice's price_currency, into the customer's balance of that currency",
                     fails(facts, "amount"))


def requested_not_final(facts: Facts) -> Diagnosis | None:
    for deposit in facts.objects:
        price = _price(deposit.found)
        if not price or not deposit.found or deposit.found.get("status") != "completed":
            continue
        asked, currency = deposit.requested
        have = (facts.balances or {}).get(currency, ZERO)
        if price[0] != asked and have == asked:
            return Diagnosis(DEFECT, f"the merchant credited the requested {money(asked, currency)} instead of the "
                             f"final price {money(*price)}",
                             "credit price_amount of the completed invoice (it changes on recalculation)",
                             fails(facts, "amount"))
    return None


def wrong_amount(facts: Facts) -> Diagnosis | None:
    """A balance that is neither what the completed invoices are worth nor a multiple of it (credited twice): the
    amount is wrong, whichever step saw it. Cryptopay's fee taken off the customer's credit is named as such."""
    owed = _final_prices(facts)
    for currency, due in owed.items():
        have = (facts.balances or {}).get(currency, ZERO)
        if have == due or (have > due > 0 and have % due == 0):
            continue
        fee = _fee_in(facts, currency)
        due, fee = _like(due, have), _like(fee, have)  # 100.0 reads 100.00 beside 99.00
        if fee and have == due - fee:
            return Diagnosis(DEFECT, f"the customer was credited {money(have, currency)}, the completed invoice's "
                             f"price_amount {money(due, currency)} less Cryptopay's fee {money(fee, currency)}",
                             "credit price_amount: Cryptopay's fee is charged to the merchant's account, never to the "
                             "customer", fails(facts, "amount"))
        if have == 0 and not _recorded_completed(facts):
            continue  # nothing credited and nothing recorded: the notifications' problem, told by later rules
        return Diagnosis(DEFECT, f"the customer was credited {money(have, currency)} for completed invoices worth "
                         f"{money(due, currency)}", "credit price_amount of each completed invoice, exactly once",
                         fails(facts, "credit" if have == 0 else "amount"))
    return None


def _like(amount: Decimal, other: Decimal) -> Decimal:
    """`amount` with as many decimals as `other` shows, where that loses nothing."""
    return amount.quantize(other) if other.as_tuple().exponent < 0 and amount == amount.quantize(other) else amount


def _fee_in(facts: Facts, currency: str) -> Decimal:
    """Cryptopay's fee on the completed invoices priced in `currency`, where it is charged in that currency."""
    return sum((Decimal(str(d.found["fee"])) for d in facts.objects
                if d.found and d.found.get("status") == "completed" and d.found.get("fee") is not None
                and d.found.get("price_currency") == currency and d.found.get("fee_currency") == currency), ZERO)


def _recorded_completed(facts: Facts) -> bool:
    return any((d.recorded or {}).get("status") == "completed" for d in facts.objects)


def customer_lost(facts: Facts) -> Diagnosis | None:
    for deposit in facts.objects:
        if deposit.found and not deposit.found.get("customer_id"):
            return Diagnosis(DEFECT, f"invoice {deposit.object_id} carries no customer_id, so Cryptopay cannot list "
                             "the customer's invoices",
                             "send the customer's id as customer_id when creating the invoice",
                             fails(facts, "customer"))
    return None


def policy_differs(facts: Facts) -> Diagnosis | None:
    match = re.match(r"Cryptopay handles the ([a-z ]+) deposit as the merchant chose", facts.step)
    if not match:
        return None
    context = match.group(1).replace(" ", "_")  # "paid late" is Cryptopay's paid_late
    return Diagnosis(CONFIGURATION, f"what Cryptopay did with the {context} invoice differs from the declared "
                     f"UNRESOLVED_POLICY_{context.upper()}",
                     f"make the Cryptopay dashboard's 'How to handle unresolved invoices' ({context}) and "
                     f"UNRESOLVED_POLICY_{context.upper()} in .env say the same", fails(facts, "policy"))


def notes(lookup: Any) -> dict:
    return {}


# Rules on the failed step's own words, told before where the notifications went; then the evidence's.
STEP_RULES: tuple[Rule, ...] = (policy_differs,)
RULES: tuple[Rule, ...] = (
    requested_not_final, wrong_currency, credited_twice, credited_before_completed, wrong_amount, customer_lost,
    status_differs("on every notification, read the invoice with GET /api/invoices/{id} and record that status "
                   "(never the callback body's: it may be stale or forged), and never move a status back to an "
                   "earlier one"),
)
