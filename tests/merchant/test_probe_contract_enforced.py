"""Every probe answer the suite reads is checked against docs/openapi/probe-v1.yaml, and a broken one names its rule."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Iterator

import pytest

from support.drivers.merchant import MerchantError, ProbeContractError, ProbeMerchant, ProbeTokenRejected
from support.targets.secrets import Secret
from support.targets.servers import ServerThread

GOOD_ENTRY = {"received_at": "2026-01-05T10:00:01+00:00", "event": "status_changed", "signature_valid": True,
              "answered_status": 200, "outcome": "no change", "raw_body": "{}"}


class CannedProbe:
    """A stand-in merchant probe answering whatever a test sets for a path: (status, raw body)."""

    def __init__(self):
        self.answers: dict[str, tuple[int, bytes]] = {}

    def set(self, path: str, status: int, body: object) -> None:
        self.answers[path] = (status, body if isinstance(body, bytes) else json.dumps(body).encode())

    def __call__(self, environ, start_response):
        status, body = self.answers.get(environ["PATH_INFO"], (500, b'{"error":{"code":"x","message":"unset"}}'))
        start_response(f"{status} X", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]


@pytest.fixture
def canned() -> Iterator[CannedProbe]:
    yield CannedProbe()


@pytest.fixture
def probe(canned: CannedProbe) -> Iterator[ProbeMerchant]:
    server = ServerThread(canned, "canned-probe").start()
    try:
        yield ProbeMerchant(f"{server.url}/probe", Secret("t" * 32), timeout=5)
    finally:
        server.stop()


def _failure(call) -> str:
    with pytest.raises(ProbeContractError) as failed:
        call()
    assert isinstance(failed.value, MerchantError)  # preflight reports every MerchantError by its str
    return str(failed.value)


def test_a_correct_balance_is_read_as_decimals(canned: CannedProbe, probe: ProbeMerchant) -> None:
    canned.set("/probe/customers/c/balance", 200, {"customer_id": "c", "balances": {"EUR": "100.00", "BTC": "0.0015"}})
    assert probe.balances("c") == {"EUR": Decimal("100.00"), "BTC": Decimal("0.0015")}


@pytest.mark.parametrize("raw, shown", [(b"100", "100"), (b"0.30000000000000004", "0.30000000000000004")])
def test_money_as_a_json_number_is_refused_naming_the_rule(canned: CannedProbe, probe: ProbeMerchant,
                                                           raw: bytes, shown: str) -> None:
    canned.set("/probe/customers/c/balance", 200, b'{"customer_id":"c","balances":{"EUR":' + raw + b"}}")
    message = _failure(lambda: probe.balances("c"))
    assert message.startswith("probe-v1: money is a decimal string"), message
    assert f"balances.EUR is the JSON number {shown}" in message, message


def test_a_balance_404_for_a_customer_never_credited_is_a_contract_violation(canned: CannedProbe,
                                                                              probe: ProbeMerchant) -> None:
    canned.set("/probe/customers/new/balance", 404, {"error": {"code": "not_found", "message": "no such customer"}})
    message = _failure(lambda: probe.balances("new"))
    assert "GET /customers/{id}/balance must answer 200 with {} for a customer never credited" in message, message
    assert "it answered 404 for customer new" in message


def test_a_rejected_token_is_not_a_contract_violation(canned: CannedProbe, probe: ProbeMerchant) -> None:
    canned.set("/probe/customers/c/balance", 401, {"error": {"code": "unauthorized", "message": "token"}})
    with pytest.raises(ProbeTokenRejected) as failed:
        probe.balances("c")
    assert not isinstance(failed.value, ProbeContractError) and "401" in str(failed.value)
    assert "MERCHANT_PROBE_TOKEN" in str(failed.value) and "t" * 32 not in str(failed.value)


def test_an_answer_that_is_not_json_is_refused(canned: CannedProbe, probe: ProbeMerchant) -> None:
    canned.set("/probe/customers/c/balance", 200, b"<html>ok</html>")
    assert _failure(lambda: probe.balances("c")).startswith("probe-v1: answers are JSON")


def test_an_unknown_invoice_status_names_the_allowed_ones(canned: CannedProbe, probe: ProbeMerchant) -> None:
    canned.set("/probe/invoices/i1", 200, {"invoice_id": "i1", "status": "paid", "status_context": None})
    message = _failure(lambda: probe.recorded_invoice("i1"))
    assert "status is one of new, unresolved, completed, refunded, cancelled: status is \"paid\"" in message, message
    canned.set("/probe/invoices/i1", 200, {"invoice_id": "i1", "status": "unresolved", "status_context": "underpaid"})
    assert probe.recorded_invoice("i1")["status_context"] == "underpaid"


def test_an_invoice_answer_outside_the_contract_names_the_operation(canned: CannedProbe, probe: ProbeMerchant) -> None:
    canned.set("/probe/invoices/i1", 500, {"error": {"code": "internal", "message": "boom"}})
    message = _failure(lambda: probe.recorded_invoice("i1"))
    assert "GET /invoices/{id} answers 200 with the merchant's record, or 404" in message, message
    canned.set("/probe/invoices/i2", 404, {"error": {"code": "not_found", "message": "never created"}})
    assert probe.recorded_invoice("i2") is None


def test_a_callback_log_entry_must_say_what_the_endpoint_answered(canned: CannedProbe, probe: ProbeMerchant) -> None:
    path = "/probe/invoices/i1/callbacks"
    canned.set(path, 200, {"invoice_id": "i1", "callbacks": [GOOD_ENTRY]})
    assert probe.received_callbacks("i1") == [GOOD_ENTRY]
    canned.set(path, 200, {"invoice_id": "i1", "callbacks": [{k: v for k, v in GOOD_ENTRY.items()
                                                              if k != "answered_status"}]})
    message = _failure(lambda: probe.received_callbacks("i1"))
    assert "each callback log entry carries answered_status" in message and "has no answered_status" in message
    canned.set(path, 200, {"invoice_id": "i1", "callbacks": [{**GOOD_ENTRY, "answered_status": "200 OK"}]})
    assert "callbacks.0.answered_status is \"200 OK\"" in _failure(lambda: probe.received_callbacks("i1"))
    canned.set(path, 404, {"error": {"code": "not_found", "message": "not offered"}})
    assert probe.received_callbacks("i1") is None


def test_a_created_deposit_must_name_its_invoice(canned: CannedProbe, probe: ProbeMerchant) -> None:
    canned.set("/probe/deposits", 201, {"invoice_id": 7, "custom_id": "d-1"})
    message = _failure(lambda: probe.create_deposit("c", Decimal("1.00"), "EUR", "BTC"))
    assert "a created deposit names Cryptopay's invoice_id as a non-empty string: invoice_id is the JSON number 7" \
        in message, message
    canned.set("/probe/deposits", 200, {"invoice_id": "i1", "custom_id": "d-1"})
    assert "POST /deposits answers 201" in _failure(lambda: probe.create_deposit("c", Decimal("1.00"), "EUR", "BTC"))
    canned.set("/probe/deposits", 201, {"invoice_id": "i1", "custom_id": "d-1"})
    assert probe.create_deposit("c", Decimal("1.00"), "EUR", "BTC", "Dépôt").invoice_id == "i1"
