"""The reference merchant's real probe v2 answers, every operation v2 added and each documented status, checked
against docs/openapi/probe-v2.yaml with jsonschema; v2 repeats the v1 operations unchanged."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Iterator

import jsonschema
import pytest
import yaml
from sqlalchemy import text

from support.drivers.merchant import PROBE_FORMATS, PROBE_SPEC, PROBE_V2_SPEC, RULE, inline_refs
from tests.merchant.harness import PAYOUT_OPTIONS, Shop, running_shop, sqlite_url
from tests.merchant.test_openapi_contract import Contract

ROOT = Path(__file__).resolve().parents[2]
RISKY = "2NBjwW5J9rLkBiCMPnpWUSsXJqFqWkJ8Ju8"  # made high-risk at the emulator by the test that uses it
V1_PATHS = {"/deposits", "/customers/{customer_id}/balance", "/invoices/{invoice_id}",
            "/invoices/{invoice_id}/callbacks"}


@pytest.fixture(scope="module")
def spec() -> dict:
    return yaml.safe_load(PROBE_V2_SPEC.read_text())


@pytest.fixture
def payouts_shop(tmp_path: Path) -> Iterator[Shop]:
    with running_shop(sqlite_url(tmp_path), **PAYOUT_OPTIONS) as started:
        yield started


def test_every_operation_v2_added_and_each_status_matches_the_reference_merchant(payouts_shop: Shop,
                                                                                  spec: dict) -> None:
    shop, contract = payouts_shop, Contract(spec)

    def call(method: str, path: str, **kwargs) -> dict:
        return contract.check(shop.probe(method, path, **kwargs), "/probe")

    assert call("GET", "/capabilities") == {"probe_version": 2, "products": ["invoices", "channels", "payouts"]}
    opening = {"customer_id": "olga", "pay_currency": "BTC", "receive_currency": "EUR"}
    jsonschema.Draft4Validator(contract.request_schema("POST", "/channels")).validate(opening)
    channel = call("POST", "/channels", json=opening)
    assert call("POST", "/channels", json=opening) == channel  # 200, the same channel
    call("POST", "/channels", json={**opening, "receive_currency": ""})  # 422
    call("POST", "/channels", json={**opening, "pay_currency": "XXX"})  # Cryptopay refuses it: 502
    payment = shop.pay_channel(channel, risk_level="high")
    shop.wait_payment_recorded(payment["id"], "on_hold", "illicit_resource")
    assert call("GET", f"/channel-payments/{payment['id']}")["status_context"] == "illicit_resource"
    call("GET", "/channel-payments/never-seen")  # 404

    funding = {"amount": "100.00", "currency": "EUR"}
    jsonschema.Draft4Validator(contract.request_schema("POST", "/customers/x/funding")).validate(funding)
    assert call("POST", "/customers/olga/funding", json=funding)["balances"] == {"EUR": "100.00"}
    call("POST", "/customers/olga/funding", json={"amount": 100})  # 422
    request = {"customer_id": "olga", "amount": "20.00", "currency": "EUR", "pay_currency": "BTC",
               "address": "2N9wPGx67zdSeAbXi15qHgoZ9Hb9Uxhd2uQ"}
    jsonschema.Draft4Validator(contract.request_schema("POST", "/payouts")).validate(request)
    call("POST", "/payouts", json=request)  # the emulated account holds no euros: Cryptopay refuses, 502
    shop.fund_account(EUR="1000.0")
    placed = call("POST", "/payouts", json=request)
    shop.control.add_high_risk_address("2NBjwW5J9rLkBiCMPnpWUSsXJqFqWkJ8Ju8")
    refused = call("POST", "/payouts", json={**request, "address": "2NBjwW5J9rLkBiCMPnpWUSsXJqFqWkJ8Ju8"})
    assert refused["error"]["code"] == "high_risk_address"
    shop.wait_payout_recorded(placed["payout_id"], "completed")
    assert call("GET", f"/payouts/{placed['payout_id']}")["debited"] == {"amount": "20.00", "currency": "EUR"}
    call("GET", "/payouts/never-created")  # 404
    for method, path in (("GET", "/capabilities"), ("POST", "/channels"), ("GET", f"/channel-payments/{payment['id']}"),
                         ("POST", "/customers/olga/funding"), ("POST", "/payouts"),
                         ("GET", f"/payouts/{placed['payout_id']}")):
        call(method, path, token="wrong-token", json=request if method == "POST" else None)

    documented = {(method.upper(), template, status) for template, item in spec["paths"].items()
                  if template not in V1_PATHS for method, operation in item.items()
                  for status in operation["responses"]}
    # The one status the reference merchant cannot show: it is a v2 merchant.
    not_reachable = {("GET", "/capabilities", "404")}
    assert documented - not_reachable == contract.seen, documented - not_reachable - contract.seen


def test_v2_repeats_every_v1_operation_unchanged(spec: dict) -> None:
    """A merchant that implemented v1 implements v1 of v2: same paths, same answers, same schemas."""
    v1 = yaml.safe_load(PROBE_SPEC.read_text())
    assert set(v1["paths"]) == V1_PATHS and all(spec["paths"][path] == v1["paths"][path] for path in V1_PATHS)
    for template in V1_PATHS:
        for method, operation in v1["paths"][template].items():
            for status, answer in operation["responses"].items():
                schema = answer.get("content", {}).get("application/json", {}).get("schema")
                if schema:
                    assert inline_refs(schema, v1) == inline_refs(schema, spec), (method, template, status)


def test_the_v2_validator_has_teeth(spec: dict) -> None:
    contract = Contract(spec)

    def schema(method: str, path: str, status: str) -> dict:
        _, operation = contract.operation(method, path)
        return inline_refs(operation["responses"][status]["content"]["application/json"]["schema"], spec)

    payout = schema("GET", "/payouts/p", "200")
    good = {"payout_id": "p", "coin_withdrawal_id": "w", "customer_id": "c", "status": "cancelled",
            "debited": {"amount": "20.00", "currency": "EUR"}, "refunded": True}
    jsonschema.validate(good, payout)
    jsonschema.validate({**good, "debited": None, "refunded": False}, payout)
    for broken in ({**good, "debited": {"amount": 20.0, "currency": "EUR"}}, {**good, "status": "paid"},
                   {**good, "refunded": "yes"}, {k: v for k, v in good.items() if k != "debited"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, payout)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"probe_version": 2, "products": ["invoices", "subscriptions"]},
                            schema("GET", "/capabilities", "200"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"channel_payment_id": "p", "channel_id": "c", "customer_id": "x", "status": "unresolved",
                             "status_context": None}, schema("GET", "/channel-payments/p", "200"))


def test_every_v2_operation_states_its_rule_and_its_examples_are_valid(spec: dict) -> None:
    missing = [f"{method.upper()} {template}" for template, item in spec["paths"].items()
               for method, operation in item.items() if not operation.get(RULE)]
    assert not missing, missing
    for item in spec["paths"].values():
        for operation in item.values():
            bodies = [operation.get("requestBody", {}).get("content", {}).get("application/json", {})]
            bodies += [r.get("content", {}).get("application/json", {}) for r in operation["responses"].values()]
            for body in bodies:
                examples = [body["example"]] if "example" in body else []
                examples += [named["value"] for named in body.get("examples", {}).values()]
                for example in examples:  # with the formats the suite enforces (ids, date-times, decimals)
                    jsonschema.validate(example, inline_refs(body["schema"], spec), format_checker=PROBE_FORMATS)
    assert len([1 for item in spec["paths"].values() for op in item.values()
                for r in op["responses"].values() if "example" in r.get("content", {}).get("application/json", {})]) > 8


def _example(spec: dict, method: str, template: str, status: str, name: str | None = None) -> dict:
    body = spec["paths"][template][method]["responses"][status]["content"]["application/json"]
    return body["examples"][name]["value"] if name else body["example"]


def test_the_answers_to_an_outside_developers_questions_are_what_the_reference_merchant_does(
        tmp_path: Path, spec: dict) -> None:
    """docs/probe-v2.md and the OpenAPI file answer, each with an example: the channel's name, currencies in
    capitals, Cryptopay's own 422 invalid, funds under charged_amount_to_send, a payout refused as high-risk. The
    examples are the reference merchant's real answers (the emulator's rates and fees are fixed)."""
    guide = (ROOT / "docs" / "probe-v2.md").read_text(encoding="utf-8")
    declared = {"payout_amount_field": "charged_amount_to_send"}
    with running_shop(sqlite_url(tmp_path), declared, **PAYOUT_OPTIONS) as shop:
        opening = {"customer_id": "cust-42", "pay_currency": "BTC", "receive_currency": "EUR"}
        sent = spec["paths"]["/channels"]["post"]["x-cryptopay-request"]
        channel = shop.client.channel(shop.open_channel("cust-42")["channel_id"])
        assert {key: channel[key] for key in ("name", "pay_currency", "receiver_currency", "customer_id")} == {
            key: sent[key] for key in ("name", "pay_currency", "receiver_currency", "customer_id")}
        lower = shop.probe("POST", "/channels", json={**opening, "pay_currency": "btc"})
        assert (lower.status_code, lower.json()) == (422, _example(spec, "post", "/channels", "422",
                                                                   "lower_case_currency"))
        shop.fund("cust-42", "20.00")
        no_euros = shop.payout("cust-42", "10.00")  # the emulated account holds no euros yet: Cryptopay's 422
        assert (no_euros.status_code, no_euros.json()) == (502, _example(spec, "post", "/payouts", "502",
                                                                         "cryptopay_invalid"))
        shop.fund_account(EUR="1000.0")
        fees = shop.payout("cust-42", "20.00")
        assert (fees.status_code, fees.json()) == (422, _example(spec, "post", "/payouts", "422", "fees_on_top"))
        shop.control.add_high_risk_address(RISKY)
        risky = shop.payout("cust-42", "10.00", address=RISKY)
        assert risky.status_code == 422 and risky.json()["error"]["code"] == "high_risk_address"
        assert set(risky.json()) == {"error"}  # no payout id to ask about
        with shop.engine.connect() as conn:
            refused = conn.execute(text("SELECT payout_id FROM payouts WHERE refusal = 'high_risk_address'")).scalar()
        asked = shop.probe("GET", f"/payouts/{refused}")
        assert (asked.status_code, asked.json()) == (404, _example(spec, "get", "/payouts/{payout_id}", "404"))
        assert shop.balances("cust-42") == {"EUR": Decimal("20.00")}
    for shown in (sent["name"], _example(spec, "post", "/channels", "422", "lower_case_currency"),
                  _example(spec, "post", "/payouts", "502", "cryptopay_invalid"),
                  _example(spec, "post", "/payouts", "422", "fees_on_top"),
                  _example(spec, "get", "/payouts/{payout_id}", "404")):
        text_shown = shown if isinstance(shown, str) else shown["error"]["message"]
        assert text_shown in guide, f"docs/probe-v2.md does not show {text_shown!r}"
