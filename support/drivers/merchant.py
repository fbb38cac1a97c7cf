"""The merchant under test, reached through one adapter interface (here: the certification probe v1 over HTTP)."""
from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Protocol

import jsonschema
import requests
import yaml

from support.secrets import Secret
from support.waiting import WaitingCannotHelp

# The contract every probe answer is checked against: the very document merchants implement.
PROBE_SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi" / "probe-v1.yaml"
RULE = "x-probe-rule"  # the OpenAPI extension that states, in words, the rule a schema or an operation enforces


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


class ProbeContractError(MerchantError, WaitingCannotHelp):
    """A probe answer that breaks probe v1; the message starts with "probe-v1:" and states the rule."""


class ProbeTokenRejected(MerchantError, WaitingCannotHelp):
    """The probe answered 401: MERCHANT_PROBE_TOKEN is not the token the merchant expects."""


def inline_refs(node: object, spec: dict) -> object:
    """Inlines $refs and turns OpenAPI 3.0's `nullable` into JSON Schema, so plain jsonschema can validate."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: object = spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return inline_refs(copy.deepcopy(target), spec)
        out = {key: inline_refs(value, spec) for key, value in node.items() if key not in ("example", "nullable")}
        if node.get("nullable") and "type" in out:
            out["type"] = [out["type"], "null"]
        return out
    if isinstance(node, list):
        return [inline_refs(item, spec) for item in node]
    return node


class ProbeContract:
    """docs/openapi/probe-v1.yaml applied to the answers the suite reads; each failure names its rule."""

    def __init__(self, spec: dict):
        self._spec = spec
        self._validators: dict[tuple[str, str, str], jsonschema.Draft4Validator] = {}

    def operation_rule(self, method: str, template: str) -> str:
        return self._spec["paths"][template][method.lower()][RULE]

    def violation(self, method: str, template: str, found: str) -> ProbeContractError:
        return ProbeContractError(f"probe-v1: {self.operation_rule(method, template)}; {found}")

    def validator(self, method: str, template: str, status: str) -> jsonschema.Draft4Validator:
        key = (method, template, status)
        if key not in self._validators:  # built once: balances are polled many times per scenario
            answer = self._spec["paths"][template][method.lower()]["responses"][status]
            schema = inline_refs(answer["content"]["application/json"]["schema"], self._spec)
            self._validators[key] = jsonschema.Draft4Validator(
                schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
        return self._validators[key]

    def body(self, method: str, template: str, response: requests.Response) -> dict:
        """The answer's JSON body, once it matches the schema documented for its status."""
        status = str(response.status_code)
        try:
            body = json.loads(response.content, parse_float=Decimal)  # a JSON number never becomes a float
        except ValueError:
            raise ProbeContractError(f"probe-v1: answers are JSON; {method} {template} answered {status} with "
                                     f"a body that is not JSON") from None
        problems = sorted({_broken_rule(error) for error in self.validator(method, template, status)
                           .iter_errors(body)})
        if problems:
            raise ProbeContractError(f"probe-v1: {'; '.join(problems)} (in the {status} answer to {method} "
                                     f"{template})")
        return body


@functools.cache
def probe_contract() -> ProbeContract:
    return ProbeContract(yaml.safe_load(PROBE_SPEC.read_text(encoding="utf-8")))


def _broken_rule(error: jsonschema.ValidationError) -> str:
    """The rule the OpenAPI document states for the failing part (x-probe-rule), and what was found there."""
    where = ".".join(str(part) for part in error.absolute_path) or "the body"
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        rules = [error.schema.get("properties", {}).get(name, {}).get(RULE) for name in missing]
        stated = next((rule for rule in rules if rule), error.schema.get(RULE) or "required fields are present")
        return f"{stated}: {where} has no {', '.join(missing)}"
    stated = error.schema.get(RULE) or "the answer matches docs/openapi/probe-v1.yaml"
    return f"{stated}: {where} is {_shown(error.instance)}"


def _shown(value: object) -> str:
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return f"the JSON number {value}"
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


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
        self._contract = probe_contract()

    def __repr__(self) -> str:
        return f"ProbeMerchant(probe_url={self.probe_url!r}, token=***)"

    def _request(self, method: str, path: str, **kwargs) -> requests.Response:
        try:
            return self._session.request(method, self.probe_url + path, timeout=self._timeout,
                                         headers={"Authorization": f"Bearer {self._token.reveal()}"}, **kwargs)
        except requests.RequestException as exc:
            raise MerchantError(f"merchant probe unreachable at {self.probe_url} ({type(exc).__name__})") from None

    def _answer(self, method: str, template: str, path: str, **kwargs) -> requests.Response:
        response = self._request(method, path, **kwargs)
        if response.status_code == 401:
            # "401" in the message is how preflight recognises a rejected token.
            raise ProbeTokenRejected(f"{method} {template} answered 401: the merchant rejected MERCHANT_PROBE_TOKEN")
        return response

    def create_deposit(self, customer_id: str, amount: Decimal, currency: str, pay_currency: str,
                       description: str | None = None) -> Deposit:
        body = {"customer_id": customer_id, "price_amount": str(amount), "price_currency": currency,
                "pay_currency": pay_currency}
        if description is not None:
            body["description"] = description
        response = self._answer("POST", "/deposits", "/deposits", json=body)
        if response.status_code in (422, 502):  # documented refusals: the merchant's own words explain them
            raise MerchantError(f"merchant refused the deposit request: {response.status_code} {response.text[:300]}")
        if response.status_code != 201:
            raise self._contract.violation("POST", "/deposits", f"it answered {response.status_code}")
        data = self._contract.body("POST", "/deposits", response)
        return Deposit(customer_id, data["invoice_id"], data["custom_id"], amount, currency, pay_currency,
                       description)

    def balances(self, customer_id: str) -> dict[str, Decimal]:
        template = "/customers/{customer_id}/balance"
        response = self._answer("GET", template, f"/customers/{customer_id}/balance")
        if response.status_code != 200:
            raise self._contract.violation("GET", template, f"it answered {response.status_code} for customer "
                                                            f"{customer_id}")
        data = self._contract.body("GET", template, response)
        return {currency: Decimal(value) for currency, value in data["balances"].items()}

    def recorded_invoice(self, invoice_id: str) -> dict | None:
        response = self._answer("GET", "/invoices/{invoice_id}", f"/invoices/{invoice_id}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._contract.violation("GET", "/invoices/{invoice_id}",
                                           f"it answered {response.status_code} for invoice {invoice_id}")
        return self._contract.body("GET", "/invoices/{invoice_id}", response)

    def received_callbacks(self, invoice_id: str) -> list[dict] | None:
        """Optional probe extension; None when the merchant does not offer it."""
        template = "/invoices/{invoice_id}/callbacks"
        response = self._answer("GET", template, f"/invoices/{invoice_id}/callbacks")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._contract.violation("GET", template,
                                           f"it answered {response.status_code} for invoice {invoice_id}")
        return self._contract.body("GET", template, response)["callbacks"]
