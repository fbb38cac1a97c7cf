"""Evidence for the Allure report: redacted JSON attachments and the Cryptopay exchanges a scenario relied on."""
from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import allure

from cryptopay_client import Exchange

_AUTH = re.compile(r"(?i)\b(HMAC|Bearer)\s+[^\s\"',]+")


class Redactor:
    """Removes every configured secret value and any Authorization credential from text."""

    def __init__(self, secrets: list[str]):
        # Longest first, so a secret that contains another is removed whole.
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def add(self, secret: str) -> None:
        if secret and len(secret) >= 4 and secret not in self._secrets:
            self._secrets = sorted([*self._secrets, secret], key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, "***redacted***")
        return _AUTH.sub(lambda m: f"{m.group(1)} ***redacted***", value)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


class Evidence:
    """One per scenario: attaches what a certification reviewer needs to judge the result."""

    def __init__(self, redactor: Redactor):
        self.redactor = redactor
        self.exchanges: list[Exchange] = []

    def record_exchange(self, exchange: Exchange) -> None:
        self.exchanges.append(exchange)

    def attach_json(self, name: str, payload: Any) -> None:
        text = json.dumps(payload, indent=2, default=_default, sort_keys=False)
        allure.attach(self.redactor.text(text), name=name, attachment_type=allure.attachment_type.JSON)

    def attach_text(self, name: str, text: str) -> None:
        allure.attach(self.redactor.text(text), name=name, attachment_type=allure.attachment_type.TEXT)

    def attach_svg(self, name: str, svg: str) -> None:
        allure.attach(svg, name=name, attachment_type=allure.attachment_type.SVG)

    def attach_exchanges(self) -> None:
        if not self.exchanges:
            return
        rows = [{"request": f"{e.method} {e.path}", "request_body": e.request_body, "status": e.status,
                 "response_body": e.response_body, "elapsed_ms": e.elapsed_ms} for e in self.exchanges]
        self.attach_json("Cryptopay API exchanges", rows)


def attach_timeline(deposit, cryptopay, control, merchant, evidence: "Evidence") -> None:
    """The invoice's story at the end of a scenario: Cryptopay's final view, deliveries, what the merchant saw."""
    try:
        invoice = cryptopay.invoice(deposit.invoice_id)
        evidence.attach_json(f"Invoice timeline {deposit.invoice_id[:8]}: Cryptopay at the end", invoice)
        if control is not None:
            deliveries = [{k: d[k] for k in ("event", "invoice_status", "state", "attempts", "resend_of")}
                          for d in control.deliveries(deposit.invoice_id)]
            evidence.attach_json(f"Invoice timeline {deposit.invoice_id[:8]}: callbacks Cryptopay sent", deliveries)
        received = merchant.received_callbacks(deposit.invoice_id)
        if received is not None:
            evidence.attach_json(f"Invoice timeline {deposit.invoice_id[:8]}: callbacks the merchant saw", received)
    except Exception as exc:  # evidence gathering must never turn a verdict into an error
        evidence.attach_text("Invoice timeline unavailable", f"{type(exc).__name__}: {exc}")
