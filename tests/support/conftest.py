"""An in-process emulator on loopback for the payer tests: the public API, its control API and a signed client."""
from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterator

import pytest

from cryptopay_client import CryptopayClient
from cryptopay_emulator import EmulatorApp, EmulatorConfig, create_app
from support.drivers.emulator import EmulatorControl
from support.targets.servers import ServerThread


@dataclass
class Sandbox:
    app: EmulatorApp
    url: str
    client: CryptopayClient
    control: EmulatorControl

    def invoice(self, pay_currency: str = "BTC", price: str = "100.00") -> dict:
        return self.client.create_invoice(price_amount=price, price_currency="EUR", pay_currency=pay_currency)

    def paid(self, invoice_id: str) -> Decimal:
        return Decimal(self.client.retrieve_invoice(invoice_id)["paid_amount"])


class Transcript:
    """A thread-safe output stream a test can read while the code under test is still writing to it."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            self._parts.append(text)
        return len(text)

    def flush(self) -> None:
        pass

    def text(self) -> str:
        with self._lock:
            return "".join(self._parts)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    key, secret = secrets.token_urlsafe(12), secrets.token_urlsafe(24)
    app = create_app(EmulatorConfig(api_key=key, api_secret=secret, callback_secret=secrets.token_urlsafe(24),
                                    rate_limit_per_minute=0))
    server = ServerThread(app.wsgi, "payer-test-emulator").start()
    app.start()
    try:
        yield Sandbox(app, server.url, CryptopayClient(server.url, key, secret),
                      EmulatorControl(f"{server.url}/_emulator"))
    finally:
        app.stop()
        server.stop()


@pytest.fixture
def transcript() -> Transcript:
    return Transcript()
