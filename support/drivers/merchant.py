"""The merchant under test, reached through one adapter interface (here: the certification probe v1 over HTTP)."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

import requests

from support.secrets import Secret


@dataclass(frozen=True)
class Deposit:
    customer_id: str
    invoice_id: str
    custom_id: str
    price_amount: Decimal
    price_currency: str
    pay_currency: str
    description: str | None = None


def deposit_description(customer_id: str) -> str:
    """The text every suite deposit carries to Cryptopay: business-neutral, visible in the dashboard, and with
    characters (&, <, >, accents, a dash) whose JSON encodings differ between encoders, so a callback body
    carrying it cannot be re-serialised to the bytes Cryptopay signed."""
    return f"Dépôt <café> & crème — {customer_id}"


class MerchantError(AssertionError):
    pass


class MerchantAdapter(Protocol):
    def create_deposit(self, customer_id: str, amount: Decimal, currency: str, pay_currency: str,
                       description: str | None = None) -> Deposit: ...
    def balances(self, customer_id: str) -> dict[str, Decimal]: ...
    def recorded_invoice(self, invoice_id: str) -> dict | None: ...
    def received_callbacks(self, invoice_id: str) -> list[dict] | None: ...


class ProbeMerchant:
    """Certification probe v1: POST /deposits, GET /customers/{id}/balance, GET /invoices/{id}."""

    def __init__(self, probe_url: str, token: Secret, timeout: float = 15.0):
        self.probe_url = probe_url.rstrip("/")
        self._token = token
        self._timeout = timeout
        self._session = requests.Session()

    def __repr__(self) -> str:
        return f"ProbeMerchant(probe_url={self.probe_url!r}, token=***)"

    def _request(self, method: str, path: str, **kwargs) -> requests.Response:
        try:
            return self._session.request(method, self.probe_url + path, timeout=self._timeout,
                                         headers={"Authorization": f"Bearer {self._token.reveal()}"}, **kwargs)
        except requests.RequestException as exc:
            raise MerchantError(f"merchant probe unreachable at {self.probe_url} ({type(exc).__name__})") from None

    def create_deposit(self, customer_id: str, amount: Decimal, currency: str, pay_currency: str,
                       description: str | None = None) -> Deposit:
        body = {"customer_id": customer_id, "price_amount": str(amount), "price_currency": currency,
                "pay_currency": pay_currency}
        if description is not None:
            body["description"] = description
        response = self._request("POST", "/deposits", json=body)
        if response.status_code != 201:
            raise MerchantError(f"merchant refused the deposit request: {response.status_code} {response.text[:300]}")
        data = response.json()
        return Deposit(customer_id, data["invoice_id"], data["custom_id"], amount, currency, pay_currency,
                       description)

    def balances(self, customer_id: str) -> dict[str, Decimal]:
        response = self._request("GET", f"/customers/{customer_id}/balance")
        if response.status_code != 200:
            raise MerchantError(f"balance probe answered {response.status_code}")
        return {cur: Decimal(value) for cur, value in response.json()["balances"].items()}

    def recorded_invoice(self, invoice_id: str) -> dict | None:
        response = self._request("GET", f"/invoices/{invoice_id}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise MerchantError(f"invoice probe answered {response.status_code}")
        return response.json()

    def received_callbacks(self, invoice_id: str) -> list[dict] | None:
        """Optional probe extension; None when the merchant does not offer it."""
        response = self._request("GET", f"/invoices/{invoice_id}/callbacks")
        return response.json().get("callbacks") if response.status_code == 200 else None
