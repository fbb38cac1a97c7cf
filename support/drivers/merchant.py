"""The merchant under test, reached through one adapter interface (here: the certification probe v1/v2 over HTTP)."""
from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import jsonschema
import requests
import yaml

from cryptopay_client.client import decimal_text
from cryptopay_client.http import GuardedSession, RefusedAnswer
from support.drivers.waiting import WaitingCannotHelp
from support.targets.secrets import Secret

# The contracts every probe answer is checked against: the very documents merchants implement. v1 operations are
# held to probe-v1.yaml (v2 repeats them unchanged), the operations v2 added to probe-v2.yaml.
PROBE_SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi" / "probe-v1.yaml"
PROBE_V2_SPEC = PROBE_SPEC.with_name("probe-v2.yaml")
PRODUCTS = ("invoices", "channels", "payouts")
V1_PRODUCTS = frozenset({"invoices"})  # what a merchant without GET /capabilities (404) integrates
RULE = "x-probe-rule"  # the OpenAPI extension that states, in words, the rule a schema or an operation enforces
# The most a probe answer may take, whole, and weigh once decoded: its largest (a callback log) is a few dozen KB.
PROBE_ANSWER_SECONDS = 30.0
PROBE_ANSWER_BYTES = 4 * 1024 * 1024

# The formats the probe contracts name, each checked whole (fullmatch: Python's `$` also matches before a final
# newline) and each with the rule a failure states. jsonschema checks no date-time without a package the suite does
# not install: Ruby's Time#to_s, "2026-12-04 02:53:01 +0000", passed as one.
RFC3339 = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})")
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
FORMAT_RULES = {
    "date-time": "an RFC 3339 date-time, a T between date and time and a UTC offset, e.g. 2026-01-05T10:00:01Z",
    "uuid": "Cryptopay's id as Cryptopay gives it, a UUID such as 7e274430-9c5b-4c7b-a8c1-1c6f1c6a0b11",
    "decimal": "a decimal string of ASCII digits, at most one point between digits, nothing around it, e.g. 100.00",
}
PROBE_FORMATS = jsonschema.FormatChecker(formats=())


@PROBE_FORMATS.checks("date-time")
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True  # the type is the schema's `type` rule, not the format's
    if not RFC3339.fullmatch(value):
        return False
    try:  # the numbers are a real moment too: no month 13, no offset +25:00
        moment = datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return abs(moment.utcoffset().total_seconds()) < 24 * 3600


@PROBE_FORMATS.checks("uuid")
def _uuid(value: object) -> bool:
    return not isinstance(value, str) or UUID.fullmatch(value) is not None


@PROBE_FORMATS.checks("decimal")
def _decimal(value: object) -> bool:
    return not isinstance(value, str) or DECIMAL.fullmatch(value) is not None


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


@dataclass(frozen=True)
class Channel:
    """A customer's channel as the merchant opened it at Cryptopay (one per customer and pay currency)."""
    customer_id: str
    channel_id: str
    address: str
    pay_currency: str
    receive_currency: str
    network: str
    custom_id: str
    created: bool  # False when the merchant answered with the channel the customer already had


@dataclass(frozen=True)
class Payout:
    """A withdrawal the merchant accepted: its own payout id and Cryptopay's coin withdrawal."""
    customer_id: str
    payout_id: str
    coin_withdrawal_id: str
    status: str


@dataclass(frozen=True)
class PayoutRefusal:
    """A withdrawal the merchant refused (422) or could not place (502), in its own words; nothing was debited
    when it answered 422. `code` is the merchant's error code, e.g. high_risk_address; `message` what the
    customer is told."""
    customer_id: str
    http_status: int
    code: str
    message: str

    @property
    def high_risk_address(self) -> bool:
        return self.http_status == 422 and self.code == "high_risk_address"


@dataclass(frozen=True)
class RecordedPayout:
    """What the merchant recorded for a payout: Cryptopay's status as last accepted, what it debited, refunded."""
    payout_id: str
    coin_withdrawal_id: str
    customer_id: str
    status: str
    debited: tuple[Decimal, str] | None  # (amount, currency)
    refunded: bool


class MerchantError(AssertionError):
    pass


