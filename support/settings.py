"""Reads the suite's settings from the environment (.env), validates all of them at once, redacts secrets."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from support.secrets import Secret

SANDBOX_HOST = "business-sandbox.cryptopay.me"
PRODUCTION_HOST = "business.cryptopay.me"
ALLOW_ANY_HOST_VALUE = "I-ACCEPT-REAL-MONEY-RISK"
POLICIES = ("do_nothing", "refund", "recalculate")
CONTEXTS = ("underpaid", "overpaid", "paid_late")
PAYERS = ("emulator", "coin_withdrawal", "operator")
TEAMS = ("Support", "Finance", "Fraud", "Transaction Monitoring")


class ConfigError(Exception):
    """Every problem with the configuration, listed together."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("The go-live suite cannot start; fix these settings (see .env.example):\n"
                         + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class Settings:
    cryptopay_api_url: str | None
    cryptopay_api_key: str | None
    cryptopay_api_secret: Secret
    cryptopay_callback_secret: Secret
    merchant_probe_url: str | None
    merchant_callback_url: str | None
    merchant_probe_token: Secret
    emulator_control_url: str | None
    payer: str
    unresolved_policy: dict[str, str]
    wait_timeout: float
    signoff_file: Path
    allow_any_host: bool = False
    extra: dict = field(default_factory=dict)

    @property
    def embedded_emulator(self) -> bool:
        return self.cryptopay_api_url is None

    @property
    def embedded_merchant(self) -> bool:
        return self.merchant_probe_url is None

    def secrets(self) -> list[str]:
        return [s.reveal() for s in (self.cryptopay_api_secret, self.cryptopay_callback_secret,
                                     self.merchant_probe_token) if s]


def _blank(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _check_url(name: str, value: str | None, problems: list[str]) -> None:
    if value is None:
        return
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(f"{name} must be an http(s) URL, got something else")


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_settings(env: Mapping[str, str], root: Path = Path(".")) -> Settings:
    problems: list[str] = []
    get = lambda key: _blank(env.get(key))  # noqa: E731
    api_url = get("CRYPTOPAY_API_URL")
    probe_url = get("MERCHANT_PROBE_URL")
    _check_url("CRYPTOPAY_API_URL", api_url, problems)
    _check_url("MERCHANT_PROBE_URL", probe_url, problems)
    _check_url("MERCHANT_CALLBACK_URL", get("MERCHANT_CALLBACK_URL"), problems)
    _check_url("EMULATOR_CONTROL_URL", get("EMULATOR_CONTROL_URL"), problems)
    allow_any = get("CERTIFY_ALLOW_NON_SANDBOX_HOST") == ALLOW_ANY_HOST_VALUE
    if api_url:
        missing = [k for k in ("CRYPTOPAY_API_KEY", "CRYPTOPAY_API_SECRET", "CRYPTOPAY_CALLBACK_SECRET") if not get(k)]
        problems += [f"{k} is required when CRYPTOPAY_API_URL is set" for k in missing]
        host = urlsplit(api_url).hostname
        if host != SANDBOX_HOST and not is_loopback(host) and not allow_any:
            what = "the PRODUCTION API" if host == PRODUCTION_HOST else f"host {host!r}"
            problems.append(f"CRYPTOPAY_API_URL points at {what}; only {SANDBOX_HOST} or a loopback emulator are "
                            f"allowed (override: CERTIFY_ALLOW_NON_SANDBOX_HOST={ALLOW_ANY_HOST_VALUE})")
    if probe_url:
        missing = [k for k in ("MERCHANT_CALLBACK_URL", "MERCHANT_PROBE_TOKEN") if not get(k)]
        problems += [f"{k} is required when MERCHANT_PROBE_URL is set" for k in missing]
        if not api_url:
            problems.append("MERCHANT_PROBE_URL is set but CRYPTOPAY_API_URL is not: an external merchant needs a "
                            "Cryptopay (the sandbox or a standalone emulator) that it is configured against")
    payer = get("PAYER") or "emulator"
    if payer not in PAYERS:
        problems.append(f"PAYER must be one of {', '.join(PAYERS)}")
    policy = {}
    for context in CONTEXTS:
        key = f"UNRESOLVED_POLICY_{context.upper()}"
        policy[context] = get(key) or "do_nothing"
        if policy[context] not in POLICIES:
            problems.append(f"{key} must be one of {', '.join(POLICIES)}")
    try:
        timeout = float(get("WAIT_TIMEOUT_SECONDS") or "20")
        if timeout <= 0:
            raise ValueError
    except ValueError:
        problems.append("WAIT_TIMEOUT_SECONDS must be a positive number of seconds")
        timeout = 20.0
    if problems:
        raise ConfigError(problems)
    return Settings(
        cryptopay_api_url=api_url, cryptopay_api_key=get("CRYPTOPAY_API_KEY"),
        cryptopay_api_secret=Secret(get("CRYPTOPAY_API_SECRET") or ""),
        cryptopay_callback_secret=Secret(get("CRYPTOPAY_CALLBACK_SECRET") or ""),
        merchant_probe_url=probe_url, merchant_callback_url=get("MERCHANT_CALLBACK_URL"),
        merchant_probe_token=Secret(get("MERCHANT_PROBE_TOKEN") or ""),
        emulator_control_url=get("EMULATOR_CONTROL_URL"), payer=payer, unresolved_policy=policy,
        wait_timeout=timeout, signoff_file=root / (get("GO_LIVE_SIGNOFF_FILE") or "signoff.yml"),
        allow_any_host=allow_any)
