"""Why a scenario failed and what to fix, read from the evidence already there (API, delivery and callback logs)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from checklists import Item, item_for, items_words
from support.domain.callbacks import is_acknowledged, is_rejection, misses_the_handler
from support.domain.signoff import NOT_ACCEPTED, signoff_fix
from support.evidence.words import money

CONFIGURATION, DEFECT, ENVIRONMENT = "configuration", "product defect", "environment"
ZERO = Decimal("0")
# Invoice statuses after which Cryptopay has notified the merchant at least once (a status_changed at the latest).
NOTIFIED = frozenset({"paid", "completed", "unresolved", "refunded", "cancelled"})


@dataclass(frozen=True)
class Diagnosis:
    kind: str  # configuration | product defect | environment: the report's categories key on it
    why: str
    fix: str
    # The item whose property the failure breaks, wherever it is seen (a wrong amount is invoices item 12 in any
    # scenario); the verdict fails that item only. None: the failed step's items, or nothing proven (environment).
    fails: Item | None = None

    def text(self) -> str:
        """"Why (product defect, invoices item 12): ... Fix: ...": the category, the item it fails, cause, fix."""
        blamed = f", {items_words([self.fails])}" if self.fails else ""
        return f"Why ({self.kind}{blamed}): {self.why}. Fix: {self.fix}."


@dataclass(frozen=True)
class DepositFacts:
    """One deposit of the failed scenario, as Cryptopay, the delivery log and the merchant show it now."""
    invoice_id: str
    requested: tuple[Decimal, str]
    invoice: dict[str, Any] | None = None   # Cryptopay's GET
    recorded: dict[str, Any] | None = None  # the merchant's record (probe)
    answers: tuple[Any, ...] = ()           # the merchant's last answer to each genuine notification
    source: str = ""                        # which log the answers come from
    received: int | None = None             # notifications in the merchant's own callback log (None: not offered)


@dataclass(frozen=True)
class Facts:
    step: str
    message: str
    error: str = ""  # the exception's class name
    deposits: tuple[DepositFacts, ...] = ()
    balances: dict[str, Decimal] | None = None
    callback_url: str = ""
    notes: dict[str, Any] = field(default_factory=dict)
    product: str = "invoices"  # the failed scenario's checklist: the items a failure names are that product's
    merchant_down: str = ""    # why the merchant's probe could not be read while diagnosing, if it could not


def _fails(facts: Facts, prop: str) -> Item | None:
    return item_for(facts.product, prop)


def _price(invoice: dict[str, Any] | None) -> tuple[Decimal, str] | None:
    if not invoice or invoice.get("price_amount") is None:
        return None
    return Decimal(str(invoice["price_amount"])), str(invoice.get("price_currency"))


def _status(record: dict[str, Any] | None) -> str:
    if not record:
        return "nothing"
    context = record.get("status_context")
    return f"{record.get('status')} ({context})" if context else str(record.get("status"))


# -- the rules, most specific first: the first that recognises the evidence explains the failure -------------------

def probe_token(facts: Facts) -> Diagnosis | None:
    if facts.error != "ProbeTokenRejected":
        return None
    return Diagnosis(CONFIGURATION, "the merchant's certification probe refused the suite's token",
                     "set MERCHANT_PROBE_TOKEN in .env to the token the merchant's staging expects")


def environment_named(facts: Facts) -> Diagnosis | None:
    """The suite itself said the environment got in the way (it paid too late, an emulator's delay ran out)."""
    if facts.error != "EnvironmentFailure":
        return None
    why, _, fix = facts.message.partition("\nFix: ")
    return Diagnosis(ENVIRONMENT, why.rstrip("."), fix.rstrip("."))


# What our own drivers raise when a target does not answer, as the failure itself or as what a wait last saw (a
# wait shows an exception it read as "last seen: <class>: <message>"; a value a merchant answered never reads so).
_TRANSPORT = r"(?:ConnectionError|ConnectTimeout|ReadTimeout|Timeout|TransportError|ConnectionRefusedError|" \
             r"MerchantError: merchant probe unreachable|ProbeUnreachable)"
_UNREACHABLE = re.compile(rf"^{_TRANSPORT}|last seen: {_TRANSPORT}")


def unreachable(facts: Facts) -> Diagnosis | None:
    said = f"{facts.error}: {facts.message}"
    if not (facts.merchant_down or _UNREACHABLE.search(said) or _UNREACHABLE.search(facts.message)):
        return None
    if "merchant probe unreachable" in said or facts.merchant_down:
        return Diagnosis(ENVIRONMENT, "the merchant did not answer (its probe refused the connection or timed out): "
                         "an outage, not a verdict on its integration",
                         "bring the merchant's staging back up (MERCHANT_PROBE_URL, MERCHANT_CALLBACK_URL) and run "
                         "again")
    return Diagnosis(ENVIRONMENT, "a target did not answer (connection refused or timed out)",
                     "check that the merchant's staging and CRYPTOPAY_API_URL / MERCHANT_PROBE_URL are up and reachable")


def merchant_down(facts: Facts) -> Diagnosis | None:
    """Notifications that found nobody while the probe cannot be read either: the merchant is down, not misrouted."""
    if not facts.merchant_down:
        return None
    if not any(d.answers and all(isinstance(a, str) for a in d.answers) for d in facts.deposits):
        return None
    return Diagnosis(ENVIRONMENT, f"the merchant is not answering: its probe ({facts.merchant_down}) and its callback "
                     "endpoint both failed: an outage, not a verdict on its integration",
                     "bring the merchant's staging back up and run again")


def callback_url_wrong(facts: Facts) -> Diagnosis | None:
    for deposit in facts.deposits:
        if deposit.answers and all(misses_the_handler(a) for a in deposit.answers):
            return Diagnosis(CONFIGURATION, f"no notification for invoice {deposit.invoice_id} reached the callback "
                             f"handler (answers: {_answers(deposit.answers)})",
                             f"set the Callback URL in the Cryptopay dashboard and MERCHANT_CALLBACK_URL "
                             f"({facts.callback_url or 'in .env'}) to the merchant's callback endpoint itself")
    return None


def signature_refused(facts: Facts) -> Diagnosis | None:
    for deposit in facts.deposits:
        if deposit.answers and all(is_rejection(a) for a in deposit.answers):
            # The preflight's correctly signed notification was accepted, so the secret in .env is the merchant's:
            # a refusal here fails the item (verifying other bytes), unless the dashboard holds another secret.
            return Diagnosis(CONFIGURATION, f"the merchant rejects Cryptopay's signature: every notification for "
                             f"invoice {deposit.invoice_id} was answered {_answers(deposit.answers)}",
                             "check its Callback Secret (the merchant's must be the one the Cryptopay dashboard "
                             "shows); if it is, verify X-Cryptopay-Signature over the raw request bytes exactly as "
                             "received, never over re-serialised JSON (bodies carry escaped &, <, > and raw UTF-8)",
                             _fails(facts, "notifications"))
    return None


def accepted_bad_notification(facts: Facts) -> Diagnosis | None:
    if not facts.step.startswith("the merchant rejected") or "accepted" not in facts.message:
        return None
    return Diagnosis(DEFECT, "the merchant accepted a notification with a forged, tampered or missing signature",
                     "verify X-Cryptopay-Signature (HMAC-SHA256 of the raw body with the Callback Secret) before "
                     "reading the body, and answer 401 when it does not match", _fails(facts, "notifications"))


def endpoint_fails(facts: Facts) -> Diagnosis | None:
    for deposit in facts.deposits:
        if deposit.answers and all(isinstance(a, int) and a >= 500 for a in deposit.answers):
            return Diagnosis(DEFECT, f"the merchant's callback endpoint failed on every notification for invoice "
                             f"{deposit.invoice_id} ({_answers(deposit.answers)})",
                             "see the merchant's logs for the error; answer 200 once a notification is handled",
                             _fails(facts, "notifications"))
    return None


def _final_prices(facts: Facts) -> dict[str, Decimal]:
    """What the customer should have, per currency: the final prices of the completed invoices."""
    owed: dict[str, Decimal] = {}
    for deposit in facts.deposits:
        price = _price(deposit.invoice)
        if price and deposit.invoice and deposit.invoice.get("status") == "completed":
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
                             "invoice", _fails(facts, "second credit"))
    return None


