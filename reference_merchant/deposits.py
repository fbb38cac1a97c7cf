"""Deposits: the merchant's record of each invoice it created and the status it last accepted for it."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from reference_merchant.db import deposits

# Cryptopay statuses only move forward; a late or replayed callback must never move a deposit back.
RANK = {"new": 0, "unresolved": 1, "completed": 2, "refunded": 2, "cancelled": 2}
FINAL = ("completed", "refunded", "cancelled")


class Deposits:
    def __init__(self, engine: Engine):
        self.engine = engine

    def add(self, invoice: dict, customer_id: str) -> None:
        now = datetime.now(timezone.utc)
        with self.engine.begin() as conn:
            conn.execute(insert(deposits).values(
                invoice_id=invoice["id"], customer_id=customer_id, custom_id=invoice["custom_id"],
                price_amount=invoice["price_amount"], price_currency=invoice["price_currency"],
                status=invoice["status"], status_context=invoice["status_context"], created_at=now, updated_at=now))

    def get(self, invoice_id: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(deposits).where(deposits.c.invoice_id == invoice_id)).mappings().first()
        return dict(row) if row else None

    def record_status(self, invoice_id: str, status: str, context: str | None) -> bool:
        """Moves the deposit forward to (status, context); refuses to move it backwards or out of a final state."""
        allowed_from = [s for s, rank in RANK.items() if rank <= RANK.get(status, -1) and s not in FINAL]
        if status in FINAL:
            allowed_from = [s for s in allowed_from] + [status]
        with self.engine.begin() as conn:
            result = conn.execute(
                update(deposits)
                .where(deposits.c.invoice_id == invoice_id, deposits.c.status.in_(allowed_from))
                .values(status=status, status_context=context, updated_at=datetime.now(timezone.utc)))
        return result.rowcount > 0
