"""429s: GETs retried after Retry-After or jittered back-off, POSTs never sent twice, one budget across processes."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

import pytest
import requests
from requests.adapters import BaseAdapter

from cryptopay_client import CryptopayClient, RateLimited, RetryPolicy, SharedBudget
from cryptopay_client.budget import BudgetExhausted
from cryptopay_client.retry import parse_retry_after

ROOT = Path(__file__).resolve().parents[2]
INVOICE = {"id": "inv-1", "custom_id": "order-1", "status": "new"}


class Scripted(BaseAdapter):
    """Answers each request with the next scripted (status, body, headers) for its method and path."""

    def __init__(self, script: dict[tuple[str, str], list[tuple[int, dict, dict]]]):
        super().__init__()
        self.script, self.sent = script, []

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        key = (request.method, request.path_url)
        self.sent.append(key)
        status, body, headers = self.script[key].pop(0)
        response = requests.Response()
        response.status_code, response._content = status, json.dumps(body).encode()
        response.headers.update(headers)
        response.request, response.url = request, request.url
        return response

    def close(self) -> None:
        return None


def limited(headers: dict | None = None) -> tuple[int, dict, dict]:
    return 429, {"error": {"code": "too_many_requests", "message": "too many requests"}}, headers or {}


def ok(data: dict, status: int = 200) -> tuple[int, dict, dict]:
    return status, {"data": data}, {}


class CountingBudget:
    per_minute = 100

    def __init__(self) -> None:
        self.spent = 0

    def acquire(self, timeout: float) -> None:
        self.spent += 1

    def close(self) -> None:
        return None


def client_for(script: dict, policy: RetryPolicy | None = None, budget=None) -> tuple[CryptopayClient, Scripted, list]:
    adapter, slept = Scripted(script), []
    client = CryptopayClient("http://cryptopay.test", "key", "secret", adapter=adapter, budget=budget,
                             retry=policy or RetryPolicy(random=lambda: 0.5), sleep=slept.append)
    return client, adapter, slept


def test_a_get_answered_429_is_retried_after_retry_after_with_jitter_and_paid_for_each_time() -> None:
    budget = CountingBudget()
    client, adapter, slept = client_for({("GET", "/api/invoices/inv-1"): [limited({"Retry-After": "7"}), ok(INVOICE)]},
                                        budget=budget)
    assert client.retrieve_invoice("inv-1") == INVOICE
    assert slept == [7.5] and budget.spent == 2 and len(adapter.sent) == 2


def test_without_retry_after_the_back_off_doubles_and_keeps_half_of_each_step() -> None:
    client, _, slept = client_for({("GET", "/api/invoices/inv-1"): [limited(), limited(), limited(), ok(INVOICE)]},
                                  RetryPolicy(base=2, random=lambda: 0.0))
    client.retrieve_invoice("inv-1")
    assert slept == [1.0, 2.0, 4.0]


def test_jitter_spreads_the_waits_of_workers_refused_together() -> None:
    waits = {RetryPolicy(random=lambda r=r: r).delay(2, None) for r in (0.0, 0.3, 0.99)}
    assert len(waits) == 3 and all(4.0 <= w <= 8.0 for w in waits)


def test_a_get_gives_up_when_its_retries_are_spent() -> None:
    client, adapter, slept = client_for({("GET", "/api/invoices/inv-1"): [limited()] * 3},
                                        RetryPolicy(attempts=2, random=lambda: 0.5))
    with pytest.raises(RateLimited, match="gave up after the retries allowed") as error:
        client.retrieve_invoice("inv-1")
    assert error.value.status == 429 and len(adapter.sent) == 3 and len(slept) == 2


def test_a_post_without_custom_id_is_never_sent_twice() -> None:
    path = "/api/invoices/inv-1/refunds"
    client, adapter, slept = client_for({("POST", path): [limited(), ok({"id": "r"}, 201)]})
    with pytest.raises(RateLimited, match="not retried"):
        client.create_refund("inv-1")
    assert adapter.sent == [("POST", path)] and slept == []


def test_a_create_refused_with_429_but_applied_is_found_by_custom_id_not_sent_again() -> None:
    client, adapter, _ = client_for({
        ("POST", "/api/invoices"): [limited()],
        ("GET", "/api/invoices/custom_id/order-1"): [ok(INVOICE)]})
    assert client.create_invoice(price_amount="10.0", price_currency="EUR", pay_currency="BTC",
                                 custom_id="order-1") == INVOICE
    assert adapter.sent == [("POST", "/api/invoices"), ("GET", "/api/invoices/custom_id/order-1")]


def test_a_create_not_applied_is_sent_again_once_the_lookup_finds_nothing() -> None:
    missing = (404, {"error": {"code": "not_found", "message": "not found"}}, {})
    client, adapter, _ = client_for({
        ("POST", "/api/coin_withdrawals"): [limited(), ok({"id": "w-1"}, 201)],
        ("GET", "/api/coin_withdrawals/custom_id/pay-1"): [missing]})
    assert client.create_coin_withdrawal(address="a", custom_id="pay-1")["id"] == "w-1"
    assert [method for method, _ in adapter.sent] == ["POST", "GET", "POST"]


@pytest.mark.parametrize("header, seconds", [("12", 12.0), ("", None), ("soon", None), ("-3", None)])
def test_retry_after_in_seconds(header: str, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
    header = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(header, now=lambda: now) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=5), usegmt=True), now=lambda: now) == 0.0


def test_the_budget_never_lets_more_than_a_slice_through_and_says_so_when_it_stays_full(tmp_path: Path) -> None:
    budget = SharedBudget(tmp_path / "bucket.sqlite", 24)  # 2 per 5-second slice
    try:
        budget.acquire(timeout=1)
        budget.acquire(timeout=1)
        with pytest.raises(BudgetExhausted, match="24 requests a minute"):
            budget.acquire(timeout=0.2)
    finally:
        budget.close()


def test_on_a_scaled_clock_the_budget_holds_per_minute_of_cryptopay_s_clock(tmp_path: Path) -> None:
    budget = SharedBudget(tmp_path / "bucket.sqlite", 24, minute_seconds=6.0)  # x10: 2 per half-second slice
    try:
        budget.acquire(timeout=1)
        budget.acquire(timeout=1)
        with pytest.raises(BudgetExhausted, match="a minute of Cryptopay's clock: 6 s"):
            budget.acquire(timeout=0.1)
        budget.acquire(timeout=2)  # the next slice, well before a real one would have come
    finally:
        budget.close()


def test_processes_opening_the_same_file_share_one_budget(tmp_path: Path) -> None:
    path = tmp_path / "bucket.sqlite"
    other = ("import sys; from pathlib import Path; from cryptopay_client import SharedBudget\n"
             "b = SharedBudget(Path(sys.argv[1]), 60)\nfor _ in range(5): b.acquire(timeout=1)\nb.close()")
    subprocess.run([sys.executable, "-c", other, str(path)], cwd=ROOT, check=True, timeout=60)
    budget = SharedBudget(path, 60)  # 5 per 5-second slice: the other process spent them all
    try:
        with pytest.raises(BudgetExhausted):
            budget.acquire(timeout=0.2)
    finally:
        budget.close()


@pytest.mark.parametrize("per_minute", [10, 11, 50, 100, 199, 100_000])
def test_every_budget_the_settings_allow_can_be_opened(tmp_path: Path, per_minute: int) -> None:
    SharedBudget(tmp_path / "bucket.sqlite", per_minute).close()
