"""The real error envelope for every refusal: 401 causes, 404 (routes too), 409, 422 details, 429 per key."""
from __future__ import annotations

import re
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import pytest
import requests

from cryptopay_client import CryptopayError
from cryptopay_client.signing import HmacAuth, sign
from tests.emulator.conftest import KEY, SECRET

pytestmark = pytest.mark.negative


def assert_envelope(answer: requests.Response, status: int, code: str) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    body = answer.json()
    assert set(body) == {"error", "meta"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and isinstance(body["error"]["details"], list)
    assert re.fullmatch(r"[0-9a-f]{32}", body["meta"]["request_id"])
    return body


def signed_headers(method: str, path: str, body: bytes = b"", *, key: str = KEY, secret: str = SECRET,
                   date: datetime | None = None) -> dict:
    stamp = format_datetime(date or datetime.now(timezone.utc), usegmt=True)
    return {"Date": stamp, "Content-Type": "application/json",
            "Authorization": f"HMAC {key}:{sign(secret, method, body or None, stamp, path)}"}


@pytest.mark.security
@pytest.mark.parametrize("case", ["wrong secret", "unknown key", "stale date", "future date", "no authorization",
                                  "no date", "not hmac", "tampered body", "tampered path"])
def test_each_authentication_failure_is_401_unauthenticated(emu, case) -> None:
    path, body = "/api/invoices", b'{"price_amount":"1.0","price_currency":"EUR","pay_currency":"BTC"}'
    headers = signed_headers("POST", path, body, secret="wrong" if case == "wrong secret" else SECRET,
                             key="someone-else" if case == "unknown key" else KEY,
                             date={"stale date": datetime.now(timezone.utc) - timedelta(minutes=16),
                                   "future date": datetime.now(timezone.utc) + timedelta(minutes=16)}.get(case))
    if case == "no authorization":
        del headers["Authorization"]
    if case == "no date":
        del headers["Date"]
    if case == "not hmac":
        headers["Authorization"] = headers["Authorization"].replace("HMAC ", "Basic ")
    sent_body = body.replace(b"1.0", b"9.0") if case == "tampered body" else body
    sent_path = "/api/invoices?x=1" if case == "tampered path" else path
    answer = requests.post(emu.url + sent_path, data=sent_body, headers=headers, timeout=10)
    assert_envelope(answer, 401, "unauthenticated")
    assert emu.app.backends.invoices.list()["meta"]["total"] == 0


@pytest.mark.security
def test_a_date_within_the_15_minute_tolerance_and_any_accepted_format_is_fine(emu) -> None:
    for date in (format_datetime(datetime.now(timezone.utc) - timedelta(minutes=14), usegmt=True),
                 datetime.now(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S +0000"),  # PHP's RFC 2822
                 datetime.now(timezone.utc).replace(microsecond=0).isoformat()):  # the docs' ISO 8601
        headers = {"Date": date, "Content-Type": "application/json",
                   "Authorization": f"HMAC {KEY}:{sign(SECRET, 'GET', None, date, '/api/invoices')}"}
        assert requests.get(emu.url + "/api/invoices", headers=headers, timeout=10).status_code == 200, date


@pytest.mark.parametrize("path", ["/api/nothing", "/api/invoices/x/y/z", "/nothing", "/"])
def test_unknown_routes_are_404_not_found_in_the_envelope(emu, path) -> None:
    answer = requests.get(emu.url + path, auth=HmacAuth(KEY, SECRET), timeout=10)
    assert_envelope(answer, 404, "not_found")


def test_a_wrong_method_is_refused_in_the_envelope_not_with_a_500(emu) -> None:
    answer = requests.delete(emu.url + "/api/invoices", auth=HmacAuth(KEY, SECRET), timeout=10)
    assert_envelope(answer, 405, "method_not_allowed")


def test_missing_and_wrong_fields_are_422_invalid_with_every_problem_listed(emu) -> None:
    with pytest.raises(CryptopayError) as refused:
        emu.client.create_invoice(price_amount="-1", price_currency="XXX", pay_currency="EUR", metadata={"a": 1})
    assert refused.value.status == 422 and refused.value.code == "invalid"
    assert {(d["code"], d["target"]) for d in refused.value.details} == {
        ("must_be_positive_decimal", "price_amount"), ("must_be_included_in", "price_currency"),
        ("must_be_included_in", "pay_currency"), ("must_be_string_map", "metadata")}
    listed = next(d for d in refused.value.details if d["target"] == "pay_currency")
    assert "BTC" in listed["args"]["list"] and "EUR" not in listed["args"]["list"]


def test_a_float_amount_is_refused_money_travels_as_strings(emu) -> None:
    answer = requests.post(emu.url + "/api/invoices", auth=HmacAuth(KEY, SECRET), timeout=10,
                           data=b'{"price_amount":100.5,"price_currency":"EUR","pay_currency":"BTC"}')
    assert assert_envelope(answer, 422, "invalid")["error"]["details"][0]["target"] == "price_amount"


def test_a_body_that_is_not_a_json_object_is_422(emu) -> None:
    for body in (b"{not json", b"[1, 2]", b"\xff\xfe", b'"text"'):
        answer = requests.post(emu.url + "/api/invoices", data=body, auth=HmacAuth(KEY, SECRET), timeout=10)
        assert_envelope(answer, 422, "invalid")


def test_recalculating_a_new_invoice_is_refused_with_its_own_code(emu) -> None:
    invoice = emu.client.create_invoice(price_amount="10.0", price_currency="EUR", pay_currency="BTC")
    with pytest.raises(CryptopayError) as refused:
        emu.client.create_recalculation(invoice["id"], force_commit=True)
    assert (refused.value.status, refused.value.code) == (422, "invoice_not_recalculatable")
    with pytest.raises(CryptopayError) as refused:
        emu.client.create_refund(invoice["id"])
    assert (refused.value.status, refused.value.code) == (422, "invoice_not_refundable")


@pytest.mark.parametrize("force", ['"yes"', "1", "null"])
def test_force_commit_must_be_a_boolean(emu, force) -> None:
    invoice = emu.client.create_invoice(price_amount="10.0", price_currency="EUR", pay_currency="BTC")
    answer = requests.post(f"{emu.url}/api/invoices/{invoice['id']}/recalculations", auth=HmacAuth(KEY, SECRET),
                           data=f'{{"force_commit":{force}}}'.encode(), timeout=10)
    assert answer.status_code == 422


def test_over_the_per_key_limit_is_429_in_the_envelope(live) -> None:
    emu = live(run_scheduler=False, rate_limit_per_minute=3)
    for _ in range(3):
        assert requests.get(emu.url + "/api/invoices", auth=HmacAuth(KEY, SECRET), timeout=10).status_code == 200
    answer = requests.get(emu.url + "/api/invoices", auth=HmacAuth(KEY, SECRET), timeout=10)
    assert_envelope(answer, 429, "too_many_requests")
    # unauthenticated requests are refused before they can eat the account's allowance
    assert requests.get(emu.url + "/api/invoices", timeout=10).status_code == 401


def test_the_default_limit_is_the_documented_200_a_minute(live) -> None:
    emu = live(run_scheduler=False)
    session = requests.Session()
    codes = [session.get(emu.url + "/api/invoices", auth=HmacAuth(KEY, SECRET), timeout=10).status_code
             for _ in range(201)]
    assert codes[:200] == [200] * 200 and codes[200] == 429


def test_a_recalculation_committed_after_30_emulated_seconds_is_422_over_http(emu) -> None:
    invoice = emu.client.create_invoice(price_amount="10.0", price_currency="EUR", pay_currency="BTC")
    emu.control("POST", "/payments", {"invoice_id": invoice["id"], "amount": "0.0001"})
    emu.control("POST", "/clock/advance", {"seconds": 601})
    pending = emu.client.create_recalculation(invoice["id"], force_commit=False)
    emu.control("POST", "/clock/advance", {"seconds": 31})
    with pytest.raises(CryptopayError) as refused:
        emu.client.commit_recalculation(invoice["id"], pending["id"])
    assert (refused.value.status, refused.value.code) == (422, "recalculation_expired")
    assert len(refused.value.request_id) == 32
    assert emu.client.retrieve_invoice(invoice["id"])["status_context"] == "underpaid"
