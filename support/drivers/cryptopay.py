"""What the suite reads from Cryptopay: invoices by id, by custom_id and in the list, waiting on their status."""
from __future__ import annotations

from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Callable

from cryptopay_client import CryptopayClient, Exchange
from cryptopay_client.http import GuardedSession
from support.drivers.waiting import wait_until
from support.targets.request_budget import RunBudget, current


class CryptopayDriver:
    def __init__(self, api_url: str, api_key: str, api_secret: str, on_exchange: Callable[[Exchange], None],
                 poll_max_seconds: float = 2.0, run_budget: RunBudget | None = None):
        # Every request of the run draws on one budget shared by all workers and the payer
        # (support/plugins/run_budget.py).
        self.run_budget = run_budget or current()
        self.client = CryptopayClient(api_url, api_key, api_secret, on_exchange=on_exchange,
                                      budget=self.run_budget.budget)
        self._poll_max = poll_max_seconds

    def poll_pace(self):
        """How often a wait reads Cryptopay: as the run's request budget allows, at most every poll_max seconds."""
        return self.run_budget.poll_pace(self._poll_max)

    def invoice(self, invoice_id: str) -> dict:
        return self.client.retrieve_invoice(invoice_id)

    def wait_for_status(self, invoice_id: str, status: str, context: str | None, timeout: float) -> dict:
        want = f"{status}/{context}" if context else status
        return wait_until(lambda: self.invoice(invoice_id),
                          lambda inv: inv["status"] == status and inv.get("status_context") == context,
                          timeout=timeout, expected=f"Cryptopay to report invoice {invoice_id} as {want}",
                          pace=self.poll_pace())

    def server_now(self) -> datetime:
        """Cryptopay's clock, from the Date header every HTTP answer carries (an unauthenticated HEAD: it names
        no API key, so it cannot count against the key's limit)."""
        return server_date(self.client.base_url)


def server_date(api_url: str) -> datetime:
    """The Date an answer of Cryptopay's carries; the last one where a front server added its own before it. A
    redirect is an answer here (its Date is Cryptopay's), never followed."""
    with GuardedSession("CRYPTOPAY_API_URL", seconds=10, max_bytes=64 * 1024, redirects_are_answers=True) as session:
        response = session.head(api_url.rstrip("/") + "/")
    dates = response.raw.headers.getlist("Date") if response.raw is not None else []
    return parsedate_to_datetime(dates[-1] if dates else response.headers["Date"])
