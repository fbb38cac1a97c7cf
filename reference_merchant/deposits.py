"""Deposits: the merchant's record of each invoice it asked for and the status it last accepted for it."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from reference_merchant.db import deposits

# Cryptopay statuses only move forward; a late or replayed callback must never move a deposit back.
RANK = {"new": 0, "unresolved": 1, "completed": 2, "refunded": 2, "cancelled": 2}
FINAL = ("completed", "refunded", "cancelled")


class Deposits:
    def __init__(self, engine: Engine):
        self.engine = engine

    def request(self, custom_id: str, customer_id: str, price_amount: str, price_currency: str) -> None:
        """Records the deposit before Cryptopay is asked for the invoice (see db.deposits for why)."""
        now = datetime.now(timezone.utc)
        with self.engine.begin() as conn:
            conn.execute(insert(deposits).values(
                custom_id=custom_id, invoice_id=None, customer_id=customer_id, price_amount=price_amount,
                price_currency=price_currency, status="new", status_context=None, created_at=now, updated_at=now))

    def attach(self, custom_id: str, invoice_id: str) -> None:
        """Links the deposit to Cryptopay's invoice id; a no-op when a callback already did."""
        with self.engine.begin() as conn:
            conn.execute(update(deposits)
                         .where(deposits.c.custom_id == custom_id, deposits.c.invoice_id.is_(None))
                         .values(invoice_id=invoice_id, updated_at=datetime.now(timezone.utc)))

    def withdraw(self, custom_id: str) -> None:
        """Forgets a request Cryptopay refused outright (it answered, so no invoice exists)."""
        with self.engine.begin() as conn:
            conn.execute(delete(deposits).where(deposits.c.custom_id == custom_id, deposits.c.invoice_id.is_(None)))

    def get(self, invoice_id: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(deposits).where(deposits.c.invoice_id == invoice_id)).mappings().first()
        return dict(row) if row else None

    def unattached(self, custom_id: str) -> dict | None:
        """A requested deposit whose invoice id we have not learned yet."""
        with self.engine.connect() as conn:
            row = conn.execute(select(deposits).where(deposits.c.custom_id == custom_id,
                                                      deposits.c.invoice_id.is_(None))).mappings().first()
        return dict(row) if row else None

    def record_status(self, invoice_id: str, status: str, context: str | None) -> bool:
        """Moves the deposit forward to (status, context); refuses to move it backwards or out of a final state.

        The condition sits in the UPDATE's WHERE clause, so two callbacks racing each other cannot interleave
        a read and a write: whichever commits last can only move the deposit further forward.
        """
        if status not in RANK:
            return False
        allowed_from = [s for s, rank in RANK.items() if rank <= RANK[status] and s not in FINAL]
        if status in FINAL:
            allowed_from.append(status)  # the same final status again (a resend) is accepted, nothing moves
        with self.engine.begin() as conn:
            result = conn.execute(
                update(deposits)
                .where(deposits.c.invoice_id == invoice_id, deposits.c.status.in_(allowed_from))
                .values(status=status, status_context=context, updated_at=datetime.now(timezone.utc)))
        return result.rowcount > 0
