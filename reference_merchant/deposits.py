"""Deposits: a customer's deposit opened as a Cryptopay invoice, and the status the merchant last accepted for it."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from cryptopay_client import CryptopayClient, CryptopayError, TransportError
from reference_merchant.db import deposits
from reference_merchant.outcome import Placed, refusal

# Cryptopay statuses only move forward; a late or replayed callback must never move a deposit back.
RANK = {"new": 0, "unresolved": 1, "completed": 2, "refunded": 2, "cancelled": 2}
FINAL = ("completed", "refunded", "cancelled")


class Deposits:
    """The merchant's deposit records, written before Cryptopay is asked (keyed by our own custom_id there)."""

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


class DepositDesk:
    """Opens a customer's deposit the way a checkout does: records it, asks Cryptopay for the invoice, links the
    two. Subclass points are what the broken variants get wrong."""

    def __init__(self, deposits_: Deposits, cryptopay: CryptopayClient):
        self.deposits = deposits_
        self.cryptopay = cryptopay

    def open(self, customer_id: str, price_amount: str, price_currency: str, pay_currency: str,
             network: str | None = None, description: str | None = None) -> Placed:
        custom_id = f"deposit-{uuid.uuid4()}"
        # Recorded first: the invoice's first callback can arrive before Cryptopay's answer to this call does.
        self.deposits.request(custom_id, customer_id, price_amount, price_currency)
        try:
            invoice = self.cryptopay.create_invoice(**self.invoice_params(
                custom_id, customer_id, price_amount, price_currency, pay_currency, network, description))
        except CryptopayError as exc:
            self.deposits.withdraw(custom_id)  # Cryptopay answered "no": no invoice exists
            return refusal(502, "cryptopay_error", f"Cryptopay refused the invoice: {exc.code}")
        except TransportError:
            # Kept: the invoice may exist after all, and its callbacks will still find this deposit by custom_id.
            return refusal(502, "cryptopay_unreachable", "Cryptopay could not be reached")
        self.deposits.attach(custom_id, invoice["id"])
        return Placed(201, {"invoice_id": invoice["id"], "custom_id": invoice["custom_id"]})

    # -- decisions ------------------------------------------------------------------------------------
    def invoice_params(self, custom_id: str, customer_id: str, price_amount: str, price_currency: str,
                       pay_currency: str, network: str | None, description: str | None) -> dict:
        # customer_id lets Cryptopay's list find the customer's invoices; custom_id finds this deposit again.
        params = {"price_amount": price_amount, "price_currency": price_currency, "pay_currency": pay_currency,
                  "customer_id": customer_id, "custom_id": custom_id}
        if network:
            params["network"] = network
        if description:
            params["description"] = description
        return params
