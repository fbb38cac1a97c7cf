"""Every probe answer the suite reads is checked against docs/openapi/probe-v1.yaml, and a broken one names its rule."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Iterator

import pytest

from support.drivers.merchant import (MerchantError, ProbeContractError, ProbeMerchant, ProbeNotFound,
                                      ProbeTokenRejected)
from support.targets.secrets import Secret
from support.targets.servers import ServerThread

I1, I2 = "7e274430-9c5b-4c7b-a8c1-1c6f1c6a0b11", "0b8e3c4e-1d2f-4a5b-9c8d-7e6f5a4b3c2d"  # Cryptopay's ids: UUIDs
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
        if not environ.get("HTTP_AUTHORIZATION"):  # as a probe does: nothing without its token
            status, body = 401, b'{"error":{"code":"unauthorized","message":"a probe token is required"}}'
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


def test_a_404_from_what_is_no_probe_says_so_and_what_the_url_looks_like() -> None:
    # A web server that answers 404 to everything, with or without the token: nothing there speaks the probe.
    def site(environ, start_response):  # noqa: ANN001, ANN202
        start_response("404 Not Found", [("Content-Type", "text/html")])
        return [b"<h1>Not Found</h1>"]

    server = ServerThread(site, "a site, no probe").start()
    try:
        with pytest.raises(ProbeNotFound) as failed:
            ProbeMerchant(server.url, Secret("t" * 32), timeout=5).balances("new")
    finally:
        server.stop()
    message = str(failed.value)
    assert message.startswith(f"nothing at {server.url} speaks the certification probe"), message
    assert "e.g. https://staging.example.com/probe" in message and "never 404" not in message
    assert not isinstance(failed.value, ProbeContractError) and isinstance(failed.value, MerchantError)


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
    canned.set(f"/probe/invoices/{I1}", 200, {"invoice_id": I1, "status": "paid", "status_context": None})
    message = _failure(lambda: probe.recorded_invoice(I1))
    assert "status is one of new, unresolved, completed, refunded, cancelled: status is \"paid\"" in message, message
    canned.set(f"/probe/invoices/{I1}", 200, {"invoice_id": I1, "status": "unresolved", "status_context": "underpaid"})
    assert probe.recorded_invoice(I1)["status_context"] == "underpaid"


def test_an_invoice_answer_outside_the_contract_names_the_operation(canned: CannedProbe, probe: ProbeMerchant) -> None:
    canned.set(f"/probe/invoices/{I1}", 500, {"error": {"code": "internal", "message": "boom"}})
    message = _failure(lambda: probe.recorded_invoice(I1))
    assert "GET /invoices/{id} answers 200 with the merchant's record, or 404" in message, message
    canned.set(f"/probe/invoices/{I2}", 404, {"error": {"code": "not_found", "message": "never created"}})
    assert probe.recorded_invoice(I2) is None


def test_a_callback_log_entry_must_say_what_the_endpoint_answered(canned: CannedProbe, probe: ProbeMerchant) -> None:
    path = f"/probe/invoices/{I1}/callbacks"
    canned.set(path, 200, {"invoice_id": I1, "callbacks": [GOOD_ENTRY]})
    assert probe.received_callbacks(I1) == [GOOD_ENTRY]
    canned.set(path, 200, {"invoice_id": I1, "callbacks": [{k: v for k, v in GOOD_ENTRY.items()
                                                              if k != "answered_status"}]})
    message = _failure(lambda: probe.received_callbacks(I1))
    assert "each callback log entry carries answered_status" in message and "has no answered_status" in message
    canned.set(path, 200, {"invoice_id": I1, "callbacks": [{**GOOD_ENTRY, "answered_status": "200 OK"}]})
    assert "callbacks.0.answered_status is \"200 OK\"" in _failure(lambda: probe.received_callbacks(I1))
    canned.set(path, 404, {"error": {"code": "not_found", "message": "not offered"}})
    assert probe.received_callbacks(I1) is None


def test_a_created_deposit_must_name_its_invoice(canned: CannedProbe, probe: ProbeMerchant) -> None:
    canned.set("/probe/deposits", 201, {"invoice_id": 7, "custom_id": "d-1"})
    message = _failure(lambda: probe.create_deposit("c", Decimal("1.00"), "EUR", "BTC"))
    assert "a created deposit names Cryptopay's invoice_id as Cryptopay gave it, a UUID: invoice_id is the JSON " \
           "number 7" in message, message
    canned.set("/probe/deposits", 200, {"invoice_id": I1, "custom_id": "d-1"})
    assert "POST /deposits answers 201" in _failure(lambda: probe.create_deposit("c", Decimal("1.00"), "EUR", "BTC"))
    canned.set("/probe/deposits", 201, {"invoice_id": I1, "custom_id": "d-1"})
    assert probe.create_deposit("c", Decimal("1.00"), "EUR", "BTC", "Dépôt").invoice_id == I1


# -- the formats, to the letter (issue 23, point 8): each failure names the field and the rule ------------------
@pytest.mark.parametrize("received_at", ["2026-12-04 02:53:01 +0000",  # Ruby's Time#to_s
                                         "2026-12-04T02:53:01",  # no offset: SQLite's naive time, isoformat()
                                         "2026-12-04T02:53:01+0000",  # an offset without its colon
                                         "2026-13-04T02:53:01Z",  # no month 13
                                         "Fri, 04 Dec 2026 02:53:01 GMT"])  # an HTTP date
def test_a_received_at_that_is_not_an_rfc3339_date_time_is_refused_naming_field_and_rule(
        canned: CannedProbe, probe: ProbeMerchant, received_at: str) -> None:
    canned.set(f"/probe/invoices/{I1}/callbacks", 200, {"invoice_id": I1, "callbacks": [
        GOOD_ENTRY, {**GOOD_ENTRY, "received_at": received_at}]})
    message = _failure(lambda: probe.received_callbacks(I1))
    assert message.startswith("probe-v1: each callback log entry's received_at is an RFC 3339 date-time (format "
                              "date-time: an RFC 3339 date-time, a T between date and time and a UTC offset"), message
    assert f"callbacks.1.received_at is {json.dumps(received_at)}" in message and "callbacks.0" not in message


@pytest.mark.parametrize("received_at", ["2026-01-05T10:00:01Z", "2026-01-05T10:00:01.123456+00:00",
                                         "2026-01-05t10:00:01.5-05:30"])
def test_every_rfc3339_date_time_is_taken(canned: CannedProbe, probe: ProbeMerchant, received_at: str) -> None:
    entry = {**GOOD_ENTRY, "received_at": received_at}
    canned.set(f"/probe/invoices/{I1}/callbacks", 200, {"invoice_id": I1, "callbacks": [entry]})
    assert probe.received_callbacks(I1) == [entry]


@pytest.mark.parametrize("amount", ["100.00\n", "1e2", " 100.00", "١٠٠"])
def test_money_that_is_not_a_plain_decimal_string_is_refused_naming_field_and_rule(
        canned: CannedProbe, probe: ProbeMerchant, amount: str) -> None:
    canned.set("/probe/customers/c/balance", 200, {"customer_id": "c", "balances": {"EUR": amount}})
    message = _failure(lambda: probe.balances("c"))
    assert message.startswith("probe-v1: money is a decimal string"), message
    assert f"balances.EUR is {json.dumps(amount, ensure_ascii=False)}" in message, message


def test_an_id_that_is_not_cryptopays_is_refused_naming_field_and_rule(canned: CannedProbe,
                                                                       probe: ProbeMerchant) -> None:
    canned.set(f"/probe/invoices/{I1}", 200, {"invoice_id": "deposit-42", "status": "new", "status_context": None})
    message = _failure(lambda: probe.recorded_invoice(I1))
    assert message.startswith("probe-v1: a recorded invoice names its invoice_id, Cryptopay's UUID (format uuid: "
                              "Cryptopay's id as Cryptopay gives it, a UUID such as"), message
    assert 'invoice_id is "deposit-42"' in message
    canned.set("/probe/deposits", 201, {"invoice_id": "inv_42", "custom_id": "d-1"})
    assert 'invoice_id is "inv_42"' in _failure(lambda: probe.create_deposit("c", Decimal("1.00"), "EUR", "BTC"))
    canned.set(f"/probe/invoices/{I1}", 200, {"invoice_id": I1.upper(), "status": "new", "status_context": None})
    assert probe.recorded_invoice(I1)["status"] == "new"  # a UUID in capitals is still one
