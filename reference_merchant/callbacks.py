"""The callback envelope: verify the raw bytes, parse, hand the object to its type's handler, log what was answered."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Protocol

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from cryptopay_client import verify_callback
from reference_merchant.db import (REJECTED_KEPT, REJECTED_PREFIX, callback_log, rejected_callback_count,
                                   rejected_callbacks, utc)
from reference_merchant.outcome import Outcome, is_id

__all__ = ["CallbackEnvelope", "CallbackHandler", "Outcome", "REJECTED_KEPT", "REJECTED_PREFIX"]

log = logging.getLogger("reference_merchant.callbacks")

MAX_LOGGED_BODY = 20000  # characters of the raw body kept as evidence


class CallbackHandler(Protocol):
    """One callback type's handler (invoice_callbacks, channel_callbacks, payout_callbacks): given a verified
    notification about an object, it confirms, acts and says what the endpoint answers."""

    def process(self, event: str, data: dict) -> Outcome: ...


class CallbackEnvelope:
    """What every callback goes through, whatever its type. `handlers` maps Cryptopay's `type` (Invoice,
    ChannelPayment, CoinWithdrawal) to its handler; a type without one is acknowledged and ignored. Subclass
    point: signature_ok, the decision merchants get wrong here (the suite's broken variants override it)."""

    def __init__(self, engine: Engine, callback_secret: str, handlers: dict[str, CallbackHandler]):
        self.engine = engine
        self._secret = callback_secret
        self.handlers = handlers

    def __repr__(self) -> str:
        return f"{type(self).__name__}(callback_secret=***, handlers={sorted(self.handlers)})"

    def handle(self, raw: bytes, signature: str | None) -> Outcome:
        # The signature is checked on the exact bytes received, before anything is parsed or stored as data.
        if not self.signature_ok(raw, signature):
            return self._log_rejected(raw, Outcome(401, "rejected: signature missing or wrong"))
        try:
            payload = json.loads(raw)
            kind, event, data = payload["type"], payload["event"], payload["data"]
            handler = self.handlers.get(kind)
            object_id = data["id"] if handler is not None else None
        except (ValueError, KeyError, TypeError):
            return self._log(raw, None, None, Outcome(400, "rejected: not a Cryptopay callback body"))
        event = (event if isinstance(event, str) else repr(event))[:64]
        if handler is None:
            # Acknowledged (200) so Cryptopay does not retry something this merchant will never act on.
            return self._log(raw, None, event, Outcome(200, f"ignored: {str(kind)[:40]}/{event[:40]}"))
        if not is_id(object_id):
            return self._log(raw, None, None, Outcome(400, f"rejected: {kind} id missing or malformed"))
        try:
            return self._log(raw, object_id, event, handler.process(event, data))
        except Exception as exc:  # noqa: BLE001 - any failure must answer non-2xx so Cryptopay retries
            # Only the exception's type is recorded: database and HTTP errors can quote parameters and URLs.
            log.exception("callback for %s %s failed; answering 500 so Cryptopay retries", kind, object_id)
            return self._log(raw, object_id, event, Outcome(500, f"retry: processing failed ({type(exc).__name__})"))

    # -- decisions ------------------------------------------------------------------------------------
    def signature_ok(self, raw: bytes, signature: str | None) -> bool:
        return verify_callback(self._secret, raw, signature)

    # -- evidence -------------------------------------------------------------------------------------
    def _log(self, raw: bytes, object_id: str | None, event: str | None, outcome: Outcome) -> Outcome:
        """Evidence of what arrived, signed. The signature header itself is never stored: it derives from the
        secret."""
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(callback_log).values(
                    received_at=datetime.now(timezone.utc), invoice_id=object_id, event=event,
                    signature_valid=True, answered_status=outcome.http_status, outcome=outcome.message[:200],
                    raw_body=raw.decode("utf-8", "replace")[:MAX_LOGGED_BODY]))
        except Exception:  # noqa: BLE001 - losing a log row must not turn a processed callback into a retry loop
            log.exception("could not record a callback in callback_log")
        log.info("callback object=%s event=%s -> %s %s", object_id, event, outcome.http_status, outcome.message)
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

    def received(self, object_id: str) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(callback_log).where(callback_log.c.invoice_id == object_id)
                                .order_by(callback_log.c.id)).mappings().all()
        return [{"received_at": utc(r["received_at"]).isoformat(), "event": r["event"],
                 "signature_valid": r["signature_valid"], "answered_status": r["answered_status"],
                 "outcome": r["outcome"], "raw_body": r["raw_body"]}
                for r in rows]