def credited_before_completed(facts: Facts) -> Diagnosis | None:
    owed = _final_prices(facts)
    credited = {c: v for c, v in (facts.balances or {}).items() if v > 0 and v > owed.get(c, ZERO)}
    open_ones = [d for d in facts.deposits if d.invoice and d.invoice.get("status") != "completed"]
    if not credited or not open_ones:
        return None
    currency, have = next(iter(credited.items()))
    held = [d for d in open_ones if (d.invoice or {}).get("status_context") == "illicit_resource"]
    deposit = (held or open_ones)[0]
    return Diagnosis(DEFECT, f"the customer was credited {money(have, currency)} although Cryptopay reports invoice "
                     f"{deposit.invoice_id} as {_status(deposit.invoice)}",
                     "credit only when the invoice, read with GET /api/invoices/{id}, is completed: never on "
                     "transaction_confirmed, on unresolved (underpaid, overpaid, paid_late) or on a held payment",
                     _fails(facts, "held credit" if held else "credit"))


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
                     _fails(facts, "amount"))


def requested_not_final(facts: Facts) -> Diagnosis | None:
    for deposit in facts.deposits:
        price = _price(deposit.invoice)
        if not price or not deposit.invoice or deposit.invoice.get("status") != "completed":
            continue
        asked, currency = deposit.requested
        have = (facts.balances or {}).get(currency, ZERO)
        if price[0] != asked and have == asked:
            return Diagnosis(DEFECT, f"the merchant credited the requested {money(asked, currency)} instead of the "
                             f"final price {money(*price)}",
                             "credit price_amount of the completed invoice (it changes on recalculation)",
                             _fails(facts, "amount"))
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
                             "customer", _fails(facts, "amount"))
        if have == 0 and not _recorded_completed(facts):
            continue  # nothing credited and nothing recorded: the notifications' problem, told by later rules
        return Diagnosis(DEFECT, f"the customer was credited {money(have, currency)} for completed invoices worth "
                         f"{money(due, currency)}", "credit price_amount of each completed invoice, exactly once",
                         _fails(facts, "credit" if have == 0 else "amount"))
    return None


