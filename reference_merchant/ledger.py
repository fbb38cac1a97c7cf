"""Customer balances, derived from credit rows. Money moves in exactly one place: Ledger.credit."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from reference_merchant.db import credits

FIAT = {"EUR", "USD", "GBP", "UAH"}


def format_amount(amount: Decimal, currency: str) -> str:
    if currency in FIAT:
        return str(amount.quantize(Decimal("0.01")))
    text = format(amount.normalize(), "f")
    return text if "." in text else text + ".0"


class Ledger:
    def __init__(self, engine: Engine):
        self.engine = engine

    def credit(self, invoice_id: str, customer_id: str, amount: Decimal, currency: str) -> bool:
        """Credits once per invoice. Returns False when the invoice was already credited.

        The INSERT either succeeds or hits the UNIQUE(invoice_id) constraint; there is no read-then-write
        window, so concurrent duplicate callbacks (threads or processes) cannot both credit.
        """
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(credits).values(
                    invoice_id=invoice_id, customer_id=customer_id, amount=str(amount), currency=currency,
                    credited_at=datetime.now(timezone.utc)))
            return True
        except IntegrityError:
            # Only the uniqueness guarantee may mean "already credited"; any other integrity failure is a bug
            # and must surface (the callback then answers 500 and Cryptopay retries).
            if self.credited(invoice_id):
                return False
            raise

    def credited(self, invoice_id: str) -> bool:
        """Whether this ledger's credits table holds the invoice (a ledger keeping credits elsewhere says no, so
        callers never skip work on its behalf)."""
        with self.engine.connect() as conn:
            return conn.execute(select(credits.c.id).where(credits.c.invoice_id == invoice_id)).first() is not None

    def balances(self, customer_id: str) -> dict[str, str]:
        return self.balances_from(credits, customer_id)

    def balances_from(self, table: Table, customer_id: str) -> dict[str, str]:
        """Sums a customer's credit rows per currency, in Decimal, from amounts stored as strings."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(table.c.amount, table.c.currency)
                                .where(table.c.customer_id == customer_id)).all()
        totals: dict[str, Decimal] = {}
        for amount, currency in rows:
            totals[currency] = totals.get(currency, Decimal("0")) + Decimal(amount)
        return {currency: format_amount(total, currency) for currency, total in sorted(totals.items())}
