"""Resolves what the suite certifies: the embedded emulator and reference merchant, or targets named in .env."""
from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from support.drivers.emulator import EmulatorControl
from support.targets.pair import Credentials
from support.targets.pair_process import PairJob, PairProcess, StartedPair
from support.targets.secrets import Secret
from support.targets.settings import Settings


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


def _credentials(settings: Settings) -> Credentials:
    """Fresh secrets for what the suite starts itself, the ones in .env for what it does not."""
    fresh = Credentials.fresh()
    if settings.embedded_emulator:
        api = fresh
    else:
        api = Credentials(settings.cryptopay_api_key, settings.cryptopay_api_secret.reveal(),
                          settings.cryptopay_callback_secret.reveal(), "")
    token = fresh.probe_token if settings.embedded_merchant else settings.merchant_probe_token.reveal()
    return Credentials(api.api_key, api.api_secret, api.callback_secret, token)


def embeds_targets(settings: Settings) -> bool:
    """The suite starts the emulator, the reference merchant or both (in a process of their own)."""
    return settings.embedded_emulator or settings.embedded_merchant


def start_targets(settings: Settings, workdir: Path, stack: ExitStack, process: PairProcess | None = None) -> Targets:
    """Starts whatever .env leaves to the suite, in `process` (spawned ahead) or a new one; stops it when `stack`
    closes."""
    credentials = _credentials(settings)
    if not settings.embedded_emulator and settings.emulator_control_url:
        # A standalone emulator with control: its objects wait for the scenarios to move them.
        EmulatorControl(settings.emulator_control_url).drive_time()
    started = _start_embedded(settings, workdir, stack, credentials, process) if embeds_targets(settings) else None
    if settings.embedded_emulator:
        api_url, control_url, cryptopay_label = started.api_url, started.control_url, "embedded emulator"
    else:
        api_url, control_url = settings.cryptopay_api_url, settings.emulator_control_url
        cryptopay_label = f"external Cryptopay at {api_url}"
    if settings.embedded_merchant:
        probe_url, callback_url = started.probe_url, started.callback_url
        merchant_label = "embedded reference merchant (SQLite)"
    else:
        probe_url, callback_url = settings.merchant_probe_url, settings.merchant_callback_url
        merchant_label = f"external merchant at {probe_url}"
    return Targets(api_url, credentials.api_key, Secret(credentials.api_secret), Secret(credentials.callback_secret),
                   probe_url, callback_url, Secret(credentials.probe_token), control_url, cryptopay_label,
                   merchant_label)


def _start_embedded(settings: Settings, workdir: Path, stack: ExitStack, credentials: Credentials,
                    process: PairProcess | None) -> StartedPair:
    """The emulator and/or the reference merchant, the merchant doing what the suite's .env declares for it."""
    emulator = ({"unresolved_policy": settings.unresolved_policy, "rate_limit_per_minute": EMBEDDED_RATE_LIMIT}
                if settings.embedded_emulator else None)
    merchant = ({"database_url": f"sqlite:///{workdir / 'reference-merchant.sqlite3'}",
                 "channel_credited_amount": settings.declared.channel_credited_amount,
                 "payout_amount_field": settings.declared.payout_amount_field}
                if settings.embedded_merchant else None)
    job = PairJob(credentials.api_key, credentials.api_secret, credentials.callback_secret, credentials.probe_token,
                  emulator, merchant, api_url=None if emulator else settings.cryptopay_api_url,
                  callback_url=None if merchant else settings.merchant_callback_url)
    process = process or PairProcess()
    stack.callback(process.close)
    return process.start(job)