def _like(amount: Decimal, other: Decimal) -> Decimal:
    """`amount` with as many decimals as `other` shows, where that loses nothing."""
    return amount.quantize(other) if other.as_tuple().exponent < 0 and amount == amount.quantize(other) else amount


def _fee_in(facts: Facts, currency: str) -> Decimal:
    """Cryptopay's fee on the completed invoices priced in `currency`, where it is charged in that currency."""
    return sum((Decimal(str(d.invoice["fee"])) for d in facts.deposits
                if d.invoice and d.invoice.get("status") == "completed" and d.invoice.get("fee") is not None
                and d.invoice.get("price_currency") == currency and d.invoice.get("fee_currency") == currency), ZERO)


def _recorded_completed(facts: Facts) -> bool:
    return any((d.recorded or {}).get("status") == "completed" for d in facts.deposits)


def customer_lost(facts: Facts) -> Diagnosis | None:
    for deposit in facts.deposits:
        if deposit.invoice and not deposit.invoice.get("customer_id"):
            return Diagnosis(DEFECT, f"invoice {deposit.invoice_id} carries no customer_id, so Cryptopay cannot list "
                             "the customer's invoices",
                             "send the customer's id as customer_id when creating the invoice",
                             _fails(facts, "customer"))
    return None


def status_differs(facts: Facts) -> Diagnosis | None:
    for deposit in facts.deposits:
        if not deposit.invoice or deposit.recorded is None:
            continue
        theirs, ours = _status(deposit.invoice), _status(deposit.recorded)
        if theirs == ours:
            continue
        acked = sum(1 for a in deposit.answers if is_acknowledged(a))
        answered = f"; it answered 200 to {acked} notifications" if acked else ""
        return Diagnosis(DEFECT, f"the merchant records invoice {deposit.invoice_id} as {ours} while Cryptopay's "
                         f"GET reports {theirs}{answered}",
                         "on every notification, read the invoice with GET /api/invoices/{id} and record that "
                         "status (never the callback body's: it may be stale or forged), and never move a status "
                         "back to an earlier one", _fails(facts, "status"))
    return None


