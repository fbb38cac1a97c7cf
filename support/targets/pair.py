"""Starts an emulator and a merchant on loopback and wires them to each other: the one builder of a pair of targets."""
from __future__ import annotations

import secrets
from contextlib import ExitStack
from dataclasses import dataclass, field

from cryptopay_emulator import EmulatorApp, EmulatorConfig, create_app as create_emulator
from cryptopay_emulator.withdrawals import QUICK_STEP_SECONDS
from reference_merchant import MerchantConfig, create_app as create_merchant
from support.targets.servers import ServerThread

CALLBACK_PATH = "/callbacks/cryptopay"
# The account every pair emulates has coin-withdrawal callbacks switched on (a merchant certifying payouts switches
# them on in the dashboard), a payout takes the standalone emulator's realistic 10 emulated seconds a step
# (pending -> processing -> sent -> completed), and its time is driven: every object stands still until the
# scenario moves it (support/domain/timetravel.py), so a payout is failed or held at the step the scenario chooses,
# however loaded the machine, and no real second is spent waiting for the emulator.
ACCOUNT_OPTIONS = {"coin_withdrawal_callbacks": True, "withdrawal_step_seconds": 10.0, "driven_time": True}


@dataclass(frozen=True)
class Credentials:
    """What an emulated account and its merchant share: the API key and the three secrets."""
    api_key: str
    api_secret: str = field(repr=False)
    callback_secret: str = field(repr=False)
    probe_token: str = field(repr=False)

    @classmethod
    def fresh(cls, probe_token: str | None = None) -> "Credentials":
        return cls(secrets.token_urlsafe(16), secrets.token_urlsafe(32), secrets.token_urlsafe(32),
                   probe_token or secrets.token_urlsafe(24))

    def values(self) -> list[str]:
        """The secret values, for redaction."""
        return [self.api_secret, self.callback_secret, self.probe_token]


@dataclass(frozen=True)
class RunningEmulator:
    app: EmulatorApp
    url: str

    @property
    def control_url(self) -> str:
        return f"{self.url}/_emulator"


@dataclass(frozen=True)
class RunningMerchant:
    app: object  # the merchant's Flask app
    url: str

    @property
    def probe_url(self) -> str:
        return f"{self.url}/probe"

    @property
    def callback_url(self) -> str:
        return f"{self.url}{CALLBACK_PATH}"


@dataclass(frozen=True)
class Pair:
    emulator: RunningEmulator
    merchant: RunningMerchant
    credentials: Credentials


def start_emulator(stack: ExitStack, credentials: Credentials, **options) -> RunningEmulator:
    """An emulator serving on a free port and knowing its public URL; it delivers nothing until `connect`."""
    chosen = {**ACCOUNT_OPTIONS, **options}
    if not chosen.get("control_enabled", True) and "withdrawal_step_seconds" not in options:
        # Nobody can move its time: it runs by itself at the standalone emulator's quick pace.
        chosen["withdrawal_step_seconds"] = QUICK_STEP_SECONDS
    app = create_emulator(EmulatorConfig(api_key=credentials.api_key, api_secret=credentials.api_secret,
                                         callback_secret=credentials.callback_secret, **chosen))
    server = ServerThread(app.wsgi, "emulator").start()
    stack.callback(server.stop)
    app.set_public_url(server.url)
    return RunningEmulator(app, server.url)


def start_merchant(stack: ExitStack, credentials: Credentials, api_url: str, database_url: str,
                   **merchant_kwargs) -> RunningMerchant:
    """The reference merchant (or a variant: `invoice_processor_cls`, `ledger_cls`) on a free port, talking to `api_url`."""
    app = create_merchant(MerchantConfig(
        database_url=database_url, cryptopay_api_url=api_url, api_key=credentials.api_key,
        api_secret=credentials.api_secret, callback_secret=credentials.callback_secret,
        probe_token=credentials.probe_token), **merchant_kwargs)
    stack.callback(app.extensions["merchant"]["engine"].dispose)  # registered first, so it runs after the stop
    server = ServerThread(app, "merchant").start()
    stack.callback(server.stop)
    return RunningMerchant(app, server.url)


def connect(stack: ExitStack, emulator: RunningEmulator, callback_url: str) -> None:
    """Points the emulator's callbacks at the merchant and starts delivering; stops delivering first on close."""
    emulator.app.set_callback_url(callback_url)
    emulator.app.start()
    stack.callback(emulator.app.stop)


def start_pair(stack: ExitStack, database_url: str, credentials: Credentials | None = None,
               merchant_kwargs: dict | None = None, **emulator_options) -> Pair:
    """An emulator and a merchant wired to each other, with fresh secrets unless given."""
    credentials = credentials or Credentials.fresh()
    emulator = start_emulator(stack, credentials, **emulator_options)
    merchant = start_merchant(stack, credentials, emulator.url, database_url, **(merchant_kwargs or {}))
    connect(stack, emulator, merchant.callback_url)
    return Pair(emulator, merchant, credentials)
