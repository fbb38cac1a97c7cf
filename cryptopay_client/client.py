"""HTTP client for Cryptopay's invoice, recalculation, refund and coin-withdrawal endpoints."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable
from urllib.parse import quote

import requests

from cryptopay_client.errors import CryptopayError, TransportError
from cryptopay_client.signing import HmacAuth


@dataclass(frozen=True)
class Exchange:
    """One request/response pair, as evidence: no Authorization header, ever."""
    method: str
    path: str
    request_body: Any
    status: int
    response_body: Any
    elapsed_ms: int


def loads(raw: bytes | str) -> Any:
    # Risk scores are JSON numbers: keep them exact instead of floats.
    return json.loads(raw, parse_float=Decimal)


def dumps(payload: Any) -> str:
    return json.dumps(payload, separators=(",", ":"), default=_decimal_as_string)


def _decimal_as_string(value: Any) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


class CryptopayClient:
    def __init__(self, base_url: str, api_key: str, api_secret: str, *, timeout: float = 15.0,
                 on_exchange: Callable[[Exchange], None] | None = None, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self._auth = HmacAuth(api_key, api_secret)
        self._timeout = timeout
        self._on_exchange = on_exchange
        self._session = session or requests.Session()

    def __repr__(self) -> str:
        return f"CryptopayClient(base_url={self.base_url!r})"

    # -- invoices ---------------------------------------------------------------------------------
    def create_invoice(self, **params: Any) -> dict:
        return self._call("POST", "/api/invoices", params)["data"]

    def retrieve_invoice(self, invoice_id: str) -> dict:
        return self._call("GET", f"/api/invoices/{quote(invoice_id, safe='')}")["data"]

    def retrieve_invoice_by_custom_id(self, custom_id: str) -> dict:
        return self._call("GET", f"/api/invoices/custom_id/{quote(custom_id, safe='')}")["data"]

    def list_invoices(self, customer_id: str | None = None, starting_after: str | None = None) -> dict:
        query = {k: v for k, v in (("customer_id", customer_id), ("starting_after", starting_after)) if v}
        return self._call("GET", "/api/invoices", query=query)

    # -- resolutions --------------------------------------------------------------------------------
    def create_recalculation(self, invoice_id: str, force_commit: bool | None = None) -> dict:
        body = None if force_commit is None else {"force_commit": force_commit}
        return self._call("POST", f"/api/invoices/{quote(invoice_id, safe='')}/recalculations", body)["data"]

    def commit_recalculation(self, invoice_id: str, recalculation_id: str) -> dict:
        path = f"/api/invoices/{quote(invoice_id, safe='')}/recalculations/{quote(recalculation_id, safe='')}/commit"
        return self._call("POST", path)["data"]

    def create_refund(self, invoice_id: str, address: str | None = None) -> dict:
        body = {"address": address} if address else None
        return self._call("POST", f"/api/invoices/{quote(invoice_id, safe='')}/refunds", body)["data"]

    def list_refunds(self, invoice_id: str) -> list:
        return self._call("GET", f"/api/invoices/{quote(invoice_id, safe='')}/refunds")["data"]

    # -- coin withdrawals (how a sandbox account pays an invoice address) ---------------------------
    def create_coin_withdrawal(self, **params: Any) -> dict:
        return self._call("POST", "/api/coin_withdrawals", params)["data"]

    def commit_coin_withdrawal(self, withdrawal_id: str) -> dict:
        return self._call("POST", f"/api/coin_withdrawals/{quote(withdrawal_id, safe='')}/commit")["data"]

    def retrieve_coin_withdrawal(self, withdrawal_id: str) -> dict:
        return self._call("GET", f"/api/coin_withdrawals/{quote(withdrawal_id, safe='')}")["data"]

    # -- transport --------------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: Any = None, query: dict | None = None) -> dict:
        raw = dumps(body).encode() if body else None
        url = self.base_url + path
        started = time.monotonic()
        try:
            response = self._session.request(method, url, data=raw, params=query or None, auth=self._auth,
                                             timeout=self._timeout, headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise TransportError(f"{method} {path}: Cryptopay API unreachable at {self.base_url} ({type(exc).__name__})") from None
        payload = _parse(response.content)
        signed_path = response.request.path_url
        if self._on_exchange:
            self._on_exchange(Exchange(method, signed_path, body, response.status_code, payload,
                                       int((time.monotonic() - started) * 1000)))
        if response.status_code >= 400:
            raise CryptopayError.from_response(response.status_code, payload, method, signed_path)
        if not isinstance(payload, dict):
            raise CryptopayError(response.status_code, "unexpected_response", "body is not a JSON object",
                                 method=method, path=signed_path)
        return payload


def _parse(content: bytes) -> Any:
    try:
        return loads(content) if content else None
    except ValueError:
        return {"unparsed": content[:500].decode("utf-8", "replace")}