def policy_differs(facts: Facts) -> Diagnosis | None:
    match = re.match(r"Cryptopay handles the (\w+) deposit as the declared policy says", facts.step)
    if not match:
        return None
    context = match.group(1)
    return Diagnosis(CONFIGURATION, f"what Cryptopay did with the {context} invoice differs from the declared "
                     f"UNRESOLVED_POLICY_{context.upper()}",
                     f"make the Cryptopay dashboard's 'How to handle unresolved invoices' ({context}) and "
                     f"UNRESOLVED_POLICY_{context.upper()} in .env say the same", _fails(facts, "policy"))


def signoff_missing(facts: Facts) -> Diagnosis | None:
    """The sign-off's own reasons, named (the shipped example refused, a team missing, a date in the future)."""
    if not facts.step.startswith("Support, Finance, Fraud and Transaction Monitoring"):
        return None
    reasons = facts.message.strip().split("\n")[0].partition(NOT_ACCEPTED)[2].strip().rstrip(".")
    why = f"the go-live sign-off is not accepted: {reasons}" if reasons else "the go-live sign-off is not valid"
    return Diagnosis(CONFIGURATION, why, signoff_fix(reasons), _fails(facts, "sign-off"))


def _notified(deposit: DepositFacts) -> bool:
    """Cryptopay has notified the merchant of this invoice: its status moved on from new."""
    return bool(deposit.invoice) and deposit.invoice.get("status") in NOTIFIED


def _dashboard_fix(facts: Facts) -> str:
    return (f"set the Callback URL in the Cryptopay dashboard (Integration → API) to MERCHANT_CALLBACK_URL "
            f"({facts.callback_url or 'in .env'}), the merchant's callback endpoint, reachable from Cryptopay; or "
            "MERCHANT_CALLBACK_URL in .env to the endpoint the account delivers to")


def delivered_elsewhere(facts: Facts) -> Diagnosis | None:
    """Cryptopay says it delivered (200) or must have notified (the invoice moved on), yet the merchant's own callback
    log holds nothing for the invoice: the notifications go to another URL. Told before any product diagnosis: a
    merchant that heard nothing cannot have followed anything."""
    for deposit in facts.deposits:
        if deposit.received != 0 or not _notified(deposit):
            continue
        if deposit.source == "Cryptopay's delivery log" and deposit.answers:
            if not all(is_acknowledged(a) for a in deposit.answers):
                continue  # answers the merchant gave itself: not elsewhere
            return Diagnosis(CONFIGURATION, f"Cryptopay's delivery log shows {len(deposit.answers)} notifications for "
                             f"invoice {deposit.invoice_id} answered 200, but the merchant's callback log has none: "
                             "the account delivers them to another callback URL", _dashboard_fix(facts))
        return Diagnosis(CONFIGURATION, f"Cryptopay reports invoice {deposit.invoice_id} as "
                         f"{_status(deposit.invoice)}, so it has notified the merchant, but the merchant's callback "
                         "log shows no notification for it: the account's Callback URL does not reach the merchant",
                         _dashboard_fix(facts))
    return None


