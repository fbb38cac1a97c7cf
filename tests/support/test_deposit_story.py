"""One line a person reads and a sequence diagram per deposit, from the views gathered at a scenario's end."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

from support.drivers.merchant import Deposit
from support.evidence import DepositStory

DEPOSIT = Deposit("cust-1", "2fc0558c-aaaa", "dep-1", Decimal("100.00"), "EUR", "BTC")
INVOICE = {"status": "completed", "status_context": None, "price_amount": "50.05", "price_currency": "EUR",
           "paid_amount": "0.000948"}
DELIVERIES = [
    {"event": "status_changed", "invoice_status": "unresolved", "resend_of": None,
     "attempts": [{"number": 0, "status_code": None, "error": "connection refused"},
                  {"number": 1, "status_code": 200, "error": None}]},
    {"event": "status_changed", "invoice_status": "completed", "resend_of": None,
     "attempts": [{"number": 0, "status_code": 200, "error": None}]},
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