class ProbeContractError(MerchantError, WaitingCannotHelp):
    """A probe answer that breaks the probe; the message starts with "probe-v1:" or "probe-v2:" (the version that
    documents the operation) and states the rule."""


class ProbeAnswerRefused(MerchantError, WaitingCannotHelp):
    """A probe answer the suite does not take in (a redirect, one that never ends in time, one too big); the
    message names MERCHANT_PROBE_URL and the operation."""


class ProbeTokenRejected(MerchantError, WaitingCannotHelp):
    """The probe answered 401: MERCHANT_PROBE_TOKEN is not the token the merchant expects."""


class ProbeNotFound(MerchantError, WaitingCannotHelp):
    """Nothing at MERCHANT_PROBE_URL speaks the probe: a 404 where a probe answers 200, at a path that does not ask
    for the probe's token either (a probe answers 401 without it); most often a URL without the probe's own path."""


PROBE_URL_SHAPE = ("MERCHANT_PROBE_URL is the base URL the probe's paths hang from (<base>/customers/{customer_id}/"
                   "balance, <base>/deposits, <base>/invoices/{invoice_id}), e.g. https://staging.example.com/probe; "
                   "the reference merchant's ends in /probe")


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
    """docs/openapi/probe-v1.yaml (or -v2) applied to the answers the suite reads; each failure names its rule."""

    def __init__(self, spec: dict, label: str = "probe-v1"):
        self._spec = spec
        self.label = label
        self._validators: dict[tuple[str, str, str], jsonschema.Draft4Validator] = {}

    def operation_rule(self, method: str, template: str) -> str:
        return self._spec["paths"][template][method.lower()][RULE]

    def violation(self, method: str, template: str, found: str) -> ProbeContractError:
        return ProbeContractError(f"{self.label}: {self.operation_rule(method, template)}; {found}")

    def validator(self, method: str, template: str, status: str) -> jsonschema.Draft4Validator:
        key = (method, template, status)
        if key not in self._validators:  # built once: balances are polled many times per scenario
            answer = self._spec["paths"][template][method.lower()]["responses"][status]
            schema = inline_refs(answer["content"]["application/json"]["schema"], self._spec)
            self._validators[key] = jsonschema.Draft4Validator(schema, format_checker=PROBE_FORMATS)
        return self._validators[key]

    def body(self, method: str, template: str, response: requests.Response) -> dict:
        """The answer's JSON body, once it matches the schema documented for its status."""
        status = str(response.status_code)
        try:
            body = json.loads(response.content, parse_float=Decimal)  # a JSON number never becomes a float
        except ValueError:
            raise ProbeContractError(f"{self.label}: answers are JSON; {method} {template} answered {status} "
                                     f"with a body that is not JSON") from None
        except RecursionError:
            raise ProbeContractError(f"{self.label}: answers are plain JSON objects; {method} {template} answered "
                                     f"{status} with JSON nested too deep to read") from None
        problems = sorted({_broken_rule(error, self.label) for error in self.validator(method, template, status)
                           .iter_errors(body)})
        if problems:
            raise ProbeContractError(f"{self.label}: {'; '.join(problems)} (in the {status} answer to {method} "
                                     f"{template})")
        return body


@functools.cache
def probe_contract(version: int = 1) -> ProbeContract:
    spec = PROBE_SPEC if version == 1 else PROBE_V2_SPEC
    return ProbeContract(yaml.safe_load(spec.read_text(encoding="utf-8")), f"probe-v{version}")


