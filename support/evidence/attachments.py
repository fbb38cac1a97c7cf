"""Evidence for the Allure report: redacted JSON attachments and the Cryptopay exchanges a scenario relied on."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from typing import Any

import allure

from cryptopay_client import Exchange
from reporting.cryptopay_objects import ATTACHMENT as OBJECTS_ATTACHMENT, objects_seen
from reporting.inert import printable
from reporting.redaction import redact, usable
from support.drivers.emulator import Delivery
from support.evidence.sequence_diagram import Message, render
from support.evidence.words import money

class Redactor:
    """Removes every configured secret value (whole, or a long fragment: reporting/redaction.py's rule) and any
    Authorization credential from text, and makes its control characters visible: attachments quote merchants."""

    def __init__(self, secrets: list[str]):
        self._secrets = usable(secrets)

    def add(self, secret: str) -> None:
        self._secrets = usable([*self._secrets, secret])

    def text(self, value: str) -> str:
        return printable(redact(value, self._secrets))


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


class Evidence:
    """One per scenario: attaches what a certification reviewer needs to judge the result."""

    def __init__(self, redactor: Redactor):
        self.redactor = redactor
        self.exchanges: list[Exchange] = []

    def record_exchange(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)

    def attach_json(self, name: str, payload: Any) -> None:
        text = json.dumps(payload, indent=2, default=_default, sort_keys=False)
        allure.attach(self.redactor.text(text), name=name, attachment_type=allure.attachment_type.JSON)

    def attach_text(self, name: str, text: str) -> None:
        allure.attach(self.redactor.text(text), name=name, attachment_type=allure.attachment_type.TEXT)

    def name_choice(self, name: str, value: str) -> None:
        """A choice of the merchant's that decides what the scenario expects (its amount field, its unresolved
        policy), shown as a step of its own in the report: the feature cannot name it, the merchant chose it. (Not an
        Allure parameter: parameters are part of a result's identity, and the run's manifest would lose the scenario.)"""
        with allure.step(self.redactor.text(f"{name}: {value}")):
            pass

    def attach_svg(self, name: str, svg: str) -> None:
        allure.attach(self.redactor.text(svg), name=name, attachment_type=allure.attachment_type.SVG)

    def attach_objects(self) -> None:
        """Every Cryptopay object the scenario created or read, as it last saw it: what a reviewer looks up at
        Cryptopay (certify.sh --verify re-reads each one). After the timelines, whose reads are the latest."""
        seen = objects_seen(self.exchanges)
        if seen:
            self.attach_json(OBJECTS_ATTACHMENT, seen)

    def attach_exchanges(self) -> None:
        if not self.exchanges:
            return
        rows = [{"request": f"{e.method} {e.path}", "request_body": e.request_body, "status": e.status,
                 "response_body": e.response_body, "elapsed_ms": e.elapsed_ms} for e in self.exchanges]
        self.attach_json("Cryptopay API exchanges", rows)


def _status(invoice: dict | None) -> str:
    if not invoice:
        return "nothing"
    context = invoice.get("status_context")
    return f"{invoice.get('status')} ({context})" if context else str(invoice.get("status"))


@dataclass(frozen=True)
class DepositStory:
    """What is known about one deposit at the end of its scenario; every part may be missing."""
    deposit: Any
    invoice: dict | None
    deliveries: list[Delivery] | None  # Cryptopay's delivery log (emulator)
    received: list[dict] | None    # the merchant's callback log (probe extension)
    recorded: dict | None
    balances: dict | None
    # What the customer is owed by every deposit of the scenario (currency -> amount: the final prices of the
    # completed ones); None when unknown, and the balance is then drawn neither right nor wrong.
    owed: dict | None = None

    def final_price(self) -> str:
        return money(self.invoice["price_amount"], self.invoice["price_currency"], self.deposit.price_amount)

    def answers(self) -> list[tuple[str, Any, int]]:
        """(event and status, the merchant's answer, attempt number) for every attempt, in order."""
        if self.deliveries is not None:
            return [(f"{d.event}: {d.status}" + (" (resent)" if d.resend_of else ""), a.answer, a.number)
                    for d in self.deliveries for a in d.attempts]
        return [(str(e.get("event")), e.get("answered_status"), 0) for e in self.received or []]

    def credited(self) -> str:
        held = self._held()
        if not held:
            return "credited nothing"
        return "balance " + ", ".join(money(v, c) for c, v in sorted(held.items()))

    def _held(self) -> dict[str, Decimal]:
        return {c: Decimal(str(v)) for c, v in (self.balances or {}).items() if Decimal(str(v)) != 0}

    def balance_right(self) -> bool | None:
        """Whether the customer holds exactly what the scenario's completed deposits owe: None when unknown."""
        if self.owed is None or self.balances is None:
            return None
        return self._held() == {c: v for c, v in self.owed.items() if v != 0}

    def line(self) -> str:
        asked = f"Asked {money(self.deposit.price_amount, self.deposit.price_currency)} in {self.deposit.pay_currency}"
        parts = [asked]
        if self.invoice:
            final = self.final_price()
            changed = final != money(self.deposit.price_amount, self.deposit.price_currency)
            parts.append(f"Cryptopay: {_status(self.invoice)}" + (f", recalculated to {final}" if changed else
                                                                  f" at {final}"))
        answers = self.answers()
        if answers:
            codes = [str(a) for _, a, _ in answers]
            retries = sum(1 for _, _, n in answers if n > 0)
            parts.append(f"{len(answers)} notification attempts answered " +
                         ", ".join(f"{c} ×{codes.count(c)}" for c in sorted(set(codes))) +
                         (f" ({retries} retries)" if retries else ""))
        parts.append(f"merchant recorded {_status(self.recorded)}; customer's {self.credited()}")
        return " → ".join(parts)

    def messages(self) -> list[Message]:
        d = self.deposit
        rows = [Message("Customer", "Merchant", f"deposit {money(d.price_amount, d.price_currency)} in {d.pay_currency}"),
                Message("Merchant", "Cryptopay", "create invoice")]
        if self.invoice:
            rows += [Message("Cryptopay", "Merchant", f"invoice {d.invoice_id[:8]}: new", dashed=True),
                     Message("Customer", "Cryptopay", f"pays {money(self.invoice.get('paid_amount') or '0', d.pay_currency)}")]
        for what, answer, number in self.answers():
            retry = f" retry {number}" if number else ""
            rows.append(Message("Cryptopay", "Merchant", f"{what}{retry} → {answer}", ok=answer == 200))
        if self.invoice:
            rows.append(Message("Cryptopay", "Cryptopay", f"GET: {_status(self.invoice)}, {self.final_price()}"))
        matches = self.invoice is not None and _status(self.recorded) == _status(self.invoice)
        rows.append(Message("Merchant", "Merchant", f"records {_status(self.recorded)}", ok=matches))
        # The balance on a row of its own: a wrong amount beside a right status is never drawn green.
        owed = "" if self.balance_right() in (None, True) else f" (owed {_owed_words(self.owed)})"
        rows.append(Message("Merchant", "Customer", f"customer: {self.credited()}{owed}", ok=self.balance_right()))
        return rows

    def svg(self) -> str:
        d = self.deposit
        final = f" → {_status(self.invoice)} at {self.final_price()}" if self.invoice else ""
        return render(f"Deposit {d.invoice_id[:8]}: asked {money(d.price_amount, d.price_currency)}{final}",
                      self.messages())


def _owed_words(owed: dict | None) -> str:
    held = {c: v for c, v in (owed or {}).items() if v != 0}
    return ", ".join(money(v, c) for c, v in sorted(held.items())) or "nothing"


def owed_by(stories: list[DepositStory], customer_id: str) -> dict[str, Decimal] | None:
    """What a customer is owed by the scenario's deposits: the final price of each completed one, per currency.
    None if any of them could not be read."""
    owed: dict[str, Decimal] = {}
    for story in (s for s in stories if s.deposit.customer_id == customer_id):
        if story.invoice is None:
            return None
        if story.invoice.get("status") == "completed":
            currency = story.invoice["price_currency"]
            owed[currency] = owed.get(currency, Decimal("0")) + Decimal(str(story.invoice["price_amount"]))
    return owed


def read_story(deposit, cryptopay, control, merchant) -> DepositStory:
    invoice = cryptopay.invoice(deposit.invoice_id)
    deliveries = control.deliveries(deposit.invoice_id) if control is not None else None
    return DepositStory(deposit, invoice, deliveries, merchant.received_callbacks(deposit.invoice_id),
                        merchant.recorded_invoice(deposit.invoice_id), merchant.balances(deposit.customer_id))


def attach_timelines(deposits: list, cryptopay, control, merchant, evidence: "Evidence") -> None:
    """Every deposit's story at the end of a scenario, each balance judged against what all of them owe."""
    stories = []
    for deposit in deposits:
        try:
            stories.append(read_story(deposit, cryptopay, control, merchant))
        except Exception as exc:  # evidence gathering must never turn a verdict into an error
            evidence.attach_text("Invoice timeline unavailable", f"{type(exc).__name__}: {exc}")
    for story in stories:
        attach_timeline(replace(story, owed=owed_by(stories, story.deposit.customer_id)), evidence)


def attach_timeline(story: DepositStory, evidence: "Evidence") -> None:
    """The invoice's story at the end of a scenario: one line to read, a picture, then the raw views as proof."""
    short = story.deposit.invoice_id[:8]
    try:
        evidence.attach_text(f"Deposit {short} in one line", story.line() + "\n")
        evidence.attach_svg(f"Deposit {short}: sequence of events", story.svg())
        evidence.attach_json(f"Invoice timeline {short}: Cryptopay at the end", story.invoice)
        if story.deliveries is not None:
            deliveries = [dict(d.evidence(), attempts=[asdict(a) for a in d.attempts]) for d in story.deliveries]
            evidence.attach_json(f"Invoice timeline {short}: callbacks Cryptopay sent", deliveries)
        if story.received is not None:
            evidence.attach_json(f"Invoice timeline {short}: callbacks the merchant saw", story.received)
    except Exception as exc:  # evidence gathering must never turn a verdict into an error
        evidence.attach_text("Invoice timeline unavailable", f"{type(exc).__name__}: {exc}")
