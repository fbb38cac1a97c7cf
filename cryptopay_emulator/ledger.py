"""The account's currency accounts and their ledger (GET /api/accounts, …/transactions, /api/transactions) and the
network fees payouts are quoted with (docs/cryptopay-channels-payouts-facts.md §16, §18)."""
from __future__ import annotations

from datetime import datetime

from cryptopay_emulator import money
from cryptopay_emulator.account import PROJECT_ID, Account
from cryptopay_emulator.auth import parse_date
from cryptopay_emulator.errors import Invalid, NotFound, detail
from cryptopay_emulator.models import LedgerRow
from cryptopay_emulator.store import PAGE_SIZE, is_uuid

FILTERS = ("reference_type", "currency", "status")


class LedgerBackend:
    """Reads only: every balance change is written by the resource that makes it, through Account.move."""

    def __init__(self, account: Account):
        self.account = account

    def reset(self) -> None:
        """The ledger lives on the account and is reset with it."""

    def accounts(self) -> dict:
        with self.account.lock:
            self.account.tick()
            rows = [{"id": self.account.account_ids[c], "currency": c,
                     "balance": money.fmt(self.account.balances.available(c)), "project_id": PROJECT_ID}
                    for c in self.account.account_ids]
            return {"data": rows, "meta": {"total": len(rows), "has_more": False}}

    def account_transactions(self, account_id: str, starting_after: str | None = None) -> dict:
        with self.account.lock:
            self.account.tick()
            currency = next((c for c, i in self.account.account_ids.items() if i == account_id), None)
            if currency is None:
                raise NotFound()
            rows = list(reversed(self.account.ledger_rows(currency)))
            return _page(rows, starting_after)

    def transactions(self, query: dict[str, str]) -> dict:
        """Newest first, filtered by the documented parameters, then paged after `starting_after`."""
        with self.account.lock:
            self.account.tick()
            rows = [row for row in reversed(self.account.ledger_rows()) if _matches(row, query)]
            return _page(rows, query.get("starting_after"))

    def network_fees(self) -> dict:
        """One default network per currency; BTC lists three levels, the others `average` only (§16)."""
        with self.account.lock:
            rows = []
            for currency in self.account.network_fees:
                rows += [{"level": level, "fee": money.fmt(fee), "currency": currency,
                          "network": money.DEFAULT_NETWORK[currency]}
                         for level, fee in self.account.fee_levels(currency).items()]
            return {"data": rows}


def _page(rows: list[LedgerRow], starting_after: str | None) -> dict:
    """Up to 50 rows after `starting_after` (newest first), with meta {total, has_more}."""
    start = _cursor(rows, starting_after)
    page = rows[start:start + PAGE_SIZE]
    return {"data": [row.to_json() for row in page], "meta": {"total": len(rows), "has_more": start + PAGE_SIZE < len(rows)}}


def _matches(row: LedgerRow, query: dict[str, str]) -> bool:
    if any(query.get(key) is not None and getattr(row, key) != query[key] for key in FILTERS):
        return False
    since, until = _moment(query, "created_at_from"), _moment(query, "created_at_to")
    return (since is None or row.created_at >= since) and (until is None or row.created_at <= until)


def _moment(query: dict[str, str], key: str) -> datetime | None:
    raw = query.get(key)
    if raw is None:
        return None
    moment = parse_date(raw)
    if moment is None:
        raise Invalid(details=[detail("must_be_iso8601", key, "must be an ISO 8601 time")])
    return moment


def _cursor(rows: list[LedgerRow], starting_after: str | None) -> int:
    if starting_after is None:
        return 0
    if not is_uuid(starting_after):
        raise Invalid(details=[detail("must_be_uuid", "starting_after", "must match uuid format")])
    for position, row in enumerate(rows):
        if row.id == starting_after.lower():
            return position + 1
    raise NotFound()
