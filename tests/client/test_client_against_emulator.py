"""The client end to end against a real emulator on loopback: signed calls, typed errors, wrong credentials."""
from __future__ import annotations

from decimal import Decimal
from typing import Iterator

import pytest

from cryptopay_client import CryptopayClient, CryptopayError, TransportError
from cryptopay_emulator import EmulatorConfig, create_app
from support.targets.servers import ServerThread


@pytest.fixture
def api_url() -> Iterator[str]:
    emulator = create_app(EmulatorConfig(api_key="key-1", api_secret="secret-1", callback_secret="cb-1"))
    server = ServerThread(emulator.wsgi, "emulator").start()
    yield server.url
    server.stop()


def test_create_retrieve_by_id_custom_id_and_list(api_url: str) -> None:
    client = CryptopayClient(api_url, "key-1", "secret-1")
    created = client.create_invoice(price_amount="100.0", price_currency="EUR", pay_currency="BTC",
                                    custom_id="order 1/ü", customer_id="c1")
    assert created["status"] == "new" and created["price_amount"] == "100.0"
    assert client.retrieve_invoice(created["id"]) == created
    assert client.retrieve_invoice_by_custom_id("order 1/ü")["id"] == created["id"]
    listed = client.list_invoices(customer_id="c1")
    assert [i["id"] for i in listed["data"]] == [created["id"]] and listed["meta"]["total"] == 1
    assert isinstance(Decimal(created["pay_amount"]), Decimal)


def test_errors_become_typed_exceptions_with_code_and_request_id(api_url: str) -> None:
    client = CryptopayClient(api_url, "key-1", "secret-1")
    with pytest.raises(CryptopayError) as missing:
        client.retrieve_invoice("00000000-0000-0000-0000-000000000000")
    assert missing.value.status == 404 and missing.value.code == "not_found"
    assert len(missing.value.request_id) == 32
    client.create_invoice(price_amount="1.0", price_currency="EUR", pay_currency="BTC", custom_id="dup")
    with pytest.raises(CryptopayError) as duplicate:
        client.create_invoice(price_amount="1.0", price_currency="EUR", pay_currency="BTC", custom_id="dup")
    assert duplicate.value.status == 409 and duplicate.value.code == "duplicate_custom_id"
    with pytest.raises(CryptopayError) as invalid:
        client.list_invoices(starting_after="not-a-uuid")
    assert invalid.value.status == 422 and invalid.value.detail_codes() == ["must_be_uuid"]


def test_a_wrong_secret_gets_401_unauthenticated_and_never_shows_the_secret(api_url: str) -> None:
    client = CryptopayClient(api_url, "key-1", "not-the-secret")
    with pytest.raises(CryptopayError) as error:
        client.list_invoices()
    assert error.value.status == 401 and error.value.code == "unauthenticated"
    assert "not-the-secret" not in str(error.value) and "not-the-secret" not in repr(client)


def test_an_unreachable_api_is_a_transport_error_naming_the_url() -> None:
    client = CryptopayClient("http://127.0.0.1:9", "k", "s", timeout=2)
    with pytest.raises(TransportError, match="127.0.0.1:9"):
        client.list_invoices()


def test_channel_methods_page_like_the_sdk_pagers_and_escape_custom_ids(api_url: str) -> None:
    """Every channel once, through `starting_after` until `has_more` is false, as the official clients' pagers do."""
    client = CryptopayClient(api_url, "key-1", "secret-1")
    made = [client.create_channel(name=f"c{i}", pay_currency="BTC", receiver_currency="EUR", customer_id="cust")
            for i in range(55)]
    client.create_channel(name="other", pay_currency="ETH", receiver_currency="EUR", custom_id="shop/42 ü")
    seen, query = [], {"customer_id": "cust"}
    while True:
        page = client.channels(**query)
        seen += [c["id"] for c in page["data"]]
        if not page["meta"]["has_more"]:
            break
        query["starting_after"] = page["data"][-1]["id"]
    assert seen == [c["id"] for c in reversed(made)]
    assert client.channel_by_custom_id("shop/42 ü")["name"] == "other"
    assert client.update_channel(made[0]["id"], status="disabled")["status"] == "disabled"
    assert client.channel(made[0]["id"])["status"] == "disabled"
    assert client.channel_payments(made[0]["id"]) == {"data": [], "meta": {"total": 0, "has_more": False}}
    with pytest.raises(CryptopayError) as missing:
        client.channel_payment(made[0]["id"], "00000000-0000-4000-8000-000000000000")
    assert missing.value.status == 404


def test_rates_and_coins(api_url: str) -> None:
    client = CryptopayClient(api_url, "key-1", "secret-1")
    assert client.rates()["BTC/EUR"] == client.rate("BTC", "EUR")
    assert {"BTC", "ETH", "USDT"} <= {coin["currency"] for coin in client.coins()}
