"""Issue 21 points 3-5: no client of the suite follows a redirect; the request never reaches the other host."""
from __future__ import annotations

from decimal import Decimal

import pytest

from cryptopay_client import CryptopayClient
from cryptopay_client.http import RedirectRefused
from support.drivers.emulator import ControlError, EmulatorControl
from support.drivers.merchant import ProbeAnswerRefused, ProbeMerchant
from support.targets.secrets import Secret
from tests.hostile.servers import HostileServer, json_answer, redirect

TOKEN = "probe-token-HOSTILE-1"


@pytest.fixture()
def elsewhere():
    """The host a redirect points at: a stand-in for production, on loopback under another name and port. It
    records whatever reaches it, and answers like the real thing would."""
    with HostileServer(json_answer(201, {"data": {"id": "stolen", "status": "new"}}), host="127.0.0.2") as server:
        yield server


def redirecting_to(target: str, status: int = 307) -> HostileServer:
    return HostileServer(redirect(target, status))


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_the_cryptopay_client_never_resends_a_request_where_a_redirect_points(elsewhere, status: int) -> None:
    with redirecting_to(f"{elsewhere.url}/api/invoices", status) as cryptopay:
        client = CryptopayClient(cryptopay.url, "key", "api-secret", timeout=5)
        with pytest.raises(RedirectRefused) as refused:
            client.create_invoice(price_amount="10", price_currency="EUR", pay_currency="BTC")
    assert elsewhere.received == [], "the request, body and signature, went to the other host"
    assert len(cryptopay.received) == 1
    message = str(refused.value)
    assert message.startswith("CRYPTOPAY_API_URL: POST /api/invoices answered") and "127.0.0.2" in message


def test_a_redirect_to_the_production_api_is_named_and_never_followed() -> None:
    with redirecting_to("https://business.cryptopay.me/api/invoices") as cryptopay:
        client = CryptopayClient(cryptopay.url, "key", "api-secret", timeout=5)
        with pytest.raises(RedirectRefused) as refused:
            client.retrieve_invoice("inv-1")
    assert "another address (business.cryptopay.me)" in str(refused.value)
    assert "nothing was sent there" in str(refused.value)


def test_the_emulator_control_driver_never_follows_a_redirect(elsewhere) -> None:
    with redirecting_to(f"{elsewhere.url}/_emulator/payments") as control:
        with pytest.raises(ControlError) as refused:
            EmulatorControl(control.url + "/_emulator", timeout=5).pay("inv-1", Decimal("0.01"))
    assert elsewhere.received == []
    assert str(refused.value).startswith("EMULATOR_CONTROL_URL: POST /_emulator/payments answered 307")


def test_the_probe_client_never_follows_a_merchant_redirect(elsewhere) -> None:
    with redirecting_to(f"{elsewhere.url}/payouts") as merchant:
        probe = ProbeMerchant(merchant.url, Secret(TOKEN), timeout=5)
        with pytest.raises(ProbeAnswerRefused) as refused:
            probe.request_payout("cust-1", Decimal("10"), "EUR", "BTC", "2N1address")
    assert elsewhere.received == [], "the probe token and the payout went to the other host"
    assert str(refused.value).startswith("MERCHANT_PROBE_URL: POST /payouts answered 307, a redirect to another "
                                         "address (127.0.0.2)")


def test_a_redirect_on_the_same_host_is_not_followed_either() -> None:
    with redirecting_to("/v2/customers/cust-1/balance", 302) as merchant:
        with pytest.raises(ProbeAnswerRefused) as refused:
            ProbeMerchant(merchant.url, Secret(TOKEN), timeout=5).balances("cust-1")
    assert len(merchant.received) == 1
    assert "a redirect elsewhere on the same host" in str(refused.value)
    assert "GET /customers/{customer_id}/balance" in str(refused.value)


def test_a_hostile_location_is_never_echoed(elsewhere) -> None:
    """Merchant text is inert: a Location full of terminal escapes is named as an address not shown."""
    with redirecting_to("http://\x1b]0;READY\x07evil.example/x") as merchant:
        with pytest.raises(ProbeAnswerRefused) as refused:
            ProbeMerchant(merchant.url, Secret(TOKEN), timeout=5).balances("cust-1")
    assert "\x1b" not in str(refused.value) and "an address not shown" in str(refused.value)
