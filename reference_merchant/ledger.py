"""Customer balances, derived from credit and move rows. Money moves only here: credit, move and debit."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Context, Decimal, localcontext

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from reference_merchant.db import balance_moves, credits, customer_locks
from reference_merchant.money import EXACT, storable

FIAT = {"EUR", "USD", "GBP", "UAH"}
# For showing a balance, as wide as the sums: fiat is rounded to cents there, and nothing else is rounded at all.
DISPLAY = Context(prec=EXACT.prec)


def format_amount(amount: Decimal, currency: str) -> str:
    if currency in FIAT:
        return str(amount.quantize(Decimal("0.01"), context=DISPLAY))
    text = format(amount.normalize(DISPLAY), "f")
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
                    invoice_id=invoice_id, customer_id=customer_id, amount=storable(amount), currency=currency,
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

    # -- channels and payouts: every other move of money, each exactly once per (kind, reference) ----------------
    def move(self, kind: str, reference: str, customer_id: str, amount: Decimal, currency: str) -> bool:
        """Moves money once per (kind, reference), like credit(): False when that move was already made."""
        try:
            with self.engine.begin() as conn:
                self._insert_move(conn, kind, reference, customer_id, amount, currency)
            return True
        except IntegrityError:
            if self.moved(kind, reference) is not None:
                return False
            raise

    def credit_channel_payment(self, payment_id: str, customer_id: str, amount: Decimal, currency: str) -> bool:
        return self.move("channel_credit", payment_id, customer_id, amount, currency)

    def debit(self, payout_id: str, customer_id: str, amount: Decimal, currency: str) -> str:
        """Debits a payout once, never below zero: "debited", "already debited" or "insufficient funds".

        The customer's lock row is updated first, in the same transaction, so one customer's debits run one after
        another and each sees the balance the previous one left; the UNIQUE constraint makes a second debit of
        the same payout impossible however the calls interleave.
        """
        self._ensure_lock_row(customer_id)
        try:
            with self.engine.begin() as conn:
                conn.execute(update(customer_locks).where(customer_locks.c.customer_id == customer_id)
                             .values(debits=customer_locks.c.debits + 1))
                if self._available(conn, customer_id, currency) < amount:
                    return "insufficient funds"
                self._insert_move(conn, "payout_debit", payout_id, customer_id, -amount, currency)
            return "debited"
        except IntegrityError:
            if self.moved("payout_debit", payout_id) is not None:
                return "already debited"
            raise

    def refund(self, payout_id: str) -> bool:
        """Returns a payout's debit to the customer, once; False when nothing was debited or it was returned."""
        debit = self.moved("payout_debit", payout_id)
        if debit is None:
            return False
        amount, currency, customer_id = debit
        return self.move("payout_refund", payout_id, customer_id, -amount, currency)

    def debited(self, payout_id: str) -> tuple[Decimal, str] | None:
        debit = self.moved("payout_debit", payout_id)
        return (-debit[0], debit[1]) if debit else None

    def refunded(self, payout_id: str) -> bool:
        return self.moved("payout_refund", payout_id) is not None

    def available(self, customer_id: str, currency: str) -> Decimal:
        with self.engine.connect() as conn:
            return self._available(conn, customer_id, currency)

    def moved(self, kind: str, reference: str) -> tuple[Decimal, str, str] | None:
        """(amount, currency, customer_id) of the move, or None when it was never made."""
        with self.engine.connect() as conn:
            row = conn.execute(select(balance_moves.c.amount, balance_moves.c.currency, balance_moves.c.customer_id)
                               .where(balance_moves.c.kind == kind, balance_moves.c.reference == reference)).first()
        return (Decimal(row.amount), row.currency, row.customer_id) if row else None

    def _insert_move(self, conn: Connection, kind: str, reference: str, customer_id: str, amount: Decimal,
                     currency: str) -> None:
        conn.execute(insert(balance_moves).values(kind=kind, reference=reference, customer_id=customer_id,
                                                  amount=storable(amount), currency=currency,
                                                  moved_at=datetime.now(timezone.utc)))

    def _available(self, conn: Connection, customer_id: str, currency: str) -> Decimal:
        total = Decimal("0")
        with localcontext(EXACT):  # exact or an error, never a rounded balance
            for table in self.balance_tables():
                for (amount,) in conn.execute(select(table.c.amount).where(table.c.customer_id == customer_id,
                                                                             table.c.currency == currency)):
                    total += Decimal(amount)
        return total

    def _ensure_lock_row(self, customer_id: str) -> None:
        """The customer's lock row exists before any debit locks it (created once, in its own transaction)."""
        with self.engine.connect() as conn:
            if conn.execute(select(func.count()).select_from(customer_locks)
                            .where(customer_locks.c.customer_id == customer_id)).scalar():
                return
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(customer_locks).values(customer_id=customer_id, debits=0))
        except IntegrityError:
            pass  # another request created it first: exactly what was needed

    # -- balances ----------------------------------------------------------------------------------------------
    def balance_tables(self) -> tuple[Table, ...]:
        """Where this ledger keeps money rows; a balance is their sum."""
        return credits, balance_moves

    def balances(self, customer_id: str) -> dict[str, str]:
        return self.balances_from(credits, customer_id, *self.balance_tables()[1:])

    def balances_from(self, table: Table, customer_id: str, *more: Table) -> dict[str, str]:
        """Sums a customer's credit (and move) rows per currency, in Decimal, from amounts stored as strings."""
        totals: dict[str, Decimal] = {}
        with self.engine.connect() as conn, localcontext(EXACT):
            for source in (table, *more):
                for amount, currency in conn.execute(select(source.c.amount, source.c.currency)
                                                     .where(source.c.customer_id == customer_id)):
                    totals[currency] = totals.get(currency, Decimal("0")) + Decimal(amount)
        return {currency: format_amount(total, currency) for currency, total in sorted(totals.items())}
