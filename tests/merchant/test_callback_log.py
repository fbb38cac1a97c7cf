"""The callback-log probe extension is read by the status the endpoint answered, never by the outcome's wording."""
from __future__ import annotations

import json

from decimal import Decimal

from support.domain.concepts import Notification, acknowledged, notifications_seen
from support.domain.deposits import DEPOSITS
from support.drivers.merchant import Deposit

SEEN, COMPLETED = DEPOSITS.notifications["payment seen"], DEPOSITS.notifications["completed"]


class LogOnlyMerchant:
    """A merchant seen only through its own callback log (no Cryptopay delivery log: the real sandbox)."""

    def __init__(self, entries: list[dict]):
        self.entries = entries

    def received_callbacks(self, invoice_id: str) -> list[dict]:
        return self.entries


def _entry(event: str, status: str, answered: int, outcome: str) -> dict:
    body = json.dumps({"type": "Invoice", "event": event, "data": {"id": "inv-1", "status": status}})
    return {"received_at": "2026-01-05T10:00:01+00:00", "event": event, "signature_valid": True,
            "answered_status": answered, "outcome": outcome, "raw_body": body}


def _acknowledged(entries: list[dict], wanted: list[Notification]) -> bool:
    deposit = Deposit("customer", "inv-1", "custom", Decimal("100.00"), "EUR", "BTC")
    source, rows = notifications_seen(DEPOSITS, deposit, None, LogOnlyMerchant(entries))
    assert source == "the merchant's callback log (probe extension)"
    return acknowledged(rows, wanted)


def test_a_merchant_in_its_own_words_is_acknowledged_by_its_200() -> None:
    entries = [_entry("transaction_created", "new", 200, "no change"),
               _entry("status_changed", "completed", 200, "Gutschrift gebucht")]
    assert _acknowledged(entries, [SEEN, COMPLETED])


def test_a_credited_outcome_answered_with_a_retry_is_not_an_acknowledgement() -> None:
    entries = [_entry("status_changed", "completed", 503, "credited 100.0 EUR")]
    assert not _acknowledged(entries, [COMPLETED])
    assert _acknowledged(entries + [_entry("status_changed", "completed", 200, "retry handled")], [COMPLETED])


def test_only_200_acknowledges_as_cryptopay_counts_it() -> None:
    rows = [{"event": "status_changed", "status": "completed", "state": "pending", "answers": [204, "timeout", 500]}]
    assert not acknowledged(rows, [COMPLETED])
    rows[0]["answers"].append(200)
    assert acknowledged(rows, [COMPLETED])


def test_a_missing_event_is_not_acknowledged() -> None:
    assert not _acknowledged([_entry("transaction_created", "new", 200, "recorded new")], [COMPLETED])


def test_a_notification_carrying_another_status_is_not_the_one_named() -> None:
    # "completed" is the status_changed that carries completed: one carrying paid is another notification.
    assert not _acknowledged([_entry("status_changed", "paid", 200, "recorded paid")], [COMPLETED])
    assert _acknowledged([_entry("status_changed", "completed", 200, "credited")], [COMPLETED])
