"""A payout killed between the merchant's debit and Cryptopay's commit: the reference merchant, a real process killed
with SIGKILL at that moment, settles it from Cryptopay's record when it starts again (issue 21, point 16)."""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
from contextlib import ExitStack
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

from support.drivers.emulator import EmulatorControl
from support.drivers.waiting import wait_until
from support.targets.offline_proof import ROOT, clean_env, stop
from support.targets.pair import Credentials, connect, start_emulator
from tests.hostile.holding_cryptopay import HoldingCryptopay
from tests.merchant.harness import SAFE_ADDRESS

STARTUP_SECONDS = 30
WAIT = 20.0


class MerchantProcess:
    """`python -m reference_merchant` on its own, as a shop runs it; killed or stopped by the test."""

    def __init__(self, stack: ExitStack, work: Path, name: str, env: dict[str, str]):
        log = open(work / f"{name}.log", "wb")
        stack.callback(log.close)
        self.proc = subprocess.Popen([sys.executable, "-m", "reference_merchant", "--port=0"], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=log, text=True)
        stack.callback(self.end)
        ready, _, _ = select.select([self.proc.stdout], [], [], STARTUP_SECONDS)
        if not ready:
            raise AssertionError(f"{name} printed nothing within {STARTUP_SECONDS} s")
        urls = json.loads(self.proc.stdout.readline())
        self.probe_url, self.callback_url = urls["probe_url"], urls["callback_url"]
        self.token = env["MERCHANT_PROBE_TOKEN"]

    def probe(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, self.probe_url + path, headers={"Authorization": f"Bearer {self.token}"},
                                timeout=WAIT, **kwargs)

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)  # no cleanup of any kind: the worst moment, as a power cut
        self.proc.wait(timeout=WAIT)

    def end(self) -> None:
        if self.proc.poll() is None:
            stop(self.proc)
        else:
            self.proc.stdout.close()


def merchant_env(creds: Credentials, api_url: str, database_url: str) -> dict[str, str]:
    return {**clean_env(), "MERCHANT_DATABASE_URL": database_url, "CRYPTOPAY_API_URL": api_url,
            "CRYPTOPAY_API_KEY": creds.api_key, "CRYPTOPAY_API_SECRET": creds.api_secret,
            "CRYPTOPAY_CALLBACK_SECRET": creds.callback_secret, "MERCHANT_PROBE_TOKEN": creds.probe_token}


def moves(database_url: str, kind: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM balance_moves WHERE kind = :k"), {"k": kind}).scalar()
    finally:
        engine.dispose()


def test_a_payout_killed_between_the_debit_and_the_commit_is_returned_once_when_the_merchant_restarts(
        tmp_path: Path) -> None:
    creds, database_url = Credentials.fresh(), f"sqlite:///{tmp_path / 'shop.sqlite3'}"
    with ExitStack() as stack:
        emulator = start_emulator(stack, creds, rate_limit_per_minute=0)  # payout callbacks on, time driven
        control = EmulatorControl(emulator.control_url)
        control._call("PUT", "/balances", {"EUR": "1000.0"})
        cryptopay = HoldingCryptopay(emulator.url, commits="hold")
        stack.callback(cryptopay.stop)
        first = MerchantProcess(stack, tmp_path, "first", merchant_env(creds, cryptopay.url, database_url))
        connect(stack, emulator, first.callback_url)
        assert first.probe("POST", "/customers/ann/funding", json={"amount": "100.00", "currency": "EUR"}
                           ).status_code == 201

        placing = threading.Thread(target=lambda: _ask_quietly(first, {
            "customer_id": "ann", "amount": "20.00", "currency": "EUR", "pay_currency": "BTC",
            "address": SAFE_ADDRESS}), daemon=True)
        placing.start()
        withdrawal_id = cryptopay.wait_for_commit(timeout=WAIT)  # debited, and the commit on its way: now
        first.kill()
        placing.join(timeout=WAIT)
        assert moves(database_url, "payout_debit") == 1 and moves(database_url, "payout_refund") == 0
        assert emulator.app.backends.withdrawals.get(withdrawal_id)["status"] == "new"

        # Only the restarted merchant's own reconciliation may return the money: notifications are held back.
        control.pause_deliveries()
        control.advance(withdrawal_id, seconds=31)  # Cryptopay's 30-second commit window is over
        second = MerchantProcess(stack, tmp_path, "second", merchant_env(creds, emulator.url, database_url))
        balance = wait_until(lambda: second.probe("GET", "/customers/ann/balance").json()["balances"],
                             lambda b: b == {"EUR": "100.00"}, timeout=WAIT,
                             expected="the debit returned by the restarted merchant's reconciliation")
        assert balance == {"EUR": "100.00"} and moves(database_url, "payout_refund") == 1
        payout_id = _payout_id(database_url)
        assert second.probe("GET", f"/payouts/{payout_id}").json()["status"] == "cancelled"

        # The `cancelled` notification still arrives: it returns nothing more.
        emulator.app.set_callback_url(second.callback_url)
        control.resume_deliveries()
        wait_until(lambda: control.deliveries(withdrawal_id),
                   lambda ds: ds and all(d.state == "delivered" for d in ds), timeout=WAIT,
                   expected="the withdrawal's notifications delivered to the restarted merchant")
        assert moves(database_url, "payout_refund") == 1
        assert second.probe("GET", "/customers/ann/balance").json()["balances"] == {"EUR": "100.00"}


def _ask_quietly(merchant: MerchantProcess, body: dict) -> None:
    """The customer's request; it dies with the merchant."""
    try:
        merchant.probe("POST", "/payouts", json=body)
    except requests.RequestException:
        pass


def _payout_id(database_url: str) -> str:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT payout_id FROM payouts")).scalar_one()
    finally:
        engine.dispose()

