"""Handles one Cryptopay callback: verify the raw body, confirm with the API, move the deposit, credit once."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from decimal import Decimal
from typing import Protocol

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from cryptopay_client import CryptopayClient, CryptopayError, TransportError, verify_callback
from reference_merchant.confirmations import Busy, Confirmations
from reference_merchant.db import (REJECTED_KEPT, REJECTED_PREFIX, callback_log, rejected_callback_count,
                                   rejected_callbacks)
from reference_merchant.deposits import FINAL, Deposits
from reference_merchant.ledger import Ledger
from reference_merchant.outcome import Outcome, is_id

log = logging.getLogger("reference_merchant.callbacks")

INVOICE_EVENTS = {"created", "transaction_created", "transaction_confirmed", "status_changed", "recalculated",
                  "refunded"}
MAX_LOGGED_BODY = 20000  # characters of the raw body kept as evidence
# How long a copy may queue behind another copy's confirming GET: with the GET's own 4 s and the database's bounded
# waits, the answer still leaves inside Cryptopay's 10-second limit; past it the copy answers 503 and is retried.
CONFIRMATION_WAIT_SECONDS = 4.0


_is_id = is_id


class ObjectHandler(Protocol):
    def process(self, event: str, data: dict) -> Outcome: ...


class CallbackProcessor:
    """Subclass points are the decisions merchants get wrong; the suite's broken variants override them."""

    def __init__(self, engine: Engine, cryptopay: CryptopayClient, callback_secret: str, ledger: Ledger):
        self.engine = engine
        self.cryptopay = cryptopay
        self._secret = callback_secret
        self.ledger = ledger
        self.deposits = Deposits(engine)
        self.confirmations = Confirmations()
        # The other callback types (ChannelPayment, CoinWithdrawal), each handled by its own processor once this
        # one has verified the signature; create_app fills it.
        self.handlers: dict[str, ObjectHandler] = {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(callback_secret=***)"

    # -- the flow -------------------------------------------------------------------------------------
    def handle(self, raw: bytes, signature: str | None) -> Outcome:
        # The signature is checked on the exact bytes received, before anything is parsed or stored as data.
        if not self.signature_ok(raw, signature):
            return self._log_rejected(raw, Outcome(401, "rejected: signature missing or wrong"))
        try:
            payload = json.loads(raw)
            kind, event, data = payload["type"], payload["event"], payload["data"]
            invoice_id = data["id"] if kind == "Invoice" else None
            object_id = data["id"] if kind in self.handlers else None
        except (ValueError, KeyError, TypeError):
            return self._log(raw, None, None, True, Outcome(400, "rejected: not a Cryptopay callback body"))
        if kind == "Invoice" and not _is_id(invoice_id):
            return self._log(raw, None, None, True, Outcome(400, "rejected: invoice id missing or malformed"))
        event = event if isinstance(event, str) else repr(event)[:64]
        if kind in self.handlers:
            return self._other(raw, kind, event[:64], object_id, data)
        if kind != "Invoice" or event not in INVOICE_EVENTS:
            # Acknowledged (200) so Cryptopay does not retry something this merchant will never act on.
            return self._log(raw, invoice_id, event[:64], True,
                             Outcome(200, f"ignored: {str(kind)[:40]}/{event[:40]}"))
        try:
            return self._log(raw, invoice_id, event, True, self._process(invoice_id, event, data))
        except Exception as exc:  # noqa: BLE001 - any failure must answer non-2xx so Cryptopay retries
            # Only the exception's type is recorded: database and HTTP errors can quote parameters and URLs.
            log.exception("callback for invoice %s failed; answering 500 so Cryptopay retries", invoice_id)
            return self._log(raw, invoice_id, event, True,
                             Outcome(500, f"retry: processing failed ({type(exc).__name__})"))

    def _other(self, raw: bytes, kind: str, event: str, object_id: object, data: dict) -> Outcome:
        """A ChannelPayment or CoinWithdrawal callback, already verified, handed to its own processor."""
        if not _is_id(object_id) or not isinstance(data, dict):
            return self._log(raw, None, None, True, Outcome(400, f"rejected: {kind} id missing or malformed"))
        try:
            return self._log(raw, object_id, event, True, self.handlers[kind].process(event, data))
        except Exception as exc:  # noqa: BLE001 - as for invoices: non-2xx, and Cryptopay retries
            log.exception("callback for %s %s failed; answering 500 so Cryptopay retries", kind, object_id)
            return self._log(raw, object_id, event, True,
                             Outcome(500, f"retry: processing failed ({type(exc).__name__})"))

    def _process(self, invoice_id: str, event: str, data: dict) -> Outcome:
        deposit = self.deposits.get(invoice_id)
        if deposit is None and _is_id(data.get("custom_id"), 128):
            # Our deposit whose create call has not answered yet (or timed out): found by our own custom_id.
            deposit = self.deposits.unattached(data["custom_id"])
        if deposit is None:
            return Outcome(200, "ignored: invoice not created by this merchant")
        # A final answer still at hand is applied as usual (without a GET); only without one do our records answer.
        settled = None if self.confirmations.knows_final(invoice_id) else self.settled(deposit)
        if settled:
            return Outcome(200, settled)
        try:
            invoice = self.confirmed_invoice(invoice_id, data)
        except Busy:
            return Outcome(503, "retry: busy confirming another notification for this invoice")
        except (CryptopayError, TransportError) as exc:
            # Non-2xx makes Cryptopay retry later; nothing was changed.
            return Outcome(503, f"retry: could not confirm with Cryptopay ({type(exc).__name__})")
        if invoice.get("id") != invoice_id or invoice.get("custom_id") != deposit["custom_id"]:
            # Cryptopay's own record says this invoice is not the one we asked for: not ours to act on.
            return Outcome(200, "ignored: Cryptopay's invoice does not match this merchant's deposit")
        if deposit["invoice_id"] is None:
            self.deposits.attach(deposit["custom_id"], invoice_id)
            deposit["invoice_id"] = invoice_id
        return Outcome(200, self.apply(deposit, event, invoice))

    def apply(self, deposit: dict, event: str, invoice: dict) -> str:
        status, context = invoice["status"], invoice.get("status_context")
        moved = self.deposits.record_status(deposit["invoice_id"], status, context)
        state = f"{status}/{context}" if context else status
        if not self.should_credit(event, invoice):
            return f"recorded {state}" if moved else f"kept {deposit['status']} (callback said {state})"
        amount, currency = self.credit_amount(deposit, invoice)
        credited = self.ledger.credit(deposit["invoice_id"], deposit["customer_id"], amount, currency)
        return f"credited {amount} {currency}" if credited else "already credited: no change"

    # -- decisions ------------------------------------------------------------------------------------
    def signature_ok(self, raw: bytes, signature: str | None) -> bool:
        return verify_callback(self._secret, raw, signature)

    def confirmed_invoice(self, invoice_id: str, callback_data: dict) -> dict:
        """Money never moves on the callback body alone: Cryptopay's GET is the truth (one GET per invoice at a
        time, shared by the copies queued behind it)."""
        return self.confirmations.confirm(invoice_id, lambda: self.cryptopay.retrieve_invoice(invoice_id),
                                          CONFIRMATION_WAIT_SECONDS)

    def settled(self, deposit: dict) -> str | None:
        """Why nothing needs asking: the deposit is final (and, when completed, credited). Final statuses never
        change, so a duplicate or resent callback for it is answered from our own records, without a GET."""
        status, invoice_id = deposit["status"], deposit["invoice_id"]
        if invoice_id is None or status not in FINAL:
            return None
        if status == "completed" and not self.ledger.credited(invoice_id):
            return None  # completed but not credited yet (a crash in between): the GET and the credit still run
        # Worded as apply() words a duplicate credit: the same answer whether or not Cryptopay was asked.
        return "already credited: no change" if status == "completed" else f"already final ({status}): no change"

    def should_credit(self, event: str, invoice: dict) -> bool:
        return invoice["status"] == "completed"

    def credit_amount(self, deposit: dict, invoice: dict) -> tuple[Decimal, str]:
        # After a recalculation the final price_amount differs from what the deposit asked for.
        return Decimal(invoice["price_amount"]), invoice["price_currency"]

    # -- evidence -------------------------------------------------------------------------------------
    def _log(self, raw: bytes, invoice_id: str | None, event: str | None, valid: bool, outcome: Outcome) -> Outcome:
        """Evidence of what arrived. The signature header itself is never stored: it is derived from the secret."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(callback_log).values(
                    received_at=datetime.now(timezone.utc), invoice_id=invoice_id, event=event,
                    signature_valid=valid, answered_status=outcome.http_status, outcome=outcome.message[:200],
                    raw_body=raw.decode("utf-8", "replace")[:MAX_LOGGED_BODY]))
        except Exception:  # noqa: BLE001 - losing a log row must not turn a processed callback into a retry loop
            log.exception("could not record a callback in callback_log")
        log.info("callback invoice=%s event=%s -> %s %s", invoice_id, event, outcome.http_status, outcome.message)
        return outcome

    def _log_rejected(self, raw: bytes, outcome: Outcome) -> Outcome:
        """A callback refused for its signature: counted, and kept short among the latest few (see db.py)."""
        try:
            with self.engine.begin() as conn:
                conn.execute(update(rejected_callback_count).values(total=rejected_callback_count.c.total + 1))
                number = conn.execute(select(rejected_callback_count.c.total)).scalar_one()
                slot = number % REJECTED_KEPT
                conn.execute(delete(rejected_callbacks).where(rejected_callbacks.c.slot == slot))
                conn.execute(insert(rejected_callbacks).values(
                    slot=slot, number=number, received_at=datetime.now(timezone.utc),
                    answered_status=outcome.http_status, outcome=outcome.message[:200], body_bytes=len(raw),
                    body_prefix=raw[:REJECTED_PREFIX].decode("utf-8", "replace")[:REJECTED_PREFIX]))
        except Exception:  # noqa: BLE001 - as for _log: the answer matters more than the record
            log.exception("could not record a rejected callback")
        return outcome

    def received(self, invoice_id: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(callback_log).where(callback_log.c.invoice_id == invoice_id)
                                .order_by(callback_log.c.id)).mappings().all()
        return [{"received_at": r["received_at"].isoformat(), "event": r["event"],
                 "signature_valid": r["signature_valid"], "answered_status": r["answered_status"],
                 "outcome": r["outcome"], "raw_body": r["raw_body"]}
                for r in rows]
