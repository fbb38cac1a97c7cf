"""The emulator and the reference merchant as servers against slow peers (issue 21, points 11 and 12)."""
from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Callable, Iterator

import pytest
import requests

from support.drivers.waiting import wait_until
from support.targets.offline_proof import clean_env, start
from tests.emulator.conftest import live  # noqa: F401 - the fixture is used by name
from tests.hostile.slow_callbacks import SlowCallbackEndpoint
from tests.hostile.slow_clients import closed_by_server, idle_connections

EUR_BTC = {"price_amount": "100.0", "price_currency": "EUR", "pay_currency": "BTC"}
LIMIT = 3.0  # the per-callback limit in these tests (Cryptopay's is 10 s); short, so the tests stay quick
SLACK = 2.0  # what a loaded machine may add to a bounded attempt


# -- 11: one endless answer does not stop the other deliveries ----------------------------------------------------
@pytest.fixture
def slow_for_one() -> Iterator[SlowCallbackEndpoint]:
    """Endless answers for the invoice whose custom_id is "endless", quick ones for every other."""
    endpoint = SlowCallbackEndpoint(slow=lambda data: data.get("custom_id") == "endless")
    yield endpoint
    endpoint.stop()


def test_an_endless_answer_neither_holds_up_other_deliveries_nor_outlasts_the_limit(live, slow_for_one) -> None:
    endpoint = slow_for_one
    emulator = live(callback_url=endpoint.url, callback_timeout_seconds=LIMIT)
    endless = emulator.client.create_invoice(**EUR_BTC, custom_id="endless")
    assert endpoint.wait(lambda e: e.started, timeout=10), "the endless answer never began"
    others = [emulator.client.create_invoice(**EUR_BTC)["id"] for _ in range(3)]
    assert endpoint.wait(lambda e: {s.object_id for s in e.answered} >= set(others), timeout=LIMIT + 10), \
        "the other invoices' callbacks were not delivered while one answer never ended"
    assert endpoint.wait(lambda e: e.hung_up, timeout=LIMIT + 10), "the emulator never gave up the endless answer"
    last_other = max(s.at for s in endpoint.answered if s.object_id in others)
    assert last_other < endpoint.hung_up[0].at, "the others waited for the endless answer to be given up"
    attempt = wait_until(lambda: emulator.control("GET", f"/deliveries?invoice_id={endless['id']}").json()["data"],
                         lambda rows: rows and rows[0]["attempts"], timeout=10,
                         expected="the endless attempt logged")[0]["attempts"][0]
    assert attempt["status_code"] is None and f"{LIMIT:g} s" in attempt["error"]
    assert attempt["duration_ms"] < (LIMIT + SLACK) * 1000, "the limit is a bound on the whole attempt"


# -- 12: idle connections neither fill the servers nor stay for ever -----------------------------------------------
CROWD = 150  # half-sent requests: more than waitress's default 100 connections


@pytest.fixture
def standalone(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """Starts the emulator or the reference merchant as its own process; returns a URL that answers 200."""
    with ExitStack() as stack:
        def start_one(which: str, *options: str) -> str:
            if which == "emulator":
                info = start("emulator", ["-m", "cryptopay_emulator", "--port=0", *options], clean_env(), tmp_path,
                             stack)
                return info["control_url"] + "/health"
            env = {**clean_env(), "MERCHANT_DATABASE_URL": f"sqlite:///{tmp_path / 'idle.sqlite3'}",
                   "CRYPTOPAY_API_URL": "http://127.0.0.1:9", "CRYPTOPAY_API_KEY": "k",
                   "CRYPTOPAY_API_SECRET": "s", "CRYPTOPAY_CALLBACK_SECRET": "c", "MERCHANT_PROBE_TOKEN": TOKEN}
            info = start("merchant", ["-m", "reference_merchant", "--port=0", *options], env, tmp_path, stack)
            return info["probe_url"] + "/capabilities"
        yield start_one


TOKEN = "probe-token-for-idle-connections"


def answers(url: str) -> int:
    return requests.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=LIMIT + SLACK).status_code


@pytest.mark.parametrize("which", ["emulator", "merchant"])
def test_a_crowd_of_half_sent_requests_does_not_stop_the_server(standalone, which: str) -> None:
    url = standalone(which)
    with idle_connections(url, CROWD):
        assert answers(url) == 200  # before: not even accepted until waitress's cleanup, 150 s later


@pytest.mark.parametrize("which", ["emulator", "merchant"])
def test_a_connection_that_sends_nothing_is_closed_after_the_idle_timeout(standalone, which: str) -> None:
    url = standalone(which, "--idle-timeout=2")
    with idle_connections(url, 20) as crowd:
        assert closed_by_server(crowd, timeout=2 + 1 + SLACK * 3) == 20
        assert answers(url) == 200
