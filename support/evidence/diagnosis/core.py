"""The diagnosis's vocabulary and the rules every product shares: the facts a failure leaves (its step and message, the
scenario's objects as Cryptopay, the delivery log and the merchant show them, the customer's balances), the
Why/Fix a rule reads from them, and the rules about what kept anything from being proven (the environment, the run's
wiring) and about the merchant's answers to the notifications."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from checklists import Item, item_for, items_words
from support.domain.callbacks import is_acknowledged, is_rejection, misses_the_handler
from support.domain.signoff import NOT_ACCEPTED, signoff_fix

CONFIGURATION, DEFECT, ENVIRONMENT = "configuration", "product defect", "environment"
ZERO = Decimal("0")
# Statuses after which Cryptopay has notified the merchant of the object at least once, by Cryptopay's name for it:
# an invoice's status_changed at the latest. Only invoices: whether a payout is notified at all is the account's
# choice (coin-withdrawal callbacks are opt-in), and a channel payment's "created" may still be on its way.
NOTIFIED = {"invoice": frozenset({"paid", "completed", "unresolved", "refunded", "cancelled"})}


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
class ObjectFacts:
    """One object of the failed scenario (an invoice, a channel payment, a payout), as Cryptopay, the delivery log
    and the merchant show it now."""
    object_id: str
    requested: tuple[Decimal, str] | None = None  # what the customer asked for (a deposit's price), where known
    found: dict[str, Any] | None = None     # Cryptopay's GET
    recorded: dict[str, Any] | None = None  # the merchant's record (probe), with its status
    answers: tuple[Any, ...] = ()           # the merchant's last answer to each genuine notification
    source: str = ""                        # which log the answers come from
    received: int | None = None             # notifications in the merchant's own callback log (None: not offered)
    kind: str = "invoice"                   # Cryptopay's name for it, in the Why
    # Notifications (events) the merchant acknowledged at once although Cryptopay failed its status check while it
    # handled them; and whether Cryptopay notified the object before answering the merchant's create (emulator).
    lost: tuple[str, ...] = ()
    early: bool = False


@dataclass(frozen=True)
class Facts:
    step: str
    message: str
    error: str = ""  # the exception's class name
    objects: tuple[ObjectFacts, ...] = ()
    balances: dict[str, Decimal] | None = None
    callback_url: str = ""
    notes: dict[str, Any] = field(default_factory=dict)  # what the product's rules need of the scenario
    product: str = "invoices"  # the failed scenario's checklist: the items a failure names are that product's
    merchant_down: str = ""    # why the merchant's probe could not be read while diagnosing, if it could not


Rule = Callable[[Facts], "Diagnosis | None"]


def fails(facts: Facts, prop: str) -> Item | None:
    """The item of the failed scenario's product that owns the property (checklists/<product>.py PROPERTIES)."""
    return item_for(facts.product, prop)


def status_words(record: dict[str, Any] | None) -> str:
    if not record:
        return "nothing"
    context = record.get("status_context")
    return f"{record.get('status')} ({context})" if context else str(record.get("status"))


def answers_words(answers: tuple[Any, ...]) -> str:
    counts: dict[str, int] = {}
    for answer in answers:
        counts[str(answer)] = counts.get(str(answer), 0) + 1
    return ", ".join(f"{answer} ×{n}" if n > 1 else answer for answer, n in counts.items())


# -- what kept anything from being proven: the environment, the probe token ---------------------------------------
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
    if not any(o.answers and all(isinstance(a, str) for a in o.answers) for o in facts.objects):
        return None
    return Diagnosis(ENVIRONMENT, f"the merchant is not answering: its probe ({facts.merchant_down}) and its callback "
                     "endpoint both failed: an outage, not a verdict on its integration",
                     "bring the merchant's staging back up and run again")


# -- what the failed step says -----------------------------------------------------------------------------------------
def signoff_missing(facts: Facts) -> Diagnosis | None:
    """The sign-off's own reasons, named (the shipped example refused, a team missing, a date in the future)."""
    if not facts.step.startswith("Support, Finance, Fraud and Transaction Monitoring"):
        return None
    reasons = facts.message.strip().split("\n")[0].partition(NOT_ACCEPTED)[2].strip().rstrip(".")
    why = f"the go-live sign-off is not accepted: {reasons}" if reasons else "the go-live sign-off is not valid"
    return Diagnosis(CONFIGURATION, why, signoff_fix(reasons), fails(facts, "sign-off"))


def accepted_bad_notification(facts: Facts) -> Diagnosis | None:
    if not facts.step.startswith("the merchant refused") or "accepted" not in facts.message:
        return None
    return Diagnosis(DEFECT, "the merchant accepted a notification with a forged, tampered or missing signature",
                     "verify X-Cryptopay-Signature (HMAC-SHA256 of the raw body with the Callback Secret) before "
                     "reading the body, and answer 401 when it does not match", fails(facts, "notifications"))


# -- where the notifications went, and what the merchant answered ----------------------------------------------------
def _notified(thing: ObjectFacts) -> bool:
    """Cryptopay has notified the merchant of this object for sure: its status moved on from where it started."""
    return bool(thing.found) and thing.found.get("status") in NOTIFIED.get(thing.kind, ())


