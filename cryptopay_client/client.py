"""HTTP client for Cryptopay's invoice, recalculation, refund and coin-withdrawal endpoints."""
from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable
from urllib.parse import quote

import requests
from requests.adapters import BaseAdapter

from cryptopay_client.budget import RequestBudget, Unlimited
from cryptopay_client.errors import CryptopayError, RateLimited, TransportError
from cryptopay_client.http import GuardedSession
from cryptopay_client.retry import RetryPolicy
from cryptopay_client.signing import HmacAuth

log = logging.getLogger("cryptopay_client")
# How long one request may queue for the shared budget before the call fails: a full window and then some.
BUDGET_WAIT_SECONDS = 300.0
# The most one answer may take, whole, and weigh once decoded: Cryptopay's pages are a few hundred KB at most.
ANSWER_SECONDS = 30.0
ANSWER_BYTES = 8 * 1024 * 1024


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


def decimal_text(value: Decimal) -> str:
    """An amount as Cryptopay reads one: plain digits, never an exponent (str() writes 0.0000001 as 1E-7)."""
    return format(value, "f")


def _decimal_as_string(value: Any) -> str:
    if isinstance(value, Decimal):
        return decimal_text(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


class CryptopayClient:
    """`budget` paces every request (shared across processes when it is a SharedBudget); `retry` says how a 429
    is answered: GETs are retried after a jittered back-off, POSTs only after a lookup proved they were not
    applied (creates that carry a custom_id), otherwise the 429 is raised as RateLimited. Every answer is read
    through a GuardedSession: no redirect followed (a RedirectRefused names `setting`), `timeout` seconds for the
    whole answer, ANSWER_BYTES at most. `adapter` replaces the network (tests)."""

    def __init__(self, base_url: str, api_key: str, api_secret: str, *, timeout: float = ANSWER_SECONDS,
                 on_exchange: Callable[[Exchange], None] | None = None, adapter: BaseAdapter | None = None,
                 budget: RequestBudget | None = None, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep, setting: str = "CRYPTOPAY_API_URL"):
        self.base_url = base_url.rstrip("/")
        self._auth = HmacAuth(api_key, api_secret)
        self._on_exchange = on_exchange
        self._session = GuardedSession(setting, seconds=timeout, max_bytes=ANSWER_BYTES)
        if adapter is not None:
            self._session.mount("http://", adapter)
            self._session.mount("https://", adapter)
        self.budget = budget or Unlimited()
        self._retry = retry or RetryPolicy()
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"CryptopayClient(base_url={self.base_url!r})"

    # -- invoices ---------------------------------------------------------------------------------
    def create_invoice(self, **params: Any) -> dict:
        custom_id = params.get("custom_id")
        lookup = (lambda: self._found(self.retrieve_invoice_by_custom_id, custom_id)) if custom_id else None
        return self._call("POST", "/api/invoices", params, lookup=lookup)["data"]

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
        custom_id = params.get("custom_id")
        lookup = (lambda: self._found(self.retrieve_coin_withdrawal_by_custom_id, custom_id)) if custom_id else None
        return self._call("POST", "/api/coin_withdrawals", params, lookup=lookup)["data"]

    def commit_coin_withdrawal(self, withdrawal_id: str) -> dict:
        return self._call("POST", f"/api/coin_withdrawals/{quote(withdrawal_id, safe='')}/commit")["data"]

    def retrieve_coin_withdrawal(self, withdrawal_id: str) -> dict:
        return self._call("GET", f"/api/coin_withdrawals/{quote(withdrawal_id, safe='')}")["data"]

    def retrieve_coin_withdrawal_by_custom_id(self, custom_id: str) -> dict:
        return self._call("GET", f"/api/coin_withdrawals/custom_id/{quote(custom_id, safe='')}")["data"]

    # -- channels (a customer's static deposit address) --------------------------------------------
    def create_channel(self, **params: Any) -> dict:
        custom_id = params.get("custom_id")
        lookup = (lambda: self._found(self.channel_by_custom_id, custom_id)) if custom_id else None
        return self._call("POST", "/api/channels", params, lookup=lookup)["data"]

    def channel(self, channel_id: str) -> dict:
        return self._call("GET", f"/api/channels/{quote(channel_id, safe='')}")["data"]

    def channel_by_custom_id(self, custom_id: str) -> dict:
        return self._call("GET", f"/api/channels/custom_id/{quote(custom_id, safe='')}")["data"]

    def channels(self, **query: Any) -> dict:
        """One page: {"data": [...], "meta": {"total", "has_more"}}; query `customer_id`, `starting_after`."""
        return self._call("GET", "/api/channels", query=_present(query))

    def update_channel(self, channel_id: str, **params: Any) -> dict:
        return self._call("PATCH", f"/api/channels/{quote(channel_id, safe='')}", params)["data"]

    def channel_payments(self, channel_id: str, **query: Any) -> dict:
        """One page of the channel's payments, newest first; query `starting_after`."""
        return self._call("GET", f"/api/channels/{quote(channel_id, safe='')}/payments", query=_present(query))

    def channel_payment(self, channel_id: str, payment_id: str) -> dict:
        path = f"/api/channels/{quote(channel_id, safe='')}/payments/{quote(payment_id, safe='')}"
        return self._call("GET", path)["data"]

    # -- the account ------------------------------------------------------------------------------
    def accounts(self) -> list:
        """The account's currency accounts, each {id, currency, balance, project_id} (channels-payouts facts §18)."""
        return self._call("GET", "/api/accounts")["data"]

    # -- rates and coins --------------------------------------------------------------------------
    def rates(self) -> dict:
        return self._call("GET", "/api/rates")["data"]

    def rate(self, base: str, quote_currency: str) -> dict:
        return self._call("GET", f"/api/rates/{quote(base, safe='')}/{quote(quote_currency, safe='')}")["data"]

    def coins(self) -> list:
        return self._call("GET", "/api/coins")["data"]

    @staticmethod
    def _found(retrieve: Callable[[str], dict], custom_id: str) -> dict | None:
        """What a create with this custom_id made, or None when Cryptopay has nothing under it (404)."""
        try:
            return retrieve(custom_id)
        except CryptopayError as exc:
            if exc.status == 404:
                return None
            raise

    # -- transport --------------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: Any = None, query: dict | None = None,
              lookup: Callable[[], dict | None] | None = None) -> dict:
        attempt = 0
        while True:
            status, payload, signed_path, retry_after = self._send(method, path, body, query)
            if status != 429:
                return _result(status, payload, method, signed_path)
            delay = self._retry.delay(attempt, retry_after)
            if delay is None or (method != "GET" and lookup is None):
                why = ("gave up after the retries allowed" if delay is None else
                       "not retried: this POST carries no custom_id to prove it was not applied")
                raise RateLimited.from_response(status, payload, method, signed_path, why)
            log.info("%s %s answered 429; waiting %.1f s (Retry-After %s) before %s", method, signed_path, delay,
                     retry_after or "absent", "retrying" if method == "GET" else "looking it up by custom_id")
            self._sleep(delay)
            attempt += 1
            if lookup is not None and (made := lookup()) is not None:
                return {"data": made}  # the POST was applied after all: never send it twice

    def _send(self, method: str, path: str, body: Any, query: dict | None) -> tuple[int, Any, str, str | None]:
        """One request inside the budget: status, parsed body, the path as signed, and Retry-After if any."""
        raw = dumps(body).encode() if body else None
        self.budget.acquire(BUDGET_WAIT_SECONDS)
        started = time.monotonic()
        try:
            response = self._session.request(method, self.base_url + path, data=raw, params=query or None,
                                             auth=self._auth, headers={"Accept": "application/json"})
        except requests.RequestException as exc:
            raise TransportError(f"{method} {path}: Cryptopay API unreachable at {self.base_url} ({type(exc).__name__})") from None
        payload = _parse(response.content)
        signed_path = response.request.path_url
        if self._on_exchange:
            self._on_exchange(Exchange(method, signed_path, body, response.status_code, payload,
                                       int((time.monotonic() - started) * 1000)))
        return response.status_code, payload, signed_path, response.headers.get("Retry-After")


def _present(query: dict) -> dict:
    return {k: v for k, v in query.items() if v is not None}


def _result(status: int, payload: Any, method: str, signed_path: str) -> dict:
    if status >= 400:
        raise CryptopayError.from_response(status, payload, method, signed_path)
    if not isinstance(payload, dict):
        raise CryptopayError(status, "unexpected_response", "body is not a JSON object", method=method,
                             path=signed_path)
    return payload


def _parse(content: bytes) -> Any:
    try:
        return loads(content) if content else None
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        return {"unparsed": content[:500].decode("utf-8", "replace")}
