"""Payouts: a customer's withdrawal placed as a Cryptopay coin withdrawal, debited once, returned once if cancelled."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal

from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import Engine

from cryptopay_client import CryptopayClient, CryptopayError, TransportError
from reference_merchant.db import payouts
from reference_merchant.ledger import Ledger
from reference_merchant.outcome import Placed, refusal

AMOUNT_FIELDS = ("charged_amount", "charged_amount_to_send")  # mirroring the suite's PAYOUT_AMOUNT_FIELD
# Coin withdrawal statuses only move forward (facts §14): `failed` is not final, it ends completed or cancelled.
RANK = {"new": 0, "pending": 1, "processing": 2, "on_hold": 2, "sent": 3, "failed": 4, "completed": 5,
        "cancelled": 5}
FINAL = ("completed", "cancelled")
HIGH_RISK_MESSAGE = ("We cannot send your withdrawal to this address: our payment provider's screening links it to "
                     "unlawful activity. Nothing was taken from your balance; please use another address.")


class Payouts:
    """The merchant's payout records, written before Cryptopay is asked (payout_id is the custom_id there)."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def request(self, customer_id: str, amount: str, currency: str, pay_currency: str, address: str) -> str:
        payout_id, now = f"payout-{uuid.uuid4()}", datetime.now(timezone.utc)
        with self.engine.begin() as conn:
            conn.execute(insert(payouts).values(
                payout_id=payout_id, customer_id=customer_id, amount=amount, currency=currency,
                pay_currency=pay_currency, address=address, created_at=now, updated_at=now))
        return payout_id

    def attach(self, payout_id: str, withdrawal_id: str, status: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(payouts).where(payouts.c.payout_id == payout_id,
                                               payouts.c.coin_withdrawal_id.is_(None))
                         .values(coin_withdrawal_id=withdrawal_id, status=status,
                                 updated_at=datetime.now(timezone.utc)))

    def refuse(self, payout_id: str, code: str, message: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(payouts).where(payouts.c.payout_id == payout_id)
                         .values(refusal=code, refusal_message=message[:300], updated_at=datetime.now(timezone.utc)))

    def get(self, payout_id: str) -> dict | None:
        return self._one(payouts.c.payout_id == payout_id)

    def by_withdrawal(self, withdrawal_id: str) -> dict | None:
        return self._one(payouts.c.coin_withdrawal_id == withdrawal_id)

    def _one(self, *where) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(payouts).where(*where)).mappings().first()
        return dict(row) if row else None

    def unsettled(self, ledger: Ledger) -> list[dict]:
        """Payouts whose customer is debited and not refunded, and whose withdrawal is not known to be completed:
        what a crash between the debit and Cryptopay's commit, or a notification that never came, leaves behind.
        Oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(payouts).where(
                payouts.c.coin_withdrawal_id.is_not(None), payouts.c.refusal.is_(None),
                or_(payouts.c.status.is_(None), payouts.c.status != "completed"))
                .order_by(payouts.c.created_at)).mappings().all()
        return [dict(row) for row in rows
                if ledger.debited(row["payout_id"]) and not ledger.refunded(row["payout_id"])]

    def record_status(self, payout_id: str, status: str) -> bool:
        """Moves the payout forward to `status`; never backwards, never out of a final one (one UPDATE)."""
        if status not in RANK:
            return False
        allowed_from = [s for s, rank in RANK.items() if rank <= RANK[status] and s not in FINAL]
        if status in FINAL:
            allowed_from.append(status)
        with self.engine.begin() as conn:
            result = conn.execute(update(payouts)
                                  .where(payouts.c.payout_id == payout_id, payouts.c.status.in_(allowed_from))
                                  .values(status=status, updated_at=datetime.now(timezone.utc)))
        return result.rowcount > 0


class PayoutDesk:
    """Places a customer's withdrawal: checks the balance, asks Cryptopay in two steps (quote, then commit), and
    debits exactly the quoted charged_amount in between. Subclass points are what the broken variants get wrong."""

    def __init__(self, payouts_: Payouts, ledger: Ledger, cryptopay: CryptopayClient,
                 amount_field: str = "charged_amount"):
        if amount_field not in AMOUNT_FIELDS:
            raise ValueError(f"amount_field must be one of {', '.join(AMOUNT_FIELDS)}")
        self.payouts = payouts_
        self.ledger = ledger
        self.cryptopay = cryptopay
        self.amount_field = amount_field

    def place(self, customer_id: str, amount: Decimal, currency: str, pay_currency: str, address: str,
              network: str | None) -> Placed:
        if self.ledger.available(customer_id, currency) < amount:
            return refusal(422, "insufficient_funds", f"the balance is lower than {amount} {currency}")
        payout_id = self.payouts.request(customer_id, str(amount), currency, pay_currency, address)
        try:
            quoted = self.cryptopay.create_coin_withdrawal(**self.withdrawal_params(
                payout_id, customer_id, amount, currency, pay_currency, address, network))
        except CryptopayError as exc:
            return self.refused_by_cryptopay(payout_id, customer_id, amount, currency, exc)
        except TransportError:
            # Nothing was committed, so nothing can be sent: an uncommitted withdrawal expires after 30 seconds.
            self.payouts.refuse(payout_id, "cryptopay_unreachable", "Cryptopay could not be reached")
            return refusal(502, "cryptopay_unreachable", "Cryptopay could not be reached")
        self.payouts.attach(payout_id, quoted["id"], quoted["status"])
        charged, charged_currency = self.debit_amount(amount, currency, quoted)
        debit = self.take(payout_id, customer_id, charged, charged_currency)
        if debit == "insufficient funds":  # fees on top of the amount asked (charged_amount_to_send)
            self.payouts.refuse(payout_id, "insufficient_funds", "the balance does not cover the fees")
            return refusal(422, "insufficient_funds", f"the balance does not cover {charged} {charged_currency} "
                                                      f"with the fees")
        return self.commit(payout_id, quoted)

    def commit(self, payout_id: str, quoted: dict) -> Placed:
        try:
            committed = self.cryptopay.commit_coin_withdrawal(quoted["id"])
        except CryptopayError as exc:
            if not 400 <= exc.status < 500:
                # A server error (or an answer that is not one) says nothing about whether the commit was made:
                # treated like no answer at all, below. Returning the debit now would pay the customer twice.
                return self.unknown_commit()
            self.ledger.refund(payout_id)  # Cryptopay answered no: nothing will be sent
            self.payouts.refuse(payout_id, "cryptopay_error", f"Cryptopay refused the commit: {exc.code}")
            return refusal(502, "cryptopay_error", f"Cryptopay refused the withdrawal: {exc.code}")
        except TransportError:
            return self.unknown_commit()
        self.payouts.record_status(payout_id, committed["status"])
        return Placed(201, {"payout_id": payout_id, "coin_withdrawal_id": committed["id"],
                            "status": committed["status"]})

    def unknown_commit(self) -> Placed:
        """The commit may have worked: the debit stays, and Cryptopay's own record settles it, through the
        CoinWithdrawal callbacks or the reconciliation's GET (a `cancelled` or never committed withdrawal returns the
        money, once)."""
        return refusal(502, "cryptopay_unreachable", "Cryptopay could not be reached")

    # -- decisions ------------------------------------------------------------------------------------
    def withdrawal_params(self, payout_id: str, customer_id: str, amount: Decimal, currency: str,
                          pay_currency: str, address: str, network: str | None) -> dict:
        params = {"charged_currency": currency, "received_currency": pay_currency, self.amount_field: str(amount),
                  "address": address, "custom_id": payout_id, "customer_id": customer_id, "force_commit": False}
        if network:
            params["network"] = network
        return params

    def debit_amount(self, amount: Decimal, currency: str, quoted: dict) -> tuple[Decimal, str]:
        # What Cryptopay will take from the merchant's account, fees included: only its answer knows it.
        return Decimal(quoted["charged_amount"]), quoted["charged_currency"]

    def take(self, payout_id: str, customer_id: str, amount: Decimal, currency: str) -> str:
        """Debits before the commit, so money the customer does not have is never sent."""
        return self.ledger.debit(payout_id, customer_id, amount, currency)

    def refused_by_cryptopay(self, payout_id: str, customer_id: str, amount: Decimal, currency: str,
                             exc: CryptopayError) -> Placed:
        """Nothing was created, so nothing is debited. A high-risk destination is told to the customer and never
        retried: another attempt to the same address would be refused again."""
        if exc.code == "high_risk_address":
            self.payouts.refuse(payout_id, "high_risk_address", HIGH_RISK_MESSAGE)
            return refusal(422, "high_risk_address", HIGH_RISK_MESSAGE)
        self.payouts.refuse(payout_id, "cryptopay_error", f"Cryptopay refused the withdrawal: {exc.code}")
        return refusal(502, "cryptopay_error", f"Cryptopay refused the withdrawal: {exc.code}")
