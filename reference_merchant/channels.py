"""Channels: one static Cryptopay deposit address per customer and coin, and the payments made to it."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from cryptopay_client import CryptopayClient, CryptopayError
from reference_merchant.db import channel_payments, channels

# A channel payment's statuses only move forward (docs/cryptopay-channels-payouts-facts.md §4): a held payment may
# still complete or be refunded; completed, refunded and cancelled are final.
RANK = {"pending": 0, "on_hold": 1, "completed": 2, "refunded": 2, "cancelled": 2}
FINAL = ("completed", "refunded", "cancelled")


@dataclass
class Opened:
    channel: dict  # the probe's view: channel_id, address, pay_currency, receive_currency, network, custom_id
    created: bool


class Channels:
    """The merchant's channels, recorded before Cryptopay is asked, keyed by our own custom_id."""

    def __init__(self, engine: Engine, cryptopay: CryptopayClient):
        self.engine = engine
        self.cryptopay = cryptopay

    def open(self, customer_id: str, pay_currency: str, receive_currency: str, network: str | None) -> Opened:
        """The customer's channel for this coin: the one it already has, or a new one. Raises CryptopayError or
        TransportError when Cryptopay refused or could not be reached."""
        row = self.for_customer(customer_id, pay_currency)
        if row is not None and row["channel_id"]:
            return Opened(_view(row), created=False)
        if row is None:
            row = self._request(customer_id, pay_currency, receive_currency)
        channel = self._at_cryptopay(row, network)
        self._attach(row["custom_id"], channel)
        return Opened(_view(self.for_customer(customer_id, pay_currency)), created=True)

    def _request(self, customer_id: str, pay_currency: str, receive_currency: str) -> dict:
        """Records the channel first (see db.channels); a concurrent ask for the same coin finds the other row."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(channels).values(
                    custom_id=f"channel-{uuid.uuid4()}", channel_id=None, customer_id=customer_id,
                    pay_currency=pay_currency, receive_currency=receive_currency,
                    created_at=datetime.now(timezone.utc)))
        except IntegrityError:
            pass  # UNIQUE(customer_id, pay_currency): another request is opening it; both end on that one
        return self.for_customer(customer_id, pay_currency)

    def _at_cryptopay(self, row: dict, network: str | None) -> dict:
        """Cryptopay's channel under our custom_id: found (an earlier create may have worked) or created."""
        found = existing(self.cryptopay.channel_by_custom_id, row["custom_id"])
        if found is not None:
            return found
        params = {"name": f"Deposits of {row['customer_id']} in {row['pay_currency']}",
                  "pay_currency": row["pay_currency"], "receiver_currency": row["receive_currency"],
                  "custom_id": row["custom_id"], "customer_id": row["customer_id"]}
        if network:
            params["network"] = network
        try:
            return self.cryptopay.create_channel(**params)
        except CryptopayError as exc:
            if exc.status == 409:  # a concurrent create under the same custom_id won
                return self.cryptopay.channel_by_custom_id(row["custom_id"])
            self._forget(row["custom_id"])  # Cryptopay answered "no": no channel exists
            raise

    def claim(self, channel_id: str, custom_id: str) -> dict | None:
        """Our unattached channel under custom_id, linked to Cryptopay's channel_id once Cryptopay's own record of
        that channel names the same custom_id; None when it is not ours."""
        row = self._one(channels.c.custom_id == custom_id, channels.c.channel_id.is_(None))
        if row is None:
            return None
        channel = self.cryptopay.channel(channel_id)
        if channel.get("custom_id") != custom_id:
            return None
        self._attach(custom_id, channel)
        return self.by_channel_id(channel_id)

    def _attach(self, custom_id: str, channel: dict) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(channels).where(channels.c.custom_id == custom_id, channels.c.channel_id.is_(None))
                         .values(channel_id=channel["id"], address=channel["address"], network=channel["network"]))

    def _forget(self, custom_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(channels).where(channels.c.custom_id == custom_id, channels.c.channel_id.is_(None)))

    def for_customer(self, customer_id: str, pay_currency: str) -> dict | None:
        return self._one(channels.c.customer_id == customer_id, channels.c.pay_currency == pay_currency)

    def by_channel_id(self, channel_id: str) -> dict | None:
        return self._one(channels.c.channel_id == channel_id)

    def _one(self, *where) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(channels).where(*where)).mappings().first()
        return dict(row) if row else None


def existing(lookup: Callable[[str], dict], custom_id: str) -> dict | None:
    """What Cryptopay holds under our custom_id, or None when it answers 404 (nothing was created)."""
    try:
        return lookup(custom_id)
    except CryptopayError as exc:
        if exc.status == 404:
            return None
        raise


def _view(row: dict) -> dict:
    return {"channel_id": row["channel_id"], "address": row["address"], "pay_currency": row["pay_currency"],
            "receive_currency": row["receive_currency"], "network": row["network"], "custom_id": row["custom_id"]}


class ChannelPayments:
    """The status the merchant last accepted for each payment to its channels."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def get(self, payment_id: str) -> dict | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(channel_payments)
                               .where(channel_payments.c.channel_payment_id == payment_id)).mappings().first()
        return dict(row) if row else None

    def record(self, payment_id: str, channel_id: str, customer_id: str, status: str, context: str | None) -> bool:
        """Records the payment's first status, or moves it forward; never backwards, never out of a final one.

        As for deposits, the condition sits in the UPDATE's WHERE clause, so racing callbacks cannot interleave."""
        if status not in RANK:
            return False
        now = datetime.now(timezone.utc)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(channel_payments).values(
                    channel_payment_id=payment_id, channel_id=channel_id, customer_id=customer_id, status=status,
                    status_context=context, updated_at=now))
            return True
        except IntegrityError:
            pass  # already recorded: move it forward instead
        allowed_from = [s for s, rank in RANK.items() if rank <= RANK[status] and s not in FINAL]
        if status in FINAL:
            allowed_from.append(status)
        with self.engine.begin() as conn:
            result = conn.execute(
                update(channel_payments)
                .where(channel_payments.c.channel_payment_id == payment_id,
                       channel_payments.c.status.in_(allowed_from))
                .values(status=status, status_context=context, updated_at=now))
        return result.rowcount > 0