def _broken_rule(error: jsonschema.ValidationError, label: str = "probe-v1") -> str:
    """The rule the OpenAPI document states for the failing part (x-probe-rule), and what was found there."""
    where = ".".join(str(part) for part in error.absolute_path) or "the body"
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [name for name in error.validator_value if name not in error.instance]
        rules = [error.schema.get("properties", {}).get(name, {}).get(RULE) for name in missing]
        stated = next((rule for rule in rules if rule), error.schema.get(RULE) or "required fields are present")
        return f"{stated}: {where} has no {', '.join(missing)}"
    if error.validator == "format":
        rule = FORMAT_RULES[error.validator_value]
        stated = error.schema.get(RULE) or f"{where} is {rule}"
        return f"{stated} (format {error.validator_value}: {rule}): {where} is {_shown(error.instance)}"
    stated = error.schema.get(RULE) or f"the answer matches docs/openapi/{label}.yaml"
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
    # probe v2 (channels and payouts); capabilities() is {"invoices"} for a v1 merchant
    def capabilities(self) -> frozenset[str]: ...
    def open_channel(self, customer_id: str, pay_currency: str, receive_currency: str,
                     network: str | None = None) -> Channel: ...
    def recorded_channel_payment(self, channel_payment_id: str) -> dict | None: ...
    def fund_customer(self, customer_id: str, amount: Decimal, currency: str) -> dict[str, Decimal]: ...
    def request_payout(self, customer_id: str, amount: Decimal, currency: str, pay_currency: str, address: str,
                       network: str | None = None) -> Payout | PayoutRefusal: ...
    def recorded_payout(self, payout_id: str) -> RecordedPayout | None: ...


