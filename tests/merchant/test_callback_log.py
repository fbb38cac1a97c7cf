"""The callback-log probe extension is read by the status the endpoint answered, never by the outcome's wording."""
from __future__ import annotations

import json

from support.domain.callbacks import delivered_events, events_acknowledged


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


def _acknowledged(entries: list[dict], events: list[str]) -> bool:
    source, rows = delivered_events("inv-1", None, LogOnlyMerchant(entries))
    assert source == "the merchant's callback log (probe extension)"
    return events_acknowledged(rows, events)


def test_a_merchant_in_its_own_words_is_acknowledged_by_its_200() -> None:
    entries = [_entry("transaction_created", "new", 200, "no change"),
               _entry("status_changed", "completed", 200, "Gutschrift gebucht")]
    assert _acknowledged(entries, ["transaction_created", "status_changed"])


def test_a_credited_outcome_answered_with_a_retry_is_not_an_acknowledgement() -> None:
    entries = [_entry("status_changed", "completed", 503, "credited 100.0 EUR")]
    assert not _acknowledged(entries, ["status_changed"])
    assert _acknowledged(entries + [_entry("status_changed", "completed", 200, "retry handled")], ["status_changed"])


def test_only_200_acknowledges_as_cryptopay_counts_it() -> None:
    rows = [{"event": "status_changed", "status": "completed", "state": "pending", "answers": [204, "timeout", 500]}]
    assert not events_acknowledged(rows, ["status_changed"])
    rows[0]["answers"].append(200)
    assert events_acknowledged(rows, ["status_changed"])


def test_a_missing_event_is_not_acknowledged() -> None:
    assert not _acknowledged([_entry("transaction_created", "new", 200, "recorded new")], ["status_changed"])
