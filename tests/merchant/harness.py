"""A real emulator and the reference merchant on loopback, wired together, plus the few moves merchant tests need."""
from __future__ import annotations

import json
import os
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from cryptopay_client import CryptopayClient
from cryptopay_client.callbacks import SIGNATURE_HEADER, callback_signature
from reference_merchant import MerchantConfig
from support.drivers.emulator import Delivery, EmulatorControl
from support.drivers.waiting import wait_until
from support.targets.pair import ACCOUNT_OPTIONS, start_pair

WAIT = 15.0  # generous: a wait ends as soon as its condition holds
SAFE_ADDRESS = "2N9wPGx67zdSeAbXi15qHgoZ9Hb9Uxhd2uQ"  # a BTC testnet address (facts §19); never high-risk unless made so
PAYOUT_OPTIONS = ACCOUNT_OPTIONS  # callbacks on; time to fail a payout on its way
POSTGRES_ENV = "TEST_POSTGRES_URL"


def callback_bytes(event: str, invoice: dict, kind: str = "Invoice") -> bytes:
    """The body Cryptopay would send; the client read risk scores as Decimal, and they go back out as numbers."""
    return json.dumps({"type": kind, "event": event, "data": invoice}, separators=(",", ":"),
                      default=lambda value: float(value) if isinstance(value, Decimal) else str(value)).encode()


@dataclass
class Shop:
    """One emulated Cryptopay account and one reference merchant; the secrets are fresh per shop."""
    api_url: str
    merchant_url: str
    emulator: object
    merchant_app: object
    key: str = field(repr=False)
    api_secret: str = field(repr=False)
    callback_secret: str = field(repr=False)
    token: str = field(repr=False)
    stack: ExitStack = field(repr=False)

    def __post_init__(self) -> None:
        self.http = requests.Session()
        self.client = CryptopayClient(self.api_url, self.key, self.api_secret)
        self.control = EmulatorControl(f"{self.api_url}/_emulator")

    @property
    def callback_url(self) -> str:
        return f"{self.merchant_url}/callbacks/cryptopay"

    @property
    def engine(self) -> Engine:
        return self.merchant_app.extensions["merchant"]["engine"]

    def secret_values(self) -> list[str]:
        return [self.api_secret, self.callback_secret, self.token]

    # -- the probe --------------------------------------------------------------------------------
    def probe(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token if token is None else token}"}
        return self.http.request(method, f"{self.merchant_url}/probe{path}", headers=headers, timeout=WAIT, **kwargs)

    def deposit(self, customer_id: str, amount: str = "100.00", currency: str = "EUR", pay: str = "BTC") -> str:
        response = self.probe("POST", "/deposits", json={"customer_id": customer_id, "price_amount": amount,
                                                         "price_currency": currency, "pay_currency": pay})
        assert response.status_code == 201, response.text
        return response.json()["invoice_id"]

    def balances(self, customer_id: str) -> dict[str, Decimal]:
        response = self.probe("GET", f"/customers/{customer_id}/balance")
        assert response.status_code == 200, response.text
        return {cur: Decimal(v) for cur, v in response.json()["balances"].items()}

    def recorded(self, invoice_id: str) -> dict | None:
        response = self.probe("GET", f"/invoices/{invoice_id}")
        return None if response.status_code == 404 else response.json()

    def callbacks(self, invoice_id: str) -> list[dict]:
        response = self.probe("GET", f"/invoices/{invoice_id}/callbacks")
        assert response.status_code == 200, response.text
        return response.json()["callbacks"]

    # -- Cryptopay's side -------------------------------------------------------------------------
    def invoice(self, invoice_id: str) -> dict:
        return self.client.retrieve_invoice(invoice_id)

    def pay_in_full(self, invoice_id: str, risk_level: str = "low") -> dict:
        self.control.pay(invoice_id, Decimal(self.invoice(invoice_id)["pay_amount"]), risk_level=risk_level)
        return self.invoice(invoice_id)

    def pause_deliveries(self) -> None:
        self.control._call("POST", "/deliveries/pause")

    def resume_deliveries(self) -> None:
        self.control._call("POST", "/deliveries/resume")

    def wait_delivered(self, object_id: str, at_least: int = 1) -> list[Delivery]:
        """Every callback raised so far for the invoice, channel payment or withdrawal has been answered 200."""
        return wait_until(lambda: self.control.deliveries(object_id),
                          lambda ds: len(ds) >= at_least and all(d.state == "delivered" for d in ds),
                          timeout=WAIT, expected=f"all callbacks of {object_id} delivered")

    def wait_recorded(self, invoice_id: str, status: str, context: str | None = None) -> dict:
        return wait_until(lambda: self.recorded(invoice_id),
                          lambda r: r is not None and r["status"] == status and r["status_context"] == context,
                          timeout=WAIT, expected=f"merchant records {invoice_id} as {status}/{context}")

    # -- posting callbacks ourselves ---------------------------------------------------------------
    def sign(self, body: bytes) -> str:
        return callback_signature(self.callback_secret, body)

    def post_callback(self, body: bytes, signature: str | None = "sign") -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if signature == "sign":
            signature = self.sign(body)
        if signature is not None:
            headers[SIGNATURE_HEADER] = signature
        return requests.post(self.callback_url, data=body, headers=headers, timeout=WAIT)

    def credit_rows(self, invoice_id: str) -> int:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM credits WHERE invoice_id = :i"), {"i": invoice_id}).scalar()

    # -- channels and payouts (probe v2) ------------------------------------------------------------
    def open_channel(self, customer_id: str, pay: str = "BTC", receive: str = "EUR") -> dict:
        response = self.probe("POST", "/channels", json={"customer_id": customer_id, "pay_currency": pay,
                                                         "receive_currency": receive})
        assert response.status_code in (200, 201), response.text
        return response.json()

    def pay_channel(self, channel: dict, amount: str = "0.002", risk_level: str = "low",
                    confirmed: bool = True) -> dict:
        """A payment to the channel's address; Cryptopay's ChannelPayment as the emulator made it."""
        return self.control.pay_channel(channel["address"], Decimal(amount), risk_level=risk_level,
                                        confirmed=confirmed)

    def channel_payment(self, payment: dict) -> dict:
        return self.client.channel_payment(payment["channel_id"], payment["id"])

    def recorded_payment(self, payment_id: str) -> dict | None:
        response = self.probe("GET", f"/channel-payments/{payment_id}")
        return None if response.status_code == 404 else response.json()

    def wait_payment_recorded(self, payment_id: str, status: str, context: str | None = None) -> dict:
        return wait_until(lambda: self.recorded_payment(payment_id),
                          lambda r: r is not None and r["status"] == status and r["status_context"] == context,
                          timeout=WAIT, expected=f"merchant records channel payment {payment_id} as {status}/{context}")

    def fund(self, customer_id: str, amount: str, currency: str = "EUR") -> None:
        response = self.probe("POST", f"/customers/{customer_id}/funding", json={"amount": amount,
                                                                                "currency": currency})
        assert response.status_code == 201, response.text

    def fund_account(self, **amounts: str) -> None:
        """The emulated Cryptopay account's own balances (what the merchant's withdrawals are paid from)."""
        self.control._call("PUT", "/balances", amounts)

    def payout(self, customer_id: str, amount: str = "20.00", currency: str = "EUR", pay: str = "BTC",
               address: str = SAFE_ADDRESS) -> requests.Response:
        return self.probe("POST", "/payouts", json={"customer_id": customer_id, "amount": amount,
                                                    "currency": currency, "pay_currency": pay, "address": address})

    def recorded_payout(self, payout_id: str) -> dict | None:
        response = self.probe("GET", f"/payouts/{payout_id}")
        return None if response.status_code == 404 else response.json()

    def run_out(self, object_id: str) -> None:
        """Cryptopay's time for the object moved on until nothing is ahead of it (a payout to its end); the
        emulator's objects stand still until moved, and without its control API they run by themselves."""
        if not self.emulator.config.control_enabled:
            return
        for _ in range(50):
            if not self.control.advance(object_id)["deadlines_pending"]:
                return

    def wait_payout_recorded(self, payout_id: str, status: str) -> dict:
        record = self.recorded_payout(payout_id)
        if record and record.get("coin_withdrawal_id"):
            self.run_out(record["coin_withdrawal_id"])
        return wait_until(lambda: self.recorded_payout(payout_id), lambda r: r is not None and r["status"] == status,
                          timeout=WAIT, expected=f"merchant records payout {payout_id} as {status}")

    def moves(self, kind: str, reference: str) -> int:
        with self.engine.connect() as conn:
            return conn.execute(text("SELECT COUNT(*) FROM balance_moves WHERE kind = :k AND reference = :r"),
                                {"k": kind, "r": reference}).scalar()

    def post_at_once(self, body: bytes, copies: int = 50) -> list[int]:
        """The same signed callback posted `copies` times at the same moment, from as many threads."""
        signature, start = self.sign(body), threading.Barrier(copies)

        def one(_: int) -> int:
            start.wait(timeout=30)
            return self.post_callback(body, signature).status_code

        with ThreadPoolExecutor(max_workers=copies) as pool:
            return list(pool.map(one, range(copies)))


