"""Resolves what the suite certifies: the embedded emulator and reference merchant, or targets named in .env."""
from __future__ import annotations

import secrets
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from cryptopay_emulator import EmulatorConfig, create_app as create_emulator
from reference_merchant import MerchantConfig, create_app as create_merchant
from support.secrets import Secret
from support.servers import ServerThread
from support.settings import Settings


# The real sandbox allows 200 requests a minute per key; the embedded run compresses a whole certification
# (the suite's reads plus the merchant's confirmations) into seconds, so its private emulator allows more.
EMBEDDED_RATE_LIMIT = 20000


@dataclass(frozen=True)
class Targets:
    api_url: str
    api_key: str
    api_secret: Secret
    callback_secret: Secret
    probe_url: str
    callback_url: str
    probe_token: Secret
    control_url: str | None
    cryptopay_label: str
    merchant_label: str

    def secrets(self) -> list[str]:
        return [s.reveal() for s in (self.api_secret, self.callback_secret, self.probe_token) if s]


def start_targets(settings: Settings, workdir: Path, stack: ExitStack) -> Targets:
    """Starts whatever .env leaves to the suite; stops it when `stack` closes."""
    emulator = None
    if settings.embedded_emulator:
        api_key, api_secret, callback_secret = (secrets.token_urlsafe(16), secrets.token_urlsafe(32),
                                                secrets.token_urlsafe(32))
        emulator = create_emulator(EmulatorConfig(api_key=api_key, api_secret=api_secret,
                                                  callback_secret=callback_secret,
                                                  unresolved_policy=settings.unresolved_policy,
                                                  rate_limit_per_minute=EMBEDDED_RATE_LIMIT))
        server = ServerThread(emulator.wsgi, "emulator").start()
        stack.callback(server.stop)
        emulator.set_public_url(server.url)
        api_url, control_url, cryptopay_label = server.url, f"{server.url}/_emulator", "embedded emulator"
    else:
        api_key, api_secret, callback_secret = (settings.cryptopay_api_key, settings.cryptopay_api_secret.reveal(),
                                                settings.cryptopay_callback_secret.reveal())
        api_url, control_url = settings.cryptopay_api_url, settings.emulator_control_url
        cryptopay_label = f"external Cryptopay at {api_url}"
    if settings.embedded_merchant:
        token = secrets.token_urlsafe(24)
        merchant = create_merchant(MerchantConfig(
            database_url=f"sqlite:///{workdir / 'reference-merchant.sqlite3'}", cryptopay_api_url=api_url,
            api_key=api_key, api_secret=api_secret, callback_secret=callback_secret, probe_token=token))
        server = ServerThread(merchant, "reference-merchant").start()
        stack.callback(server.stop)
        probe_url, callback_url, merchant_label = (f"{server.url}/probe", f"{server.url}/callbacks/cryptopay",
                                                   "embedded reference merchant (SQLite)")
    else:
        token = settings.merchant_probe_token.reveal()
        probe_url, callback_url = settings.merchant_probe_url, settings.merchant_callback_url
        merchant_label = f"external merchant at {probe_url}"
    if emulator is not None:
        emulator.set_callback_url(callback_url)
        emulator.start()
        stack.callback(emulator.stop)
    return Targets(api_url, api_key, Secret(api_secret), Secret(callback_secret), probe_url, callback_url,
                   Secret(token), control_url, cryptopay_label, merchant_label)
