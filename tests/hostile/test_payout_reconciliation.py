"""The reference merchant's payout reconciliation decides from Cryptopay's GET: a withdrawal never committed is
returned once, one in flight or committed is never returned, and a periodic pass settles what no notification
told (issue 21, point 16; the crash itself is in test_payout_crash.py)."""
from __future__ import annotations

import threading
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
import requests
from sqlalchemy import text

from reference_merchant import MerchantConfig, create_app
from reference_merchant.reconciliation import PayoutReconciler
from support.drivers.emulator import EmulatorControl
from support.drivers.waiting import wait_until
from support.targets.pair import Credentials, connect, start_emulator
from support.targets.servers import ServerThread
from tests.hostile.holding_cryptopay import HoldingCryptopay
from tests.merchant.harness import SAFE_ADDRESS

WAIT = 20.0
PAYOUT = {"customer_id": "bo", "amount": "20.00", "currency": "EUR", "pay_currency": "BTC", "address": SAFE_ADDRESS}


@dataclass
class Setup:
    cryptopay: HoldingCryptopay
    control: EmulatorControl
    app: object
    url: str
    token: str

    def probe(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, f"{self.url}/probe{path}", headers={"Authorization": f"Bearer {self.token}"},
                                timeout=WAIT, **kwargs)

    def balance(self) -> dict:
        return self.probe("GET", "/customers/bo/balance").json()["balances"]

    def moves(self, kind: str) -> int:
        with self.app.extensions["merchant"]["engine"].connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM balance_moves WHERE kind = :k"), {"k": kind}).scalar()

    def reconciler(self, later: timedelta = timedelta(0), every: float = 60.0) -> PayoutReconciler:
        """The merchant's own reconciler, seeing the time `later` from now."""
        own = self.app.extensions["merchant"]["reconciler"]
        return PayoutReconciler(own.payouts, own.ledger, own.processor, every=every,
                                now=lambda: datetime.now(timezone.utc) + later)

    def place_in_background(self) -> threading.Thread:
        def place() -> None:
            try:
                self.probe("POST", "/payouts", json=PAYOUT)
            except requests.RequestException:
                pass
        thread = threading.Thread(target=place, daemon=True)
        thread.start()
        return thread


def _setup(tmp_path: Path, commits: str) -> Iterator[Setup]:
    creds = Credentials.fresh()
    with ExitStack() as stack:
        emulator = start_emulator(stack, creds, rate_limit_per_minute=0)
        control = EmulatorControl(emulator.control_url)
        control._call("PUT", "/balances", {"EUR": "1000.0"})
        cryptopay = HoldingCryptopay(emulator.url, commits=commits)
        stack.callback(cryptopay.stop)
        app = create_app(MerchantConfig(
            database_url=f"sqlite:///{tmp_path / 'shop.sqlite3'}", cryptopay_api_url=cryptopay.url,
            api_key=creds.api_key, api_secret=creds.api_secret, callback_secret=creds.callback_secret,
            probe_token=creds.probe_token, cryptopay_timeout=1.0))
        stack.callback(app.extensions["merchant"]["engine"].dispose)
        server = ServerThread(app, "merchant").start()
        stack.callback(server.stop)
        connect(stack, emulator, f"{server.url}/callbacks/cryptopay")
        setup = Setup(cryptopay, control, app, server.url, creds.probe_token)
        assert setup.probe("POST", "/customers/bo/funding", json={"amount": "100.00", "currency": "EUR"}
                           ).status_code == 201
        yield setup


@pytest.fixture
def held(tmp_path: Path) -> Iterator[Setup]:
    yield from _setup(tmp_path, "hold")


@pytest.fixture
def unheard(tmp_path: Path) -> Iterator[Setup]:
    yield from _setup(tmp_path, "late")


@pytest.fixture
def failing(tmp_path: Path) -> Iterator[Setup]:
    yield from _setup(tmp_path, "fails")


def test_a_payout_whose_commit_is_on_its_way_is_left_alone(held: Setup) -> None:
    placing = held.place_in_background()
    held.cryptopay.wait_for_commit(timeout=WAIT)
    decided = held.reconciler().run_once(everything=True)
    assert list(decided.values()) == ["left alone: quoted recently, the commit may still come"]
    assert held.balance() == {"EUR": "80.00"} and held.moves("payout_refund") == 0
    held.cryptopay.release()  # the commit goes on: the payout is placed as if nothing had looked
    placing.join(timeout=WAIT)
    assert held.balance() == {"EUR": "80.00"} and held.moves("payout_refund") == 0


def test_a_withdrawal_never_committed_is_returned_once_past_the_commit_window(held: Setup) -> None:
    """Cryptopay still says `new` (the emulator has not moved its time): past the window, that is final."""
    held.place_in_background()
    held.cryptopay.wait_for_commit(timeout=WAIT)  # held for good: the proxy refuses it when the test ends
    later = held.reconciler(later=timedelta(seconds=61))
    assert list(later.run_once(everything=True).values()) == ["never committed: debit returned to the customer"]
    assert later.run_once(everything=True) == {}  # settled: never asked about again
    assert held.balance() == {"EUR": "100.00"} and held.moves("payout_refund") == 1
    with held.app.extensions["merchant"]["engine"].connect() as conn:
        assert conn.execute(text("SELECT status, refusal FROM payouts")).one() == ("new", "not_committed")


def test_a_commit_the_merchant_never_heard_of_is_recorded_by_a_periodic_pass_and_never_returned(
        unheard: Setup) -> None:
    unheard.control.pause_deliveries()  # no notification will tell the merchant either
    answer = unheard.probe("POST", "/payouts", json=PAYOUT)
    assert answer.status_code == 502, answer.text  # the commit's answer never came back in time
    withdrawal_id = unheard.cryptopay.held[0]
    unheard.cryptopay.release()
    payout_id = unheard.app.extensions["merchant"]["payout_desk"].payouts.unsettled(
        unheard.app.extensions["merchant"]["ledger"])[0]["payout_id"]
    reconciler = unheard.reconciler(every=0.2).start()  # one pass at once, then one every 0.2 s
    try:
        wait_until(lambda: unheard.probe("GET", f"/payouts/{payout_id}").json(),
                   lambda p: p.get("status") == "pending", timeout=WAIT, expected="the commit found and recorded")
        for _ in range(3):  # Cryptopay moves it to completed, step by step; passes keep up
            unheard.control.advance(withdrawal_id)
        wait_until(lambda: unheard.probe("GET", f"/payouts/{payout_id}").json(),
                   lambda p: p.get("status") == "completed", timeout=WAIT,
                   expected="a later pass recording completed")
    finally:
        reconciler.stop()
    assert unheard.balance() == {"EUR": "80.00"} and unheard.moves("payout_refund") == 0


def test_a_commit_answered_with_a_server_error_keeps_the_debit_until_cryptopays_get_decides(failing: Setup) -> None:
    """A 5xx says nothing about whether the commit was made (here it was): returning the debit at once would pay the
    customer twice once the withdrawal is sent. Only a 4xx is Cryptopay's "no"."""
    failing.control.pause_deliveries()
    answer = failing.probe("POST", "/payouts", json=PAYOUT)
    assert answer.status_code == 502 and answer.json()["error"]["code"] == "cryptopay_unreachable", answer.text
    assert failing.balance() == {"EUR": "80.00"} and failing.moves("payout_refund") == 0
    decided = failing.reconciler().run_once(everything=True)
    assert list(decided.values()) == ["recorded pending"]
    assert failing.balance() == {"EUR": "80.00"} and failing.moves("payout_refund") == 0