class ProbeMerchant:
    """Certification probe v1 (deposits, balances, invoices) and v2 (capabilities, channels, funding, payouts)."""

    def __init__(self, probe_url: str, token: Secret, timeout: float = PROBE_ANSWER_SECONDS):
        self.probe_url = probe_url.rstrip("/")
        self._token = token
        # No redirect followed (the token and the body stay with the probe), each answer whole within `timeout`.
        self._session = GuardedSession("MERCHANT_PROBE_URL", seconds=timeout, max_bytes=PROBE_ANSWER_BYTES)
        self._contract = probe_contract()
        self._v2 = probe_contract(2)
        self._capabilities: frozenset[str] | None = None

    def __repr__(self) -> str:
        return f"ProbeMerchant(probe_url={self.probe_url!r}, token=***)"

    def _answer(self, method: str, template: str, path: str, **kwargs) -> requests.Response:
        try:
            response = self._session.request(method, self.probe_url + path,
                                             headers={"Authorization": f"Bearer {self._token.reveal()}"}, **kwargs)
        except RefusedAnswer as exc:
            raise ProbeAnswerRefused(f"{exc.setting}: {method} {template} {exc.why}") from None
        except requests.RequestException as exc:
            raise MerchantError(f"merchant probe unreachable at {self.probe_url} ({type(exc).__name__})") from None
        if response.status_code == 401:
            # "401" in the message is how preflight recognises a rejected token.
            raise ProbeTokenRejected(f"{method} {template} answered 401: the merchant rejected MERCHANT_PROBE_TOKEN")
        return response

    def _guarded(self, path: str) -> bool:
        """The path asks for the probe's token (401 without it): whatever answered there is a probe."""
        try:
            return self._session.request("GET", self.probe_url + path).status_code == 401
        except (RefusedAnswer, requests.RequestException):
            return False

    def create_deposit(self, customer_id: str, amount: Decimal, currency: str, pay_currency: str,
                       description: str | None = None) -> Deposit:
        body = {"customer_id": customer_id, "price_amount": decimal_text(amount), "price_currency": currency,
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
        if response.status_code == 404 and not self._guarded(f"/customers/{customer_id}/balance"):
            raise ProbeNotFound(f"nothing at {self.probe_url} speaks the certification probe: GET {template} answered "
                                f"404 for customer {customer_id}, and 404 again without the probe's token, where a "
                                f"probe answers 200 ({{\"balances\": {{}}}} for a customer never credited) and 401 "
                                f"without its token. {PROBE_URL_SHAPE}")
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

    # -- probe v2 --------------------------------------------------------------------------------------
    def capabilities(self) -> frozenset[str]:
        """The products the merchant integrates; {"invoices"} for a probe v1 merchant (404). Asked once."""
        if self._capabilities is None:
            response = self._answer("GET", "/capabilities", "/capabilities")
            if response.status_code == 404:
                self._capabilities = V1_PRODUCTS
            elif response.status_code == 200:
                self._capabilities = frozenset(self._v2.body("GET", "/capabilities", response)["products"])
            else:
                raise self._v2.violation("GET", "/capabilities", f"it answered {response.status_code}")
        return self._capabilities

    def open_channel(self, customer_id: str, pay_currency: str, receive_currency: str,
                     network: str | None = None) -> Channel:
        body = {"customer_id": customer_id, "pay_currency": pay_currency, "receive_currency": receive_currency}
        if network is not None:
            body["network"] = network
        response = self._answer("POST", "/channels", "/channels", json=body)
        if response.status_code in (422, 502):
            raise MerchantError(f"merchant refused to open a channel: {response.status_code} "
                                f"{_said(response)}")
        if response.status_code not in (200, 201):
            raise self._v2.violation("POST", "/channels", f"it answered {response.status_code}")
        data = self._v2.body("POST", "/channels", response)
        return Channel(customer_id, data["channel_id"], data["address"], data["pay_currency"],
                       data["receive_currency"], data["network"], data["custom_id"], response.status_code == 201)

    def recorded_channel_payment(self, channel_payment_id: str) -> dict | None:
        """The merchant's record {channel_payment_id, channel_id, customer_id, status, status_context}, or None
        when it has none (404)."""
        template = "/channel-payments/{channel_payment_id}"
        response = self._answer("GET", template, f"/channel-payments/{quote(channel_payment_id, safe='')}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._v2.violation("GET", template, f"it answered {response.status_code} for channel payment "
                                                      f"{channel_payment_id}")
        return self._v2.body("GET", template, response)

    def fund_customer(self, customer_id: str, amount: Decimal, currency: str) -> dict[str, Decimal]:
        """Staging only: the merchant's back office gives a test customer money to withdraw; the new balances."""
        template = "/customers/{customer_id}/funding"
        response = self._answer("POST", template, f"/customers/{quote(customer_id, safe='')}/funding",
                                json={"amount": decimal_text(amount), "currency": currency})
        if response.status_code == 422:
            raise MerchantError(f"merchant refused to fund customer {customer_id}: {_said(response)}")
        if response.status_code != 201:
            raise self._v2.violation("POST", template, f"it answered {response.status_code}")
        data = self._v2.body("POST", template, response)
        return {cur: Decimal(value) for cur, value in data["balances"].items()}

    def request_payout(self, customer_id: str, amount: Decimal, currency: str, pay_currency: str, address: str,
                       network: str | None = None) -> Payout | PayoutRefusal:
        """The customer asks to withdraw `amount` `currency` as `pay_currency` to `address`: the payout the
        merchant created, or its refusal (422: nothing debited, e.g. high_risk_address; 502: Cryptopay)."""
        body = {"customer_id": customer_id, "amount": decimal_text(amount), "currency": currency,
                "pay_currency": pay_currency, "address": address}
        if network is not None:
            body["network"] = network
        response = self._answer("POST", "/payouts", "/payouts", json=body)
        if response.status_code in (422, 502):
            error = self._v2.body("POST", "/payouts", response)["error"]
            return PayoutRefusal(customer_id, response.status_code, error["code"], error["message"])
        if response.status_code != 201:
            raise self._v2.violation("POST", "/payouts", f"it answered {response.status_code}")
        data = self._v2.body("POST", "/payouts", response)
        return Payout(customer_id, data["payout_id"], data["coin_withdrawal_id"], data["status"])

    def recorded_payout(self, payout_id: str) -> RecordedPayout | None:
        template = "/payouts/{payout_id}"
        response = self._answer("GET", template, f"/payouts/{quote(payout_id, safe='')}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._v2.violation("GET", template, f"it answered {response.status_code} for payout {payout_id}")
        return recorded_payout(self._v2.body("GET", template, response))


def recorded_payout(data: dict) -> RecordedPayout:
    debited = data["debited"]
    return RecordedPayout(data["payout_id"], data["coin_withdrawal_id"], data["customer_id"], data["status"],
                          (Decimal(debited["amount"]), debited["currency"]) if debited else None,
                          bool(data["refunded"]))


def _said(response: requests.Response) -> str:
    """The merchant's own error code and message for a documented refusal (never more than a short line)."""
    try:
        error = json.loads(response.content)["error"]
        return f"{error['code']}: {error['message']}"[:300]
    except (ValueError, KeyError, TypeError, RecursionError):
        return response.text[:300]