def _dashboard_fix(facts: Facts) -> str:
    return (f"set the Callback URL in the Cryptopay dashboard (Integration → API) to MERCHANT_CALLBACK_URL "
            f"({facts.callback_url or 'in .env'}), the merchant's callback endpoint, reachable from Cryptopay; or "
            "MERCHANT_CALLBACK_URL in .env to the endpoint the account delivers to")


def delivered_elsewhere(facts: Facts) -> Diagnosis | None:
    """Cryptopay says it delivered (200) or must have notified (the object moved on), yet the merchant's own callback
    log holds nothing for it: the notifications go to another URL. Told before any product diagnosis: a merchant
    that heard nothing cannot have followed anything."""
    for thing in facts.objects:
        if thing.received != 0 or not _notified(thing):
            continue
        if thing.source == "Cryptopay's delivery log" and thing.answers:
            if not all(is_acknowledged(a) for a in thing.answers):
                continue  # answers the merchant gave itself: not elsewhere
            return Diagnosis(CONFIGURATION, f"Cryptopay's delivery log shows {len(thing.answers)} notifications for "
                             f"{thing.kind} {thing.object_id} answered 200, but the merchant's callback log has none: "
                             "the account delivers them to another callback URL", _dashboard_fix(facts))
        return Diagnosis(CONFIGURATION, f"Cryptopay reports {thing.kind} {thing.object_id} as "
                         f"{status_words(thing.found)}, so it has notified the merchant, but the merchant's callback "
                         "log shows no notification for it: the account's Callback URL does not reach the merchant",
                         _dashboard_fix(facts))
    return None


def nothing_delivered(facts: Facts) -> Diagnosis | None:
    notified = [o for o in facts.objects if _notified(o)]
    if not notified or any(o.answers for o in facts.objects) or not all(o.source for o in notified):
        return None
    return Diagnosis(CONFIGURATION, "Cryptopay's delivery log shows no notification reaching the merchant at all",
                     _dashboard_fix(facts))


def callback_url_wrong(facts: Facts) -> Diagnosis | None:
    for thing in facts.objects:
        if thing.answers and all(misses_the_handler(a) for a in thing.answers):
            return Diagnosis(CONFIGURATION, f"no notification for {thing.kind} {thing.object_id} reached the callback "
                             f"handler (answers: {answers_words(thing.answers)})",
                             f"set the Callback URL in the Cryptopay dashboard and MERCHANT_CALLBACK_URL "
                             f"({facts.callback_url or 'in .env'}) to the merchant's callback endpoint itself")
    return None


def signature_refused(facts: Facts) -> Diagnosis | None:
    for thing in facts.objects:
        if thing.answers and all(is_rejection(a) for a in thing.answers):
            # The preflight's correctly signed notification was accepted, so the secret in .env is the merchant's:
            # a refusal here fails the item (verifying other bytes), unless the dashboard holds another secret.
            return Diagnosis(CONFIGURATION, f"the merchant rejects Cryptopay's signature: every notification for "
                             f"{thing.kind} {thing.object_id} was answered {answers_words(thing.answers)}",
                             "check its Callback Secret (the merchant's must be the one the Cryptopay dashboard "
                             "shows); if it is, verify X-Cryptopay-Signature over the raw request bytes exactly as "
                             "received, never over re-serialised JSON (bodies carry escaped &, <, > and raw UTF-8)",
                             fails(facts, "notifications"))
    return None


def endpoint_fails(facts: Facts) -> Diagnosis | None:
    for thing in facts.objects:
        if thing.answers and all(isinstance(a, int) and a >= 500 for a in thing.answers):
            return Diagnosis(DEFECT, f"the merchant's callback endpoint failed on every notification for "
                             f"{thing.kind} {thing.object_id} ({answers_words(thing.answers)})",
                             "see the merchant's logs for the error; answer 200 once a notification is handled",
                             fails(facts, "notifications"))
    return None


# -- Cryptopay's hiccups: a status check that failed, notifications before the create answer ------------------------
def acknowledged_unprocessed(facts: Facts) -> Diagnosis | None:
    """A notification answered 200 although its confirming status check failed, and the record never caught up."""
    for thing in facts.objects:
        if thing.lost and thing.found and status_words(thing.found) != status_words(thing.recorded):
            one = len(thing.lost) == 1
            return Diagnosis(DEFECT, f"the merchant acknowledged the {', '.join(thing.lost)} notification"
                             f"{'' if one else 's'} of {thing.kind} {thing.object_id} although Cryptopay failed its "
                             f"status check while it handled {'it' if one else 'each'}, and never acted on "
                             f"{'it' if one else 'them'}: it records {status_words(thing.recorded)}, "
                             f"Cryptopay reports {status_words(thing.found)}",
                             "answer 200 only once a notification is handled: when the confirming GET fails, answer "
                             "5xx so that Cryptopay sends it again (or keep the work and retry it yourself)",
                             fails(facts, "notifications"))
    return None


