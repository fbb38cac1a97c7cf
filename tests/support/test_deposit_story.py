"""One line a person reads and a sequence diagram per deposit, from the views gathered at a scenario's end."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from decimal import Decimal

from support.drivers.emulator import Attempt, Delivery
from support.drivers.merchant import Deposit
from support.evidence.attachments import DepositStory, owed_by
from support.evidence.sequence_diagram import BAD, INK, OK

DEPOSIT = Deposit("cust-1", "2fc0558c-aaaa", "dep-1", Decimal("100.00"), "EUR", "BTC")
INVOICE = {"status": "completed", "status_context": None, "price_amount": "50.05", "price_currency": "EUR",
           "paid_amount": "0.000948"}
AT = "2026-01-05T10:00:00+00:00"
DELIVERIES = [
    Delivery("d-1", "Invoice", "status_changed", DEPOSIT.invoice_id, "unresolved", "delivered", "{}",
             (Attempt(0, AT, None, "connection refused", 3), Attempt(1, AT, 200, None, 5))),
    Delivery("d-2", "Invoice", "status_changed", DEPOSIT.invoice_id, "completed", "delivered", "{}",
             (Attempt(0, AT, 200, None, 4),)),
]


def _story(balances: dict) -> DepositStory:
    return DepositStory(DEPOSIT, INVOICE, DELIVERIES, None, {"status": "completed"}, balances)


def test_the_line_says_what_was_asked_done_recorded_and_credited() -> None:
    line = _story({"EUR": Decimal("50.05")}).line()
    assert line == ("Asked 100.00 EUR in BTC → Cryptopay: completed, recalculated to 50.05 EUR → 3 notification "
                    "attempts answered 200 ×2, connection refused ×1 (1 retries) → merchant recorded completed; "
                    "customer's balance 50.05 EUR")
    assert "Decimal" not in line


def test_nothing_credited_reads_so() -> None:
    assert _story({"EUR": Decimal("0")}).line().endswith("customer's credited nothing")


def test_the_diagram_is_one_offline_svg_with_every_attempt() -> None:
    svg = _story({"EUR": Decimal("50.05")}).svg()
    root = ET.fromstring(svg)  # well-formed
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "status_changed: unresolved → connection refused" in texts
    assert "status_changed: unresolved retry 1 → 200" in texts
    assert "GET: completed, 50.05 EUR" in texts
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def _colour_of(svg: str, text: str) -> str:
    root = ET.fromstring(svg)
    return next(t.get("fill") for t in root.iter("{http://www.w3.org/2000/svg}text") if t.text == text)


def test_a_wrong_balance_beside_a_right_status_is_drawn_red_never_green() -> None:
    owed = {"EUR": Decimal("50.05")}
    wrong = replace(_story({"EUR": Decimal("49.54")}), owed=owed).svg()
    right = replace(_story({"EUR": Decimal("50.05")}), owed=owed).svg()
    assert _colour_of(wrong, "records completed") == OK  # the status is right...
    assert _colour_of(wrong, "customer: balance 49.54 EUR (owed 50.05 EUR)") == BAD  # ...the amount is not
    assert _colour_of(right, "customer: balance 50.05 EUR") == OK
    unknown = _story({"EUR": Decimal("49.54")}).svg()  # nothing known of what is owed: neither green nor red
    assert _colour_of(unknown, "customer: balance 49.54 EUR") == INK


def test_what_a_customer_is_owed_counts_only_completed_deposits_of_that_customer() -> None:
    other = Deposit("cust-2", "3ad0558c-bbbb", "dep-2", Decimal("10.00"), "EUR", "BTC")
    stories = [_story({}), DepositStory(other, INVOICE, None, None, None, {}),
               DepositStory(DEPOSIT, {**INVOICE, "status": "refunded"}, None, None, None, {})]
    assert owed_by(stories, "cust-1") == {"EUR": Decimal("50.05")}
