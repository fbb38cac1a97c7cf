"""Property tests: malformed, mistyped, huge or odd input, signed or not, never gets a 5xx and, refused, changes nothing."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from email.utils import format_datetime
from typing import Iterator
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cryptopay_client.signing import sign
from cryptopay_emulator import EmulatorApp, EmulatorConfig, create_app, money
from tests.emulator.conftest import CALLBACK_SECRET, KEY, SECRET

pytestmark = pytest.mark.negative
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10 ** 40, max_value=10 ** 40),
                    st.floats(allow_nan=False), st.text(max_size=40),
                    st.sampled_from(["1e999999", "NaN", "-Infinity", "0", "0.0", "-1", "1" * 60, "0." + "0" * 40 + "1",
                                     " 1.0 ", "١٢٣", "100.0", "BTC", "EUR", "ethereum", "\x00", "💸"]))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)
INVOICE_KEYS = ["price_amount", "price_currency", "pay_currency", "network", "custom_id", "customer_id", "name",
                "description", "metadata", "success_redirect_url", "unsuccess_redirect_url", "payer_email"]
WITHDRAWAL_KEYS = ["address", "charged_currency", "received_currency", "charged_amount", "charged_amount_to_send",
                   "received_amount", "network", "custom_id", "customer_id", "force_commit"]


def body_for(keys: list[str], near_valid: st.SearchStrategy | None = None) -> st.SearchStrategy:
    """Near-valid objects (so some are accepted), the right keys with anything as values, anything, or not JSON."""
    shapes = [st.dictionaries(st.sampled_from(keys), json_values, max_size=len(keys)).map(json.dumps),
              json_values.map(json.dumps), st.binary(max_size=64), st.text(max_size=64)]
    return st.one_of(*([near_valid.map(json.dumps)] * 3 if near_valid is not None else []), *shapes)


def mostly(valid: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(valid, valid, valid, json_values)


amounts = st.one_of(st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("1E15"), places=6),
                    st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("100"), places=8)).map(str)
near_valid_invoice = st.fixed_dictionaries(
    {"price_amount": mostly(amounts), "price_currency": mostly(st.sampled_from(money.FIAT + money.CRYPTO)),
     "pay_currency": mostly(st.sampled_from(money.CRYPTO))},
    optional={"network": mostly(st.sampled_from(["ethereum", "tron", "bitcoin", "solana"])),
              "custom_id": mostly(st.text(max_size=300)), "customer_id": mostly(st.text(max_size=20)),
              "metadata": mostly(st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3)),
              "name": json_values, "payer_email": json_values})
near_valid_withdrawal = st.fixed_dictionaries(
    {"address": mostly(st.text(min_size=1, max_size=60)),
     "charged_currency": mostly(st.sampled_from(money.CRYPTO + money.FIAT)),
     "received_currency": mostly(st.sampled_from(money.CRYPTO)),
     "received_amount": mostly(amounts)},
    optional={"force_commit": mostly(st.booleans()), "custom_id": mostly(st.text(max_size=10)),
              "network": json_values, "charged_amount": mostly(amounts)})


NEARLY_FROZEN = 1e-9  # emulated time barely moves, so no expiry can slip between a case's two snapshots


@pytest.fixture(scope="module")
def app() -> Iterator[EmulatorApp]:
    emulator = create_app(EmulatorConfig(api_key=KEY, api_secret=SECRET, callback_secret=CALLBACK_SECRET,
                                         rate_limit_per_minute=0, time_scale=NEARLY_FROZEN))
    yield emulator


@pytest.fixture(scope="module")
def client(app: EmulatorApp):
    return app.wsgi.test_client()


@pytest.fixture(scope="module")
def invoice_ids(app: EmulatorApp) -> dict[str, str]:
    """One invoice per interesting state, so resolution endpoints see real targets as well as junk."""
    backend = app.backends
    params = {"price_amount": "100.0", "price_currency": "EUR", "pay_currency": "BTC"}
    new, overpaid = backend.invoices.create(params), backend.invoices.create(params)
    backend.invoices.pay(invoice_id=overpaid["id"], amount=Decimal("1"))
    return {"new": new["id"], "overpaid": overpaid["id"]}


def snapshot(app: EmulatorApp) -> str:
    backend, rows, cursor = app.backends, [], None
    while True:
        page = backend.invoices.list(starting_after=cursor)
        rows += page["data"]
        if not page["meta"]["has_more"]:
            break
        cursor = page["data"][-1]["id"]
    refunds = [backend.resolutions.list_refunds(row["id"]) for row in rows if row["status"] != "new"]
    return json.dumps([rows, refunds, backend.account.balances.to_json(), app.backends.withdrawals.list(), len(app.deliverer.log())])


def signed_request(client, method: str, path: str, body: bytes | str | None):
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    date = format_datetime(datetime.now(timezone.utc), usegmt=True)
    headers = {"Date": date, "Content-Type": "application/json",
               "Authorization": f"HMAC {KEY}:{sign(SECRET, method, raw or None, date, path)}"}
    return client.open(path, method=method, data=raw, headers=headers, environ_overrides={"REQUEST_URI": path})


def assert_no_5xx_and_no_change_when_refused(app, client, method, path, body) -> None:
    before = snapshot(app)
    answer = signed_request(client, method, path, body)
    assert answer.status_code < 500, (method, path, body, answer.get_data()[:300])
    assert answer.is_json, answer.get_data()[:200]
    if answer.status_code >= 400:
        assert set(answer.get_json()) == {"error", "meta"}
        assert snapshot(app) == before, f"refused {method} {path} {body!r} still changed state"


@FUZZ
@given(body=body_for(INVOICE_KEYS, near_valid_invoice))
def test_invoice_creation_never_5xx(app, client, body) -> None:
    assert_no_5xx_and_no_change_when_refused(app, client, "POST", "/api/invoices", body)


@FUZZ
@given(target=st.sampled_from(["new", "overpaid", "junk"]), action=st.sampled_from(["recalculations", "refunds"]),
       body=st.one_of(st.none(), body_for(["force_commit", "address"])))
def test_resolutions_never_5xx(app, client, invoice_ids, target, action, body) -> None:
    invoice_id = invoice_ids.get(target, "not-an-id")
    assert_no_5xx_and_no_change_when_refused(app, client, "POST", f"/api/invoices/{invoice_id}/{action}", body)


@FUZZ
@given(body=body_for(WITHDRAWAL_KEYS, near_valid_withdrawal))
def test_coin_withdrawals_never_5xx(app, client, body) -> None:
    assert_no_5xx_and_no_change_when_refused(app, client, "POST", "/api/coin_withdrawals", body)


segments = st.text(min_size=0, max_size=30)


@FUZZ
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
       parts=st.lists(segments, min_size=1, max_size=5),
       query=st.dictionaries(st.sampled_from(["starting_after", "customer_id", "x"]), segments, max_size=2))
def test_odd_paths_and_queries_never_5xx(app, client, method, parts, query) -> None:
    path = "/api/" + "/".join(quote(p, safe="") for p in parts)
    if query:
        path += "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
    assert_no_5xx_and_no_change_when_refused(app, client, method, path, None)


header_text = st.text(max_size=60).map(lambda s: s.replace("\r", " ").replace("\n", " "))  # HTTP forbids these


@FUZZ
@given(authorization=st.one_of(st.none(), header_text, st.just(f"HMAC {KEY}:"),
                               header_text.map(lambda s: f"HMAC {KEY}:{s}")),
       date=st.one_of(st.none(), header_text, st.sampled_from(["Tue, 31 Feb 2021 25:61:61 GMT",
                                                                        "9999-12-31T23:59:59", "0", "-1e9"])))
def test_garbage_credentials_are_401_never_5xx(app, client, authorization, date) -> None:
    headers = {k: v for k, v in (("Authorization", authorization), ("Date", date)) if v is not None}
    headers = {k: v.encode("utf-8", "surrogatepass").decode("latin-1") for k, v in headers.items()}
    before = snapshot(app)
    answer = client.post("/api/invoices", data=b'{"price_amount":"1.0","price_currency":"EUR","pay_currency":"BTC"}',
                         headers=headers)
    assert answer.status_code == 401 and snapshot(app) == before


CONTROL = [("POST", "/_emulator/payments"), ("POST", "/_emulator/clock/scale"), ("PUT", "/_emulator/settings"),
           ("PUT", "/_emulator/rates/BTC/EUR"), ("PUT", "/_emulator/balances"),
           ("POST", "/_emulator/invoices/{new}/monitoring_decision"), ("POST", "/_emulator/clock/advance")]


@FUZZ
@given(endpoint=st.sampled_from(CONTROL),
       body=body_for(["invoice_id", "address", "amount", "risk_level", "confirmed", "scale", "unresolved",
                      "callback_url", "rate", "BTC", "outcome", "seconds"]))
def test_the_control_api_never_5xx_either(app, client, invoice_ids, endpoint, body) -> None:
    method, path = endpoint
    raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    answer = client.open(path.format(**invoice_ids), method=method, data=raw)
    assert answer.status_code < 500, (path, body, answer.get_data()[:300])
    app.clock.set_scale(NEARLY_FROZEN)  # a fuzzed scale must not make the rest of the run race through days


def test_the_fuzzers_requests_do_get_past_authentication(app, client) -> None:
    """Guards the property tests above: were signing broken, every case would be a harmless 401."""
    body = '{"price_amount":"1.0","price_currency":"EUR","pay_currency":"BTC"}'
    assert signed_request(client, "POST", "/api/invoices", body).status_code == 201
    assert signed_request(client, "GET", "/api/invoices?customer_id=a%20b", None).status_code == 200
    assert signed_request(client, "GET", "/api/invoices/custom_id/%F0%9F%92%B8", None).status_code == 404