def nothing_delivered(facts: Facts) -> Diagnosis | None:
    notified = [d for d in facts.deposits if _notified(d)]
    if not notified or any(d.answers for d in facts.deposits) or not all(d.source for d in notified):
        return None
    return Diagnosis(CONFIGURATION, "Cryptopay's delivery log shows no notification reaching the merchant at all",
                     _dashboard_fix(facts))


# Most specific first; what kept anything from being proven (the environment, the run's wiring: the Callback URL,
# a secret, the probe token) before any product rule, so an outage or a misrouted notification never reads as a
# defect of the merchant.
RULES: tuple[Callable[[Facts], Diagnosis | None], ...] = (
    environment_named, probe_token, unreachable, merchant_down, policy_differs, signoff_missing,
    accepted_bad_notification, delivered_elsewhere, nothing_delivered, callback_url_wrong, signature_refused,
    endpoint_fails, requested_not_final, wrong_currency, credited_twice, credited_before_completed, wrong_amount,
    customer_lost, status_differs,
)


def diagnose(facts: Facts) -> Diagnosis | None:
    for rule in RULES:
        try:
            found = rule(facts)
        except (ArithmeticError, KeyError, TypeError, ValueError):
            continue  # a rule that cannot read this evidence has nothing to say about it
        if found is not None:
            return found
    return None


def _answers(answers: tuple[Any, ...]) -> str:
    counts: dict[str, int] = {}
    for answer in answers:
        counts[str(answer)] = counts.get(str(answer), 0) + 1
    return ", ".join(f"{answer} ×{n}" if n > 1 else answer for answer, n in counts.items())


_DECIMAL_REPR = re.compile(r"Decimal\('([^']*)'\)")


def readable(message: str) -> str:
    """Money in a message as a person writes it: {'EUR': Decimal('100.00')} reads {'EUR': 100.00}."""
    return _DECIMAL_REPR.sub(r"\1", message)


def annotate(exception: BaseException, diagnosis: Diagnosis) -> bool:
    """Puts the diagnosis first in the exception's own message, so pytest, JUnit, Allure and the summary all lead
    with it; the original message follows as what was seen. False when the message cannot be rewritten."""
    if not exception.args or not isinstance(exception.args[0], str) or exception.args[0].startswith("Why ("):
        return False
    original = readable(exception.args[0])
    exception.args = (f"{diagnosis.text()}\nSeen: {original}", *exception.args[1:])
    return str(exception).startswith("Why (")


def final_answers(deliveries: list[dict]) -> tuple[Any, ...]:
    """The merchant's last answer to each notification Cryptopay has tried to deliver (status code or error)."""
    return tuple(d["attempts"][-1]["status_code"] or d["attempts"][-1]["error"] for d in deliveries if d["attempts"])


def read_deposit(deposit: Any, cryptopay: Any, control: Any, merchant: Any) -> DepositFacts:
    """Each read on its own: whatever can be read is used, whatever fails is left out."""
    def attempt(read: Callable[[], Any]) -> Any:
        try:
            return read()
        except Exception:  # noqa: BLE001 - a diagnosis must never replace the failure it explains
            return None

    answers, source = (), ""
    deliveries = attempt(lambda: control.deliveries(deposit.invoice_id)) if control is not None else None
    received = attempt(lambda: merchant.received_callbacks(deposit.invoice_id))
    if deliveries is not None:
        answers, source = final_answers(deliveries), "Cryptopay's delivery log"
    elif received is not None:
        answers, source = tuple(e.get("answered_status") for e in received), "the merchant's callback log"
    return DepositFacts(deposit.invoice_id, (Decimal(str(deposit.price_amount)), deposit.price_currency),
                        invoice=attempt(lambda: cryptopay.invoice(deposit.invoice_id)),
                        recorded=attempt(lambda: merchant.recorded_invoice(deposit.invoice_id)),
                        answers=answers, source=source, received=len(received) if received is not None else None)
