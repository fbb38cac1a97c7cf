"""A busy merchant is not a broken one: copies of a storm answered 503 are retried the way Cryptopay retries, the
storm scenarios pass once every copy is acknowledged and the customer credited once, and the interim 503s show
in the evidence as a warning. Retries must not hide double credits."""
from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest

from reference_merchant.invoice_callbacks import InvoiceProcessor
from reference_merchant.outcome import Outcome
from tests.broken_merchants import CreditsOnResend
from tests.certification.harness import certification_stack, run_features

STORMS = "50_times_at_once"  # both storm scenarios: the first delivery, and a resend, 50 copies at once
FIRST_STORM = "test_the_very_first_completed_notification_arrives_50_times_at_once"
RESEND_STORM = "test_cryptopay_sends_the_completed_notification_50_times_at_once"
WARNING = "Warning: notifications answered 5xx"


def serialises_per_invoice() -> type[InvoiceProcessor]:
    turned_away = threading.Event()  # set once a concurrent copy has been answered 503

    class SerialisesPerInvoice(InvoiceProcessor):
        """A careful, correct merchant: one notification per invoice at a time (a non-blocking claim); a copy that
        arrives meanwhile is answered 503, asking Cryptopay to retry it later."""

        _guard = threading.Lock()
        _busy: set[str] = set()

        def process(self, event: str, data: dict) -> Outcome:
            invoice_id = data["id"]
            with self._guard:
                if invoice_id in self._busy:
                    turned_away.set()
                    return Outcome(503, "retry: busy with this invoice")
                self._busy.add(invoice_id)
            try:
                if data.get("status") == "completed":
                    # Holds the first completed copy until another was turned away, so the storm surely meets a
                    # busy merchant; bounded, so a lone notification is only delayed, well inside the 10 s limit.
                    turned_away.wait(timeout=2)
                return super().process(event, data)
            finally:
                with self._guard:
                    self._busy.discard(invoice_id)

    return SerialisesPerInvoice


def busy_answers(workdir: Path) -> int:
    """How many copies the merchant itself logged as answered 503 because it was busy."""
    with sqlite3.connect(workdir / "merchant.sqlite3") as conn:
        return conn.execute("SELECT COUNT(*) FROM callback_log WHERE outcome LIKE 'retry: busy%'").fetchone()[0]


def warnings_in_evidence(allure_dir: Path) -> list[str]:
    """Names of the scenarios whose evidence carries the retry warning."""
    found = []
    for result in allure_dir.glob("*-result.json"):
        data = json.loads(result.read_text(encoding="utf-8"))
        names = [a["name"] for step in _steps(data) for a in step.get("attachments", [])]
        if any(name.startswith(WARNING) for name in names):
            found.append(data["name"])
    return found


def _steps(node: dict) -> list[dict]:
    return [node] + [s for child in node.get("steps", []) for s in _steps(child)]


@pytest.mark.slow
def test_a_merchant_answering_503_while_busy_passes_the_storms(tmp_path: Path) -> None:
    allure_dir = tmp_path / "allure"
    with certification_stack(tmp_path, {"invoice_processor_cls": serialises_per_invoice()}) as stack:
        verdicts = run_features(stack, tmp_path, "-k", STORMS, f"--alluredir={allure_dir}")
    assert {FIRST_STORM, RESEND_STORM} <= verdicts.passed and not verdicts.failed, verdicts.output[-3000:]
    assert busy_answers(tmp_path) > 0, "the merchant was never busy: this test proved nothing"
    assert any("very first" in name for name in warnings_in_evidence(allure_dir)), \
        "the interim 503 answers must show in the evidence as a warning"


@pytest.mark.slow
def test_retries_do_not_hide_a_merchant_that_credits_every_copy(tmp_path: Path) -> None:
    with certification_stack(tmp_path, {"invoice_processor_cls": serialises_per_invoice(),
                                        "ledger_cls": CreditsOnResend}) as stack:
        verdicts = run_features(stack, tmp_path, "-k", STORMS)
    assert {FIRST_STORM, RESEND_STORM} <= set(verdicts.failed), verdicts.output[-3000:]
    assert "should still have 100.00 EUR" in verdicts.failed[FIRST_STORM], verdicts.failed[FIRST_STORM]