def ignored_early(facts: Facts) -> Diagnosis | None:
    """Notifications that reached the merchant before Cryptopay's answer to its create, acknowledged and dropped."""
    for thing in facts.objects:
        if not thing.early or not thing.found or status_words(thing.found) == status_words(thing.recorded):
            continue
        if thing.answers and all(is_acknowledged(a) for a in thing.answers):
            return Diagnosis(DEFECT, f"Cryptopay notified {thing.kind} {thing.object_id} before its answer to the "
                             f"merchant's create request had reached the merchant; the merchant acknowledged those "
                             f"notifications and dropped them: it records {status_words(thing.recorded)}, Cryptopay "
                             f"reports {status_words(thing.found)}",
                             "on a notification about an object not recorded yet, read it with Cryptopay's GET and "
                             "find its customer by customer_id or custom_id (or answer 5xx so that Cryptopay sends it "
                             "again); never acknowledge it and drop it", fails(facts, "notifications"))
    return None


# -- the merchant's record beside Cryptopay's GET -------------------------------------------------------------------
def status_differs(fix: str) -> Rule:
    """A rule: the merchant records an object in another status than Cryptopay's GET reports (the "status" property:
    invoices item 11, channels and payouts item 4), with the product's `fix`."""
    def rule(facts: Facts) -> Diagnosis | None:
        for thing in facts.objects:
            if not thing.found or thing.recorded is None:
                continue
            theirs, ours = status_words(thing.found), status_words(thing.recorded)
            if theirs == ours:
                continue
            acked = sum(1 for a in thing.answers if is_acknowledged(a))
            answered = f"; it answered 200 to {acked} notifications" if acked else ""
            return Diagnosis(DEFECT, f"the merchant records {thing.kind} {thing.object_id} as {ours} while "
                             f"Cryptopay's GET reports {theirs}{answered}", fix, fails(facts, "status"))
        return None
    return rule


# Before any product's rules, in this order: what kept anything from being proven (the environment, the probe
# token), then the failed step's own words, then where the notifications went and how they were answered (the run's
# wiring: the Callback URL, a secret), so an outage or a misrouted notification never reads as a defect.
FIRST: tuple[Rule, ...] = (environment_named, probe_token, unreachable, merchant_down)
STEP: tuple[Rule, ...] = (signoff_missing, accepted_bad_notification)
DELIVERIES: tuple[Rule, ...] = (delivered_elsewhere, nothing_delivered, callback_url_wrong, signature_refused,
                                endpoint_fails, acknowledged_unprocessed, ignored_early)


def first_of(rules: tuple[Rule, ...], facts: Facts) -> Diagnosis | None:
    for rule in rules:
        try:
            found = rule(facts)
        except (ArithmeticError, KeyError, TypeError, ValueError, AttributeError):
            continue  # a rule that cannot read this evidence has nothing to say about it
        if found is not None:
            return found
    return None


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


def final_answers(deliveries: list) -> tuple[Any, ...]:
    """The merchant's last answer to each notification Cryptopay has tried to deliver (status code or error)."""
    return tuple(d.answers[-1] for d in deliveries if d.attempted)


def read_object(product: Any, thing: Any, cryptopay: Any, control: Any, merchant: Any) -> ObjectFacts:
    """One object through its product's adapter (support/domain/concepts.py), each read on its own: whatever can be
    read is used, whatever fails is left out."""
    def attempt(read: Callable[[], Any]) -> Any:
        try:
            return read()
        except Exception:  # noqa: BLE001 - a diagnosis must never replace the failure it explains
            return None

    object_id = product.object_id(thing)
    answers, source = (), ""
    deliveries = attempt(lambda: control.deliveries(object_id)) if control is not None else None
    logged = attempt(lambda: product.merchant_log(merchant, thing))
    if deliveries is not None:
        answers, source = final_answers(deliveries), "Cryptopay's delivery log"
    elif logged is not None:
        answers, source = tuple(row["answers"][-1] for row in logged), "the merchant's callback log"
    hiccups = attempt(lambda: hiccups_of(control, object_id, deliveries)) if control is not None else None
    return ObjectFacts(object_id, requested=product.requested(thing),
                       found=attempt(lambda: product.at_cryptopay(cryptopay, thing)),
                       recorded=attempt(lambda: product.recorded(merchant, thing)), answers=answers, source=source,
                       received=len(logged) if logged is not None else None, kind=product.kind,
                       **(hiccups or {}))


def hiccups_of(control: Any, object_id: str, deliveries: list | None) -> dict:
    """What the emulator's control API shows of the object's hiccups: the notifications acknowledged at their first
    attempt although a status check failed while they were handled, and whether they all came before the answer
    to the merchant's create."""
    failed = {read["event"] for fault in control.read_failures(object_id) for read in fault["failed"]}
    lost = tuple(d.event for d in deliveries or () if d.event in failed and d.answers and is_acknowledged(d.answers[0]))
    early = any(n.get("notified_id") == object_id and n.get("before_answer") for n in control.early_notifications())
    return {"lost": lost, "early": early}