@contextmanager
def running_shop(database_url: str, merchant_kwargs: dict | None = None, **emulator_options) -> Iterator[Shop]:
    with ExitStack() as stack:
        pair = start_pair(stack, database_url, merchant_kwargs=merchant_kwargs, rate_limit_per_minute=0,
                          **emulator_options)
        creds = pair.credentials
        yield Shop(pair.emulator.url, pair.merchant.url, pair.emulator.app, pair.merchant.app, creds.api_key,
                   creds.api_secret, creds.callback_secret, creds.probe_token, stack)


def merchant_config(database_url: str, api_url: str, key: str, api_secret: str, cb_secret: str,
                    token: str) -> MerchantConfig:
    return MerchantConfig(database_url=database_url, cryptopay_api_url=api_url, api_key=key, api_secret=api_secret,
                          callback_secret=cb_secret, probe_token=token)


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'merchant.sqlite3'}"


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty database on the server TEST_POSTGRES_URL points at, dropped afterwards; skips with the reason
    when no server is configured or reachable."""
    import pytest

    base = os.environ.get(POSTGRES_ENV, "").strip()
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set; start a server with: eval \"$(bash scripts/postgres.sh)\"")
    admin = create_engine(base, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    name = f"merchant_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - an unreachable server is a stated skip, not an error
        admin.dispose()
        pytest.skip(f"PostgreSQL at {POSTGRES_ENV} is unreachable ({type(exc).__name__})")
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
