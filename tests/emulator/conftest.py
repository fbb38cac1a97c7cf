"""Fixtures for the emulator's own tests: a backend on a hand-driven clock, and a live emulator on loopback."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Iterator

import pytest
import requests

from cryptopay_client import CryptopayClient
from cryptopay_emulator import EmulatorApp, EmulatorConfig, create_app
from cryptopay_emulator.backend import Backends
from cryptopay_emulator.clock import Clock
from support.targets.servers import ServerThread

START = datetime(2021, 10, 14, 10, 51, 57, tzinfo=timezone.utc)
KEY, SECRET, CALLBACK_SECRET = "emu-key", "emu-secret", "emu-callback-secret"
STEP = 1.0  # a withdrawal's lifecycle step in emulated seconds, so tests can stop between the steps


@dataclass
class Recorder:
    """Collects the backends' invoice notifications in order: (event, status, status_context)."""
    events: list[tuple[str, dict]] = field(default_factory=list)

    def __call__(self, kind: str, event: str, data: dict) -> None:
        if kind == "Invoice":
            self.events.append((event, data))

    def sequence(self, invoice_id: str) -> list[tuple[str, str, str | None]]:
        return [(e, i["status"], i["status_context"]) for e, i in self.events if i["id"] == invoice_id]


def frozen_clock() -> Clock:
    """Stands still unless advanced: unit tests decide every second that passes."""
    return Clock(start=START, monotonic=lambda: 0.0)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def backend(recorder: Recorder) -> Backends:
    return Backends(frozen_clock(), recorder, withdrawal_step_seconds=STEP)


@dataclass
class LiveEmulator:
    app: EmulatorApp
    url: str
    client: CryptopayClient

    def control(self, method: str, path: str, body: dict | None = None) -> requests.Response:
        return requests.request(method, f"{self.url}/_emulator{path}", json=body, timeout=10)


@pytest.fixture
def live() -> Iterator[Callable[..., LiveEmulator]]:
    """Starts emulators with the given config overrides; all are stopped at teardown."""
    started: list[tuple[EmulatorApp, ServerThread]] = []

    def start(run_scheduler: bool = True, **overrides) -> LiveEmulator:
        overrides.setdefault("withdrawal_step_seconds", STEP)
        config = EmulatorConfig(api_key=KEY, api_secret=SECRET, callback_secret=CALLBACK_SECRET,
                                start_time=START, **overrides)
        app = create_app(config)
        server = ServerThread(app.wsgi, "emulator-under-test").start()
        app.set_public_url(server.url)
        if run_scheduler:
            app.start()
        started.append((app, server))
        return LiveEmulator(app, server.url, CryptopayClient(server.url, KEY, SECRET))

    yield start
    for app, server in started:
        app.stop()
        server.stop()


@pytest.fixture(scope="module")
def shared_live() -> Iterator[LiveEmulator]:
    """One emulator per module (a server stop costs half a second); `emu` resets it before each test."""
    app = create_app(EmulatorConfig(api_key=KEY, api_secret=SECRET, callback_secret=CALLBACK_SECRET,
                                    start_time=START, rate_limit_per_minute=0, withdrawal_step_seconds=STEP))
    server = ServerThread(app.wsgi, "shared-emulator").start()
    app.set_public_url(server.url)
    yield LiveEmulator(app, server.url, CryptopayClient(server.url, KEY, SECRET))
    server.stop()


@pytest.fixture
def emu(shared_live: LiveEmulator) -> LiveEmulator:
    """A freshly reset emulator, no rate limit, no scheduler thread (control calls apply time themselves)."""
    assert shared_live.control("POST", "/reset").status_code == 200
    return shared_live


@dataclass
class Receiver:
    """A merchant callback endpoint on loopback whose answers a test scripts; every hit sets an event."""
    answers: list[int] = field(default_factory=list)  # status per hit; 200 once the script runs out
    delays: list[float] = field(default_factory=list)  # seconds before answering, per hit; 0 once it runs out
    hits: list[dict] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    def wsgi(self, environ, start_response):
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size)
        with self.arrived:
            n = len(self.hits)
            status = self.answers[n] if n < len(self.answers) else 200
            delay = self.delays[n] if n < len(self.delays) else 0.0
            self.hits.append({"body": body, "signature": environ.get("HTTP_X_CRYPTOPAY_SIGNATURE")})
            self.arrived.notify_all()
        if delay:
            threading.Event().wait(delay)  # plays a slow merchant; the emulator must give up first
        start_response(f"{status} X", [("Content-Type", "text/plain")])
        return [b"ok"]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict]:
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.hits) >= count, timeout):
                raise AssertionError(f"expected {count} callback hits within {timeout} s, got {len(self.hits)}")
            return list(self.hits)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    merchant = Receiver()
    server = ServerThread(merchant.wsgi, "callback-receiver").start()
    yield merchant, f"{server.url}/callbacks"
    server.stop()
